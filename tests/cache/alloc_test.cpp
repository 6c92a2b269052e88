// The cache's hit path allocates nothing: this executable counts every heap allocation (malloc
// and operator new alike), warms the cache (and Asio's per-thread frame recycling) up, then
// counts the allocations of many hits — by id, by key, negative, through co_await and through
// try_get_by_*, on one thread and on two at once, with refresh-ahead on (entries not yet due, then
// a refreshed one). It also prints ns per hit.
#define BOOST_TEST_MODULE pws_cache_alloc_test
#include "cache_support.hpp"

#include <pws/app_manager.hpp>
#include <pws/policies/cached.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <latch>
#include <new>
#include <thread>

// Counted at the bottom: Asio's recycling allocator (coroutine frames, handlers) takes memory
// with std::aligned_alloc, not operator new, so counting operator new alone would miss it. With
// glibc, the C allocation functions are replaced here and forward to glibc's own (__libc_*), and
// operator new/delete are replaced to go through them: every heap allocation, by anyone, counts.
namespace {
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};
inline void count() noexcept {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) { return count(), __libc_malloc(n); }
void* calloc(std::size_t n, std::size_t m) { return count(), __libc_calloc(n, m); }
void* realloc(void* p, std::size_t n) { return count(), __libc_realloc(p, n); }
void* aligned_alloc(std::size_t a, std::size_t n) { return count(), __libc_memalign(a, n); }
void* memalign(std::size_t a, std::size_t n) { return count(), __libc_memalign(a, n); }
int posix_memalign(void** out, std::size_t a, std::size_t n) {
    count();
    *out = __libc_memalign(a, n);
    return *out ? 0 : ENOMEM;
}
void free(void* p) { __libc_free(p); }
}

namespace {
void* counted(std::size_t n, std::size_t align = 0) {
    if (n == 0) n = 1;
    void* p = align ? aligned_alloc(align, (n + align - 1) / align * align) : malloc(n);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, std::size_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { free(p); }

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

using cache_t = pws::Cached<pws::test::fake_policy>;  // the real steady_clock
using manager_t = pws::AppManager<cache_t>;
using manual_manager_t = pws::AppManager<pws::Cached<pws::test::fake_policy, pws::test::manual_clock>>;

pws::CacheConfig config() {
    pws::CacheConfig c;
    c.enabled = true;
    c.ttl = 3600s;
    c.negative_ttl = 3600s;
    c.refresh_after = 1800s;  // on: every hit checks whether its entry is due (none gets there)
    return c;
}

constexpr int rounds = 100'000;

// Hits by id, by key and negative, through co_await and through the synchronous fast path.
// Returns the lookups that did not give the expected answer.
asio::awaitable<int> hit_loop(manager_t& apps, int n) {
    int wrong = 0;
    auto& cache = apps.policy();
    for (int i = 0; i < n; ++i) {
        wrong += !(co_await apps.find_by_id("app-1")).found();
        wrong += !(co_await apps.find_by_key("key-1")).found();
        wrong += !(co_await apps.find_by_key("no-such-key")).not_found();
        auto fast = cache.try_get_by_id("app-1");
        wrong += !(fast && fast->found());
        auto neg = cache.try_get_by_key("no-such-key");
        wrong += !(neg && neg->not_found());
    }
    co_return wrong;
}

// Misses once for each name, then hits a few times so that every frame size has been recycled.
asio::awaitable<void> warm_up(manager_t& apps) {
    co_await apps.find_by_id("app-1");
    co_await apps.find_by_key("no-such-key");
    co_await hit_loop(apps, 10);
}

}  // namespace

BOOST_AUTO_TEST_CASE(hits_allocate_nothing) {
    asio::io_context ioc;
    manager_t apps(config(), ioc.get_executor());
    apps.policy().inner().put(pws::test::make_app("app-1", "key-1"));
    std::uint64_t counted_allocs = 0;
    int wrong = -1;
    double ns_mixed = 0, ns_await = 0, ns_try = 0;
    auto ns_per = [](auto t0, int n) {
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
    };
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        co_await warm_up(apps);
        allocations = 0;
        counting = true;
        auto t0 = std::chrono::steady_clock::now();
        wrong = co_await hit_loop(apps, rounds);
        ns_mixed = ns_per(t0, 5 * rounds);
        t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < rounds; ++i) wrong += !(co_await apps.find_by_key("key-1")).found();
        ns_await = ns_per(t0, rounds);
        t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < rounds; ++i) wrong += !apps.policy().try_get_by_key("key-1")->found();
        ns_try = ns_per(t0, rounds);
        counting = false;
        counted_allocs = allocations;
    }, asio::detached);
    ioc.run();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(counted_allocs == 0u);
    BOOST_TEST(apps.policy().inner().calls() == 2);
    BOOST_TEST_MESSAGE("one thread: " << 7 * rounds << " hits, " << counted_allocs << " allocations; ns/hit: "
                                      << ns_await << " co_await find_by_key, " << ns_try
                                      << " try_get_by_key, " << ns_mixed
                                      << " mixed (id, key, negative; co_await and try_get)");
}

