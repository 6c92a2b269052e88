// The I/O of one keep-alive connection of pws::dynamodb::client: connecting (name resolution
// under a deadline, TCP, TLS with peer and host name verification) and one HTTP exchange with
// its x-amz-crc32 check. The pool, retries and signing are in client.ipp, which includes this.
#pragma once

#include <pws/detail/credentials_http.hpp>
#include <pws/detail/http_checks.hpp>
#include <pws/detail/retry.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/dynamodb/detail/call_fsm.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/system_error.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pws::dynamodb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace client_impl {

template <class Stream>
asio::awaitable<std::tuple<error_code, std::size_t>> write_all(Stream& s, const std::string& bytes) {
    co_return co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
}

// Maps a socket/parser error to the library's codes, with a diagnostic naming the peer.
template <class Result>
void classify_io_error(Result& out, error_code ec, const char* during, const std::string& peer,
                       std::size_t cap) {
    if (ec == beast::error::timeout)
        out.ec = error::timeout;
    else if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
        out.ec = error::response_too_large;
    else if (ec == asio::error::eof || ec == asio::error::connection_reset ||
             ec == asio::error::broken_pipe || ec == http::error::end_of_stream ||
             ec == asio::ssl::error::stream_truncated)
        out.ec = error::connection_closed;
    else if (ec.category() == error_code(http::error::bad_target).category())
        out.ec = error::malformed_response;
    else
        out.ec = error::connection_failed;
    out.diagnostic =
        std::string(during) + " " + peer + ": " + (out.ec == error::timeout ? "timed out" : ec.message());
    if (ec == http::error::body_limit)
        out.diagnostic = "the response is larger than the " + std::to_string(cap) +
                         "-byte cap (DynamoDbConfig::max_response_bytes)";
    else if (ec == http::error::buffer_overflow)
        out.diagnostic = "a line of the response (a header, a chunk size with its extensions) or its trailer "
                         "section is longer than " + std::to_string(detail::max_unparsed_bytes) + " bytes";
}

}  // namespace client_impl

// One keep-alive connection: a TCP stream, wrapped in TLS for https endpoints. Used by one call
// at a time; the pool's book says which.
struct client::connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer{detail::max_unparsed_bytes};

    connection(const executor_type& ex, asio::ssl::context* tls) {
        if (tls)
            secure.emplace(ex, *tls);
        else
            plain.emplace(ex);
    }
    beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }
    // Whether this idle connection may carry the next request (client_impl::idle_connection_is_clean).
    bool clean_for_reuse();
};

// What one exchange came to: the call's state machine judges it (dynamodb/detail/call_fsm.hpp).
struct client::exchange_result : detail::attempt_result {};

