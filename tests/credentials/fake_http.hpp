// A scripted HTTP/1.1 server on 127.0.0.1 (a free port) for the credentials tests: it plays STS,
// the container endpoint, IMDS or DynamoDB through a handler, and records every request. Runs on
// its own thread; the destructor stops it, so a failing test still stops its servers. With a TLS
// context it speaks https.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pws::test {

/// One request as the server saw it (header names lowercased).
struct seen_request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// What to answer.
struct reply {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::chrono::milliseconds delay{0}; ///< wait this long before answering
    bool hang_up = false;               ///< close the connection without answering
};

class fake_http {
public:
    using handler = std::function<reply(const seen_request&)>;

    explicit fake_http(handler h, boost::asio::ssl::context* tls = nullptr)
        : handler_(std::move(h)), tls_(tls), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~fake_http() {
        boost::asio::post(ioc_, [this] {
            boost::system::error_code ec;
            acceptor_.close(ec);
            ioc_.stop();
        });
        thread_.join();
    }
    fake_http(const fake_http&) = delete;
    fake_http& operator=(const fake_http&) = delete;

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    /// "http://127.0.0.1:PORT" + path.
    std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port()) + path; }

    /// Replaces the handler (for the next requests).
    void set_handler(handler h) {
        std::lock_guard lock(mutex_);
        handler_ = std::move(h);
    }
    /// Every request so far.
    std::vector<seen_request> requests() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    /// How many requests so far.
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return seen_.size();
    }

private:
    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            boost::asio::co_spawn(ioc_, start(std::move(sock)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> start(boost::asio::ip::tcp::socket sock) {
        boost::beast::tcp_stream tcp(std::move(sock));
        if (!tls_) co_return co_await serve(tcp);
        boost::beast::ssl_stream<boost::beast::tcp_stream> secure(std::move(tcp), *tls_);
        secure.next_layer().expires_after(std::chrono::seconds(5));
        auto [ec] = co_await secure.async_handshake(boost::asio::ssl::stream_base::server,
                                                    boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;  // e.g. the client refused our certificate
        secure.next_layer().expires_never();
        co_await serve(secure);
    }

    template <class Stream>
    boost::asio::awaitable<void> serve(Stream& stream) {
        namespace http = boost::beast::http;
        constexpr auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [rec, n] = co_await http::async_read(stream, buffer, req, token);
            if (rec) co_return;
            seen_request seen{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
            for (auto& f : req) {
                std::string name(f.name_string());
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                seen.headers[name] = std::string(f.value());
            }
            handler h;
            {
                std::lock_guard lock(mutex_);
                seen_.push_back(seen);
                h = handler_;
            }
            reply r = h(seen);
            if (r.delay.count() > 0) {
                boost::asio::steady_timer t(ioc_, r.delay);
                co_await t.async_wait(token);
            }
            if (r.hang_up) co_return;
            http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
            res.set(http::field::content_type, r.content_type);
            res.body() = std::move(r.body);
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, token);
            if (wec || !req.keep_alive()) co_return;
        }
    }

    mutable std::mutex mutex_;
    handler handler_;
    boost::asio::ssl::context* tls_;
    std::vector<seen_request> seen_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

}  // namespace pws::test
