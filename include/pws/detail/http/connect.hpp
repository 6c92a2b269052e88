// Connecting, for both HTTP clients: name resolution under a deadline that holds even while
// getaddrinfo goes on, TCP, and for a TLS stream the one SNI and certificate-name policy, with
// diagnostics that say why a certificate was rejected.
#pragma once

#include <pws/detail/config.hpp>
#include <pws/detail/http/stream.hpp>
#include <pws/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pws::detail::http {

/// The addresses of a host, resolved before a deadline.
struct resolved_host {
    boost::system::error_code ec;                         ///< error::timeout or connection_failed
    std::string diagnostic;                               ///< why not
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;///< every address found
};

/// Resolves `host` (an IP literal resolves to itself, without a lookup). Returns at `deadline`
/// even when the lookup goes on in the background (getaddrinfo cannot be interrupted).
PWS_DECL boost::asio::awaitable<resolved_host> resolve_host(boost::asio::any_io_executor ex, std::string host,
                                                            std::uint16_t port,
                                                            std::chrono::steady_clock::time_point deadline);

/// Name lookups whose getaddrinfo is still running, process-wide (each on a thread of its own,
/// shared by every resolve_host of its name and port meanwhile; at most 32).
PWS_DECL std::size_t lookups_in_flight();

/// Where to connect, and how to check who answers.
struct connect_target {
    std::string host;                                      ///< DNS name or IP literal (IPv6 without brackets)
    std::uint16_t port = 0;                                ///< TCP port
    std::vector<boost::asio::ip::tcp::endpoint> endpoints; ///< addresses already resolved; empty = resolve host
    bool verify_peer = true; ///< TLS: the certificate must be valid for `host` (a name or an address)
    std::string ca_hint;     ///< TLS: how a user trusts a private CA, said when the issuer is unknown
};

/// The step a connect failed at.
enum class connect_step { resolve, tcp, tls };

/// How connecting ended.
struct connect_result {
    boost::system::error_code ec; ///< error::timeout or error::connection_failed, or none
    std::string why;              ///< what failed, without the peer: "connect timed out", "the server's TLS certificate was rejected (...)"
    connect_step step = connect_step::resolve; ///< where it failed
    bool tcp_connected = false;   ///< a TCP connection was made (TLS may have failed after)
    bool permanent = false;       ///< the certificate was rejected: retrying cannot help
    bool local = false;           ///< this process's own shortage (descriptors, buffers): not the server's
};

/// Connects `s` to `t` and, for a TLS stream, does the handshake: SNI for names (never for IP
/// literals), and with verify_peer the certificate checked against the name or address by
/// OpenSSL during the handshake (no partial wildcards). Resolution ends by `deadline`; the TCP
/// connect and the handshake by `deadline` or `connect_timeout` after resolution, the earlier.
/// On success the stream has no timeout left set: each exchange brings its own deadline.
PWS_DECL boost::asio::awaitable<connect_result> connect(
    stream& s, const connect_target& t, std::chrono::steady_clock::time_point deadline,
    std::chrono::steady_clock::duration connect_timeout = std::chrono::steady_clock::duration::max());

}  // namespace pws::detail::http

#ifdef PWS_HEADER_ONLY
#include <pws/detail/http/impl/connect.ipp>
#endif
