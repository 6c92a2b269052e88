// What the benchmark programs share: option parsing, CPU time, latency quantiles, and the floor
// clients' options and result line (pws-bench-floor, pws-bench-asio-floor). Standard C++ and
// POSIX only: the raw floor must not pull Asio in.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bench {

/// `s` as a whole positive number of type T.
template <class T>
bool parse_positive(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out > 0;
}

/// ASCII case-insensitive equality (HTTP header names).
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// User and system CPU time of the process so far, in seconds.
struct cpu_times {
    double user, sys;
};
inline cpu_times cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return {double(u.ru_utime.tv_sec) + double(u.ru_utime.tv_usec) * 1e-6,
            double(u.ru_stime.tv_sec) + double(u.ru_stime.tv_usec) * 1e-6};
}

/// The latency at quantile q (nearest rank), in microseconds; reorders `ns`.
inline double quantile_us(std::vector<std::uint64_t>& ns, double q) {
    if (ns.empty()) return 0;
    auto rank = static_cast<std::size_t>(q * double(ns.size()));
    if (rank >= ns.size()) rank = ns.size() - 1;
    std::nth_element(ns.begin(), ns.begin() + std::ptrdiff_t(rank), ns.end());
    return double(ns[rank]) / 1000.0;
}

/// A floor client's command line: --endpoint http://IP:PORT --request FILE --lookups N
/// --concurrency C, and the request bytes read from FILE.
struct floor_options {
    std::string endpoint;   ///< as given
    std::string host;       ///< the IP address of the endpoint
    unsigned port = 0;
    std::string request;    ///< FILE's bytes
    std::uint64_t lookups = 0;
    unsigned concurrency = 0;
};

/// Parses the command line of program `name` into `o`; on a usage error prints it (with the
/// usage line) and returns false: the program then exits 2.
inline bool parse_floor_options(int argc, char** argv, std::string_view name, floor_options& o) {
    auto usage = [&](std::string_view why) {
        std::cerr << name << ": " << why << "\n"
                  << "usage: " << name << " --endpoint http://127.0.0.1:PORT --request FILE --lookups N"
                  << " --concurrency C\n";
        return false;
    };
    std::string request_file;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return usage("missing value after " + std::string(a));
        const std::string_view v = argv[++i];
        if (a == "--endpoint")
            o.endpoint = v;
        else if (a == "--request")
            request_file = v;
        else if (a == "--lookups") {
            if (!parse_positive(v, o.lookups)) return usage("--lookups takes a positive integer");
        } else if (a == "--concurrency") {
            if (!parse_positive(v, o.concurrency)) return usage("--concurrency takes a positive integer");
        } else
            return usage("unknown argument " + std::string(a));
    }
    if (o.endpoint.empty() || request_file.empty() || !o.lookups || !o.concurrency)
        return usage("--endpoint, --request, --lookups and --concurrency are required");
    constexpr std::string_view scheme = "http://";
    if (!o.endpoint.starts_with(scheme)) return usage("--endpoint is http://HOST:PORT");
    std::string hostport = o.endpoint.substr(scheme.size());
    while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
    const std::size_t colon = hostport.rfind(':');
    if (colon == std::string::npos || !parse_positive(std::string_view(hostport).substr(colon + 1), o.port) ||
        o.port > 65535)
        return usage("--endpoint needs a port");
    o.host = hostport.substr(0, colon);
    std::ifstream f(request_file, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    o.request = ss.str();
    if (!f || o.request.empty()) return usage("cannot read the request from " + request_file);
    return true;
}

/// A floor client's one JSON line on stdout, as pws-bench prints its own:
///   {"client":..,"lookups":N,"errors":E,"wall_s":..,"cpu_us_per_lookup":..,
///    "user_us_per_lookup":..,"sys_us_per_lookup":..,"p50_us":..,"p99_us":..}
/// `cpu` is the CPU time the lookups took (the difference of two cpu_seconds()).
inline void print_floor_result(std::string_view client, std::uint64_t lookups, std::uint64_t errors, double wall_s,
                               cpu_times cpu, std::vector<std::uint64_t>& latency_ns) {
    const double per = 1e6 / double(lookups);
    std::printf("{\"client\":\"%.*s\",\"lookups\":%llu,\"errors\":%llu,\"wall_s\":%.4f,\"cpu_us_per_lookup\":%.3f,"
                "\"user_us_per_lookup\":%.3f,\"sys_us_per_lookup\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
                int(client.size()), client.data(), static_cast<unsigned long long>(lookups),
                static_cast<unsigned long long>(errors), wall_s, (cpu.user + cpu.sys) * per, cpu.user * per,
                cpu.sys * per, quantile_us(latency_ns, 0.50), quantile_us(latency_ns, 0.99));
    std::fflush(stdout);
}

}  // namespace bench
