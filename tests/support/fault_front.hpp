// A fault-injecting HTTP front for tests: listens on 127.0.0.1 (a free port), forwards each
// request to an upstream DynamoDB (dynalite) and, per request, can instead drop the connection,
// stall, answer an error, corrupt the body or its CRC, or pretend its clock is off. It can speak
// TLS, close keep-alive connections left idle, and records what it receives (headers included)
// so tests can assert attempts. Runs on its own thread; stops in its destructor.
//
// Faults are bound to requests in arrival order: a request takes the next queued fault when its
// first bytes arrive, whichever connection it comes on.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pws::test {

/// What the front does with one request.
enum class fault {
    none,                 ///< forward to upstream, answer its response
    drop_before_request,  ///< close the connection as the request arrives, without reading it
    drop_after_request,   ///< read the request, then close without answering
    stall,                ///< read the request and never answer (until the client gives up)
    status_500,           ///< 500 InternalServerError
    status_503,           ///< 503 with an empty body
    throttle,             ///< 400 ProvisionedThroughputExceededException
    corrupt_body,         ///< forward, then flip a byte of the body (its x-amz-crc32 no longer matches)
    bad_crc,              ///< forward, with a wrong x-amz-crc32 header
    validation,           ///< 400 ValidationException (must never be retried)
};

/// One request as the front saw it (headers are empty for drop_before_request).
struct request_record {
    fault applied = fault::none;
    std::string target;         ///< X-Amz-Target
    std::string invocation_id;  ///< amz-sdk-invocation-id
    std::string sdk_request;    ///< amz-sdk-request ("attempt=N; max=M")
    std::string amz_date;       ///< X-Amz-Date
};

class fault_front {
public:
    /// Forwards to `upstream_host:upstream_port` (plain HTTP). With `tls`, the front speaks TLS.
    fault_front(std::string upstream_host, unsigned short upstream_port,
                boost::asio::ssl::context* tls = nullptr)
        : upstream_host_(std::move(upstream_host)),
          upstream_port_(upstream_port),
          tls_(tls),
          acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~fault_front() {
        boost::asio::post(ioc_, [this] {
            boost::system::error_code ec;
            acceptor_.close(ec);
            ioc_.stop();
        });
        thread_.join();
    }
    fault_front(const fault_front&) = delete;
    fault_front& operator=(const fault_front&) = delete;

    /// A TLS server context with `chain_file` (PEM, leaf first) and its `key_file`.
    static std::unique_ptr<boost::asio::ssl::context> server_tls(const std::string& chain_file,
                                                                 const std::string& key_file) {
        auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        ctx->use_certificate_chain_file(chain_file);
        ctx->use_private_key_file(key_file, boost::asio::ssl::context::pem);
        return ctx;
    }

    /// "http://127.0.0.1:PORT" (https with TLS), or with another `host` that reaches 127.0.0.1.
    std::string endpoint(const std::string& host = "127.0.0.1") const {
        return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port());
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    /// The next `times` requests get `f` (queued after faults already pushed).
    void push(fault f, int times = 1) {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < times; ++i) faults_.push_back(f);
    }
    /// Faults still queued.
    std::size_t pending_faults() const {
        std::lock_guard lock(mutex_);
        return faults_.size();
    }
    /// The front's clock runs `offset` away from the real one: it sends that Date, and refuses
    /// requests whose X-Amz-Date is more than 5 minutes from it ("Signature expired").
    void set_clock_offset(std::chrono::seconds offset) { clock_offset_ = offset.count(); }
    /// While down, every connection is closed as soon as it is accepted.
    void set_down(bool down) { down_ = down; }
    /// Keep-alive connections idle for `d` are closed by the front (zero: never, the default).
    void close_idle_after(std::chrono::milliseconds d) { idle_close_ms_ = d.count(); }

    int requests() const { return requests_; }        ///< requests that arrived (dropped ones included)
    int connections() const { return connections_; }  ///< connections accepted
    int open_connections() const { return open_; }    ///< connections being served now
    int peak_connections() const { return peak_; }    ///< most connections served at once
    int idle_closes() const { return idle_closes_; }  ///< connections closed for being idle
    /// Every request that arrived, in order.
    std::vector<request_record> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    /// The X-Amz-Target of every request read, in order.
    std::vector<std::string> targets() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (auto& r : records_)
            if (r.applied != fault::drop_before_request) out.push_back(r.target);
        return out;
    }
    /// Forgets the counters, the records and the queued faults (the clock offset stays).
    void reset() {
        std::lock_guard lock(mutex_);
        faults_.clear();
        records_.clear();
        requests_ = connections_ = idle_closes_ = 0;
        peak_ = open_.load();
    }

