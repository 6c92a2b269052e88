// A fault-injecting HTTP front for tests: listens on 127.0.0.1 (a free port), forwards each
// request to an upstream DynamoDB (dynalite) and, per request, can instead drop the connection,
// stall, answer an error, corrupt the body or its CRC, or pretend its clock is off. It counts
// what it receives so tests can assert attempts. Runs on its own thread; stops in its destructor.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/crc.hpp>

#include <atomic>
#include <ctime>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pws::test {

/// What the front does with one request.
enum class fault {
    none,                ///< forward to upstream, answer its response
    drop_before_request, ///< close the connection without reading the request
    drop_after_request,  ///< read the request, then close without answering
    stall,               ///< read the request and never answer (the connection stays open)
    status_500,          ///< 500 InternalServerError
    status_503,          ///< 503 with an empty body
    throttle,            ///< 400 ProvisionedThroughputExceededException
    corrupt_body,        ///< forward, then flip a byte of the body (its x-amz-crc32 no longer matches)
    bad_crc,             ///< forward, with a wrong x-amz-crc32 header
    validation,          ///< 400 ValidationException (must never be retried)
};

class fault_front {
public:
    /// Forwards to `upstream_host:upstream_port` (plain HTTP). With `tls`, the front speaks TLS.
    fault_front(std::string upstream_host, unsigned short upstream_port, boost::asio::ssl::context* tls = nullptr)
        : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port), tls_(tls),
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

    /// "http://127.0.0.1:PORT" (https with TLS).
    std::string endpoint() const {
        return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    /// The next `times` requests get `f` (queued after faults already pushed).
    void push(fault f, int times = 1) {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < times; ++i) faults_.push_back(f);
    }
    /// The front's clock runs `offset` away from the real one: it sends that Date, and refuses
    /// requests whose X-Amz-Date is more than 5 minutes from it ("Signature expired").
    void set_clock_offset(std::chrono::seconds offset) { clock_offset_ = offset.count(); }
    /// While down, every connection is closed as soon as it is accepted.
    void set_down(bool down) { down_ = down; }

    int requests() const { return requests_; }       ///< requests read
    int connections() const { return connections_; } ///< connections accepted
    /// The X-Amz-Target of every request read, in order.
    std::vector<std::string> targets() const {
        std::lock_guard lock(mutex_);
        return targets_;
    }

private:
    using tcp = boost::asio::ip::tcp;
    template <class T> using awaitable = boost::asio::awaitable<T>;

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            ++connections_;
            if (down_) continue;  // the socket closes here
            if (tls_) {
                auto s = std::make_shared<boost::beast::ssl_stream<boost::beast::tcp_stream>>(std::move(sock), *tls_);
                boost::asio::co_spawn(ioc_, serve_tls(s), boost::asio::detached);
            } else {
                auto s = std::make_shared<boost::beast::tcp_stream>(std::move(sock));
                boost::asio::co_spawn(ioc_, serve(s), boost::asio::detached);
            }
        }
    }

    awaitable<void> serve_tls(std::shared_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> s) {
        auto [ec] = co_await s->async_handshake(boost::asio::ssl::stream_base::server,
                                                boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;
        co_await serve(s);
    }

    fault next_fault() {
        std::lock_guard lock(mutex_);
        if (faults_.empty()) return fault::none;
        auto f = faults_.front();
        faults_.pop_front();
        return f;
    }

    static std::string http_date(std::chrono::system_clock::time_point t) {
        std::time_t tt = std::chrono::system_clock::to_time_t(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return buf;
    }

    static std::string amz_date(std::chrono::system_clock::time_point t) {
        std::time_t tt = std::chrono::system_clock::to_time_t(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
        return buf;
    }

    using response = boost::beast::http::response<boost::beast::http::string_body>;

    static response error_response(unsigned status, std::string type, std::string message) {
        response res{static_cast<boost::beast::http::status>(status), 11};
        res.set(boost::beast::http::field::content_type, "application/x-amz-json-1.0");
        if (!type.empty())
            res.body() = R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" + message + "\"}";
        return res;
    }

    awaitable<response> forward(const boost::beast::http::request<boost::beast::http::string_body>& req) {
        namespace http = boost::beast::http;
        boost::beast::tcp_stream up(ioc_);
        tcp::resolver resolver(ioc_);
        auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        auto [rec, results] = co_await resolver.async_resolve(upstream_host_, std::to_string(upstream_port_), token);
        if (rec) co_return error_response(502, "", "");
        auto [cec, ep] = co_await up.async_connect(results, token);
        if (cec) co_return error_response(502, "", "");
        http::request<http::string_body> copy = req;
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
        boost::beast::flat_buffer buffer;
        for (;;) {
            fault f = next_fault();
            if (f == fault::drop_before_request) co_return;
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(*s, buffer, req, token);
            if (ec) co_return;
            ++requests_;
            {
                std::lock_guard lock(mutex_);
                targets_.emplace_back(req["X-Amz-Target"]);
            }
            if (f == fault::drop_after_request) co_return;
            if (f == fault::stall) {
                boost::asio::steady_timer t(ioc_, std::chrono::hours(1));
                co_await t.async_wait(token);
                co_return;
            }
            auto now = std::chrono::system_clock::now() + std::chrono::seconds(clock_offset_.load());
            response res;
            auto sent = req["X-Amz-Date"];
            bool skewed = false;
            if (clock_offset_ != 0) {
                std::string lo = amz_date(now - std::chrono::minutes(5)), hi = amz_date(now + std::chrono::minutes(5));
                skewed = !(std::string(sent) >= lo && std::string(sent) <= hi);
            }
            if (skewed) {
                res = error_response(400, "InvalidSignatureException",
                                     "Signature expired: " + std::string(sent) + " is now earlier than " +
                                         amz_date(now - std::chrono::minutes(5)));
            } else if (f == fault::status_500) {
                res = error_response(500, "InternalServerError", "Internal server error");
            } else if (f == fault::status_503) {
                res = error_response(503, "", "");
            } else if (f == fault::throttle) {
                res = error_response(400, "ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput");
            } else if (f == fault::validation) {
                res = error_response(400, "ValidationException", "One or more parameter values were invalid");
            } else {
                res = co_await forward(req);
                if (f == fault::corrupt_body && !res.body().empty()) res.body()[res.body().size() / 2] ^= 0x20;
                if (f == fault::bad_crc) res.set("x-amz-crc32", "12345");
            }
            if (clock_offset_ != 0 || res[http::field::date].empty()) res.set(http::field::date, http_date(now));
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
    std::vector<std::string> targets_;
    std::atomic<long long> clock_offset_{0};
    std::atomic<bool> down_{false};
    std::atomic<int> requests_{0}, connections_{0};
};

}  // namespace pws::test
