// The bodies of fault_front.hpp (see there), compiled once into pws_test_support.
#include "support/fault_front.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <ctime>

namespace pws::test {

namespace {

using response = boost::beast::http::response<boost::beast::http::string_body>;

std::string format_time(std::chrono::system_clock::time_point t, const char* fmt) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, fmt, &tm);
    return buf;
}
std::string http_date(std::chrono::system_clock::time_point t) {
    return format_time(t, "%a, %d %b %Y %H:%M:%S GMT");
}
std::string amz_date(std::chrono::system_clock::time_point t) {
    return format_time(t, "%Y%m%dT%H%M%SZ");
}

response error_response(unsigned status, std::string type, std::string message) {
    response res{static_cast<boost::beast::http::status>(status), 11};
    res.set(boost::beast::http::field::content_type, "application/x-amz-json-1.0");
    if (!type.empty())
        res.body() =
            R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" + message + "\"}";
    return res;
}

}  // namespace

fault_front::fault_front(std::string upstream_host, unsigned short upstream_port,
                         boost::asio::ssl::context* tls, unsigned short listen_port)
    : upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      tls_(tls),
      acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), listen_port}) {  // SO_REUSEADDR
    boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
}

fault_front::~fault_front() {
    boost::asio::post(ioc_, [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
        ioc_.stop();
    });
    thread_.join();
}

std::unique_ptr<boost::asio::ssl::context> fault_front::server_tls(const std::string& chain_file,
                                                                   const std::string& key_file) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain_file(chain_file);
    ctx->use_private_key_file(key_file, boost::asio::ssl::context::pem);
    return ctx;
}

// Counts a connection as open for as long as it is served.
struct fault_front::open_guard {
    fault_front& f;
    explicit open_guard(fault_front& front) : f(front) {
        int now = ++f.open_;
        int peak = f.peak_;
        while (now > peak && !f.peak_.compare_exchange_weak(peak, now)) {
        }
    }
    ~open_guard() { --f.open_; }
};

// A request arrived: takes the next fault and starts its record (at `index`).
fault fault_front::arrive(std::size_t& index) {
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

void fault_front::record_headers(std::size_t index, const request& req) {
    std::lock_guard lock(mutex_);
    if (index >= records_.size()) return;  // reset() meanwhile
    auto& r = records_[index];
    r.target = std::string(req["X-Amz-Target"]);
    r.invocation_id = std::string(req["amz-sdk-invocation-id"]);
    r.sdk_request = std::string(req["amz-sdk-request"]);
    r.amz_date = std::string(req["X-Amz-Date"]);
    const std::string_view auth = req[boost::beast::http::field::authorization];
    if (auto c = auth.find("Credential="); c != std::string_view::npos) {
        std::string_view cred = auth.substr(c + 11);
        cred = cred.substr(0, cred.find(','));
        if (auto slash = cred.find('/'); slash != std::string_view::npos) r.scope = std::string(cred.substr(slash + 1));
    }
}

fault_front::awaitable<fault_front::response> fault_front::forward(const request& req) {
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
fault_front::awaitable<void> fault_front::serve(std::shared_ptr<Stream> s) {
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

fault_front::awaitable<void> fault_front::accept_loop() {
    for (;;) {
        auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;
        ++connections_;
        if (down_) continue;  // the socket closes here
        if (tls_) {
            auto s =
                std::make_shared<boost::beast::ssl_stream<boost::beast::tcp_stream>>(std::move(sock), *tls_);
            boost::asio::co_spawn(ioc_, serve_tls(s), boost::asio::detached);
        } else {
            auto s = std::make_shared<boost::beast::tcp_stream>(std::move(sock));
            boost::asio::co_spawn(ioc_, serve(s), boost::asio::detached);
        }
    }
}

fault_front::awaitable<void> fault_front::serve_tls(
    std::shared_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> s) {
    boost::beast::get_lowest_layer(*s).expires_after(std::chrono::seconds(10));
    auto [ec] = co_await s->async_handshake(boost::asio::ssl::stream_base::server,
                                            boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;  // e.g. the client refused our certificate
    co_await serve(s);
}

}  // namespace pws::test
