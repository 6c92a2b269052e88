// The I/O shell of pws-gate: one acceptor, and per TCP connection one coroutine that reads HTTP
// requests and either upgrades to the Pusher WebSocket protocol or answers the HTTP API. The app
// manager type is a template parameter, so the lookup path is chosen at compile time.
//
// The gate, on every WebSocket connect (GET /app/{key}?protocol=7):
//   lookup by key --found, enabled, under maxConnections--> pusher:connection_established
//                 --not found--> 4001 | --disabled--> 4003 | --full--> 4004
//                 --the lookup failed--> 4199 (reconnect after backing off)
#pragma once

#include "connection.hpp"
#include "log.hpp"
#include "http_api.hpp"
#include "metrics.hpp"

#include <pws/app_manager.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>

namespace gate {

namespace http = beast::http;
using tcp = net::ip::tcp;

/// Connections the gate may hold: the descriptor limit, less 64 for the driver's connections,
/// logs and files (at least 1).
inline std::size_t default_max_connections() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 65536;
    return lim.rlim_cur > 128 ? static_cast<std::size_t>(lim.rlim_cur - 64) : std::max<std::size_t>(1, lim.rlim_cur / 2);
}

/// Knobs of the server; the defaults are Pusher's.
struct server_options {
    int activity_timeout_s = 120;                      ///< sent in connection_established
    std::size_t max_message_bytes = 256 * 1024;        ///< largest client frame accepted
    std::size_t max_body_bytes = 2 * 1024 * 1024;      ///< largest HTTP API body accepted
    std::chrono::seconds http_timeout{30};             ///< a keep-alive request must arrive within this
    std::chrono::seconds handshake_timeout{10};        ///< a new connection's first request, within this
    std::size_t max_connections = default_max_connections(); ///< TCP connections open at once, at most
};

/// A Pusher-protocol server whose apps come from `Apps` (a pws::AppManager<...>).
template <class Apps>
class server {
public:
    server(net::io_context& ioc, Apps& apps, const tcp::endpoint& listen, server_options opt = {})
        : ioc_(ioc), apps_(apps), acceptor_(ioc, listen), opt_(opt), rng_(std::random_device{}()) {
        // A cache that refreshes tells what changed; the connections of that app follow at once.
        if constexpr (has_change_hook)
            apps_.policy().on_change([this](const pws::App& before, const pws::find_result& after) {
                on_app_change(before, after);
            });
    }
    ~server() {
        if constexpr (has_change_hook) apps_.policy().on_change({});
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// The address actually bound (the port, when 0 was asked for).
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    /// Accepts connections until shutdown(). Out of descriptors (EMFILE, ENFILE, ENOBUFS,
    /// ENOMEM) it waits 100 ms before trying again rather than spin, saying so once per episode;
    /// over max_connections a new connection is closed at once.
    net::awaitable<void> run() {
        net::steady_timer backoff(ioc_);
        bool exhausted = false;
        std::uint64_t refused_full = 0;
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(nothrow);
            if (stopping_) co_return;
            if (ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system ||
                ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory) {
                if (!exhausted)
                    log_line("pws-gate: cannot accept (" + ec.message() + ") with " + std::to_string(live_) +
                             " connections open; retrying every 100 ms");
                exhausted = true;
                backoff.expires_after(std::chrono::milliseconds(100));
                co_await backoff.async_wait(nothrow);
                continue;
            }
            if (ec) continue;  // the peer gave up before we accepted (ECONNABORTED): next one
            if (exhausted) log_line("pws-gate: accepting again, " + std::to_string(live_) + " connections open");
            exhausted = false;
            if (live_ >= opt_.max_connections) {
                // Full: close at once (a client retries elsewhere) rather than hold a descriptor.
                if (refused_full++ % 1000 == 0)
                    log_line("pws-gate: " + std::to_string(opt_.max_connections) +
                             " connections open (--max-connections): new connections are closed; " +
                             std::to_string(refused_full) + " so far");
                beast::error_code ignored;
                sock.close(ignored);
                continue;
            }
            net::co_spawn(ioc_, session(std::move(sock)), net::detached);
        }
    }

    /// Stops accepting, ends idle HTTP connections, and closes every WebSocket with 4200 (clients
    /// reconnect at once, to another server). Connections still being looked up are refused so.
    void shutdown() {
        stopping_ = true;
        acceptor_.close();
        for (auto* s : http_streams_) s->cancel();
        for (auto* c : sockets_) c->close(pusher::server_restarting, "Server shutting down: reconnect");
    }

    /// TCP connections still open (HTTP or WebSocket).
    std::size_t live() const { return live_; }

private:
    static constexpr bool has_change_hook = requires(Apps& a) {
        a.policy().on_change(std::function<void(const pws::App&, const pws::find_result&)>());
    };

