// pws-bench-gate-load — N WebSocket clients connecting to pws-gate (or any Pusher-protocol server).
//
//   pws-bench-gate-load --url HOST:PORT [--key K] [--clients N] [--in-flight W] [--deadline-s S]
//                       [--hold | --no-hold] [--metrics] [--watch NAME:PID]...
//
// Opens N connections `GET /app/K?protocol=7` (WebSocket upgrade), at most W of them in progress
// at once, and waits on each for {"event":"pusher:connection_established",...}. One thread, one
// io_context, one coroutine per client; plain Boost.Beast (it does not use the library).
//
//   --url HOST:PORT   the server (ws:// or http:// in front is accepted); default 127.0.0.1:6001
//   --key K           the app key in the path; default app-key (tools/node/seed.mjs's app)
//   --clients N       connections in all; default 5000
//   --in-flight W     connects in progress at once (TCP connect to connection_established); 256
//   --deadline-s S    connects stop S seconds after the program started: a client not connected
//                     by then counts as failed ("timeout" if it had started, "not_started" if not).
//                     Whatever the server does, the program prints its result and exits within
//                     S + 5 seconds (the metrics GET after and the closing take at most 2 s each).
//                     Default 60.
//   --hold            keep every connection open until all N are done, so N are open at once, then
//                     close them all (WebSocket close 1000); the default
//   --no-hold         close each connection (1000) as soon as it is established
//   --watch NAME:PID  (repeatable) also report that process's CPU seconds during the connects
//                     (from /proc/PID/stat) and its resident memory once they are done, every
//                     connection still held (VmRSS, VmHWM): "watch":{"NAME":{"cpu_connect_s":..,
//                     "rss_kb_connected":..,"hwm_kb_connected":..}}, null for a process gone
//   --metrics         GET http://HOST:PORT/metrics before and after, and report the difference of
//                     pws_dynamodb_requests_total (Prometheus text; series with labels are summed).
//                     A server without the endpoint (404) or without the line gives null, and
//                     metrics_note says why; it never fails the run.
//
// Latency of a client = from starting its TCP connect to receiving connection_established.
// Prints one JSON object on stdout:
//   {"clients":N,"connected":C,"failed":F,"failures":{"refused":..,"timeout":..,"closed_4001":..},
//    "wall_s":..,"connects_per_s":..,"p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..,
//    "dynamodb_requests":R|null,"dynamodb_requests_per_connect":R/C|null,"metrics_note":"..",
//    "client_cpu_user_s":..,"client_cpu_sys_s":..,"client_cpu_connect_s":..,"max_open":..,
//    "dropped_while_held":..,...}
// wall_s runs from the first connect to the last client done (connected or failed), or to the
// deadline; connects_per_s = connected / wall_s. client_cpu_user_s/_sys_s: the whole process
// (getrusage), closing included; client_cpu_connect_s: user + system during wall_s. Failure
// reasons: refused (ECONNREFUSED), reset, eof (the server closed the TCP connection),
// http_STATUS (the upgrade answered STATUS), closed_CODE (a WebSocket close with CODE, after
// pusher:error), timeout, not_started, or the error's message.
// Exits 0 once the result is printed (failures are part of the result), 2 on bad usage or when
// the descriptor limit cannot hold the connections, 1 on another error.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bench_common.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr auto metrics_timeout = std::chrono::seconds(2);
constexpr auto close_grace = std::chrono::seconds(2);
constexpr auto hard_margin = std::chrono::seconds(5);  // deadline + this: print and exit regardless

struct options {
    std::string host = "127.0.0.1";
    std::string port = "6001";
    std::string key = "app-key";
    std::uint64_t clients = 5000;
    std::uint64_t in_flight = 256;
    std::uint64_t deadline_s = 60;
    bool hold = true;
    bool metrics = false;
    std::vector<std::pair<std::string, int>> watch;  // --watch NAME:PID
};

// What /proc says of a process (Linux): CPU seconds (user + system) and memory in KiB.
struct proc_sample {
    double cpu_s = -1;
    long rss_kb = -1, hwm_kb = -1;
};

