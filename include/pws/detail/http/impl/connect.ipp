#pragma once

#include <pws/detail/http/connect.hpp>
#include <pws/detail/http/deadline.hpp>
#include <pws/detail/http/error.hpp>

#include <pws/detail/waiter_list.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace pws::detail::http {

namespace connect_impl {

// Name lookups. getaddrinfo blocks and cannot be interrupted, and Boost 1.81's resolver runs every
// lookup of an io_context on one private thread, one after the other: a name whose DNS server
// never answers held up every other name of that io_context (hardening.stalled_dns_open). So each
// lookup runs on a thread of its own, shared by every resolve_host() of the same host and port
// while it is in flight, at most max_lookup_threads at once in the process. A caller waits in the
// lookup's waiter_list until its deadline: the deadline ends the wait, never the lookup, which
// finishes in the background and completes whoever still waits.
struct lookup {
    lookup(std::string h, std::uint16_t p) : host(std::move(h)), port(p) {}
    const std::string host;
    const std::uint16_t port;
    std::mutex mutex;
    bool done = false;                   // under mutex
    resolved_host result;                // set with `done`; immutable after
    waiter_list<resolved_host> waiters;  // enqueued under mutex while !done
};

inline constexpr std::size_t max_lookup_threads = 32;

// The lookups in flight, process-wide. Never destroyed: a thread may still be in getaddrinfo
// when the process exits.
struct lookup_table {
    std::mutex mutex;
    std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<lookup>> in_flight;

    static lookup_table& instance() {
        static lookup_table* t = new lookup_table;
        return *t;
    }
};

// The addresses getaddrinfo gives for `l`, as Boost's resolver asks for them (any family, TCP).
inline resolved_host getaddrinfo_for(const lookup& l) {
    resolved_host out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(l.port);
    const int rc = ::getaddrinfo(l.host.c_str(), port.c_str(), &hints, &list);
    if (rc != 0) {
        out.ec = error::connection_failed;
        out.diagnostic = "cannot resolve " + l.host + " (" +
                         (rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : std::string(::gai_strerror(rc))) + ")";
        return out;
    }
    for (const addrinfo* a = list; a; a = a->ai_next) {
        boost::asio::ip::tcp::endpoint e;
        if (a->ai_family == AF_INET && a->ai_addrlen >= sizeof(sockaddr_in)) {
            std::memcpy(e.data(), a->ai_addr, sizeof(sockaddr_in));
        } else if (a->ai_family == AF_INET6 && a->ai_addrlen >= sizeof(sockaddr_in6)) {
            std::memcpy(e.data(), a->ai_addr, sizeof(sockaddr_in6));
        } else {
            continue;
        }
        out.endpoints.push_back(e);
    }
    ::freeaddrinfo(list);
    if (out.endpoints.empty()) {
        out.ec = error::connection_failed;
        out.diagnostic = "cannot resolve " + l.host + " (no IPv4 or IPv6 address)";
    }
    return out;
}

// A lookup's thread: resolves, leaves the table, and completes every waiter still waiting.
inline void run_lookup(const std::shared_ptr<lookup>& l) {
    resolved_host r;
    try {
        r = getaddrinfo_for(*l);
    } catch (const std::exception&) {  // out of memory
        r = {};
        r.ec = error::connection_failed;
        r.diagnostic = "cannot resolve " + l->host + " (internal error)";
    }
    {
        auto& table = lookup_table::instance();
        std::lock_guard lock(table.mutex);
        table.in_flight.erase({l->host, l->port});
    }
    {
        std::lock_guard lock(l->mutex);
        l->result = r;
        l->done = true;
    }
    l->waiters.notify_all(r);  // outside the lock: every waiter enqueued before `done`, none after
}

// The initiation of a wait for a lookup (a named type, not a lambda in the coroutine's frame).
// Runs once the waiting coroutine is suspended: a cancellation from another thread may resume it
// before this returns, so the timer is only touched under the lookup's mutex.
struct lookup_wait {
    lookup& l;
    boost::asio::steady_timer& timer;

    template <class Handler>
    void operator()(Handler handler) const {
        std::unique_lock lock(l.mutex);
        if (l.done) {
            lock.unlock();  // `result` is immutable now
            boost::asio::post(boost::asio::append(std::move(handler), boost::system::error_code(), l.result));
            return;
        }
        const auto handle = l.waiters.wait_handler(std::move(handler));
        timer.async_wait([handle](boost::system::error_code e) {
            if (!e) handle.cancel();
        });
    }
};

// The lookup in flight for host:port, joined, or a new one with its thread started. Null (and
// `diagnostic` set) when max_lookup_threads are busy or no thread could start.
inline std::shared_ptr<lookup> join_lookup(const std::string& host, std::uint16_t port, std::string& diagnostic) {
    auto& table = lookup_table::instance();
    std::lock_guard lock(table.mutex);
    if (auto it = table.in_flight.find({host, port}); it != table.in_flight.end()) return it->second;
    if (table.in_flight.size() >= max_lookup_threads) {
        diagnostic = "cannot resolve " + host + ": " + std::to_string(max_lookup_threads) +
                     " name lookups are already in flight (is the DNS server answering?)";
        return nullptr;
    }
    auto l = std::make_shared<lookup>(host, port);
    try {
        std::thread([l] { run_lookup(l); }).detach();
    } catch (const std::exception&) {
        diagnostic = "cannot resolve " + host + ": no thread could be started for the lookup";
        return nullptr;
    }
    table.in_flight.emplace(std::pair{host, port}, l);
    return l;
}

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

PWS_DECL std::size_t lookups_in_flight() {
    auto& table = connect_impl::lookup_table::instance();
    std::lock_guard lock(table.mutex);
    return table.in_flight.size();
}

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
    // Waiting for getaddrinfo itself (as a parallel_group does, to cancel it) would wait for
    // its end: a DNS server that never answers held a 300 ms deadline for 3 s. The wait ends at
    // the deadline (a timer cancels it) or with the caller's cancellation; the lookup goes on.
    auto l = connect_impl::join_lookup(host, port, out.diagnostic);
    if (!l) {
        out.ec = error::connection_failed;
        co_return out;
    }
    using token_type = asio::as_tuple_t<asio::use_awaitable_t<>>;
    token_type token;
    asio::steady_timer timer(ex, deadline);
    auto [wec, r] = co_await asio::async_initiate<token_type, waiter_list<resolved_host>::signature>(
        connect_impl::lookup_wait{*l, timer}, token);
    {
        std::lock_guard lock(l->mutex);  // the initiation is done with the timer
        timer.cancel();
    }
    if (wec) {
        if (std::chrono::steady_clock::now() >= deadline) {
            out.ec = error::timeout;
            out.diagnostic = "resolving " + host + " timed out";
        } else {
            out.ec = asio::error::operation_aborted;
            out.diagnostic = "resolving " + host + " was cancelled";
        }
        co_return out;
    }
    co_return std::move(r);
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
            deadline_guard guard(s.get_executor(), socket.native_handle(), connect_deadline);
            std::tie(cec) = co_await socket.async_connect(endpoint, token);
            // Also after a connect that succeeded as the deadline passed: the socket is shut down.
            late = guard.release();
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
            deadline_guard guard(s.get_executor(), s.native_socket(), connect_deadline);
            std::tie(hec) = co_await tls->async_handshake(asio::ssl::stream_base::client, token);
            late = guard.release();  // a handshake done as the deadline passed left the socket shut down
        }
        if (hec || late) {
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
