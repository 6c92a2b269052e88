// The bodies of fake_http.hpp (see there), compiled once into pws_test_support.
#include "support/fake_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>

namespace pws::test {

fake_http::fake_http(handler h, boost::asio::ssl::context* tls)
    : handler_(std::move(h)), tls_(tls), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
}
fake_http::~fake_http() {
    boost::asio::post(ioc_, [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
        ioc_.stop();
    });
    thread_.join();
}

template <class Stream>
boost::asio::awaitable<void> fake_http::serve(Stream& stream) {
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

boost::asio::awaitable<void> fake_http::accept_loop() {
    for (;;) {
        auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;
        boost::asio::co_spawn(ioc_, start(std::move(sock)), boost::asio::detached);
    }
}

boost::asio::awaitable<void> fake_http::start(boost::asio::ip::tcp::socket sock) {
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

}  // namespace pws::test