proc_sample sample_proc(int pid) {
    proc_sample s;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');  // the command name may hold spaces and parentheses
    if (paren != std::string::npos) {
        std::istringstream fields(text.substr(paren + 2));
        std::string f;
        unsigned long long utime = 0, stime = 0;
        // Fields 3.. follow the name; utime and stime are fields 14 and 15.
        for (int i = 3; i <= 15 && fields >> f; ++i) {
            if (i == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
            if (i == 15) stime = std::strtoull(f.c_str(), nullptr, 10);
        }
        if (fields) s.cpu_s = double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) s.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
        if (line.starts_with("VmHWM:")) s.hwm_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return s;
}

int usage(std::string_view why) {
    std::cerr << "pws-bench-gate-load: " << why << "\n"
              << "usage: pws-bench-gate-load --url HOST:PORT [--key K] [--clients N] [--in-flight W]\n"
              << "                           [--deadline-s S] [--hold|--no-hold] [--metrics] [--watch NAME:PID]...\n";
    return 2;
}

using bench::parse_positive;

// JSON string contents (the reasons are ours, but an error message may hold anything).
std::string json_escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
        } else {
            out += char(c);
        }
    }
    return out;
}

// The key as a path segment: unreserved characters as they are, the rest %XX.
std::string path_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

enum class state : std::uint8_t { not_started, in_progress, connected, failed };

struct client {
    explicit client(asio::io_context& ioc) : ws(ioc) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buf;
    state st = state::not_started;
    std::string reason;        // why it failed
    double latency_ms = 0;     // when connected
    bool open = false;         // its socket is open (counted in open_now)
    bool closing = false;      // we are closing it (a read error then is not a drop)
};

// The sum of the samples of `name` (with or without labels) in Prometheus text, if any.
std::optional<double> prometheus_value(std::string_view text, std::string_view name) {
    std::optional<double> sum;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line[0] == '#' || !line.starts_with(name)) continue;
        std::string_view rest = line.substr(name.size());
        if (!rest.empty() && rest[0] == '{') {
            const auto close = rest.find('}');
            if (close == std::string_view::npos) continue;
            rest = rest.substr(close + 1);
        } else if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) {
            continue;  // another metric whose name starts with this one
        }
        const std::string value(rest);
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        if (end == value.c_str()) continue;
        sum = sum.value_or(0) + v;
    }
    return sum;
}

class load {
public:
    load(asio::io_context& ioc, options o, tcp::endpoint ep)
        : ioc_(ioc), o_(std::move(o)), ep_(ep), slot_(ioc), done_(ioc), deadline_(ioc), hard_stop_(ioc) {
        host_header_ = o_.host + ":" + o_.port;
        target_ = "/app/" + path_escape(o_.key) + "?protocol=7&client=pws-bench-gate-load&version=1.0";
        clients_.reserve(o_.clients);
    }

    void start() {
        program_start_ = clock_type::now();
        hard_stop_.expires_at(program_start_ + std::chrono::seconds(o_.deadline_s) + hard_margin);
        hard_stop_.async_wait([this](beast::error_code ec) {
            if (!ec) {
                hard_stopped_ = true;
                ioc_.stop();
            }
        });
        asio::co_spawn(ioc_, main(), asio::detached);
    }