namespace client_impl {

// Records a failure to connect in `out` (an exchange_result) and returns its code.
template <class Result>
error_code failed(Result& out, error e, const std::string& where, std::string why) {
    out.ec = e;
    out.diagnostic = where + why;
    return out.ec;
}

// Whether an idle pooled connection may carry the next request: nothing may be readable on it.
// Bytes there were never asked for (a proxy's unsolicited response, a 408 written before the
// server closed) and would be read as the next request's answer; EOF means the server closed
// it. One non-blocking peek, which consumes nothing.
inline bool idle_connection_is_clean(beast::tcp_stream& tcp, SSL* ssl) {
    if (ssl && SSL_pending(ssl) > 0) return false;  // a record OpenSSL already decrypted
    char byte;
    const auto n = ::recv(tcp.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Verification errors that mean "this CA is not trusted here", where a hint helps.
inline bool unknown_issuer(long v) {
    return v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
           v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
}

// The TLS context of an https endpoint: TLS 1.2 at least (as AWS requires), the system's CAs or
// `ca_file`, peer verification as configured. Throws error::invalid_config for an unusable CA file.
inline std::unique_ptr<asio::ssl::context> make_tls_context(const DynamoDbConfig& cfg) {
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    error_code ec;
    tls->set_default_verify_paths(ec);
    if (!cfg.ca_file.empty()) {
        tls->load_verify_file(cfg.ca_file, ec);
        if (ec)
            throw boost::system::system_error(error::invalid_config,
                                              "cannot load the CA bundle '" + cfg.ca_file + "': " + ec.message());
    }
    tls->set_verify_mode(cfg.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    return tls;
}

}  // namespace client_impl

PWS_DECL bool client::connection::clean_for_reuse() {
    return client_impl::idle_connection_is_clean(tcp(), secure ? secure->native_handle() : nullptr);
}

PWS_DECL asio::awaitable<error_code> client::connect(connection& c, exchange_result& out,
                                                     clock_type::time_point deadline) {
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    const std::string where = "cannot connect to " + ep_.host + ":" + std::to_string(ep_.port) + ": ";

    std::vector<asio::ip::tcp::endpoint> targets;
    error_code ec;
    auto literal = asio::ip::make_address(ep_.host, ec);
    const bool is_ip = !ec;
    if (is_ip) {
        targets.emplace_back(literal, ep_.port);
    } else {
        // The one resolve-with-deadline of both clients (credentials_http.hpp): it returns at
        // the deadline even while getaddrinfo goes on.
        auto r = co_await detail::resolve_host(ex_, ep_.host, ep_.port, deadline);
        if (r.ec == error::timeout) co_return client_impl::failed(out, error::timeout, where, "name resolution timed out");
        if (r.ec) co_return client_impl::failed(out, error::connection_failed, where, r.diagnostic);
        targets = std::move(r.endpoints);
    }

    auto& tcp = c.tcp();
    auto connect_deadline = std::min(deadline, clock_type::now() + cfg_.connect_timeout);
    tcp.expires_at(connect_deadline);
    auto [cec, chosen] = co_await tcp.async_connect(targets, token);
    if (cec == beast::error::timeout)
        co_return client_impl::failed(out, error::timeout, where, "connect timed out");
    if (cec) {
        // Out of descriptors or buffers here says nothing about the region.
        out.local = cec == asio::error::no_descriptors || cec == boost::system::errc::too_many_files_open_in_system ||
                    cec == asio::error::no_buffer_space || cec == asio::error::no_memory;
        co_return client_impl::failed(out, error::connection_failed, where, cec.message());
    }
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    {
        std::lock_guard lock(mutex_);
        ++stats_.connections_opened;
    }

    if (c.secure) {
        // SNI for names (never for IP literals); OpenSSL checks the name or address against the
        // certificate's SANs during the handshake, so a mismatch has its own verify error.
        SSL* ssl = c.secure->native_handle();
        bool ok = true;
        if (!is_ip) {
            ok = SSL_set_tlsext_host_name(ssl, ep_.host.c_str()) == 1;
            if (ok && cfg_.verify_peer) {
                SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = SSL_set1_host(ssl, ep_.host.c_str()) == 1;
            }
        } else if (cfg_.verify_peer) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep_.host.c_str()) == 1;
        }
        if (!ok)
            co_return client_impl::failed(out, error::connection_failed, where,
                                          "cannot set up TLS for this host name");
        tcp.expires_at(connect_deadline);
        auto [hec] = co_await c.secure->async_handshake(asio::ssl::stream_base::client, token);
        if (hec == beast::error::timeout)
            co_return client_impl::failed(out, error::timeout, where, "TLS handshake timed out");
        if (hec) {
            long verify = SSL_get_verify_result(ssl);
            if (cfg_.verify_peer && verify != X509_V_OK) {
                out.permanent = true;
                std::string why = "the server's TLS certificate was rejected (";
                why += X509_verify_cert_error_string(verify);
                if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
                    why += ": it is not valid for '" + ep_.host + "'";
                else if (client_impl::unknown_issuer(verify))
                    why += "; a private CA needs AWS_CA_BUNDLE or DynamoDbConfig::ca_file";
                co_return client_impl::failed(out, error::connection_failed, where, why + ")");
            }
            co_return client_impl::failed(out, error::connection_failed, where,
                                          "TLS handshake failed (" + hec.message() + ")");
        }
    }
    co_return error_code{};
}

PWS_DECL asio::awaitable<client::exchange_result> client::exchange(connection& c,
                                                                   const std::string& request_bytes,
                                                                   clock_type::time_point deadline) {
    exchange_result out;
    c.tcp().expires_at(deadline);
    const detail::exchange_deadline guard(ex_, c.tcp().socket(), deadline);
    {
        std::lock_guard lock(mutex_);
        ++stats_.requests;
    }
    // (No co_await inside ?: — GCC 12 miscompiles it.)
    std::tuple<error_code, std::size_t> wr;
    if (c.secure)
        wr = co_await client_impl::write_all(*c.secure, request_bytes);
    else
        wr = co_await client_impl::write_all(*c.plain, request_bytes);
    auto [wec, written] = wr;
    if (wec && guard.fired()) {
        out.ec = error::timeout;
        out.diagnostic = "sending to " + ep_.host_header + ": the attempt's deadline passed";
        co_return out;
    }
    if (wec) {
        client_impl::classify_io_error(out, wec, "sending to", ep_.host_header, cfg_.max_response_bytes);
        out.nothing_received = true;
        co_return out;
    }

    // Interim responses dropped, encodings refused: http_checks.hpp.
    std::optional<http::response_parser<http::string_body>> parser;
    detail::response_read rd;
    if (c.secure)
        rd = co_await detail::read_final_response(*c.secure, c.buffer, parser, cfg_.max_response_bytes, 64 * 1024);
    else
        rd = co_await detail::read_final_response(*c.plain, c.buffer, parser, cfg_.max_response_bytes, 64 * 1024);
    if (rd.ec && guard.fired()) {
        out.ec = error::timeout;
        out.diagnostic = "reading the response from " + ep_.host_header + ": the attempt's deadline passed";
        co_return out;
    }
    if (rd.ec) {
        client_impl::classify_io_error(out, rd.ec, "reading the response from", ep_.host_header,
                                       cfg_.max_response_bytes);
        out.nothing_received = rd.interim == 0 && !parser->got_some() && out.ec == error::connection_closed;
        co_return out;
    }
    if (!rd.too_large.empty()) {
        out.ec = error::response_too_large;
        out.diagnostic = std::move(rd.too_large);
        co_return out;
    }
    if (!rd.refused.empty()) {
        // A refused interim response or encoding: the connection is not reused either way. The
        // status is kept for a final response, as for any other answer.
        if (const unsigned status = parser->get().result_int(); status >= 200) out.status = status;
        out.ec = error::malformed_response;
        out.diagnostic = std::move(rd.refused);
        co_return out;
    }
    auto& res = parser->get();
    out.status = res.result_int();
    // DynamoDB answers one request with one response: bytes after it were not asked for, and
    // must not answer the next request on this connection, so it is not reused.
    out.keep_alive = res.keep_alive() && c.buffer.size() == 0;
    out.error_type = std::string(res["x-amzn-ErrorType"]);
    out.request_id = std::string(res["x-amzn-RequestId"]);
    if (auto date = detail::parse_http_date(res[http::field::date])) out.server_date = *date;
    out.body = std::move(res.body());
    if (!detail::crc32_matches(out.body, res["x-amz-crc32"])) {
        out.ec = error::crc32_mismatch;
        out.diagnostic = "the response body does not match its x-amz-crc32 header";
    }
    co_return out;
}

}  // namespace pws::dynamodb
