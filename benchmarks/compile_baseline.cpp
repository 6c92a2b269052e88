// pws-bench-compile-baseline — the compile-time baseline of the footprint section: a bare
// Beast + SSL + JSON coroutine client of about the size of the smallest pws program, with none of
// pws (no signing, no pool, no retries, no limits). benchmarks/run times this TU beside
// examples/cpp20_dynamodb_lookup.cpp with the same flags; what pws adds is the difference.
//
//   pws-bench-compile-baseline URL TARGET BODY
//
// POSTs BODY (JSON) to URL (http://host:port/ or https://host:port/, verified against the system's
// CAs) with X-Amz-Target: TARGET, and prints the answer's status and its JSON, re-serialized.
// Exits 1 on a failure, 2 on a usage error.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto token = asio::as_tuple(asio::use_awaitable);

struct target {
    bool tls = false;
    std::string host, port;
};

std::optional<target> parse_url(std::string_view url) {
    target t;
    if (url.starts_with("https://")) {
        t.tls = true;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    url = url.substr(0, url.find('/'));
    const auto colon = url.rfind(':');
    t.host = std::string(url.substr(0, colon));
    t.port = colon == std::string_view::npos ? (t.tls ? "443" : "80") : std::string(url.substr(colon + 1));
    if (t.host.empty() || t.port.empty()) return std::nullopt;
    return t;
}

// One request and its answer on `stream`; the failure, or "".
template <class Stream>
asio::awaitable<std::string> round_trip(Stream& stream, const http::request<http::string_body>& req) {
    auto [wec, wn] = co_await http::async_write(stream, req, token);
    if (wec) co_return "write: " + wec.message();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, token);
    if (rec) co_return "read: " + rec.message();
    boost::system::error_code jec;
    const json::value body = json::parse(res.body(), jec);
    if (jec) co_return "the answer is not JSON: " + jec.message();
    std::cout << res.result_int() << ' ' << json::serialize(body) << '\n';
    co_return std::string();
}

asio::awaitable<std::string> run(target t, std::string amz_target, std::string body, asio::ssl::context& tls) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [ec, results] = co_await resolver.async_resolve(t.host, t.port, token);
    if (ec) co_return "resolve: " + ec.message();
    http::request<http::string_body> req{http::verb::post, "/", 11};
    req.set(http::field::host, t.host);
    req.set(http::field::content_type, "application/x-amz-json-1.0");
    req.set("X-Amz-Target", amz_target);
    req.body() = std::move(body);
    req.prepare_payload();
    if (!t.tls) {
        beast::tcp_stream stream(ex);
        auto [cec, ep] = co_await stream.async_connect(results, token);
        if (cec) co_return "connect: " + cec.message();
        co_return co_await round_trip(stream, req);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
    auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(results, token);
    if (cec) co_return "connect: " + cec.message();
    if (!SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) co_return "SNI: cannot set the name";
    stream.set_verify_callback(asio::ssl::host_name_verification(t.host));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, token);
    if (hec) co_return "handshake: " + hec.message();
    co_return co_await round_trip(stream, req);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: pws-bench-compile-baseline URL TARGET BODY\n";
        return 2;
    }
    auto t = parse_url(argv[1]);
    if (!t) {
        std::cerr << "pws-bench-compile-baseline: URL is http://host:port/ or https://host:port/\n";
        return 2;
    }
    asio::io_context ctx;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    std::string failure;
    asio::co_spawn(ctx, run(*t, argv[2], argv[3], tls), [&](std::exception_ptr e, std::string f) {
        failure = e ? "an exception" : std::move(f);
    });
    ctx.run();
    if (!failure.empty()) {
        std::cerr << "pws-bench-compile-baseline: " << failure << '\n';
        return 1;
    }
    return 0;
}