    void print() {
        if (!end_set_) end_ = clock_type::now();  // the hard stop cut the run
        std::vector<double> lat;
        std::map<std::string, std::uint64_t> failures;
        std::uint64_t connected = 0;
        for (auto& c : clients_) {
            if (c->st == state::connected) {
                ++connected;
                lat.push_back(c->latency_ms);
            } else if (c->st == state::failed) {
                ++failures[c->reason];
            } else {  // still in progress when the run was cut
                ++failures["timeout"];
            }
        }
        if (clients_.size() < o_.clients) failures["not_started"] += o_.clients - clients_.size();
        std::uint64_t failed = 0;
        for (auto& [r, n] : failures) failed += n;
        std::sort(lat.begin(), lat.end());
        auto q = [&](double p) -> std::string {
            if (lat.empty()) return "null";
            auto rank = static_cast<std::size_t>(p * double(lat.size()));
            if (rank >= lat.size()) rank = lat.size() - 1;
            return fixed(lat[rank], 2);
        };
        const double wall = std::chrono::duration<double>(end_ - t0_).count();
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        const double user = double(u.ru_utime.tv_sec) + double(u.ru_utime.tv_usec) * 1e-6;
        const double sys = double(u.ru_stime.tv_sec) + double(u.ru_stime.tv_usec) * 1e-6;

        std::optional<double> requests;
        std::string note = metrics_note_;
        if (o_.metrics && !metrics_before_) {
            if (note.empty()) note = "no metrics before the run";
        } else if (o_.metrics && !metrics_after_) {
            if (note.empty()) note = "no metrics after the run";
        } else if (o_.metrics) {
            requests = *metrics_after_ - *metrics_before_;
        } else {
            note = "--metrics not given";
        }

        std::ostringstream j;
        j << "{\"clients\":" << o_.clients << ",\"connected\":" << connected << ",\"failed\":" << failed
          << ",\"failures\":{";
        bool first = true;
        for (auto& [r, n] : failures) {
            j << (first ? "" : ",") << "\"" << json_escape(r) << "\":" << n;
            first = false;
        }
        j << "},\"wall_s\":" << fixed(wall, 4)
          << ",\"connects_per_s\":" << (wall > 0 ? fixed(double(connected) / wall, 1) : "null")
          << ",\"p50_ms\":" << q(0.50) << ",\"p90_ms\":" << q(0.90) << ",\"p99_ms\":" << q(0.99)
          << ",\"max_ms\":" << (lat.empty() ? "null" : fixed(lat.back(), 2))
          << ",\"dynamodb_requests\":" << (requests ? fixed(*requests, 0) : "null")
          << ",\"dynamodb_requests_per_connect\":"
          << (requests && connected ? fixed(*requests / double(connected), 6) : "null")
          << ",\"metrics_note\":" << (note.empty() ? "null" : "\"" + json_escape(note) + "\"")
          << ",\"dynamodb_requests_before\":" << (metrics_before_ ? fixed(*metrics_before_, 0) : "null")
          << ",\"dynamodb_requests_after\":" << (metrics_after_ ? fixed(*metrics_after_, 0) : "null")
          << ",\"client_cpu_user_s\":" << fixed(user, 3) << ",\"client_cpu_sys_s\":" << fixed(sys, 3)
          << ",\"client_cpu_connect_s\":" << fixed(cpu_connect_s_, 3) << ",\"watch\":{";
        for (std::size_t i = 0; i < o_.watch.size(); ++i) {
            j << (i ? "," : "") << "\"" << json_escape(o_.watch[i].first) << "\":";
            const proc_sample a = i < watch_start_.size() ? watch_start_[i] : proc_sample{};
            const proc_sample b = i < watch_end_.size() ? watch_end_[i] : proc_sample{};
            if (a.cpu_s < 0 || b.cpu_s < 0) {
                j << "null";
                continue;
            }
            j << "{\"pid\":" << o_.watch[i].second << ",\"cpu_connect_s\":" << fixed(b.cpu_s - a.cpu_s, 3)
              << ",\"rss_kb_connected\":" << b.rss_kb << ",\"hwm_kb_connected\":" << b.hwm_kb << "}";
        }
        j << "}"
          << ",\"max_open\":" << max_open_ << ",\"dropped_while_held\":" << dropped_
          << ",\"deadline_hit\":" << (deadline_hit_ ? "true" : "false")
          << ",\"hard_stopped\":" << (hard_stopped_ ? "true" : "false")
          << ",\"close_s\":" << fixed(close_s_, 3) << ",\"in_flight\":" << o_.in_flight
          << ",\"hold\":" << (o_.hold ? "true" : "false") << ",\"deadline_s\":" << o_.deadline_s
          << ",\"url\":\"" << json_escape(host_header_) << "\",\"key\":\"" << json_escape(o_.key) << "\"}";
        std::cout << j.str() << std::endl;
    }

private:
    static std::string fixed(double v, int digits) {
        char b[64];
        std::snprintf(b, sizeof b, "%.*f", digits, v);
        return b;
    }