    // A refresh learned that app `before.id` changed (on the io_context's thread: the refresh runs
    // on the executor of the lookup that started it). Disabled or deleted: its connections are
    // closed as a connect would be refused (4003 / 4001). Otherwise they use the new app from
    // their next message on: a rotated secret signs the next subscription.
    void on_app_change(const pws::App& before, const pws::find_result& after) {
        if (after.failed()) return;
        std::uint16_t code = 0;
        std::string why;
        if (after.not_found()) {
            code = pusher::app_does_not_exist;
            why = "The app no longer exists";
        } else if (!after.app->enabled) {
            code = pusher::app_disabled;
            why = "The app is disabled";
        }
        std::size_t n = 0;
        for (auto* c : sockets_) {
            if (c->app_id != before.id) continue;
            ++n;
            if (code) c->close(code, why);
            else c->update_app(after.app);
        }
        log_line("pws-gate: app=" + before.id + (after.not_found() ? " deleted" : code ? " disabled" : " changed") +
                 " (a cache refresh): " + std::to_string(n) + " connection(s) " +
                 (code ? "closed with " + std::to_string(code) : std::string("now use it")));
    }

    net::awaitable<void> session(tcp::socket sock) {
        struct count { std::size_t& n; count(std::size_t& r) : n(++r) {} ~count() { --n; } } counted(live_);
        beast::error_code ignored;
        const auto remote = sock.remote_endpoint(ignored);
        const std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());
        beast::tcp_stream stream(std::move(sock));
        beast::flat_buffer buf;
        http_streams_.insert(&stream);
        // A connection that sends nothing gets handshake_timeout, not the keep-alive timeout: idle
        // sockets must not hold descriptors for long.
        for (bool first = true;; first = false) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(opt_.max_body_bytes);
            stream.expires_after(first ? opt_.handshake_timeout : opt_.http_timeout);
            auto [ec, n] = co_await http::async_read(stream, buf, parser, nothrow);
            if (ec || stopping_) break;
            auto req = parser.release();
            if (websocket::is_upgrade(req) && req.target().starts_with("/app/")) {
                http_streams_.erase(&stream);
                co_await serve_websocket(std::move(stream), std::move(req), peer);
                co_return;
            }
            http::response<http::string_body> res = co_await serve_http(req, peer);
            res.keep_alive(req.keep_alive() && !stopping_);
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
            if (wec || !res.keep_alive()) break;
        }
        http_streams_.erase(&stream);
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    net::awaitable<http::response<http::string_body>> serve_http(const http::request<http::string_body>& req,
                                                                 const std::string& peer) {
        const std::string_view target = req.target();
        const auto q = target.find('?');
        const std::string_view path = target.substr(0, q);
        const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
        if (path == "/metrics") co_return serve_metrics(req, peer);
        http_api::reply r{404, R"({"error":"not found"})"};
        if (path == "/" && req.method() == http::verb::get) {
            r = {200, R"({"ok":true})"};
        } else if (auto p = http_api::parse_path(path)) {
            const auto wanted = http_api::is_read(p->what) ? http::verb::get : http::verb::post;
            if (req.method() != wanted) {
                r = http_api::fail(405, wanted == http::verb::get ? "GET only" : "POST only");
            } else {
                const std::string id = p->app_id;
                pws::find_result found = co_await lookup(metrics::lookup_by::id, id);
                if (found.found())
                    r = http_api::handle(*p, *found.app, req.method_string(), path, query, req.body(), hub_, unix_now());
                else if (found.not_found()) r = http_api::fail(404, "no such app");
                else r = http_api::fail(503, "the app could not be looked up; retry later");
                if (found.failed())
                    log_line("http " + peer + " app=" + id + " lookup failed: " + found.ec.message() + ": " +
                             found.diagnostic);
            }
        }
        http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
        res.set(http::field::content_type, "application/json");
        if (r.status == 503) res.set(http::field::retry_after, "1");
        res.body() = std::move(r.body);
        log_line("http " + peer + " " + std::string(req.method_string()) + " " + std::string(path) + " " +
                 std::to_string(r.status) + (r.note.empty() ? "" : " " + r.note));
        co_return res;
    }

    net::awaitable<void> serve_websocket(beast::tcp_stream stream, http::request<http::string_body> req,
                                         std::string peer) {
        websocket::stream<beast::tcp_stream> ws(std::move(stream));
        beast::get_lowest_layer(ws).expires_never();  // the websocket's own timeouts take over
        websocket::stream_base::timeout t{};
        t.handshake_timeout = opt_.handshake_timeout;
        t.idle_timeout = std::chrono::seconds(opt_.activity_timeout_s + 30);
        t.keep_alive_pings = true;
        ws.set_option(t);
        ws.read_message_max(opt_.max_message_bytes);
        auto [aec] = co_await ws.async_accept(req, nothrow);
        if (aec) co_return;

        const auto target = pusher::parse_connect_target(req.target());
        std::string line = "ws " + peer + " key=" + target.key;
        auto refuse = [&](std::uint16_t code, const std::string& why) -> net::awaitable<void> {
            log_line(line + " refused " + std::to_string(code) + " " + why);
            metrics_.refused(code);
            co_await ws.async_write(net::buffer(pusher::error(code, why)), nothrow);
            co_await ws.async_close(close_reason_of(code, why), nothrow);  // waits for the reply
        };
        if (auto bad = pusher::check_protocol(target.protocol)) co_return co_await refuse(bad->code, bad->message);

        pws::find_result r = co_await lookup(metrics::lookup_by::key, target.key);
        if (stopping_) co_return co_await refuse(pusher::server_restarting, "Server shutting down: reconnect");
        if (r.failed()) {
            // The cause goes to the log (the library never puts a secret in it), not to the client.
            log_line(line + " lookup failed: " + r.ec.message() + (r.diagnostic.empty() ? "" : ": " + r.diagnostic));
            co_return co_await refuse(pusher::app_lookup_failed, "The app could not be looked up: reconnect later");
        }
        if (r.not_found()) co_return co_await refuse(pusher::app_does_not_exist, "App key " + target.key + " does not exist");
        const pws::App& app = *r.app;
        line += " app=" + app.id;
        if (!app.enabled) co_return co_await refuse(pusher::app_disabled, "The app is disabled");
        if (!hub_.try_add_connection(app.id, app.max_connections))
            co_return co_await refuse(pusher::over_connection_quota, "The app is over its connection quota");

        ws_connection conn(ws, r.app, new_socket_id());
        // However run() ends (even by an exception), the hub must not keep a dangling subscriber.
        struct registration {
            server& s;
            ws_connection& c;
            ~registration() { s.sockets_.erase(&c); s.hub_.remove_connection(c); }
        } reg{*this, conn};
        // Counted open until run() ends, however it ends; then closed by the code the server sent.
        struct admission {
            metrics::gate_counters& m;
            ws_connection& c;
            admission(metrics::gate_counters& m, ws_connection& c) : m(m), c(c) { m.admitted(); }
            ~admission() { m.closed(c.close_code()); }
        } admitted{metrics_, conn};
        sockets_.insert(&conn);
        log_line(line + " socket_id=" + conn.socket_id + " connected");
        conn.deliver(std::make_shared<const std::string>(
            pusher::connection_established(conn.socket_id, opt_.activity_timeout_s)));
        co_await conn.run(hub_);
    }

    // GET /metrics (metrics.hpp), without authentication, as soketi's metrics server: it holds no
    // secret and no app identity (fixed labels only: no app id, key or secret, no AWS key), and a
    // scraper has no app secret to sign with.
    http::response<http::string_body> serve_metrics(const http::request<http::string_body>& req,
                                                    const std::string& peer) {
        const bool get = req.method() == http::verb::get;
        http::response<http::string_body> res{get ? http::status::ok : http::status::method_not_allowed, req.version()};
        if (get) {
            res.set(http::field::content_type, metrics::content_type);
            res.body() = metrics::render(apps_, metrics_, live_);
        } else {
            res.set(http::field::allow, "GET");
            res.set(http::field::content_type, "application/json");
            res.body() = R"({"error":"GET only"})";
        }
        log_line("http " + peer + " " + std::string(req.method_string()) + " /metrics " +
                 std::to_string(res.result_int()));
        return res;
    }

    // Every app lookup the gate makes: timed (steady_clock) and counted by outcome in metrics_.
    // `name` must stay valid until completion.
    net::awaitable<pws::find_result> lookup(metrics::lookup_by by, std::string_view name) {
        const auto t0 = std::chrono::steady_clock::now();
        pws::find_result r;
        // Two statements, not `co_await (c ? a() : b())`: GCC 12 miscompiles that (see cached.hpp).
        if (by == metrics::lookup_by::key) r = co_await apps_.find_by_key(name);
        else r = co_await apps_.find_by_id(name);
        metrics_.looked_up(by, r, std::chrono::steady_clock::now() - t0);
        co_return r;
    }

    std::string new_socket_id() {
        std::uniform_int_distribution<std::uint64_t> d(1, 9'999'999'999);
        return std::to_string(d(rng_)) + "." + std::to_string(d(rng_));
    }

    net::io_context& ioc_;
    Apps& apps_;
    tcp::acceptor acceptor_;
    server_options opt_;
    std::mt19937_64 rng_;
    hub hub_;
    metrics::gate_counters metrics_;
    bool stopping_ = false;
    std::size_t live_ = 0;
    std::unordered_set<beast::tcp_stream*> http_streams_;
    std::unordered_set<ws_connection*> sockets_;
};

}  // namespace gate
