// pws-bench-frames-check — shows, on a program whose coroutines are known, that the way
// benchmarks/run counts coroutine frames and co_spawns is right.
//
//   pws-bench-frames-check --depth D --spawns S [--iterations N] [--warmup W]
//
// Each iteration, one coroutine co_awaits a chain of D nested awaitables (D frames) and co_spawns
// S detached coroutines (each: its own frame and co_spawn's entry point, 2 frames); W iterations
// first, not counted, then N counted. Built twice, as pws-bench-count and pws-bench-count-frames
// are: pws-bench-frames-check (PWS_BENCH_COUNT_ALLOCATIONS) and pws-bench-frames-check-norecycle
// (also BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING, so that every frame is an operator new).
// benchmarks/run checks that the second's new_per_iteration minus the first's is D + 2 S, and
// that S per iteration of the second's operator-new callers are co_spawn_entry_point.
//
// Prints one JSON line: {"depth":D,"spawns":S,"frame_recycling":true|false, ...the counts
// (count_allocations.hpp: json_members, per iteration)}.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "bench_common.hpp"
#include "count_allocations.hpp"

namespace {

namespace asio = boost::asio;

std::uint64_t leaves = 0, children = 0;  // so that nothing is optimized away

// `d` frames: this one and d - 1 below it.
asio::awaitable<void> nest(unsigned d) {
    if (d > 1)
        co_await nest(d - 1);
    else
        ++leaves;
}

asio::awaitable<void> child() {
    ++children;
    co_return;
}

asio::awaitable<void> iterate(std::uint64_t n, unsigned depth, unsigned spawns) {
    auto ex = co_await asio::this_coro::executor;
    for (std::uint64_t i = 0; i < n; ++i) {
        if (depth > 0) co_await nest(depth);
        for (unsigned s = 0; s < spawns; ++s) asio::co_spawn(ex, child(), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t n = 10000, warmup = 1000;
    unsigned depth = 0, spawns = 0;
    bool have_depth = false, have_spawns = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i], v = argv[i + 1];
        bool ok = true;
        if (a == "--depth")
            ok = v == "0" || bench::parse_positive(v, depth), have_depth = true;
        else if (a == "--spawns")
            ok = v == "0" || bench::parse_positive(v, spawns), have_spawns = true;
        else if (a == "--iterations")
            ok = bench::parse_positive(v, n);
        else if (a == "--warmup")
            ok = bench::parse_positive(v, warmup);
        else
            ok = false;
        if (!ok) {
            std::cerr << "pws-bench-frames-check: bad argument " << a << " " << v << "\n";
            return 2;
        }
    }
    if (!have_depth || !have_spawns || argc % 2 == 0) {
        std::cerr << "usage: pws-bench-frames-check --depth D --spawns S [--iterations N] [--warmup W]\n";
        return 2;
    }

    asio::io_context ioc(1);
    asio::co_spawn(ioc, iterate(warmup, depth, spawns), asio::detached);
    ioc.run();
    ioc.restart();
    // Counted from the measured loop's own co_spawn on (its 2 frames: 2 / N per iteration).
    bench::alloc::record(true);
    const auto before = bench::alloc::now();
    asio::co_spawn(ioc, iterate(n, depth, spawns), asio::detached);
    ioc.run();
    const auto counted = bench::alloc::now() - before;
    bench::alloc::record(false);

    if (leaves != (depth ? warmup + n : 0) || children != std::uint64_t(spawns) * (warmup + n)) {
        std::cerr << "pws-bench-frames-check: the coroutines did not all run\n";
        return 1;
    }
#if defined(BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING)
    const char* recycling = "false";
#else
    const char* recycling = "true";
#endif
    std::cout << "{\"depth\":" << depth << ",\"spawns\":" << spawns << ",\"frame_recycling\":" << recycling << ","
              << bench::alloc::json_members(counted, n, "iteration") << "}" << std::endl;
    return 0;
}