    void opened(client& c) {
        c.open = true;
        max_open_ = std::max(max_open_, ++open_now_);
    }
    void closed(client& c) {
        if (c.open) --open_now_;
        c.open = false;
        beast::error_code ignored;
        beast::get_lowest_layer(c.ws).socket().close(ignored);
        if (closing_phase_ && open_now_ == 0) done_.cancel();
    }

    // One connect; returns once it is connected (then holds it, or closes it) or failed.
    asio::awaitable<void> connect_one(client& c) {
        c.st = state::in_progress;
        const auto t0 = clock_type::now();
        auto fail = [&](std::string reason) {
            if (c.st != state::in_progress) return;
            c.st = state::failed;
            c.reason = cut_ ? std::string("timeout") : std::move(reason);
            closed(c);
            finished_one();
        };
        auto reason_of = [](const beast::error_code& ec) -> std::string {
            if (ec == asio::error::connection_refused) return "refused";
            if (ec == asio::error::connection_reset) return "reset";
            if (ec == asio::error::eof || ec == http::error::end_of_stream) return "eof";
            if (ec == asio::error::timed_out || ec == beast::error::timeout) return "timeout";
            return ec.message();
        };

        auto& sock = beast::get_lowest_layer(c.ws);
        opened(c);
        auto [cec] = co_await sock.async_connect(ep_, nothrow);
        if (cec) co_return fail(reason_of(cec));
        beast::error_code ignored;
        sock.socket().set_option(tcp::no_delay(true), ignored);

        c.ws.read_message_max(64 * 1024);
        c.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(http::field::user_agent, "pws-bench-gate-load");
        }));
        websocket::response_type res;
        auto [hec] = co_await c.ws.async_handshake(res, host_header_, target_, nothrow);
        if (hec == websocket::error::upgrade_declined) co_return fail("http_" + std::to_string(res.result_int()));
        if (hec) co_return fail(reason_of(hec));

        // The first message should be connection_established; a pusher:error is followed by a close.
        for (;;) {
            auto [rec, n] = co_await c.ws.async_read(c.buf, nothrow);
            if (rec == websocket::error::closed) co_return fail("closed_" + std::to_string(unsigned(c.ws.reason().code)));
            if (rec) co_return fail(reason_of(rec));
            const std::string msg = beast::buffers_to_string(c.buf.data());
            c.buf.consume(c.buf.size());
            if (msg.find("\"pusher:connection_established\"") != std::string::npos &&
                msg.find("socket_id") != std::string::npos)
                break;
            if (msg.find("\"pusher:error\"") == std::string::npos)
                co_return fail("unexpected first message");
        }
        if (c.st != state::in_progress) co_return;  // cut by the deadline meanwhile
        c.latency_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        c.st = state::connected;
        finished_one();

        if (!o_.hold) {
            c.closing = true;
            co_await c.ws.async_close(websocket::close_code::normal, nothrow);
            closed(c);
            co_return;
        }
        // Held: keep a read pending (it answers the server's pings) until we close it.
        for (;;) {
            auto [rec, n] = co_await c.ws.async_read(c.buf, nothrow);
            c.buf.consume(c.buf.size());
            if (!rec) continue;
            if (!c.closing) ++dropped_;
            break;
        }
        closed(c);
    }

    // A client finished its connect (either way): frees its slot.
    void finished_one() {
        --active_;
        slot_.cancel();
        if (launching_done_ && active_ == 0) all_done();
    }

    static double cpu_seconds() {
        const auto t = bench::cpu_seconds();
        return t.user + t.sys;
    }

    void all_done() {
        if (end_set_) return;
        end_set_ = true;
        end_ = clock_type::now();
        cpu_connect_s_ = cpu_seconds() - cpu_start_s_;
        for (std::size_t i = 0; i < o_.watch.size(); ++i) watch_end_[i] = sample_proc(o_.watch[i].second);
        deadline_.cancel();
        done_.cancel();
    }

    // Cuts every connect still in progress: they count as "timeout".
    void cut() {
        deadline_hit_ = true;
        cut_ = true;
        launching_done_ = true;
        slot_.cancel();
        for (auto& c : clients_)
            if (c->st == state::in_progress) {
                c->st = state::failed;
                c->reason = "timeout";
                --active_;
                closed(*c);
            }
        all_done();
    }

    asio::awaitable<void> launcher() {
        while (clients_.size() < o_.clients && !cut_) {
            if (active_ >= o_.in_flight) {
                slot_.expires_at(clock_type::time_point::max());
                co_await slot_.async_wait(nothrow);
                continue;
            }
            clients_.push_back(std::make_unique<client>(ioc_));
            ++active_;
            asio::co_spawn(ioc_, connect_one(*clients_.back()), asio::detached);
        }
        launching_done_ = true;
        if (active_ == 0) all_done();
    }

    // GET /metrics; the counter, or nullopt with metrics_note_ saying why.
    asio::awaitable<std::optional<double>> fetch_metrics(const char* when) {
        beast::tcp_stream s(ioc_);
        s.expires_after(metrics_timeout);
        auto note = [&](const std::string& why) {
            if (metrics_note_.empty()) metrics_note_ = std::string("GET /metrics ") + when + ": " + why;
        };
        auto [cec] = co_await s.async_connect(ep_, nothrow);
        if (cec) {
            note(cec.message());
            co_return std::nullopt;
        }
        http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
        req.set(http::field::host, host_header_);
        req.set(http::field::user_agent, "pws-bench-gate-load");
        req.set(http::field::connection, "close");
        auto [wec, wn] = co_await http::async_write(s, req, nothrow);
        beast::flat_buffer b;
        http::response_parser<http::string_body> p;
        p.body_limit(8 * 1024 * 1024);
        beast::error_code rec;
        if (!wec) std::tie(rec, wn) = co_await http::async_read(s, b, p, nothrow);
        beast::error_code ignored;
        s.socket().shutdown(tcp::socket::shutdown_both, ignored);
        if (wec || rec) {
            note((wec ? wec : rec).message());
            co_return std::nullopt;
        }
        const auto& res = p.get();
        if (res.result_int() != 200) {
            note("answered HTTP " + std::to_string(res.result_int()) +
                 (res.result_int() == 404 ? " (the server has no metrics endpoint)" : ""));
            co_return std::nullopt;
        }
        auto v = prometheus_value(res.body(), "pws_dynamodb_requests_total");
        if (!v) note("no pws_dynamodb_requests_total in the answer");
        co_return v;
    }

    asio::awaitable<void> main() {
        if (o_.metrics) metrics_before_ = co_await fetch_metrics("before");

        t0_ = clock_type::now();
        cpu_start_s_ = cpu_seconds();
        watch_start_.clear();
        for (auto& [name, pid] : o_.watch) watch_start_.push_back(sample_proc(pid));
        watch_end_.assign(o_.watch.size(), proc_sample{});
        deadline_.expires_at(program_start_ + std::chrono::seconds(o_.deadline_s));
        deadline_.async_wait([this](beast::error_code ec) {
            if (!ec && !end_set_) cut();
        });
        asio::co_spawn(ioc_, launcher(), asio::detached);

        while (!end_set_) {
            done_.expires_at(clock_type::time_point::max());
            co_await done_.async_wait(nothrow);
        }

        // Metrics while every connection is still held (closing asks DynamoDB nothing anyway).
        if (o_.metrics && metrics_before_) metrics_after_ = co_await fetch_metrics("after");

        // Close what is open: WebSocket close 1000, at most close_grace for all of them.
        const auto c0 = clock_type::now();
        closing_phase_ = true;
        for (auto& c : clients_)
            if (c->open && c->st == state::connected && !c->closing) {
                c->closing = true;
                c->ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
            }
        done_.expires_after(close_grace);
        while (open_now_ > 0 && clock_type::now() < c0 + close_grace) {
            co_await done_.async_wait(nothrow);
            done_.expires_at(c0 + close_grace);
        }
        close_s_ = std::chrono::duration<double>(clock_type::now() - c0).count();
        hard_stop_.cancel();
        ioc_.stop();
    }

    asio::io_context& ioc_;
    options o_;
    tcp::endpoint ep_;
    std::string host_header_, target_;
    std::vector<std::unique_ptr<client>> clients_;
    asio::steady_timer slot_, done_, deadline_, hard_stop_;
    clock_type::time_point program_start_, t0_, end_;
    std::uint64_t active_ = 0, open_now_ = 0, max_open_ = 0, dropped_ = 0;
    bool launching_done_ = false, end_set_ = false, cut_ = false, deadline_hit_ = false, hard_stopped_ = false;
    bool closing_phase_ = false;
    double close_s_ = 0, cpu_start_s_ = 0, cpu_connect_s_ = 0;
    std::vector<proc_sample> watch_start_, watch_end_;
    std::optional<double> metrics_before_, metrics_after_;
    std::string metrics_note_;
};

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--hold") {
            o.hold = true;
            continue;
        }
        if (a == "--no-hold") {
            o.hold = false;
            continue;
        }
        if (a == "--metrics") {
            o.metrics = true;
            continue;
        }
        if (a == "--help" || a == "-h") return usage("N WebSocket clients connecting to a Pusher-protocol server"), 0;
        if (i + 1 >= argc) return usage("missing value after " + std::string(a));
        const std::string_view v = argv[++i];
        if (a == "--url") {
            std::string_view u = v;
            for (std::string_view scheme : {"ws://", "http://"})
                if (u.starts_with(scheme)) u.remove_prefix(scheme.size());
            while (u.ends_with('/')) u.remove_suffix(1);
            const auto colon = u.rfind(':');
            if (colon == std::string_view::npos || colon == 0 || colon + 1 == u.size())
                return usage("--url wants HOST:PORT");
            o.host = std::string(u.substr(0, colon));
            o.port = std::string(u.substr(colon + 1));
        } else if (a == "--watch") {
            const auto colon = v.rfind(':');
            int pid = 0;
            if (colon == std::string_view::npos || colon == 0 || !parse_positive(v.substr(colon + 1), pid))
                return usage("--watch wants NAME:PID");
            o.watch.emplace_back(std::string(v.substr(0, colon)), pid);
        } else if (a == "--key") {
            if (v.empty()) return usage("--key wants a non-empty key");
            o.key = v;
        } else if (a == "--clients") {
            if (!parse_positive(v, o.clients)) return usage("--clients takes a positive integer");
        } else if (a == "--in-flight") {
            if (!parse_positive(v, o.in_flight)) return usage("--in-flight takes a positive integer");
        } else if (a == "--deadline-s") {
            if (!parse_positive(v, o.deadline_s) || o.deadline_s > 86400)
                return usage("--deadline-s takes whole seconds, 1 to 86400");
        } else {
            return usage("unknown argument " + std::string(a));
        }
    }

    // Descriptors: every connection open at once (N held, or W in progress), and 64 to spare.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        std::perror("pws-bench-gate-load: getrlimit(RLIMIT_NOFILE)");
        return 1;
    }
    if (lim.rlim_cur != lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    const std::uint64_t needed = (o.hold ? o.clients : std::min(o.clients, o.in_flight) * 2) + 64;
    if (lim.rlim_cur != RLIM_INFINITY && needed > lim.rlim_cur) {
        std::cerr << "pws-bench-gate-load: " << needed << " descriptors needed ("
                  << (o.hold ? "--clients" : "--in-flight x 2") << " + 64), but RLIMIT_NOFILE is "
                  << lim.rlim_cur << " (hard " << lim.rlim_max << "): lower --clients"
                  << (o.hold ? " or use --no-hold" : "") << ", or raise the hard limit\n";
        return 2;
    }

    asio::io_context ioc(1);
    tcp::endpoint ep;
    try {
        tcp::resolver r(ioc);
        auto results = r.resolve(o.host, o.port, tcp::resolver::numeric_service);
        if (results.empty()) throw std::runtime_error("no address");
        ep = *results.begin();
    } catch (const std::exception& e) {
        std::cerr << "pws-bench-gate-load: cannot resolve " << o.host << ":" << o.port << ": " << e.what() << "\n";
        return 1;
    }

    load l(ioc, o, ep);
    l.start();
    ioc.run();
    l.print();
    // The process ends here without unwinding what the run left (coroutines cut by the hard stop,
    // sockets): the kernel closes them.
    std::fflush(stdout);
    std::_Exit(0);
}
