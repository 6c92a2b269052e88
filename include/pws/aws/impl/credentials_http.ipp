#pragma once

#include <pws/aws/endpoint.hpp>
#include <pws/aws/detail/credentials_http.hpp>
#include <pws/detail/http/connect.hpp>
#include <pws/detail/http/exchange.hpp>
#include <pws/detail/http/stream.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>

namespace pws::detail {

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

PWS_DECL boost::asio::awaitable<http_reply> http_request(boost::asio::any_io_executor ex, http_request_spec spec,
                                                         boost::asio::ssl::context* tls) {
    namespace bhttp = boost::beast::http;
    http_reply out;
    const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    const std::string what = std::string(bhttp::to_string(spec.method)) + " " + describe_peer(spec.url);
    const std::string timed_out = what + ": timed out after " + std::to_string(spec.timeout.count()) + " ms";

    if (spec.url.tls && !tls) {
        out.ec = error::invalid_config;
        out.diagnostic = what + ": no TLS context";
        co_return out;
    }
    http::stream s(ex, spec.url.tls ? tls : nullptr);
    http::connect_target target;
    target.host = spec.url.host;
    target.port = spec.url.port;
    target.endpoints = std::move(spec.endpoints);
    target.ca_hint = "a private CA needs AWS_CA_BUNDLE or credentials_provider_config::ca_file";
    auto c = co_await http::connect(s, target, deadline);
    if (c.ec) {
        out.ec = c.ec;
        // A lookup that timed out says so; any other step's timeout is the request's own.
        out.diagnostic = c.ec == error::timeout && c.step != http::connect_step::resolve ? timed_out
                                                                                         : what + ": " + c.why;
        co_return out;
    }

    bhttp::request<bhttp::string_body> req{spec.method, spec.url.target, 11};
    req.set(bhttp::field::host, spec.url.host_header);
    req.set(bhttp::field::user_agent, "pws-app-manager");
    req.set(bhttp::field::accept, "*/*");
    for (auto& [name, value] : spec.headers) req.set(name, value);
    if (!spec.content_type.empty()) req.set(bhttp::field::content_type, spec.content_type);
    req.body() = std::move(spec.body);
    req.keep_alive(false);
    req.prepare_payload();
    std::ostringstream request;
    request << req;

    boost::beast::flat_buffer buffer(http::max_unparsed_bytes);
    auto r = co_await http::exchange(s, buffer, request.str(), http::limits{spec.body_limit, 16 * 1024, nullptr},
                                     deadline);
    if (r.ec) {
        out.ec = r.ec;
        out.diagnostic = r.ec == error::timeout ? timed_out : what + ": " + r.why;
        co_return out;
    }
    out.status = r.status;
    out.body = std::move(r.message.body());
    co_return out;
}

}  // namespace pws::detail
