// pws-bench-server — a canned-response DynamoDB for the load benchmarks, so that what is measured
// is the client's cost, not the server's.
//
//   pws-bench-server --port-file FILE [--item FILE] [--max-lifetime-s 900] [--dump-request FILE]
//
// Listens on 127.0.0.1 on a port the OS picks and writes "http://127.0.0.1:PORT" (no newline) to
// FILE once it accepts. Answers every keep-alive (and pipelined) POST by its X-Amz-Target:
//   GetItem -> {"Item": ITEM}                              when the body names "app-id", else {}
//   Query   -> {"Count":1,"Items":[ITEM],"ScannedCount":1} when the body names "app-key", else none
//   other   -> 400 UnknownOperationException
// with a correct x-amz-crc32, a Date and an x-amzn-RequestId, as DynamoDB does. ITEM is the seed's
// item (tests/data/seed_item.json). Signatures are not checked. One thread, no allocation per
// request once a connection's buffers have grown: the responses are prebuilt and refreshed once a
// second for the Date header. Exits on SIGINT/SIGTERM or after --max-lifetime-s, printing the
// number of requests answered on stderr. With --dump-request, the bytes of the first complete
// request received (head and body, exactly as sent) are written to FILE (written, then renamed):
// the floor clients (pws-bench-floor, pws-bench-asio-floor) replay them.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/crc.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

#include "bench_common.hpp"

namespace {

constexpr auto token = asio::as_tuple(asio::use_awaitable);

// The three answers, rebuilt when the second (and so the Date header) changes.
struct canned {
    std::string item;
    std::string get_found, get_missing, query_found, query_missing, unknown;
    std::time_t built_for = -1;
    std::uint64_t served = 0;
    std::string dump_file;  // --dump-request: written once, with the first request, then cleared

    static std::string response(unsigned status, std::string_view reason, std::string_view body,
                                std::string_view date, std::string_view error_type = {}) {
        boost::crc_32_type crc;
        crc.process_bytes(body.data(), body.size());
        std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
        r += "Server: Server\r\nDate: ";
        r += date;
        r += "\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: " + std::to_string(body.size());
        r += "\r\nConnection: keep-alive\r\nx-amzn-RequestId: "
             "PWSBENCHCANNED0000000000000000000000000000000000000AAAA";
        r += "\r\nx-amz-crc32: " + std::to_string(crc.checksum());
        if (!error_type.empty()) {
            r += "\r\nx-amzn-ErrorType: ";
            r += error_type;
        }
        r += "\r\n\r\n";
        r += body;
        return r;
    }

    void refresh() {
        const std::time_t now = std::time(nullptr);
        if (now == built_for) return;
        built_for = now;
        std::tm tm{};
        gmtime_r(&now, &tm);
        char date[64];
        std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale: English names
        get_found = response(200, "OK", "{\"Item\":" + item + "}", date);
        get_missing = response(200, "OK", "{}", date);
        query_found = response(200, "OK", "{\"Count\":1,\"Items\":[" + item + "],\"ScannedCount\":1}", date);
        query_missing = response(200, "OK", "{\"Count\":0,\"Items\":[],\"ScannedCount\":0}", date);
        unknown = response(400, "Bad Request",
                           "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}", date,
                           "UnknownOperationException");
    }

