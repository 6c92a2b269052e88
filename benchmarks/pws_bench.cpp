// pws-bench — the load program: N lookups of one app, C in flight, through AppManager.
//
//   pws-bench --endpoint URL --mode id|key --lookups N --concurrency C [--cache] [--warmup W]
//             [--failover URL --kill-pid PID --kill-after K]
//
// Looks up `app-id` (mode id: GetItem) or `app-key` (mode key: Query on the key index) N times
// with C lookups in flight on one thread (one io_context), through AppManager<DynamoDbPolicy>, or
// AppManager<Cached<DynamoDbPolicy>> with --cache. Table, region and credentials come from the
// library's environment variables (APP_MANAGER_DYNAMODB_TABLE, APP_MANAGER_DYNAMODB_REGION,
// AWS_ACCESS_KEY_ID, ...); --endpoint overrides APP_MANAGER_DYNAMODB_ENDPOINT. With --cache the
// cache is configured by CacheConfig::from_env() (APP_MANAGER_CACHE_TTL, ...) and enabled whatever
// APP_MANAGER_CACHE_ENABLED says; `requests` then counts the driver's requests behind it. The
// connection pool keeps up to C idle connections (DynamoDbConfig::max_idle_connections), as the
// JavaScript peers' agents keep C sockets: every client gets the same number of keep-alive
// connections.
//
// With --warmup W, W lookups run first (the same mode and concurrency, through the same
// AppManager, so that connections are open and buffers have grown), and everything the line
// reports is of the N lookups after them; a failed warm-up lookup fails the run as a measured one
// does. Not with --failover.
//
// With --failover, URL is a second replica of the table (region eu-west-1,
// DynamoDbConfig::failover) and, as lookup number K starts, process PID (the server behind
// --endpoint) is sent SIGKILL: the run measures lookups through a failover. The line then has
// "failovers" (client_stats::failovers) and "after_kill": the lookups started after the kill,
// their p50/p99/max latency, and the first one's (lookup K's, the one that sent the kill).
//
// Prints one JSON line:
//   {"lookups":N,"requests":R,"errors":E,"wall_s":..,"cpu_us_per_lookup":..,"user_us_per_lookup":..,
//    "sys_us_per_lookup":..,"p50_us":..,"p99_us":..}
// requests = HTTP requests the client sent (retries included); errors = lookups that did not find
// the app (an error or "not found"); cpu = user + system time of the whole process, per lookup
// (also apart: user_us_per_lookup, sys_us_per_lookup);
// p50/p99 = latency of one lookup; "warmup":W when W > 0. Exits 1 if any lookup failed (the first
// error on stderr), 2 on a usage or configuration error.
//
// Built with PWS_BENCH_COUNT_ALLOCATIONS (pws-bench-count, pws-bench-count-frames: see
// count_allocations.hpp), the program counts every allocation of the measured lookups, from the
// first measured lookup's start to the last one's end — request building, signing, the exchange,
// parsing, decoding, the find_result and its App — and the line also has the counts per lookup
// ("allocs_per_lookup", "alloc_bytes_per_lookup", "new_per_lookup", "malloc_per_lookup", ...)
// and operator new's callers ("callers": [offset, calls] pairs, symbolized by benchmarks/run).
// The workers' own co_spawns come before the count starts.
#include <sys/resource.h>
#include <csignal>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.hpp"
#if defined(PWS_BENCH_COUNT_ALLOCATIONS)
#include "count_allocations.hpp"
#endif

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string endpoint;
    bool by_key = false;
    std::uint64_t lookups = 0;
    unsigned concurrency = 0;
    bool cache = false;
    std::string failover;           ///< a second replica's endpoint
    long kill_pid = 0;              ///< killed as lookup kill_after starts
    std::uint64_t kill_after = 0;
    std::uint64_t warmup = 0;       ///< lookups before the measured ones
};

int usage(std::string_view why) {
    std::cerr << "pws-bench: " << why << "\n"
              << "usage: pws-bench --endpoint URL --mode id|key --lookups N --concurrency C [--cache] [--warmup W]\n"
              << "                 [--failover URL --kill-pid PID --kill-after K]\n";
    return 2;
}

