// A small HTTP/1.1 client for the credentials sources' one-off requests: STS (https), the
// container endpoint and IMDS (plain http). One connection per request, "Connection: close", one
// deadline over resolve + connect + TLS handshake + exchange. It shares the DynamoDB transport's
// HTTP layer (detail/http/) but not its pool or retries: these requests happen once an hour.
//
// Diagnostics name the method and scheme://host:port only: paths can carry per-task ids and
// headers carry tokens.
#pragma once

#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pws::detail {

/// A parsed http(s) URL.
struct http_url {
    bool tls = false;        ///< https
    std::string host;        ///< DNS name or IP literal (IPv6 without brackets)
    std::uint16_t port = 80; ///< TCP port
    std::string host_header; ///< "host" or "host:port"
    std::string target;      ///< path and query, "/" at least
};

/// Parses "http[s]://host[:port][/path[?query]]". error::invalid_endpoint (diagnostic naming
/// scheme://authority only) on anything else, fragments and user info included.
PWS_DECL boost::system::error_code parse_http_url(std::string_view url, http_url& out, std::string& diagnostic);

/// "http://host:port" as it appears in diagnostics.
PWS_DECL std::string describe_peer(const http_url& u);

/// True for the addresses a plain-http container endpoint may have (the SDKs' rule): loopback
/// (127.0.0.0/8, ::1), the ECS agent 169.254.170.2, the EKS Pod Identity agent 169.254.170.23
/// and fd00:ec2::23 (IPv4-mapped forms included).
PWS_DECL bool is_allowed_container_address(const boost::asio::ip::address& a) noexcept;

/// One request.
struct http_request_spec {
    boost::beast::http::verb method = boost::beast::http::verb::get; ///< GET, PUT or POST
    http_url url;                                         ///< where
    std::vector<std::pair<std::string, std::string>> headers; ///< extra headers (tokens go here)
    std::string body;                                     ///< sent with Content-Length
    std::string content_type;                             ///< "" = no Content-Type
    std::chrono::milliseconds timeout{1000};              ///< the whole request
    std::size_t body_limit = 64 * 1024;                   ///< larger responses are refused
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;///< pre-resolved addresses; empty = resolve
};

/// What came back.
struct http_reply {
    boost::system::error_code ec; ///< error::timeout, connection_failed, connection_closed, ...
    std::string diagnostic;       ///< "PUT http://host:port: timed out after 1000 ms"
    unsigned status = 0;          ///< HTTP status when a response arrived
    std::string body;             ///< its body
};

/// Sends one request and reads its response, over the HTTP layer the DynamoDB transport uses
/// too (detail/http/): the same connect, TLS policy, limits and error classification. `tls` is
/// required for https URLs (detail/http/tls_context.hpp makes it).
PWS_DECL boost::asio::awaitable<http_reply> http_request(boost::asio::any_io_executor ex, http_request_spec spec,
                                                         boost::asio::ssl::context* tls);

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_http.ipp>
#endif
