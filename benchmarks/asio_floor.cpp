// pws-bench-asio-floor — the Asio floor: the same round trips as pws-bench-floor through bare
// Asio + Beast coroutines, no signing, no JSON, no pool: what the transport pws builds on costs.
//
//   pws-bench-asio-floor --endpoint http://127.0.0.1:PORT --request FILE --lookups N --concurrency C
//
// FILE holds the exact bytes of one request as pws sends it (pws-bench-server --dump-request).
// C coroutines on one io_context, each with one tcp::socket (keep-alive): async_write of the
// prebuilt request, http::async_read of the answer into a flat_buffer reserved once, status
// checked (200). Prints one JSON line, as pws-bench does:
//   {"client":"asio-floor","lookups":N,"errors":E,"wall_s":..,"cpu_us_per_lookup":..,
//    "user_us_per_lookup":..,"sys_us_per_lookup":..,"p50_us":..,"p99_us":..}
// Exits 1 when an answer is not 200 or a connection fails, 2 on a usage error.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto token = asio::as_tuple(asio::use_awaitable);

int usage(std::string_view why) {
    std::cerr << "pws-bench-asio-floor: " << why << "\n"
              << "usage: pws-bench-asio-floor --endpoint http://127.0.0.1:PORT --request FILE --lookups N"
                 " --concurrency C\n";
    return 2;
}

template <class T>
bool parse_positive(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out > 0;
}

double quantile_us(std::vector<std::uint64_t>& ns, double q) {
    if (ns.empty()) return 0;
    auto rank = static_cast<std::size_t>(q * double(ns.size()));
    if (rank >= ns.size()) rank = ns.size() - 1;
    std::nth_element(ns.begin(), ns.begin() + std::ptrdiff_t(rank), ns.end());
    return double(ns[rank]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string endpoint, request_file;
    std::uint64_t lookups = 0;
    unsigned concurrency = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return usage("missing value after " + std::string(a));
        const std::string_view v = argv[++i];
        if (a == "--endpoint")
            endpoint = v;
        else if (a == "--request")
            request_file = v;
        else if (a == "--lookups") {
            if (!parse_positive(v, lookups)) return usage("--lookups takes a positive integer");
        } else if (a == "--concurrency") {
            if (!parse_positive(v, concurrency)) return usage("--concurrency takes a positive integer");
        } else
            return usage("unknown argument " + std::string(a));
    }
    if (endpoint.empty() || request_file.empty() || !lookups || !concurrency)
        return usage("--endpoint, --request, --lookups and --concurrency are required");
    constexpr std::string_view scheme = "http://";
    if (!endpoint.starts_with(scheme)) return usage("--endpoint is http://HOST:PORT");
    std::string hostport = endpoint.substr(scheme.size());
    while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
    const std::size_t colon = hostport.rfind(':');
    unsigned port = 0;
    if (colon == std::string::npos || !parse_positive(std::string_view(hostport).substr(colon + 1), port) || port > 65535)
        return usage("--endpoint needs a port");
    boost::system::error_code aec;
    const auto address = asio::ip::make_address(hostport.substr(0, colon), aec);
    if (aec) return usage("--endpoint's host is an IP address");
    const tcp::endpoint target(address, std::uint16_t(port));

    std::string request;
    {
        std::ifstream f(request_file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        request = ss.str();
        if (!f || request.empty()) return usage("cannot read the request from " + request_file);
    }

    asio::io_context ioc(1);
    std::vector<std::uint64_t> latency_ns(lookups);
    std::uint64_t next = 0, errors = 0;
    std::optional<std::string> failure;

    // Each coroutine connects once, inside the measured time, as pws-bench does (its pool starts
    // empty): C connects are small next to N lookups.
    auto worker = [&]() -> asio::awaitable<void> {
        tcp::socket socket(ioc);
        auto [cec] = co_await socket.async_connect(target, token);
        if (cec) {
            failure = "connect: " + cec.message();
            co_return;
        }
        socket.set_option(tcp::no_delay(true));
        boost::beast::flat_buffer buffer;
        buffer.reserve(16 * 1024);
        while (next < lookups && !failure) {
            const std::uint64_t i = next++;
            const auto t0 = clock_type::now();
            auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(request), token);
            if (wec) {
                failure = "write: " + wec.message();
                co_return;
            }
            http::response<http::string_body> res;
            auto [rec, rn] = co_await http::async_read(socket, buffer, res, token);
            if (rec) {
                failure = "read: " + rec.message();
                co_return;
            }
            latency_ns[i] = std::uint64_t(std::chrono::nanoseconds(clock_type::now() - t0).count());
            if (res.result_int() != 200) ++errors;
        }
    };

    rusage r0{};
    getrusage(RUSAGE_SELF, &r0);
    const auto t0 = clock_type::now();
    for (unsigned c = 0; c < concurrency; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    ioc.run();
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    rusage r1{};
    getrusage(RUSAGE_SELF, &r1);
    if (failure) {
        std::cerr << "pws-bench-asio-floor: " << *failure << "\n";
        return 1;
    }
    auto secs = [](const timeval& a, const timeval& b) {
        return double(b.tv_sec - a.tv_sec) + double(b.tv_usec - a.tv_usec) * 1e-6;
    };
    const double user = secs(r0.ru_utime, r1.ru_utime), sys = secs(r0.ru_stime, r1.ru_stime);
    const double per = 1e6 / double(lookups);
    std::printf("{\"client\":\"asio-floor\",\"lookups\":%llu,\"errors\":%llu,\"wall_s\":%.4f,\"cpu_us_per_lookup\":%.3f,"
                "\"user_us_per_lookup\":%.3f,\"sys_us_per_lookup\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
                static_cast<unsigned long long>(lookups), static_cast<unsigned long long>(errors), wall,
                (user + sys) * per, user * per, sys * per, quantile_us(latency_ns, 0.50),
                quantile_us(latency_ns, 0.99));
    std::fflush(stdout);
    if (errors) {
        std::cerr << "pws-bench-asio-floor: " << errors << " of " << lookups << " answers were not 200\n";
        return 1;
    }
    return 0;
}