BOOST_AUTO_TEST_CASE(hits_on_two_threads_allocate_nothing) {
    // One cache, two threads each running its own io_context (so each warms its own recycling).
    asio::io_context ioc1, ioc2;
    manager_t apps(config(), ioc1.get_executor());
    apps.policy().inner().put(pws::test::make_app("app-1", "key-1"));
    std::latch warm(2), done(2);
    std::atomic<int> wrong{0};
    std::atomic<std::uint64_t> counted_allocs{0};
    auto body = [&]() -> asio::awaitable<void> {
        co_await warm_up(apps);
        warm.arrive_and_wait();
        counting = true;  // both set it; the first to finish below reads the count after both are done
        wrong += co_await hit_loop(apps, rounds);
        done.arrive_and_wait();
        counting = false;
        counted_allocs = allocations.load();
    };
    allocations = 0;
    asio::co_spawn(ioc1, body(), asio::detached);
    asio::co_spawn(ioc2, body(), asio::detached);
    std::thread t([&] { ioc2.run(); });
    ioc1.run();
    t.join();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(counted_allocs == 0u);
    auto s = apps.policy().stats();
    BOOST_TEST_MESSAGE("two threads: " << s.hits + s.negative_hits << " hits in all, "
                                       << counted_allocs.load() << " allocations while both were hitting");
}

BOOST_AUTO_TEST_CASE(async_find_with_a_callback_is_measured) {
    // Not the cache's hit path: AppManager's any-token form copies the id and co_spawns. Printed,
    // not asserted, so that a change there shows up in the log.
    asio::io_context ioc;
    manager_t apps(config(), ioc.get_executor());
    apps.policy().inner().put(pws::test::make_app("app-1", "key-1"));
    int found = 0;
    auto count_found = [&](pws::find_result r) { found += r.found(); };
    for (int i = 0; i < 20; ++i) apps.async_find_by_id("app-1", count_found);
    ioc.run();
    ioc.restart();
    allocations = 0;
    counting = true;
    constexpr int n = 1000;
    for (int i = 0; i < n; ++i) apps.async_find_by_id("app-1", count_found);
    ioc.run();
    counting = false;
    BOOST_TEST(found == 20 + n);
    BOOST_TEST_MESSAGE("AppManager::async_find_by_id(callback) on a hit: "
                       << double(allocations.load()) / n << " allocations per call");
}

BOOST_AUTO_TEST_CASE(hits_on_an_entry_not_yet_due_allocate_nothing) {
    // Refresh-ahead on the manual clock: until an entry is due, its hits allocate nothing; only
    // the one hit that starts the refresh may (the refresh's coroutine, printed); once the
    // refreshed entry is in, hits allocate nothing again. Each coroutine below warms up (10
    // rounds) and then counts (`rounds`), in one frame, so that the count holds only the hits'.
    asio::io_context ioc;
    auto c = config();
    c.ttl = -1s;
    c.refresh_after = 60s;
    manual_manager_t apps(c, ioc.get_executor());
    apps.policy().inner().put(pws::test::make_app("app-1", "key-1"));
    std::uint64_t before_due = 1, claiming = 0, after_refresh = 1;
    int wrong = 0;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        for (int phase = 0; phase < 2; ++phase) {  // the miss and hits, then counted hits
            if (phase == 1) {
                pws::test::manual_clock::advance(59s);  // 59 s since the read: not due
                allocations = 0;
                counting = true;
            }
            for (int i = 0; i < (phase ? rounds : 10); ++i) {
                wrong += !(co_await apps.find_by_id("app-1")).found();
                wrong += !(co_await apps.find_by_key("key-1")).found();
            }
            counting = false;
        }
        before_due = allocations;
        pws::test::manual_clock::advance(2s);  // due
        allocations = 0;
        counting = true;
        wrong += !(co_await apps.find_by_key("key-1")).found();  // claims the refresh, spawns it
        counting = false;
        claiming = allocations;
    }, asio::detached);
    ioc.run();  // the refresh too
    BOOST_TEST(apps.policy().stats().refreshes == 1u);
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        for (int phase = 0; phase < 2; ++phase) {  // the refreshed entry: warm, then counted
            if (phase == 1) {
                allocations = 0;
                counting = true;
            }
            for (int i = 0; i < (phase ? rounds : 10); ++i) {
                wrong += !(co_await apps.find_by_id("app-1")).found();
                wrong += !(co_await apps.find_by_key("key-1")).found();
            }
            counting = false;
        }
        after_refresh = allocations;
    }, asio::detached);
    ioc.restart();
    ioc.run();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(before_due == 0u);
    BOOST_TEST(after_refresh == 0u);
    BOOST_TEST(apps.policy().stats().refreshes == 1u);
    BOOST_TEST(apps.policy().inner().calls() == 2);  // the miss and the one refresh
    BOOST_TEST_MESSAGE("refresh-ahead: " << 4 * rounds << " hits on entries not due, " << before_due + after_refresh
                                         << " allocations; the hit that started the refresh: " << claiming
                                         << " allocations");
}