using bench::cpu_seconds;
using bench::cpu_times;
using bench::parse_positive;
using bench::quantile_us;

template <class Manager>
pws::dynamodb::client_stats client_stats(Manager& m) {
    if constexpr (requires { m.policy().client().stats().requests; })
        return m.policy().client().stats();
    else
        return m.policy().inner().client().stats();
}

template <class Manager>
int run(const options& o, Manager& apps, asio::io_context& ioc) {
    const std::string_view id = "app-id", key = "app-key";
    std::vector<std::uint64_t> latency_ns(o.lookups), warmup_ns(o.warmup);
    std::vector<std::uint64_t>* phase_ns = &latency_ns;  // the running phase's latencies
    std::uint64_t next = 0, end = 0, errors = 0;
    std::vector<std::uint64_t> after_kill_ns;  // lookups started after the kill
    std::optional<std::uint64_t> first_after_kill_ns;
    bool killed = false;
    std::optional<std::string> first_error;

    auto worker = [&]() -> asio::awaitable<void> {
        while (next < end) {
            const std::uint64_t i = next++;
            if (o.kill_pid && i == o.kill_after) {
                ::kill(static_cast<pid_t>(o.kill_pid), SIGKILL);
                killed = true;
            }
            const bool after_kill = killed;
            const auto t0 = clock_type::now();
            pws::find_result r;  // (no co_await inside ?: — GCC 12 miscompiles it)
            if (o.by_key)
                r = co_await apps.find_by_key(key);
            else
                r = co_await apps.find_by_id(id);
            const auto ns = std::uint64_t(std::chrono::nanoseconds(clock_type::now() - t0).count());
            (*phase_ns)[i] = ns;
            if (after_kill) {
                // Lookup K, the one that sent the kill: with C > 1 others started after it may end first.
                if (i == o.kill_after) first_after_kill_ns = ns;
                after_kill_ns.push_back(ns);
            }
            if (!r.found()) {
                ++errors;
                if (!first_error)
                    first_error = r.failed()
                                      ? r.ec.message() + (r.diagnostic.empty() ? "" : ": " + r.diagnostic)
                                      : std::string("no such app (the server does not hold the seed's app)");
            }
        }
    };
    // n lookups, C workers: spawned here, run by ioc.run().
    auto start_phase = [&](std::uint64_t n, std::vector<std::uint64_t>& ns) {
        next = 0;
        end = n;
        phase_ns = &ns;
        for (unsigned c = 0; c < o.concurrency; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    };

    if (o.warmup != 0) {
        start_phase(o.warmup, warmup_ns);
        ioc.run();
        ioc.restart();
    }
    start_phase(o.lookups, latency_ns);
#if defined(PWS_BENCH_COUNT_ALLOCATIONS)
    bench::alloc::record(true);
    const bench::alloc::counts allocs0 = bench::alloc::now();
#endif
    const cpu_times cpu0 = cpu_seconds();
    const auto t0 = clock_type::now();
    ioc.run();
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    const cpu_times cpu1 = cpu_seconds();
#if defined(PWS_BENCH_COUNT_ALLOCATIONS)
    const bench::alloc::counts allocs = bench::alloc::now() - allocs0;
    bench::alloc::record(false);
#endif
    const double user = cpu1.user - cpu0.user, sys = cpu1.sys - cpu0.sys, cpu = user + sys;

    const auto stats = client_stats(apps);
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "{\"lookups\":%llu,\"requests\":%llu,\"errors\":%llu,\"wall_s\":%.4f,"
                  "\"cpu_us_per_lookup\":%.3f,\"user_us_per_lookup\":%.3f,\"sys_us_per_lookup\":%.3f,"
                  "\"p50_us\":%.1f,\"p99_us\":%.1f",
                  static_cast<unsigned long long>(o.lookups), static_cast<unsigned long long>(stats.requests),
                  static_cast<unsigned long long>(errors), wall, cpu * 1e6 / double(o.lookups),
                  user * 1e6 / double(o.lookups), sys * 1e6 / double(o.lookups), quantile_us(latency_ns, 0.50),
                  quantile_us(latency_ns, 0.99));
    std::string line = buf;
    if (!o.failover.empty()) {
        const double max_after =
            after_kill_ns.empty() ? 0 : double(*std::max_element(after_kill_ns.begin(), after_kill_ns.end())) / 1000;
        std::snprintf(buf, sizeof buf,
                      ",\"lookups_per_s\":%.1f,\"failovers\":%llu,\"after_kill\":{\"lookups\":%zu,"
                      "\"first_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}",
                      double(o.lookups) / wall, static_cast<unsigned long long>(stats.failovers),
                      after_kill_ns.size(), first_after_kill_ns ? double(*first_after_kill_ns) / 1000 : 0.0,
                      quantile_us(after_kill_ns, 0.50), quantile_us(after_kill_ns, 0.99), max_after);
        line += buf;
    }
    if (o.warmup != 0) line += ",\"warmup\":" + std::to_string(o.warmup);
#if defined(PWS_BENCH_COUNT_ALLOCATIONS)
    line += ",";
    line += bench::alloc::json_members(allocs, o.lookups, "lookup");
#endif
    line += "}";
    std::cout << line << std::endl;
    if (errors != 0) {
        std::cerr << "pws-bench: " << errors << " of " << o.warmup + o.lookups
                  << " lookups failed; the first: " << *first_error << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    bool have_mode = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--cache") {
            o.cache = true;
            continue;
        }
        if (i + 1 >= argc) return usage("missing value after " + std::string(a));
        const std::string_view v = argv[++i];
        if (a == "--endpoint") {
            o.endpoint = v;
        } else if (a == "--mode") {
            if (v != "id" && v != "key") return usage("--mode is id or key");
            o.by_key = v == "key";
            have_mode = true;
        } else if (a == "--lookups") {
            if (!parse_positive(v, o.lookups)) return usage("--lookups takes a positive integer");
        } else if (a == "--concurrency") {
            if (!parse_positive(v, o.concurrency)) return usage("--concurrency takes a positive integer");
        } else if (a == "--failover") {
            o.failover = v;
        } else if (a == "--kill-pid") {
            if (!parse_positive(v, o.kill_pid)) return usage("--kill-pid takes a process id");
        } else if (a == "--warmup") {
            if (!parse_positive(v, o.warmup)) return usage("--warmup takes a positive integer");
        } else if (a == "--kill-after") {
            if (!parse_positive(v, o.kill_after)) return usage("--kill-after takes a positive integer");
        } else {
            return usage("unknown argument " + std::string(a));
        }
    }
    if (o.endpoint.empty() || !have_mode || o.lookups == 0 || o.concurrency == 0)
        return usage("--endpoint, --mode, --lookups and --concurrency are required");
    if (o.failover.empty() != (o.kill_pid == 0) || (o.kill_pid != 0 && o.kill_after == 0) || o.kill_after >= o.lookups)
        return usage("--failover, --kill-pid and --kill-after go together, and K < N");
    if (!o.failover.empty() && o.warmup != 0) return usage("--warmup does not go with --failover");

    pws::DynamoDbConfig cfg = pws::DynamoDbConfig::from_env();
    cfg.endpoint = o.endpoint;
    cfg.max_idle_connections = std::max<std::size_t>(cfg.max_idle_connections, o.concurrency);
    if (!o.failover.empty()) cfg.failover = {{"eu-west-1", o.failover}};

    asio::io_context ioc(1);
    try {
        if (o.cache) {
            pws::CacheConfig cache = pws::CacheConfig::from_env();
            cache.enabled = true;
            pws::AppManager<pws::Cached<pws::DynamoDbPolicy>> apps(std::move(cache), ioc.get_executor(), cfg);
            return run(o, apps, ioc);
        }
        pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), cfg);
        return run(o, apps, ioc);
    } catch (const boost::system::system_error& e) {  // DynamoDbConfig or CacheConfig
        std::cerr << "pws-bench: configuration error: " << e.what() << "\n";
        return 2;
    }
}