private:
    using tcp = boost::asio::ip::tcp;
    template <class T>
    using awaitable = boost::asio::awaitable<T>;
    using response = boost::beast::http::response<boost::beast::http::string_body>;
    using request = boost::beast::http::request<boost::beast::http::string_body>;

    // Counts a connection as open for as long as it is served.
    struct open_guard {
        fault_front& f;
        explicit open_guard(fault_front& front) : f(front) {
            int now = ++f.open_;
            int peak = f.peak_;
            while (now > peak && !f.peak_.compare_exchange_weak(peak, now)) {
            }
        }
        ~open_guard() { --f.open_; }
    };

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] =
                co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            ++connections_;
            if (down_) continue;  // the socket closes here
            if (tls_) {
                auto s = std::make_shared<boost::beast::ssl_stream<boost::beast::tcp_stream>>(std::move(sock),
                                                                                              *tls_);
                boost::asio::co_spawn(ioc_, serve_tls(s), boost::asio::detached);
            } else {
                auto s = std::make_shared<boost::beast::tcp_stream>(std::move(sock));
                boost::asio::co_spawn(ioc_, serve(s), boost::asio::detached);
            }
        }
    }

    awaitable<void> serve_tls(std::shared_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> s) {
        boost::beast::get_lowest_layer(*s).expires_after(std::chrono::seconds(10));
        auto [ec] = co_await s->async_handshake(boost::asio::ssl::stream_base::server,
                                                boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;  // e.g. the client refused our certificate
        co_await serve(s);
    }

    // A request arrived: takes the next fault and starts its record (at `index`).
    fault arrive(std::size_t& index) {
        std::lock_guard lock(mutex_);
        fault f = fault::none;
        if (!faults_.empty()) {
            f = faults_.front();
            faults_.pop_front();
        }
        ++requests_;
        index = records_.size();
        records_.push_back({f, {}, {}, {}, {}});
        return f;
    }

    void record_headers(std::size_t index, const request& req) {
        std::lock_guard lock(mutex_);
        if (index >= records_.size()) return;  // reset() meanwhile
        auto& r = records_[index];
        r.target = std::string(req["X-Amz-Target"]);
        r.invocation_id = std::string(req["amz-sdk-invocation-id"]);
        r.sdk_request = std::string(req["amz-sdk-request"]);
        r.amz_date = std::string(req["X-Amz-Date"]);
    }

    static std::string format_time(std::chrono::system_clock::time_point t, const char* fmt) {
        std::time_t tt = std::chrono::system_clock::to_time_t(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, fmt, &tm);
        return buf;
    }
    static std::string http_date(std::chrono::system_clock::time_point t) {
        return format_time(t, "%a, %d %b %Y %H:%M:%S GMT");
    }
    static std::string amz_date(std::chrono::system_clock::time_point t) {
        return format_time(t, "%Y%m%dT%H%M%SZ");
    }

    static response error_response(unsigned status, std::string type, std::string message) {
        response res{static_cast<boost::beast::http::status>(status), 11};
        res.set(boost::beast::http::field::content_type, "application/x-amz-json-1.0");
        if (!type.empty())
            res.body() = R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" +
                         message + "\"}";
        return res;
    }

    awaitable<response> forward(const request& req) {
        namespace http = boost::beast::http;
        boost::beast::tcp_stream up(ioc_);
        tcp::resolver resolver(ioc_);
        auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        auto [rec, results] =
            co_await resolver.async_resolve(upstream_host_, std::to_string(upstream_port_), token);
        if (rec) co_return error_response(502, "", "");
        up.expires_after(std::chrono::seconds(10));
        auto [cec, ep] = co_await up.async_connect(results, token);
        if (cec) co_return error_response(502, "", "");
        request copy = req;
        copy.keep_alive(false);
        auto [wec, n] = co_await http::async_write(up, copy, token);
        boost::beast::flat_buffer b;
        response res;
        auto [rdec, m] = co_await http::async_read(up, b, res, token);
        if (wec || rdec) co_return error_response(502, "", "");
        co_return res;
    }

    template <class Stream>
    awaitable<void> serve(std::shared_ptr<Stream> s) {
        namespace http = boost::beast::http;
        auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        open_guard counted(*this);
        auto& tcp_layer = boost::beast::get_lowest_layer(*s);
        boost::beast::flat_buffer buffer;
        for (;;) {
            // Wait for the next request's first bytes (closing the connection if it stays idle).
            if (auto idle = idle_close_ms_.load())
                tcp_layer.expires_after(std::chrono::milliseconds(idle));
            else
                tcp_layer.expires_never();
            if (buffer.size() == 0) {
                auto [ec, n] = co_await s->async_read_some(buffer.prepare(64 * 1024), token);
                if (ec == boost::beast::error::timeout) ++idle_closes_;
                if (ec) co_return;
                buffer.commit(n);
            }
            tcp_layer.expires_after(std::chrono::seconds(30));
            std::size_t index = 0;
            fault f = arrive(index);
            if (f == fault::drop_before_request) co_return;
            request req;
            auto [ec, n] = co_await http::async_read(*s, buffer, req, token);
            if (ec) co_return;
            record_headers(index, req);
            if (f == fault::drop_after_request) co_return;
            if (f == fault::stall) {
                tcp_layer.expires_never();
                for (;;) {  // never answer; leave when the client gives up and closes
                    auto [rec, m] = co_await s->async_read_some(buffer.prepare(4096), token);
                    if (rec) co_return;
                    buffer.consume(buffer.size());
                }
            }
            auto now = std::chrono::system_clock::now() + std::chrono::seconds(clock_offset_.load());
            response res;
            std::string sent(req["X-Amz-Date"]);
            bool skewed = false;
            if (clock_offset_ != 0) {
                std::string lo = amz_date(now - std::chrono::minutes(5)),
                            hi = amz_date(now + std::chrono::minutes(5));
                skewed = !(sent >= lo && sent <= hi);
            }
            if (skewed) {
                res = error_response(400, "InvalidSignatureException",
                                     "Signature expired: " + sent + " is now earlier than " +
                                         amz_date(now - std::chrono::minutes(5)));
            } else if (f == fault::status_500) {
                res = error_response(500, "InternalServerError", "Internal server error");
            } else if (f == fault::status_503) {
                res = error_response(503, "", "");
            } else if (f == fault::throttle) {
                res = error_response(400, "ProvisionedThroughputExceededException",
                                     "Rate of requests exceeds the allowed throughput");
            } else if (f == fault::validation) {
                res = error_response(400, "ValidationException", "One or more parameter values were invalid");
            } else {
                res = co_await forward(req);
                if (f == fault::corrupt_body && !res.body().empty())
                    res.body()[res.body().size() / 2] ^= 0x20;
                if (f == fault::bad_crc) res.set("x-amz-crc32", "12345");
            }
            if (clock_offset_ != 0 || res[http::field::date].empty())
                res.set(http::field::date, http_date(now));
            res.keep_alive(true);
            res.prepare_payload();
            auto [wec, m] = co_await http::async_write(*s, res, token);
            if (wec) co_return;
        }
    }

    std::string upstream_host_;
    unsigned short upstream_port_;
    boost::asio::ssl::context* tls_;
    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::deque<fault> faults_;
    std::vector<request_record> records_;
    std::atomic<long long> clock_offset_{0};
    std::atomic<long long> idle_close_ms_{0};
    std::atomic<bool> down_{false};
    std::atomic<int> requests_{0}, connections_{0}, open_{0}, peak_{0}, idle_closes_{0};
};

}  // namespace pws::test
