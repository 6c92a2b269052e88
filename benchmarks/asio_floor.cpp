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

#include "bench_common.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto token = asio::as_tuple(asio::use_awaitable);

}  // namespace

int main(int argc, char** argv) {
    bench::floor_options o;
    if (!bench::parse_floor_options(argc, argv, "pws-bench-asio-floor", o)) return 2;
    const std::string& request = o.request;
    const std::uint64_t lookups = o.lookups;
    const unsigned concurrency = o.concurrency;
    boost::system::error_code aec;
    const auto address = asio::ip::make_address(o.host, aec);
    if (aec) {
        std::cerr << "pws-bench-asio-floor: --endpoint's host is an IP address\n";
        return 2;
    }
    const tcp::endpoint target(address, std::uint16_t(o.port));

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

    const bench::cpu_times cpu0 = bench::cpu_seconds();
    const auto t0 = clock_type::now();
    for (unsigned c = 0; c < concurrency; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    ioc.run();
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    const bench::cpu_times cpu1 = bench::cpu_seconds();
    if (failure) {
        std::cerr << "pws-bench-asio-floor: " << *failure << "\n";
        return 1;
    }
    bench::print_floor_result("asio-floor", lookups, errors, wall, {cpu1.user - cpu0.user, cpu1.sys - cpu0.sys},
                              latency_ns);
    if (errors) {
        std::cerr << "pws-bench-asio-floor: " << errors << " of " << lookups << " answers were not 200\n";
        return 1;
    }
    return 0;
}