    const std::string& answer(std::string_view target, std::string_view body) {
        ++served;
        if (target == "DynamoDB_20120810.GetItem")
            return body.find("\"app-id\"") != std::string_view::npos ? get_found : get_missing;
        if (target == "DynamoDB_20120810.Query")
            return body.find("\"app-key\"") != std::string_view::npos ? query_found : query_missing;
        return unknown;
    }
};

using bench::iequals;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Reads requests, answers each complete one; pipelined requests get their answers in one write.
asio::awaitable<void> session(tcp::socket socket, canned& c) {
    socket.set_option(tcp::no_delay(true));
    std::string in, out;
    in.reserve(16 * 1024);
    out.reserve(16 * 1024);
    char chunk[16 * 1024];
    for (;;) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), token);
        if (ec) co_return;
        in.append(chunk, n);
        out.clear();
        std::size_t at = 0;
        for (;;) {
            const std::size_t end = in.find("\r\n\r\n", at);
            if (end == std::string::npos) break;
            std::string_view head(in.data() + at, end - at);
            std::size_t length = 0;
            std::string_view target;
            bool bad = false;
            for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;) {
                std::size_t next = head.find("\r\n", line + 2);
                std::string_view h =
                    head.substr(line + 2, (next == std::string_view::npos ? head.size() : next) - line - 2);
                std::size_t colon = h.find(':');
                if (colon != std::string_view::npos) {
                    std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
                    if (iequals(name, "content-length")) {
                        auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
                        bad = e != std::errc() || p != value.data() + value.size();
                    } else if (iequals(name, "x-amz-target")) {
                        target = value;
                    }
                }
                line = next;
            }
            if (bad) co_return;  // not a client we benchmark: drop it
            const std::size_t body_at = end + 4;
            if (in.size() < body_at + length) break;
            c.refresh();
            if (!c.dump_file.empty()) {
                const std::string tmp = c.dump_file + ".tmp";
                {
                    std::ofstream f(tmp, std::ios::binary);
                    f.write(in.data() + at, std::streamsize(body_at + length - at));
                }
                std::rename(tmp.c_str(), c.dump_file.c_str());
                c.dump_file.clear();
            }
            out += c.answer(target, std::string_view(in.data() + body_at, length));
            at = body_at + length;
        }
        in.erase(0, at);
        if (!out.empty()) {
            auto [wec, written] = co_await asio::async_write(socket, asio::buffer(out), token);
            if (wec) co_return;
        }
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, canned& c) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(token);
        if (ec) co_return;  // closed on shutdown
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), c), asio::detached);
    }
}

int usage(const std::string& why) {
    std::cerr << "pws-bench-server: " << why
              << "\nusage: pws-bench-server --port-file FILE [--item FILE] [--max-lifetime-s 900]"
                 " [--dump-request FILE]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string port_file, item_file = PWS_BENCH_SEED_ITEM, dump_file;
    long lifetime_s = 900;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (i + 1 >= argc) return usage("missing value after " + std::string(a));
        if (a == "--port-file")
            port_file = argv[++i];
        else if (a == "--item")
            item_file = argv[++i];
        else if (a == "--dump-request")
            dump_file = argv[++i];
        else if (a == "--max-lifetime-s")
            lifetime_s = std::stol(argv[++i]);
        else
            return usage("unknown argument " + std::string(a));
    }
    if (port_file.empty()) return usage("--port-file is required");

    canned c;
    c.dump_file = dump_file;
    {
        std::ifstream f(item_file);
        std::stringstream ss;
        ss << f.rdbuf();
        c.item = ss.str();
        while (!c.item.empty() && (c.item.back() == '\n' || c.item.back() == ' ')) c.item.pop_back();
        if (!f || c.item.empty() || c.item.front() != '{') {
            std::cerr << "pws-bench-server: cannot read the item from " << item_file << "\n";
            return 1;
        }
    }
    c.refresh();

    asio::io_context ioc(1);
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::co_spawn(ioc, accept_loop(acceptor, c), asio::detached);

    auto stop = [&] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        ioc.stop();
    };
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { stop(); });
    asio::steady_timer lifetime(ioc, std::chrono::seconds(lifetime_s));
    lifetime.async_wait([&](auto ec) {
        if (!ec) {
            std::cerr << "pws-bench-server: --max-lifetime-s reached, exiting\n";
            stop();
        }
    });

    // Written then renamed, so a reader never sees half a URL.
    const std::string tmp = port_file + ".tmp";
    {
        std::ofstream f(tmp);
        f << "http://127.0.0.1:" << acceptor.local_endpoint().port();
        if (!f) return usage("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), port_file.c_str()) != 0) return usage("cannot rename " + tmp);

    ioc.run();
    std::cerr << "pws-bench-server: answered " << c.served << " requests\n";
    return 0;
}
