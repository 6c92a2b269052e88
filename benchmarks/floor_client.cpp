// pws-bench-floor — the raw floor: what one DynamoDB round trip costs a client that does nothing
// but send prebuilt bytes and read the answer, with plain POSIX sockets and epoll (no Asio).
//
//   pws-bench-floor --endpoint http://127.0.0.1:PORT --request FILE --lookups N --concurrency C
//
// FILE holds the exact bytes of one request as pws sends it (pws-bench-server --dump-request
// records one from pws-bench). C keep-alive connections, one request in flight on each, one
// thread, one epoll set; every answer is read in full (Content-Length framing) and its status
// must be 200. Prints one JSON line, as pws-bench does:
//   {"client":"raw-floor","lookups":N,"errors":E,"wall_s":..,"cpu_us_per_lookup":..,
//    "user_us_per_lookup":..,"sys_us_per_lookup":..,"p50_us":..,"p99_us":..}
// Exits 1 when an answer is not 200 or a connection fails, 2 on a usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

int fail(std::string_view why) {
    std::cerr << "pws-bench-floor: " << why << (errno ? std::string(": ") + std::strerror(errno) : "") << "\n";
    return 1;
}

struct connection {
    int fd = -1;
    std::size_t sent = 0;      // bytes of the request written so far
    std::string in;            // the answer so far
    std::size_t need = 0;      // the answer's total size once its head is parsed, else 0
    std::uint64_t lookup = 0;  // the lookup in flight
    clock_type::time_point t0;
    bool busy = false;
};

// Once the head is in: 0 while incomplete, the answer's size, or SIZE_MAX when it is malformed.
std::size_t answer_size(const std::string& in, bool& ok) {
    const std::size_t end = in.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    std::string_view head(in.data(), end);
    ok = head.starts_with("HTTP/1.1 200 ");
    std::size_t length = SIZE_MAX;
    for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;) {
        const std::size_t next = head.find("\r\n", line + 2);
        std::string_view h = head.substr(line + 2, (next == std::string_view::npos ? head.size() : next) - line - 2);
        const std::size_t colon = h.find(':');
        if (colon != std::string_view::npos && bench::iequals(h.substr(0, colon), "content-length")) {
            std::string_view v = h.substr(colon + 1);
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            std::size_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec == std::errc()) length = n;
        }
        line = next;
    }
    return length == SIZE_MAX ? SIZE_MAX : end + 4 + length;
}

}  // namespace

int main(int argc, char** argv) {
    bench::floor_options o;
    if (!bench::parse_floor_options(argc, argv, "pws-bench-floor", o)) return 2;
    const std::string& endpoint = o.endpoint;
    const std::string& request = o.request;
    const std::uint64_t lookups = o.lookups;
    const unsigned concurrency = o.concurrency;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
        std::cerr << "pws-bench-floor: --endpoint's host is an IPv4 address\n";
        return 2;
    }

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return fail("epoll_create1");
    std::vector<connection> conns(concurrency);
    for (unsigned i = 0; i < concurrency; ++i) {
        connection& c = conns[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c.fd < 0) return fail("socket");
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("connect " + endpoint);
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        c.in.reserve(16 * 1024);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) return fail("epoll_ctl");
    }

    std::vector<std::uint64_t> latency_ns(lookups);
    std::uint64_t next = 0, done = 0, errors = 0;
    char chunk[16 * 1024];

    // Writes what is left of the request; EPOLLOUT is watched only while the socket is full.
    auto send_rest = [&](unsigned i) -> bool {
        connection& c = conns[i];
        while (c.sent < request.size()) {
            const ssize_t n = ::send(c.fd, request.data() + c.sent, request.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN) {
                    epoll_event ev{};
                    ev.events = EPOLLIN | EPOLLOUT;
                    ev.data.u32 = i;
                    return epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev) == 0;
                }
                return false;
            }
            c.sent += std::size_t(n);
        }
        return true;
    };
    auto start = [&](unsigned i) -> bool {
        connection& c = conns[i];
        c.lookup = next++;
        c.sent = 0;
        c.in.clear();
        c.need = 0;
        c.busy = true;
        c.t0 = clock_type::now();
        return send_rest(i);
    };

    const bench::cpu_times cpu0 = bench::cpu_seconds();
    const auto t0 = clock_type::now();
    for (unsigned i = 0; i < concurrency && next < lookups; ++i)
        if (!start(i)) return fail("send");

    std::vector<epoll_event> events(concurrency);
    while (done < lookups) {
        const int n = epoll_wait(ep, events.data(), int(events.size()), 10000);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("epoll_wait");
        }
        if (n == 0) return fail("no answer in 10 s");
        for (int e = 0; e < n; ++e) {
            const unsigned i = events[std::size_t(e)].data.u32;
            connection& c = conns[i];
            if (events[std::size_t(e)].events & EPOLLOUT) {
                if (c.sent < request.size() && !send_rest(i)) return fail("send");
                if (c.sent == request.size()) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u32 = i;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                }
            }
            if (!(events[std::size_t(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                const ssize_t got = ::recv(c.fd, chunk, sizeof chunk, 0);
                if (got < 0) {
                    if (errno == EAGAIN) break;
                    return fail("recv");
                }
                if (got == 0) {
                    errno = 0;
                    return fail("the server closed a connection");
                }
                if (!c.busy) {
                    errno = 0;
                    return fail("an answer nobody asked for");
                }
                c.in.append(chunk, std::size_t(got));
                bool ok = true;
                if (c.need == 0) {
                    c.need = answer_size(c.in, ok);
                    if (c.need == SIZE_MAX) {
                        errno = 0;
                        return fail("an answer without Content-Length");
                    }
                    if (c.need && !ok) ++errors;
                }
                if (c.need && c.in.size() >= c.need) {
                    if (c.in.size() > c.need) {
                        errno = 0;
                        return fail("more bytes than one answer");
                    }
                    latency_ns[c.lookup] = std::uint64_t(std::chrono::nanoseconds(clock_type::now() - c.t0).count());
                    c.busy = false;
                    ++done;
                    if (next < lookups) {
                        if (!start(i)) return fail("send");
                    }
                    break;  // the next answer cannot be there yet: back to epoll_wait
                }
            }
        }
    }
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    const bench::cpu_times cpu1 = bench::cpu_seconds();
    for (auto& c : conns) close(c.fd);
    close(ep);

    bench::print_floor_result("raw-floor", lookups, errors, wall, {cpu1.user - cpu0.user, cpu1.sys - cpu0.sys},
                              latency_ns);
    if (errors) {
        std::cerr << "pws-bench-floor: " << errors << " of " << lookups << " answers were not 200\n";
        return 1;
    }
    return 0;
}
