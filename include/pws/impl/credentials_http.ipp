#pragma once

#include <pws/aws/endpoint.hpp>
#include <pws/detail/credentials_http.hpp>
#include <pws/detail/http_checks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace pws::detail {

namespace credentials_http_impl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

// Writes the request and reads its response into `parser` (http_checks.hpp's rules and limits),
// the socket shut down at `deadline` whatever the server does.
template <class Stream>
asio::awaitable<response_read> exchange(Stream& s, http::request<http::string_body>& req, std::size_t body_limit,
                                        std::optional<http::response_parser<http::string_body>>& parser,
                                        std::chrono::steady_clock::time_point deadline, bool& timed_out) {
    const exchange_deadline guard(co_await asio::this_coro::executor, beast::get_lowest_layer(s).socket(),
                                  deadline);
    response_read read;
    auto [wec, wn] = co_await http::async_write(s, req, asio::as_tuple(asio::use_awaitable));
    if (wec) {
        read.ec = wec;
    } else {
        beast::flat_buffer buffer(max_unparsed_bytes);
        read = co_await read_final_response(s, buffer, parser, body_limit, 16 * 1024);
    }
    timed_out = read.ec && guard.fired();
    co_return read;
}

inline void classify(http_reply& out, error_code ec, const std::string& what, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout) {
        out.ec = error::timeout;
        out.diagnostic = what + ": timed out after " + std::to_string(timeout.count()) + " ms";
        return;
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
        out.ec = error::response_too_large;
    else if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == http::error::end_of_stream ||
             ec == http::error::partial_message || ec == asio::ssl::error::stream_truncated)
        out.ec = error::connection_closed;
    else if (ec.category() == error_code(http::error::bad_target).category())
        out.ec = error::malformed_response;
    else
        out.ec = error::connection_failed;
    out.diagnostic = what + ": " + ec.message();
}

}  // namespace credentials_http_impl

PWS_DECL boost::system::error_code parse_http_url(std::string_view url, http_url& out, std::string& diagnostic) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        diagnostic = "not an http(s) URL";
        return make_error_code(error::invalid_endpoint);
    }
    auto slash = url.find('/', scheme_end + 3);
    auto cut = std::min(slash, url.find_first_of("?#", scheme_end + 3));
    std::string_view authority = url.substr(0, cut), rest = cut == std::string_view::npos ? "" : url.substr(cut);
    if (rest.find('#') != std::string_view::npos) {
        diagnostic = "invalid endpoint '" + std::string(authority.substr(0, 256)) + "': a fragment is not supported";
        return make_error_code(error::invalid_endpoint);
    }
    aws::endpoint ep;
    if (auto ec = aws::parse_endpoint(authority, ep, diagnostic)) return ec;
    for (char c : rest)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            diagnostic = "invalid endpoint '" + std::string(authority.substr(0, 256)) +
                         "': the path holds a space or control character";
            return make_error_code(error::invalid_endpoint);
        }
    out.tls = ep.tls;
    out.host = std::move(ep.host);
    out.port = ep.port;
    out.host_header = std::move(ep.host_header);
    out.target = rest.empty() ? "/" : rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
    return {};
}

PWS_DECL std::string describe_peer(const http_url& u) {
    std::string s = u.tls ? "https://" : "http://";
    s += u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    s += ":" + std::to_string(u.port);
    return s;
}

PWS_DECL bool is_allowed_container_address(const boost::asio::ip::address& a) noexcept {
    if (a.is_loopback()) return true;
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        return b[0] == 169 && b[1] == 254 && b[2] == 170 && (b[3] == 2 || b[3] == 23);
    }
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped())
        return is_allowed_container_address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
    static const auto eks = boost::asio::ip::make_address_v6("fd00:ec2::23");
    return v6 == eks;
}

namespace credentials_http_impl {
// getaddrinfo cannot be interrupted: the deadline ends the wait, not the lookup, so this state
// outlives the call until the resolver completes in the background. The resolver's handler and
// the timer run on one strand; the waiting coroutine, on whatever executor it has, reads the
// results only once `done` says they are complete.
struct resolve_state {
    resolve_state(const asio::any_io_executor& ex, std::chrono::steady_clock::time_point deadline)
        : strand(asio::make_strand(ex)), resolver(ex), timer(strand, deadline) {}
    asio::strand<asio::any_io_executor> strand;
    asio::ip::tcp::resolver resolver;
    asio::steady_timer timer;
    error_code ec;
    asio::ip::tcp::resolver::results_type results;
    std::atomic<bool> done{false};
};
}  // namespace credentials_http_impl

