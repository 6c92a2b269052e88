// A scripted loopback server for hostile-server tests: listens on 127.0.0.1 (a free port) and
// runs a script coroutine per accepted connection, which reads requests and writes whatever
// bytes it likes — a huge body, one byte a second, broken HTTP. Counts the bytes it managed to
// send and records every request body it read. Runs on its own thread; the destructor closes
// every socket, stops and joins it, so a script blocked on a write or a timer ends too.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pws::test {

/// The completion token of the raw server's operations: errors as values, no exceptions.
inline constexpr auto raw_token = boost::asio::as_tuple(boost::asio::use_awaitable);

class raw_server {
public:
    using tcp = boost::asio::ip::tcp;
    using request = boost::beast::http::request<boost::beast::http::string_body>;

    /// One accepted connection, as a script sees it.
    class conn {
    public:
        conn(raw_server& s, tcp::socket sock) : server_(s), sock_(std::move(sock)) {}

        /// Reads one request (nullopt when the client closed or sent garbage); records its body.
        boost::asio::awaitable<std::optional<request>> read_request() {
            request req;
            auto [ec, n] = co_await boost::beast::http::async_read(sock_, buffer_, req, raw_token);
            if (ec) co_return std::nullopt;
            server_.record(req);
            co_return req;
        }

        /// Writes `bytes`; false once the client has gone. Counts what the kernel accepted.
        boost::asio::awaitable<bool> send(std::string_view bytes) {
            auto [ec, n] = co_await boost::asio::async_write(sock_, boost::asio::buffer(bytes), raw_token);
            server_.bytes_sent_ += n;
            co_return !ec;
        }

        /// Writes `bytes` one at a time, `every` apart; false once the client has gone.
        boost::asio::awaitable<bool> drip(std::string_view bytes, std::chrono::milliseconds every) {
            for (char c : bytes) {
                if (!co_await send(std::string_view(&c, 1))) co_return false;
                if (!co_await sleep(every)) co_return false;
            }
            co_return true;
        }

        /// Waits; false when the server is stopping.
        boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d) {
            boost::asio::steady_timer t(sock_.get_executor(), d);
            auto [ec] = co_await t.async_wait(raw_token);
            co_return !ec && !server_.stopping_;
        }

        /// Waits until the client closes the connection (or the server stops).
        boost::asio::awaitable<void> wait_for_close() {
            char c;
            for (;;) {
                auto [ec, n] = co_await sock_.async_read_some(boost::asio::buffer(&c, 1), raw_token);
                if (ec) co_return;
            }
        }

        tcp::socket& socket() { return sock_; }

    private:
        raw_server& server_;
        tcp::socket sock_;
        boost::beast::flat_buffer buffer_;
    };

    using script = std::function<boost::asio::awaitable<void>(conn&)>;

    explicit raw_server(script s)
        : script_(std::move(s)), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~raw_server() { stop(); }
    raw_server(const raw_server&) = delete;
    raw_server& operator=(const raw_server&) = delete;

    /// Closes the listener and every connection, and joins the thread. Idempotent.
    void stop() {
        if (!thread_.joinable()) return;
        boost::asio::post(ioc_, [this] {
            stopping_ = true;
            boost::system::error_code ec;
            acceptor_.close(ec);
            for (auto& c : conns_) c.socket().close(ec);
        });
        // Scripts see their sockets fail and timers report stopping_; give them a moment to
        // unwind, then stop whatever is left.
        boost::asio::post(ioc_, [this] {
            timer_.emplace(ioc_, std::chrono::milliseconds(200));
            timer_->async_wait([this](auto) { ioc_.stop(); });
        });
        thread_.join();
    }

    unsigned short port() const { return port_; }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

    std::size_t bytes_sent() const { return bytes_sent_; }   ///< bytes written to clients
    int connections() const { return connections_; }         ///< connections accepted
    int finished() const { return finished_; }               ///< scripts that returned

    /// The body of every request read, in order.
    std::vector<std::string> bodies() const {
        std::lock_guard lock(mutex_);
        return bodies_;
    }
    /// Every request read (headers and body), in order.
    std::vector<request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec || stopping_) co_return;
            ++connections_;
            conns_.emplace_back(*this, std::move(sock));
            boost::asio::co_spawn(ioc_, run(conns_.back()), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> run(conn& c) {
        co_await script_(c);
        boost::system::error_code ec;
        c.socket().shutdown(tcp::socket::shutdown_both, ec);
        c.socket().close(ec);
        ++finished_;
    }

    void record(const request& r) {
        std::lock_guard lock(mutex_);
        bodies_.push_back(r.body());
        requests_.push_back(r);
    }

    script script_;
    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    const unsigned short port_ = acceptor_.local_endpoint().port();
    std::list<conn> conns_;  // stable addresses; freed with the server
    std::optional<boost::asio::steady_timer> timer_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<std::string> bodies_;
    std::vector<request> requests_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> bytes_sent_{0};
    std::atomic<int> connections_{0}, finished_{0};
};

/// "HTTP/1.1 200 OK" with a DynamoDB content type, a Content-Length and `body`.
inline std::string http_response(std::string_view body, unsigned status = 200,
                                 std::string_view extra_headers = "") {
    std::string r = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") + "\r\n";
    r += "Content-Type: application/x-amz-json-1.0\r\n";
    r += extra_headers;
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
}

}  // namespace pws::test
