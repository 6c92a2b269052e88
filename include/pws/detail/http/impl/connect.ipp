#pragma once

#include <pws/detail/http/connect.hpp>
#include <pws/detail/http/deadline.hpp>
#include <pws/detail/http/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <memory>

namespace pws::detail::http {

namespace connect_impl {

// getaddrinfo cannot be interrupted: the deadline ends the wait, not the lookup, so this state
// outlives the call until the resolver completes in the background. The resolver's handler and
// the timer run on one strand; the waiting coroutine, on whatever executor it has, reads the
// results only once `done` says they are complete.
struct resolve_state {
    resolve_state(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point deadline)
        : strand(boost::asio::make_strand(ex)), resolver(ex), timer(strand, deadline) {}
    boost::asio::strand<boost::asio::any_io_executor> strand;
    boost::asio::ip::tcp::resolver resolver;
    boost::asio::steady_timer timer;
    boost::system::error_code ec;
    boost::asio::ip::tcp::resolver::results_type results;
    std::atomic<bool> done{false};
};

// Verification errors that mean "this CA is not trusted here", where a hint helps.
inline bool unknown_issuer(long v) {
    return v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
           v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
}

// Records a failure in `out` and returns it.
inline connect_result& failed(connect_result& out, error e, connect_step step, std::string why) {
    out.ec = e;
    out.step = step;
    out.why = std::move(why);
    return out;
}

// The one SNI and certificate-name policy: SNI for names, never for IP literals; with
// verification, OpenSSL checks the name or address against the certificate's SANs during the
// handshake, so a mismatch has its own verify error. False when OpenSSL refuses the settings.
inline bool set_peer_name(SSL* ssl, const std::string& host, bool is_ip, bool verify) {
    if (is_ip) return !verify || X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
    if (!verify) return true;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(ssl, host.c_str()) == 1;
}

// Why a handshake that failed with `ec` failed, for a diagnostic.
inline std::string handshake_failure(SSL* ssl, const connect_target& t, const boost::system::error_code& ec,
                                     bool& permanent) {
    const long verify = SSL_get_verify_result(ssl);
    if (!t.verify_peer || verify == X509_V_OK) return "TLS handshake failed (" + ec.message() + ")";
    permanent = true;
    std::string why = "the server's TLS certificate was rejected (";
    why += X509_verify_cert_error_string(verify);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
        why += ": it is not valid for '" + t.host + "'";
    else if (unknown_issuer(verify) && !t.ca_hint.empty())
        why += "; " + t.ca_hint;
    return why + ")";
}

}  // namespace connect_impl

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
    auto st = std::make_shared<connect_impl::resolve_state>(ex, deadline);
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

PWS_DECL boost::asio::awaitable<connect_result> connect(stream& s, const connect_target& t,
                                                        std::chrono::steady_clock::time_point deadline,
                                                        std::chrono::steady_clock::duration connect_timeout) {
    namespace asio = boost::asio;
    using connect_impl::failed;
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    connect_result out;

    boost::system::error_code ec;
    const auto literal = asio::ip::make_address(t.host, ec);
    const bool is_ip = !ec;
    std::vector<asio::ip::tcp::endpoint> targets = t.endpoints;
    if (targets.empty() && is_ip) {
        targets.emplace_back(literal, t.port);
    } else if (targets.empty()) {
        auto r = co_await resolve_host(s.get_executor(), t.host, t.port, deadline);
        if (r.ec == error::timeout)
            co_return std::move(failed(out, error::timeout, connect_step::resolve, "name resolution timed out"));
        if (r.ec) co_return std::move(failed(out, error::connection_failed, connect_step::resolve, r.diagnostic));
        targets = std::move(r.endpoints);
    }

    const auto now = std::chrono::steady_clock::now();
    const auto connect_deadline = connect_timeout < deadline - now ? now + connect_timeout : deadline;
    auto& tcp = s.tcp();
    // Each address in turn until one connects, under a deadline_guard rather than Beast's stream
    // timeout: the guard needs no strand (shutting down a connecting socket aborts its connect).
    boost::system::error_code cec = asio::error::host_not_found;
    for (const auto& endpoint : targets) {
        auto& socket = tcp.socket();
        if (socket.is_open()) socket.close(ec);
        socket.open(endpoint.protocol(), cec);
        if (cec) break;  // out of descriptors: no other address does better
        bool late = false;
        {
            const deadline_guard guard(s.get_executor(), socket.native_handle(), connect_deadline);
            std::tie(cec) = co_await socket.async_connect(endpoint, token);
            late = cec && guard.fired();
        }
        if (late) {
            s.close();
            co_return std::move(failed(out, error::timeout, connect_step::tcp, "connect timed out"));
        }
        if (!cec) break;
    }
    if (cec) {
        s.close();
        out.local = is_local_shortage(cec);
        co_return std::move(failed(out, error::connection_failed, connect_step::tcp, cec.message()));
    }
    out.tcp_connected = true;
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);

    if (auto* tls = s.tls()) {
        if (!connect_impl::set_peer_name(tls->native_handle(), t.host, is_ip, t.verify_peer)) {
            s.close();
            co_return std::move(
                failed(out, error::connection_failed, connect_step::tls, "cannot set up TLS for this host name"));
        }
        boost::system::error_code hec;
        bool late = false;
        {
            // The guard bounds the handshake, however the server trickles it.
            const deadline_guard guard(s.get_executor(), s.native_socket(), connect_deadline);
            std::tie(hec) = co_await tls->async_handshake(asio::ssl::stream_base::client, token);
            late = hec && guard.fired();
        }
        if (hec) {
            s.close();
            if (late || hec == boost::beast::error::timeout)
                co_return std::move(failed(out, error::timeout, connect_step::tls, "TLS handshake timed out"));
            std::string why = connect_impl::handshake_failure(tls->native_handle(), t, hec, out.permanent);
            co_return std::move(failed(out, error::connection_failed, connect_step::tls, std::move(why)));
        }
    }
    co_return out;
}

}  // namespace pws::detail::http