PWS_DECL boost::asio::awaitable<resolved_host> resolve_host(boost::asio::any_io_executor ex, std::string host,
                                                            std::uint16_t port,
                                                            std::chrono::steady_clock::time_point deadline) {
    namespace asio = boost::asio;
    resolved_host out;
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
        out.endpoints.emplace_back(literal, port);
        co_return out;
    }
    // Waiting for the resolver itself (as a parallel_group does, to cancel it) would wait for
    // getaddrinfo: a DNS server that never answers held a 300 ms deadline for 3 s.
    auto st = std::make_shared<credentials_http_impl::resolve_state>(ex, deadline);
    st->resolver.async_resolve(host, std::to_string(port),
                               asio::bind_executor(st->strand, [st](boost::system::error_code rec, auto results) {
                                   st->ec = rec;
                                   st->results = std::move(results);
                                   st->done.store(true, std::memory_order_release);
                                   st->timer.cancel();
                               }));
    co_await st->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!st->done.load(std::memory_order_acquire)) {
        out.ec = error::timeout;
        out.diagnostic = "resolving " + host + " timed out";
        co_return out;
    }
    if (st->ec) {
        out.ec = error::connection_failed;
        out.diagnostic = "cannot resolve " + host + " (" + st->ec.message() + ")";
        co_return out;
    }
    for (auto& e : st->results) out.endpoints.push_back(e.endpoint());
    co_return out;
}

PWS_DECL boost::asio::awaitable<http_reply> http_request(boost::asio::any_io_executor ex, http_request_spec spec,
                                                         boost::asio::ssl::context* tls) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace http = boost::beast::http;
    using credentials_http_impl::classify;
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    http_reply out;
    const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    const std::string what = std::string(http::to_string(spec.method)) + " " + describe_peer(spec.url);

    if (spec.url.tls && !tls) {
        out.ec = error::invalid_config;
        out.diagnostic = what + ": no TLS context";
        co_return out;
    }
    if (spec.endpoints.empty()) {
        auto r = co_await resolve_host(ex, spec.url.host, spec.url.port, deadline);
        if (r.ec) {
            out.ec = r.ec;
            out.diagnostic = what + ": " + r.diagnostic;
            co_return out;
        }
        spec.endpoints = std::move(r.endpoints);
    }

    http::request<http::string_body> req{spec.method, spec.url.target, 11};
    req.set(http::field::host, spec.url.host_header);
    req.set(http::field::user_agent, "pws-app-manager");
    req.set(http::field::accept, "*/*");
    for (auto& [name, value] : spec.headers) req.set(name, value);
    if (!spec.content_type.empty()) req.set(http::field::content_type, spec.content_type);
    req.body() = std::move(spec.body);
    req.keep_alive(false);
    req.prepare_payload();

    beast::tcp_stream tcp(ex);
    tcp.expires_at(deadline);
    auto [cec, chosen] = co_await tcp.async_connect(spec.endpoints, token);
    if (cec) {
        classify(out, cec, what, spec.timeout);
        if (out.ec == error::connection_closed) out.ec = error::connection_failed;
        co_return out;
    }
    std::optional<http::response_parser<http::string_body>> parser;
    response_read read;
    bool timed_out = false;
    if (spec.url.tls) {
        beast::ssl_stream<beast::tcp_stream> s(std::move(tcp), *tls);
        boost::system::error_code not_ip;
        asio::ip::make_address(spec.url.host, not_ip);
        if (not_ip && !SSL_set_tlsext_host_name(s.native_handle(), spec.url.host.c_str())) {
            out.ec = error::connection_failed;
            out.diagnostic = what + ": cannot set the TLS server name";
            co_return out;
        }
        s.set_verify_callback(asio::ssl::host_name_verification(spec.url.host));
        auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, token);
        if (hec) {
            classify(out, hec, what, spec.timeout);
            if (out.ec != error::timeout) out.diagnostic = what + ": TLS handshake failed (" + hec.message() + ")";
            co_return out;
        }
        read = co_await credentials_http_impl::exchange(s, req, spec.body_limit, parser, deadline, timed_out);
    } else {
        read = co_await credentials_http_impl::exchange(tcp, req, spec.body_limit, parser, deadline, timed_out);
    }
    if (timed_out) {
        classify(out, beast::error::timeout, what, spec.timeout);
        co_return out;
    }
    if (read.ec) {
        classify(out, read.ec, what, spec.timeout);
        co_return out;
    }
    if (!read.too_large.empty() || !read.refused.empty()) {
        out.ec = read.too_large.empty() ? error::malformed_response : error::response_too_large;
        out.diagnostic = what + ": " + (read.too_large.empty() ? read.refused : read.too_large);
        co_return out;
    }
    out.status = parser->get().result_int();
    out.body = std::move(parser->get().body());
    co_return out;
}

}  // namespace pws::detail
