// A scripted HTTP/1.1 server on 127.0.0.1 (a free port) for the credentials tests: it plays STS,
// the container endpoint, IMDS or DynamoDB through a handler, and records every request. Runs on
// its own thread; the destructor stops it, so a failing test still stops its servers. With a TLS
// context it speaks https.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
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
    std::chrono::milliseconds delay{0};  ///< wait this long before answering
    bool hang_up = false;                ///< close the connection without answering
};

class fake_http {
public:
    using handler = std::function<reply(const seen_request&)>;

    explicit fake_http(handler h, boost::asio::ssl::context* tls = nullptr);
    ~fake_http();
    fake_http(const fake_http&) = delete;
    fake_http& operator=(const fake_http&) = delete;

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    /// "http://127.0.0.1:PORT" + path.
    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port()) + path;
    }

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
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> start(boost::asio::ip::tcp::socket sock);
    template <class Stream>
    boost::asio::awaitable<void> serve(Stream& stream);

    mutable std::mutex mutex_;
    handler handler_;
    boost::asio::ssl::context* tls_;
    std::vector<seen_request> seen_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

}  // namespace pws::test
