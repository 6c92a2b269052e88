// pws::Cached over a fake driver and a manual clock: no server, no sleeping. Built twice: as
// pws_cache_tests, and with -fsanitize=thread as pws_cache_tsan_tests.
#define BOOST_TEST_MODULE pws_cache_tests
#include "cache_support.hpp"

#include <pws/app_manager.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/static.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pws::test::make_app;
using pws::test::manual_clock;

namespace {

using cache_t = pws::Cached<pws::test::fake_policy, manual_clock>;

template <class T>
concept has_executor = requires(T& t) { t.get_executor(); };

pws::CacheConfig config() {
    pws::CacheConfig c;
    c.enabled = true;
    c.ttl = 60s;
    c.negative_ttl = 5s;
    c.max_stale = 300s;
    c.stale_retry = 1s;
    return c;
}

// Runs one lookup to completion.
template <class F>
pws::find_result run(asio::io_context& ioc, F f) {
    auto fut = asio::co_spawn(ioc, f(), asio::use_future);
    ioc.restart();
    ioc.run();
    return fut.get();
}

struct fixture {
    asio::io_context ioc;
    cache_t cache;
    pws::test::fake_policy& driver = cache.inner();

    explicit fixture(pws::CacheConfig c = config()) : cache(c, ioc.get_executor()) {
        driver.put(make_app("a", "ka"));
        driver.put(make_app("b", "kb"));
    }
    pws::find_result by_id(std::string id) {
        return run(ioc, [&] { return cache.find_by_id(id); });
    }
    pws::find_result by_key(std::string key) {
        return run(ioc, [&] { return cache.find_by_key(key); });
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cache)

BOOST_AUTO_TEST_CASE(is_an_app_policy_and_forwards_the_executor) {
    static_assert(pws::AppPolicy<cache_t>);
    static_assert(pws::AppPolicy<pws::Cached<pws::StaticPolicy>>);
    static_assert(has_executor<cache_t>);
    static_assert(!has_executor<pws::Cached<pws::StaticPolicy>>);
    static_assert(!pws::ScanPolicy<pws::test::fake_policy>);

    // AppManager's any-token form falls back to the driver's executor through Cached.
    asio::io_context ioc;
    pws::AppManager<cache_t> apps(config(), ioc.get_executor());
    apps.policy().inner().put(make_app("a", "ka"));
    std::optional<pws::find_result> got;
    apps.async_find_by_id("a", [&](pws::find_result r) { got = std::move(r); });
    ioc.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(got->found());
}

BOOST_AUTO_TEST_CASE(one_entry_behind_id_and_key) {
    fixture f;
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    auto r1 = f.by_id("a");
    BOOST_TEST_REQUIRE(r1.found());
    auto r2 = f.by_key("ka");  // the same entry: no second request
    BOOST_TEST_REQUIRE(r2.found());
    BOOST_TEST(r1.app.get() == r2.app.get());
    BOOST_TEST(f.driver.calls() == 1);
    auto fast = f.cache.try_get_by_key("ka");
    BOOST_TEST_REQUIRE(fast.has_value());
    BOOST_TEST(fast->app.get() == r1.app.get());
    auto s = f.cache.stats();
    BOOST_TEST(s.hits == 2u);
    BOOST_TEST(s.misses == 1u);
    BOOST_TEST(s.requests == 1u);
    BOOST_TEST(s.entries == 1u);
}

BOOST_AUTO_TEST_CASE(expires_after_ttl) {
    fixture f;
    BOOST_TEST(f.by_id("a").found());
    manual_clock::advance(59s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 1);
    manual_clock::advance(2s);
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 2);
}

BOOST_AUTO_TEST_CASE(ttl_minus_one_never_expires) {
    auto c = config();
    c.ttl = -1s;  // soketi's default
    c.refresh_after = 0s;  // no refresh-ahead either: the one request stays the only one
    fixture f(c);
    BOOST_TEST(f.by_key("ka").found());
    manual_clock::advance(24h * 365 * 10);
    BOOST_TEST(f.by_key("ka").found());
    BOOST_TEST(f.driver.calls() == 1);
}

BOOST_AUTO_TEST_CASE(negative_entries_have_their_own_ttl) {
    fixture f;
    BOOST_TEST(f.by_key("nope").not_found());
    BOOST_TEST(f.by_key("nope").not_found());
    BOOST_TEST(f.by_id("nope").not_found());  // another index: its own entry
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().negative_hits == 1u);
    BOOST_TEST(f.cache.stats().negative_entries == 2u);
    manual_clock::advance(6s);  // past negative_ttl (5 s), far from ttl (60 s)
    f.driver.put(make_app("n", "nope"));
    BOOST_TEST(f.by_key("nope").found());  // created meanwhile: seen once the negative entry expires
    BOOST_TEST(f.driver.calls() == 3);
}

BOOST_AUTO_TEST_CASE(single_flight_one_request_for_n_concurrent_misses) {
    fixture f;
    f.driver.hold();
    constexpr int n = 200;
    std::vector<pws::find_result> got(n);
    for (int i = 0; i < n; ++i)
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            got[i] = co_await f.cache.find_by_id("a");
        }, asio::detached);
    f.ioc.poll();  // every lookup runs until it waits
    BOOST_TEST(f.driver.calls() == 1);
    BOOST_TEST(f.driver.held_requests() == 1u);
    f.driver.release();
    f.ioc.run();
    for (auto& r : got) {
        BOOST_TEST_REQUIRE(r.found());
        BOOST_TEST(r.app.get() == got[0].app.get());
    }
    auto s = f.cache.stats();
    BOOST_TEST(s.misses == std::uint64_t(n));
    BOOST_TEST(s.coalesced == std::uint64_t(n - 1));
    BOOST_TEST(s.requests == 1u);
}

BOOST_AUTO_TEST_CASE(errors_reach_every_waiter_and_are_not_cached) {
    fixture f;
    f.driver.fail_with(pws::error::timeout);
    f.driver.hold();
    std::vector<pws::find_result> got(50);
    for (auto& slot : got)
        asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { slot = co_await f.cache.find_by_key("ka"); },
                       asio::detached);
    f.ioc.poll();
    f.driver.release();
    f.ioc.run();
    for (auto& r : got) {
        BOOST_TEST(r.ec == pws::error::timeout);
        BOOST_TEST(r.diagnostic == "fake failure");
    }
    BOOST_TEST(f.driver.calls() == 1);
    BOOST_TEST(f.cache.stats().errors == 1u);
    f.driver.fail_with({});
    BOOST_TEST(f.by_key("ka").found());  // the error was not remembered
    BOOST_TEST(f.driver.calls() == 2);
}

BOOST_AUTO_TEST_CASE(a_throwing_driver_is_an_error_for_every_waiter) {
    fixture f;
    f.driver.throw_exceptions(true);
    f.driver.hold();
    std::vector<pws::find_result> got(3);
    for (auto& slot : got)
        asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { slot = co_await f.cache.find_by_id("a"); },
                       asio::detached);
    f.ioc.poll();
    f.driver.release();
    f.ioc.run();
    for (auto& r : got) BOOST_TEST(r.ec == pws::error::driver_exception);
}

BOOST_AUTO_TEST_CASE(stale_if_error_up_to_max_stale) {
    fixture f;
    auto fresh = f.by_id("a");
    BOOST_TEST_REQUIRE(fresh.found());
    f.driver.fail_with(pws::dynamodb_errc::service_unavailable);
    manual_clock::advance(61s);  // expired
    auto r = f.by_id("a");
    BOOST_TEST_REQUIRE(r.found());  // the driver failed: the last good app is served
    BOOST_TEST(r.app.get() == fresh.app.get());
    BOOST_TEST(f.cache.stats().stale_served == 1u);
    BOOST_TEST(f.driver.calls() == 2);
    // Within stale_retry the driver is not asked again; the key index serves it too.
    BOOST_TEST(f.by_key("ka").found());
    BOOST_TEST(f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().stale_served == 3u);
    manual_clock::advance(2s);
    BOOST_TEST(f.by_id("a").found());  // asked again, failed again, stale again
    BOOST_TEST(f.driver.calls() == 3);
    manual_clock::advance(300s);  // now past ttl + max_stale
    auto gone = f.by_id("a");
    BOOST_TEST(gone.ec == pws::dynamodb_errc::service_unavailable);
    BOOST_TEST(f.cache.stats().errors == 3u);
    f.driver.fail_with({});
    BOOST_TEST(f.by_id("a").found());
}

BOOST_AUTO_TEST_CASE(stale_if_error_off) {
    auto c = config();
    c.max_stale = 0s;
    fixture f(c);
    BOOST_TEST(f.by_id("a").found());
    f.driver.fail_with(pws::error::timeout);
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").ec == pws::error::timeout);
}

BOOST_AUTO_TEST_CASE(a_key_that_moved_is_never_served_with_its_old_app) {
    fixture f;
    BOOST_TEST(f.by_id("a").found());  // a <-> ka
    BOOST_TEST(f.by_id("b").found());  // b <-> kb
    // In the table: a's key becomes ka2, and b takes ka.
    f.driver.put(make_app("a", "ka2"));
    f.driver.put(make_app("b", "ka"));
    manual_clock::advance(61s);
    auto b = f.by_key("ka");  // refresh by key: now b's
    BOOST_TEST_REQUIRE(b.found());
    BOOST_TEST(b.app->id == "b");
    // The old pairings are gone from both indexes: a's entry (it held ka) and b's (it held kb).
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(!f.cache.try_get_by_key("kb").has_value());
    BOOST_TEST(f.cache.try_get_by_id("b")->app->key == "ka");
    auto a = f.by_id("a");
    BOOST_TEST(a.app->key == "ka2");
    BOOST_TEST(f.cache.try_get_by_key("ka2")->app->id == "a");
    BOOST_TEST(f.cache.try_get_by_key("ka")->app->id == "b");
    BOOST_TEST(f.cache.stats().entries == 2u);
}

BOOST_AUTO_TEST_CASE(an_older_answer_never_replaces_a_newer_one) {
    fixture f;
    f.driver.hold();
    pws::find_result old_read, new_read;
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { old_read = co_await f.cache.find_by_id("a"); },
                   asio::detached);
    f.ioc.poll();  // read: a <-> ka
    f.driver.put(make_app("a", "ka2"));
    f.driver.put(make_app("b", "ka"));
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { new_read = co_await f.cache.find_by_key("ka"); },
                   asio::detached);
    f.ioc.poll();                      // read: b <-> ka
    f.driver.release(/*newest_first*/ true);  // the newer answer arrives first
    f.ioc.run();
    BOOST_TEST(old_read.app->key == "ka");  // each caller gets the answer to its request...
    BOOST_TEST(new_read.app->id == "b");
    BOOST_TEST(f.cache.try_get_by_key("ka")->app->id == "b");  // ...but memory keeps the newer one
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
}

BOOST_AUTO_TEST_CASE(an_app_whose_key_changed_loses_its_old_key) {
    fixture f;
    BOOST_TEST(f.by_key("ka").found());
    f.driver.put(make_app("a", "ka-new"));
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").app->key == "ka-new");
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());  // not served from memory
    BOOST_TEST(f.by_key("ka").not_found());                 // and the table says so
}

BOOST_AUTO_TEST_CASE(a_deleted_app_turns_into_a_negative_entry) {
    fixture f;
    BOOST_TEST(f.by_id("a").found());
    f.driver.remove("a");
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").not_found());
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());
    BOOST_TEST(f.cache.stats().entries == 0u);
}

BOOST_AUTO_TEST_CASE(bounded_with_clock_eviction) {
    auto c = config();
    c.max_entries = 3;
    c.max_negative_entries = 2;
    fixture f(c);
    for (auto id : {"x", "y", "z", "w"}) f.driver.put(make_app(id, std::string("k") + id));
    BOOST_TEST(f.by_id("x").found());
    BOOST_TEST(f.by_id("y").found());
    BOOST_TEST(f.by_id("z").found());
    BOOST_TEST(f.cache.try_get_by_id("x").has_value());  // x and z referenced, y not
    BOOST_TEST(f.cache.try_get_by_id("z").has_value());
    BOOST_TEST(f.by_id("w").found());
    BOOST_TEST(f.cache.size() == 3u);
    BOOST_TEST(!f.cache.try_get_by_id("y").has_value());
    BOOST_TEST(!f.cache.try_get_by_key("ky").has_value());
    BOOST_TEST(f.cache.try_get_by_id("x").has_value());
    BOOST_TEST(f.cache.try_get_by_id("z").has_value());
    BOOST_TEST(f.cache.try_get_by_id("w").has_value());
    // A flood of unknown keys stays within its own bound and evicts no app.
    for (int i = 0; i < 20; ++i) BOOST_TEST(f.by_key("unknown-" + std::to_string(i)).not_found());
    auto s = f.cache.stats();
    BOOST_TEST(s.negative_entries == 2u);
    BOOST_TEST(s.entries == 3u);
    BOOST_TEST(s.evictions == 1u + 18u);
}

BOOST_AUTO_TEST_CASE(invalidate_and_clear) {
    fixture f;
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_id("b").found());
    BOOST_TEST(f.by_id("nope").not_found());
    BOOST_TEST(f.cache.invalidate("a"));
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());
    BOOST_TEST(f.cache.try_get_by_key("kb").has_value());
    BOOST_TEST(!f.cache.invalidate("a"));
    BOOST_TEST(f.cache.invalidate_key("kb"));
    BOOST_TEST(!f.cache.try_get_by_id("b").has_value());
    BOOST_TEST(f.cache.invalidate("nope"));  // the negative entry
    BOOST_TEST(f.by_id("a").found());
    f.cache.clear();
    BOOST_TEST(f.cache.stats().entries == 0u);
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
}

BOOST_AUTO_TEST_CASE(an_answer_older_than_an_invalidation_is_not_cached) {
    fixture f;
    f.driver.hold();
    pws::find_result r;
    asio::co_spawn(
        f.ioc, [&]() -> asio::awaitable<void> { r = co_await f.cache.find_by_id("a"); }, asio::detached);
    f.ioc.poll();
    f.cache.invalidate("a");  // e.g. an operator just changed the app
    f.driver.release();
    f.ioc.run();
    BOOST_TEST(r.found());                                // the caller gets its answer...
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());  // ...but it is not kept
}

BOOST_AUTO_TEST_CASE(disabled_is_a_pass_through) {
    auto c = config();
    c.enabled = false;
    fixture f(c);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(latency_histogram_of_driver_requests) {
    fixture f;
    f.driver.set_latency(3ms);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_id("a").found());  // a hit: not in the histogram
    f.driver.set_latency(700ms);
    BOOST_TEST(f.by_id("b").found());
    auto s = f.cache.stats();
    BOOST_TEST(s.latency[4] == 1u);  // [2 ms, 5 ms)
    BOOST_TEST(s.latency[10] == 1u); // [250 ms, 1 s)
    std::uint64_t total = 0;
    for (auto n : s.latency) total += n;
    BOOST_TEST(total == 2u);
}

BOOST_AUTO_TEST_CASE(refuses_an_unusable_config) {
    asio::io_context ioc;
    auto c = config();
    c.max_entries = 0;
    BOOST_CHECK_THROW(cache_t(c, ioc.get_executor()), boost::system::system_error);
    c = config();
    c.preload = true;  // the fake driver cannot scan
    BOOST_CHECK_THROW(cache_t(c, ioc.get_executor()), boost::system::system_error);
}

// Four threads run the io_context; 32 coroutines look up in loops (hits, misses and coalesced
// misses mix) while some invalidate, clear and move the clock. Every answer must be the right app
// (never another's), and the run must be ThreadSanitizer-clean.
BOOST_AUTO_TEST_CASE(many_threads) {
    auto c = config();
    c.max_entries = 16;  // evictions too
    c.max_negative_entries = 8;
    fixture f(c);
    constexpr int apps = 24, workers = 32, rounds = 300;
    for (int i = 0; i < apps; ++i)
        f.driver.put(make_app("id" + std::to_string(i), "key" + std::to_string(i)));
    std::atomic<int> wrong{0}, failed{0}, done{0};
    for (int w = 0; w < workers; ++w)
        asio::co_spawn(f.ioc, [&, w]() -> asio::awaitable<void> {
            for (int t = 0; t < rounds; ++t) {
                // Mostly a hot few; sometimes any, or one of 4 unknown.
                const int i = (w * 5 + t * 7) % (apps + 4) % (t % 3 ? 8 : apps + 4);
                const std::string id = "id" + std::to_string(i), key = "key" + std::to_string(i);
                pws::find_result r;  // not co_await (c ? a : b): GCC 12 double-destroys that temporary
                if ((w + t) % 2) r = co_await f.cache.find_by_id(id);
                else r = co_await f.cache.find_by_key(key);
                if (r.failed()) ++failed;
                else if (i < apps && !(r.found() && r.app->id == id && r.app->key == key)) ++wrong;
                else if (i >= apps && !r.not_found()) ++wrong;
                auto fast = f.cache.try_get_by_key(key);
                if (fast && fast->found() && fast->app->id != id) ++wrong;
                if (w == 0 && t % 50 == 0) f.cache.invalidate(id);
                if (w == 1 && t % 100 == 0) manual_clock::advance(61s);
                if (w == 2 && t == rounds / 2) f.cache.clear();
            }
            ++done;
        }, asio::detached);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { f.ioc.run(); });
    for (auto& t : threads) t.join();
    BOOST_TEST(done == workers);
    BOOST_TEST(wrong == 0);
    BOOST_TEST(failed == 0);
    auto s = f.cache.stats();
    // Each round's co_await lookup is counted once (a hit of either kind, or a miss); the
    // try_get_by_key beside it adds hits only.
    BOOST_TEST(s.hits + s.negative_hits + s.misses >= std::uint64_t(workers * rounds));
    BOOST_TEST(s.hits > 0u);
    BOOST_TEST(s.requests < s.misses);
    BOOST_TEST(s.entries <= 16u);
    BOOST_TEST_MESSAGE("many_threads: " << s.hits << " hits, " << s.negative_hits << " negative hits, "
                                        << s.misses << " misses, " << s.coalesced << " coalesced, "
                                        << s.requests << " requests, " << s.evictions << " evictions");
}

BOOST_AUTO_TEST_SUITE_END()

// The hit path's parts: its clock, its hash and name compare, and hits under a churning writer.
BOOST_AUTO_TEST_SUITE(hit_path)

BOOST_AUTO_TEST_CASE(rcu_readers_never_hold_a_freed_object_in_either_mode) {
    // Readers keep loading a pointer that a writer keeps replacing, retiring the old object and
    // collecting (at once and batched): an object freed under a reader shows here as a dead one
    // (its destructor marks it; malloc may also overwrite it), and under ASan and TSan as a use
    // after free or a race with the free. Both ways of entering a section on an owned slot: a plain
    // store ordered by the writer's heavy fence (membarrier), and a read-modify-write. First in
    // its suite: its readers must be among the first 32 threads of the process to read, which
    // own their slots (the 60-thread case below takes the rest for good).
    using pws::detail::rcu_domain;
    struct object {
        std::uint64_t pad[3] = {0, 0, 0};  // where malloc keeps its own links once freed
        std::atomic<std::uint64_t> alive{1};
        ~object() { alive.store(0, std::memory_order_relaxed); }
    };
    for (bool asymmetric : {true, false}) {
        if (asymmetric && !pws::detail::register_heavy_fence()) {
            BOOST_TEST_MESSAGE("membarrier(2) is not available here: only the read-modify-write mode runs");
            continue;
        }
        rcu_domain d(asymmetric);
        BOOST_TEST(d.asymmetric() == asymmetric);
        std::atomic<object*> current{new object};
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> dead{0}, reads{0}, owned{0}, progress{0};
        std::vector<std::thread> readers;
        for (int t = 0; t < 3; ++t)
            readers.emplace_back([&] {
                pws::detail::rcu_slot& s = d.slot();
                if (s.owned) ++owned;
                std::uint64_t n = 0, bad = 0;
                while (!stop.load(std::memory_order_relaxed)) {
                    auto section = d.enter(s);
                    const object* o = current.load(std::memory_order_acquire);
                    // Twice, 64 loads apart: a section held a little while, as a hit is.
                    if (o->alive.load(std::memory_order_relaxed) != 1) ++bad;
                    for (int k = 0; k < 64; ++k) (void)current.load(std::memory_order_relaxed);
                    if (o->alive.load(std::memory_order_relaxed) != 1) ++bad;
                    if (++n % 256 == 1) progress.fetch_add(1, std::memory_order_relaxed);
                }
                reads += n;
                dead += bad;
            });
        // At least 20000 replacements, and on until the readers have read a while alongside (on a
        // loaded machine the writer could otherwise be done before a reader ran at all).
        int replacements = 0;
        for (int i = 0; i < 20000 || progress.load(std::memory_order_relaxed) < 3 * 8; ++i, ++replacements) {
            d.retire(current.exchange(new object, std::memory_order_acq_rel));
            if (i % 2) d.collect();
            else d.collect_batched();
        }
        stop = true;
        for (auto& t : readers) t.join();
        BOOST_TEST_MESSAGE((asymmetric ? "plain-store" : "read-modify-write") << " entries: " << reads
                                                                            << " reads under " << replacements
                                                                            << " replacements");
        BOOST_TEST(dead == 0u);
        BOOST_TEST(reads > 0u);
        BOOST_TEST(owned == 3u, "the readers did not get owned slots: this case must run before the others start threads");
        d.collect();
        d.collect();
        BOOST_TEST(d.pending() == 0u);  // no reader left: everything retired is freed
        delete current.load();
    }
}

BOOST_AUTO_TEST_CASE(an_owned_rcu_slot_belongs_to_one_thread_only) {
    // Leaving a section on an owned slot is a plain store: two threads on one would lose counts
    // (a record freed under a reader). 60 threads, more than there are owned slots: each owned
    // slot goes to one thread at most, the others share the shared ones, and every count drops
    // back to 0.
    using pws::detail::rcu_domain;
    rcu_domain d;
    constexpr int threads = 60;
    std::vector<std::pair<const pws::detail::rcu_slot*, bool>> got(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&d, &got, t] {
            pws::detail::rcu_slot& s = d.slot();
            for (int i = 0; i < 1000; ++i) {
                auto section = d.enter(s);
                s.count(0);
            }
            got[t] = {&s, s.owned};
        });
    for (auto& t : pool) t.join();
    std::map<const pws::detail::rcu_slot*, int> owners;
    int shared = 0;
    for (auto& [slot, owned] : got)
        if (owned)
            ++owners[slot];
        else
            ++shared;
    for (auto& [slot, n] : owners) BOOST_TEST(n == 1);
    BOOST_TEST(owners.size() <= rcu_domain::owned_slots);
    BOOST_TEST(shared >= threads - static_cast<int>(rcu_domain::owned_slots));
    BOOST_TEST(d.sum(0) == static_cast<std::uint64_t>(threads) * 1000);  // no count lost
    // Every section ended: what is retired now is freed within two epochs.
    d.retire(new int(1));
    d.collect();
    d.collect();
    BOOST_TEST(d.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(the_hit_clock_of_steady_clock_is_at_most_two_ticks_ahead) {
    using hit = pws::detail::hit_clock<std::chrono::steady_clock>;
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
    const auto tick = hit::resolution();
    BOOST_TEST_MESSAGE("CLOCK_MONOTONIC_COARSE tick: " << tick.count() << " ns");
    BOOST_TEST(tick.count() > 0);
#else
    const std::chrono::nanoseconds tick(0);
#endif
    int behind = 0;  // samples below a steady_clock reading taken before them
    std::chrono::nanoseconds worst(0);
    constexpr int samples = 100000;
    for (int i = 0; i < samples; ++i) {
        const auto before = std::chrono::steady_clock::now();
        const auto h = hit::now();
        const auto after = std::chrono::steady_clock::now();
        // The coarse time is never ahead of the real one, so h is at most two ticks ahead of it:
        // an entry is never taken for expired more than two ticks early.
        if (!(h <= after + 2 * tick)) BOOST_FAIL("hit_clock more than two ticks ahead of steady_clock");
        // Same epoch and unit: far behind would be a wrong clock, not a lag.
        if (!(h + 1s >= before)) BOOST_FAIL("hit_clock a second or more behind steady_clock");
        if (h < before) {
            ++behind;
            worst = std::max(worst, std::chrono::duration_cast<std::chrono::nanoseconds>(before - h));
        }
    }
    // Behind (an entry served late) only when the kernel's timekeeping stalled: reported, since a
    // virtual CPU held by the host is not the library's to prevent.
    BOOST_TEST_MESSAGE("hit_clock behind steady_clock in " << behind << " of " << samples
                                                           << " samples, by " << worst.count() << " ns at most");
    // Any other clock is read as it is.
    BOOST_TEST((pws::detail::hit_clock<manual_clock>::now() == manual_clock::now()));
}

BOOST_AUTO_TEST_CASE(names_compare_equal_only_byte_for_byte) {
    using pws::detail::same_name;
    for (std::size_t n = 0; n <= 40; ++n) {
        std::string a(n, 'k');
        for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + (i * 7) % 26);
        const std::string b = a;  // another buffer
        BOOST_TEST(same_name(a, b));
        BOOST_TEST(!same_name(a, a + "x"));
        BOOST_TEST(!same_name(a + "x", a));
        if (n) BOOST_TEST(!same_name(a, std::string_view(a).substr(0, n - 1)));
        // Only the n bytes count (the last ones are read by overlapping word loads): views at odd
        // offsets into buffers that differ right before and after them compare equal.
        const std::string x = "#" + a + "xyzxyzxy", y = "%%%" + a + "QRSQRSQR";
        BOOST_TEST(same_name(std::string_view(x).substr(1, n), std::string_view(y).substr(3, n)));
        for (std::size_t i = 0; i < n; ++i)
            for (unsigned char bit : {0x01, 0x80}) {
                std::string c = a;
                c[i] = static_cast<char>(c[i] ^ bit);
                if (same_name(a, c) || same_name(c, a)) BOOST_FAIL("a flipped byte compared equal");
            }
    }
}

BOOST_AUTO_TEST_CASE(the_hash_is_siphash13_and_depends_on_every_byte_and_on_the_key) {
    using pws::detail::siphash13;
    // Bytes 0, 1, ..., n-1 under the key 00 01 ... 0f (the layout of SipHash's reference
    // vectors): the values the byte-at-a-time implementation gave, before its rounds were inlined
    // and its last block read by word loads. Every length up to 24 (each remainder, short and
    // after whole words), and 63.
    const std::pair<std::size_t, std::uint64_t> known[] = {
        {0, 0xabac0158050fc4dcULL},  {1, 0xc9f49bf37d57ca93ULL},  {2, 0x82cb9b024dc7d44dULL},
        {3, 0x8bf80ab8e7ddf7fbULL},  {4, 0xcf75576088d38328ULL},  {5, 0xdef9d52f49533b67ULL},
        {6, 0xc50d2b50c59f22a7ULL},  {7, 0xd3927d989bb11140ULL},  {8, 0x369095118d299a8eULL},
        {9, 0x25a48eb36c063de4ULL},  {10, 0x79de85ee92ff097fULL}, {11, 0x70c118c1f94dc352ULL},
        {12, 0x78a384b157b4d9a2ULL}, {13, 0x306f760c1229ffa7ULL}, {14, 0x605aa111c0f95d34ULL},
        {15, 0xd320d86d2a519956ULL}, {16, 0xcc4fdd1a7d908b66ULL}, {17, 0x9cf2689063dbd80cULL},
        {18, 0x8ffc389cb473e63eULL}, {19, 0xf21f9de58d297d1cULL}, {20, 0xc0dc2f46a6cce040ULL},
        {21, 0xb992abfe2b45f844ULL}, {22, 0x7ffe7b9ba320872eULL}, {23, 0x525a0e7fdae6c123ULL},
        {24, 0xf464aeb267349c8cULL}, {63, 0x9d199062b7bbb3a8ULL}};
    for (auto [n, h] : known) {
        std::string m;
        for (std::size_t i = 0; i < n; ++i) m += static_cast<char>(i);
        BOOST_TEST(siphash13(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m) == h, "length " << n);
    }
    for (std::size_t n = 0; n <= 40; ++n) {
        std::string a(n, '\0');
        for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>(i * 31 + 7);
        const auto h = siphash13(1, 2, a);
        BOOST_TEST(h != siphash13(1, 3, a));
        BOOST_TEST(h != siphash13(1, 2, a + '\0'));  // the length is hashed
        const std::string padded = "@" + a + "trailing";  // only the n bytes are read
        BOOST_TEST(siphash13(1, 2, std::string_view(padded).substr(1, n)) == h);
        for (std::size_t i = 0; i < n; ++i) {
            std::string c = a;
            c[i] = static_cast<char>(c[i] ^ 0x10);
            if (siphash13(1, 2, c) == h) BOOST_FAIL("a changed byte did not change the hash");
        }
    }
}

BOOST_AUTO_TEST_CASE(hits_are_all_counted_and_right_while_a_writer_churns) {
    // 40 reader threads (more than the rcu domain's 32 owned slots, so some share one) hit one app
    // while a writer keeps reading, invalidating and evicting others, and reads the hot app
    // again should it be evicted: every hit is counted exactly once and every answer is right
    // (this runs under TSan and ASan too, where a record freed under a reader shows).
    auto c = config();
    c.max_entries = 16;
    fixture f(c);
    f.driver.put(make_app("hot", "khot"));
    for (int i = 0; i < 32; ++i) f.driver.put(make_app("w" + std::to_string(i), "kw" + std::to_string(i)));
    BOOST_TEST(f.by_key("khot").found());
    const auto before = f.cache.stats();
    constexpr int readers = 40, rounds = 2000;
    std::atomic<int> wrong{0}, reader_hits{0}, arrived{0}, writer_lookups{0};
    std::atomic<bool> stop{false};
    auto check = [&](const std::optional<pws::find_result>& r) {
        if (!r) return;  // evicted meanwhile: not a hit, not counted
        ++reader_hits;
        if (!r->found() || r->app->id != "hot") ++wrong;
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < readers; ++t)
        pool.emplace_back([&] {
            check(f.cache.try_get_by_key("khot"));  // before the writer starts: a hit
            ++arrived;
            for (int i = 0; i < rounds; ++i) check(f.cache.try_get_by_key("khot"));
        });
    while (arrived < readers) std::this_thread::yield();
    std::thread writer([&] {
        asio::io_context wioc;
        for (int n = 0; !stop; ++n) {
            const std::string id = n % 8 ? "w" + std::to_string(n % 32) : "hot";
            auto fut = asio::co_spawn(wioc, f.cache.find_by_id(id), asio::use_future);
            wioc.restart();
            wioc.run();
            ++writer_lookups;
            if (!fut.get().found()) ++wrong;
            if (n % 7 == 0 && id != "hot") f.cache.invalidate(id);
        }
    });
    for (auto& t : pool) t.join();
    stop = true;
    writer.join();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(reader_hits >= readers);
    const auto s = f.cache.stats();
    // The writer's lookups were each a hit or a miss; try_get counts its hits only.
    const auto writer_hits = std::uint64_t(writer_lookups) - (s.misses - before.misses);
    BOOST_TEST(s.hits - before.hits == std::uint64_t(reader_hits) + writer_hits);
    BOOST_TEST(s.negative_hits == before.negative_hits);
    BOOST_TEST_MESSAGE("hits: " << reader_hits << " by readers, " << writer_hits << " by the writer; "
                                << s.evictions - before.evictions << " evictions");
}

BOOST_AUTO_TEST_SUITE_END()

// Refresh-ahead (CacheConfig::refresh_after) on the manual clock: a hit on an app read longer ago
// than refresh_after is answered from memory and starts one background re-read by id.
BOOST_AUTO_TEST_SUITE(refresh)

namespace {

pws::CacheConfig refreshing() {
    auto c = config();
    c.ttl = -1s;  // soketi's default: without refresh-ahead a change would never be seen
    c.refresh_after = 60s;
    return c;
}

// What on_change() was called with.
struct change_log {
    struct call {
        pws::App before;
        pws::find_result after;
        bool on_the_io_context;
    };
    std::vector<call> calls;
    void watch(cache_t& cache, asio::io_context& ioc) {
        cache.on_change([this, &ioc](const pws::App& before, const pws::find_result& after) {
            calls.push_back({before, after, ioc.get_executor().running_in_this_thread()});
        });
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(due_only_after_refresh_after) {
    fixture f(refreshing());
    auto first = f.by_id("a");
    BOOST_TEST_REQUIRE(first.found());
    manual_clock::advance(59s);
    BOOST_TEST(f.by_id("a").app.get() == first.app.get());
    BOOST_TEST(f.by_key("ka").app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 1);
    manual_clock::advance(2s);  // read 61 s ago: due
    BOOST_TEST(f.cache.try_get_by_id("a").has_value());  // a peek never starts a refresh
    BOOST_TEST(f.driver.calls() == 1);
    BOOST_TEST(f.cache.stats().refreshes == 0u);
    auto r = f.by_key("ka");  // from memory; run() also runs the refresh it started
    BOOST_TEST(r.app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 2);
    auto s = f.cache.stats();
    BOOST_TEST(s.refreshes == 1u);
    BOOST_TEST(s.requests == 2u);
    BOOST_TEST(s.misses == 1u);  // the refresh is no miss
    BOOST_TEST(s.refresh_changes == 0u);
    BOOST_TEST(s.refresh_failures == 0u);
    BOOST_TEST(f.cache.refreshes_in_flight() == 0u);
    // An unchanged answer keeps the app object; read now, it is due again in 60 s, not before.
    BOOST_TEST(f.cache.try_get_by_id("a")->app.get() == first.app.get());
    manual_clock::advance(59s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 2);
    manual_clock::advance(2s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 3);
    BOOST_TEST(f.cache.stats().refreshes == 2u);
    BOOST_TEST(f.by_id("b").found());  // another app: its own read, its own clock
    BOOST_TEST(f.driver.calls() == 4);
}

BOOST_AUTO_TEST_CASE(off_with_zero) {
    auto c = refreshing();
    c.refresh_after = 0s;
    fixture f(c);
    BOOST_TEST(f.by_id("a").found());
    manual_clock::advance(24h * 365);
    for (int i = 0; i < 10; ++i) BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 1);
    BOOST_TEST(f.cache.stats().refreshes == 0u);
}

BOOST_AUTO_TEST_CASE(the_hit_does_not_wait_for_the_refresh) {
    fixture f(refreshing());
    auto first = f.by_id("a");
    manual_clock::advance(61s);
    f.driver.hold();
    pws::find_result r;
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { r = co_await f.cache.find_by_id("a"); },
                   asio::detached);
    f.ioc.restart();  // run() left it stopped
    f.ioc.poll();
    BOOST_TEST(r.app.get() == first.app.get());  // answered while its refresh waits in the driver
    BOOST_TEST(f.driver.held_requests() == 1u);
    BOOST_TEST(f.cache.refreshes_in_flight() == 1u);
    f.driver.release();
    f.ioc.run();
    BOOST_TEST(f.cache.refreshes_in_flight() == 0u);
    BOOST_TEST(f.driver.calls() == 2);
}

BOOST_AUTO_TEST_CASE(one_request_for_1000_concurrent_hits_on_a_due_entry) {
    fixture f(refreshing());
    auto first = f.by_id("a");
    manual_clock::advance(61s);
    f.driver.hold();
    constexpr int n = 1000;
    std::vector<pws::find_result> got(n);
    for (int i = 0; i < n; ++i)
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            if (i % 2) got[i] = co_await f.cache.find_by_id("a");
            else got[i] = co_await f.cache.find_by_key("ka");
        }, asio::detached);
    f.ioc.restart();
    f.ioc.poll();  // every hit is answered; the one refresh waits in the driver
    for (auto& r : got) BOOST_TEST(r.app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.driver.held_requests() == 1u);
    BOOST_TEST(f.cache.stats().refreshes == 1u);
    f.driver.release();
    f.ioc.run();
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().hits == std::uint64_t(n));
}

BOOST_AUTO_TEST_CASE(a_due_hit_whose_awaitable_is_dropped_loses_no_refresh) {
    // A hit is answered when find_by_* is called, but a due one claims its refresh only when its
    // awaitable runs: one dropped unawaited (a connection closed meanwhile) leaves the refresh to
    // the next hit, which starts it, and is neither a hit nor a request.
    fixture f(refreshing());
    auto first = f.by_id("a");
    const auto before = f.cache.stats();
    manual_clock::advance(61s);
    {
        auto dropped_id = f.cache.find_by_id("a");
        auto dropped_key = f.cache.find_by_key("ka");
    }
    f.ioc.restart();
    f.ioc.poll();
    BOOST_TEST(f.driver.calls() == 1);
    BOOST_TEST(f.cache.stats().refreshes == before.refreshes);
    BOOST_TEST(f.cache.stats().hits == before.hits);
    auto again = f.by_key("ka");  // runs the io_context: the refresh it starts completes
    BOOST_TEST(again.app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().refreshes == before.refreshes + 1);
    BOOST_TEST(f.cache.stats().hits == before.hits + 1);
    // A fresh hit's awaitable dropped unawaited: answered (and counted) at the call, nothing else.
    {
        auto dropped = f.cache.find_by_id("a");
    }
    BOOST_TEST(f.cache.stats().hits == before.hits + 2);
    BOOST_TEST(f.driver.calls() == 2);
}

BOOST_AUTO_TEST_CASE(one_request_for_1000_hits_on_four_threads) {
    fixture f(refreshing());
    BOOST_TEST(f.by_id("a").found());
    manual_clock::advance(61s);
    constexpr int n = 1000;
    std::atomic<int> wrong{0};
    for (int i = 0; i < n; ++i)
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            pws::find_result r;
            if (i % 2) r = co_await f.cache.find_by_id("a");
            else r = co_await f.cache.find_by_key("ka");
            if (!r.found() || r.app->id != "a") ++wrong;
        }, asio::detached);
    f.ioc.restart();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { f.ioc.run(); });
    for (auto& t : threads) t.join();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().refreshes == 1u);
    BOOST_TEST(f.cache.refreshes_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(a_changed_key_moves_the_key_index) {
    fixture f(refreshing());
    BOOST_TEST(f.by_key("ka").found());
    f.driver.put(make_app("a", "ka2"));
    manual_clock::advance(61s);
    BOOST_TEST(f.by_key("ka").app->key == "ka");  // from memory; the refresh runs after it
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());
    auto moved = f.cache.try_get_by_key("ka2");
    BOOST_TEST_REQUIRE(moved.has_value());
    BOOST_TEST(moved->app->id == "a");
    BOOST_TEST(f.cache.try_get_by_id("a")->app.get() == moved->app.get());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().entries == 1u);
    BOOST_TEST(f.cache.stats().refresh_changes == 1u);
    BOOST_TEST(f.by_key("ka").not_found());  // the old key: asked, and gone from the table too
    BOOST_TEST(f.driver.calls() == 3);
}

BOOST_AUTO_TEST_CASE(a_disabled_app_is_seen_disabled_after_the_refresh) {
    fixture f(refreshing());
    BOOST_TEST(f.by_key("ka").app->enabled);
    auto off = make_app("a", "ka");
    off.enabled = false;
    off.secret = "rotated";
    f.driver.put(off);
    manual_clock::advance(30s);
    BOOST_TEST(f.by_key("ka").app->enabled);  // not due: no request
    BOOST_TEST(f.driver.calls() == 1);
    manual_clock::advance(31s);
    BOOST_TEST(f.by_key("ka").app->enabled);  // due: this one answers from memory and refreshes
    auto seen = f.by_key("ka");
    BOOST_TEST(!seen.app->enabled);
    BOOST_TEST(seen.app->secret == "rotated");
    BOOST_TEST(f.by_id("a").app.get() == seen.app.get());
    BOOST_TEST(f.driver.calls() == 2);  // exactly one extra request for the refresh
}

BOOST_AUTO_TEST_CASE(a_deleted_app_becomes_a_negative_entry) {
    fixture f(refreshing());
    BOOST_TEST(f.by_id("a").found());
    f.driver.remove("a");
    manual_clock::advance(61s);
    BOOST_TEST(f.by_key("ka").found());  // from memory; the refresh learns it is gone
    auto by_id = f.cache.try_get_by_id("a");
    BOOST_TEST_REQUIRE(by_id.has_value());
    BOOST_TEST(by_id->not_found());                      // a negative entry for its id
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());  // and its key is gone
    auto s = f.cache.stats();
    BOOST_TEST(s.entries == 0u);
    BOOST_TEST(s.negative_entries == 1u);
    BOOST_TEST(s.refresh_changes == 1u);
    BOOST_TEST(f.by_id("a").not_found());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.by_key("ka").not_found());  // asked by key: the table says so too
    BOOST_TEST(f.driver.calls() == 3);
}

BOOST_AUTO_TEST_CASE(a_deleted_app_is_dropped_when_negative_entries_are_off) {
    auto c = refreshing();
    c.negative_ttl = 0s;
    fixture f(c);
    BOOST_TEST(f.by_id("a").found());
    f.driver.remove("a");
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").found());  // from memory
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());
    BOOST_TEST(f.cache.stats().entries == 0u);
    BOOST_TEST(f.cache.stats().negative_entries == 0u);
}

BOOST_AUTO_TEST_CASE(an_error_keeps_the_entry_and_backs_off) {
    auto c = refreshing();
    c.stale_retry = 1s;  // the back-off
    fixture f(c);
    auto first = f.by_id("a");
    manual_clock::advance(61s);
    f.driver.fail_with(pws::error::timeout);
    BOOST_TEST(f.by_id("a").app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 2);  // the refresh failed...
    auto s = f.cache.stats();
    BOOST_TEST(s.refresh_failures == 1u);
    BOOST_TEST(s.errors == 1u);
    BOOST_TEST(s.refresh_changes == 0u);
    BOOST_TEST(f.cache.try_get_by_key("ka")->app.get() == first.app.get());  // ...the entry stays
    manual_clock::advance(500ms);  // within the back-off: no hit starts another
    for (int i = 0; i < 5; ++i) BOOST_TEST(f.by_id("a").app.get() == first.app.get());
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.cache.stats().refreshes == 1u);
    manual_clock::advance(600ms);  // past it: the next hit tries again, once
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_key("ka").found());
    BOOST_TEST(f.driver.calls() == 3);
    BOOST_TEST(f.cache.stats().refresh_failures == 2u);
    f.driver.fail_with({});
    manual_clock::advance(1100ms);
    BOOST_TEST(f.by_id("a").found());  // succeeds: due again only 60 s from now
    BOOST_TEST(f.driver.calls() == 4);
    manual_clock::advance(59s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.driver.calls() == 4);
    BOOST_TEST(f.cache.stats().refresh_failures == 2u);
}

BOOST_AUTO_TEST_CASE(an_invalidation_during_a_refresh_wins_and_a_miss_joins_it) {
    fixture f(refreshing());
    change_log log;
    log.watch(f.cache, f.ioc);
    BOOST_TEST(f.by_id("a").found());
    auto rotated = make_app("a", "ka");
    rotated.secret = "rotated";
    f.driver.put(rotated);
    manual_clock::advance(61s);
    f.driver.hold();
    pws::find_result hit, joined;
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { hit = co_await f.cache.find_by_key("ka"); },
                   asio::detached);
    f.ioc.restart();
    f.ioc.poll();  // the hit is answered; its refresh waits in the driver
    BOOST_TEST(hit.app->secret == "a-secret");
    BOOST_TEST(f.driver.held_requests() == 1u);
    BOOST_TEST(f.cache.invalidate("a"));  // e.g. an operator changed the app meanwhile
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { joined = co_await f.cache.find_by_id("a"); },
                   asio::detached);
    f.ioc.poll();  // a miss of that id: it joins the refresh's request
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.driver.held_requests() == 1u);
    f.driver.release();
    f.ioc.run();
    BOOST_TEST_REQUIRE(joined.found());
    BOOST_TEST(joined.app->secret == "rotated");  // the refresh's answer...
    BOOST_TEST(!f.cache.try_get_by_id("a").has_value());  // ...not kept: the invalidation wins
    BOOST_TEST(!f.cache.try_get_by_key("ka").has_value());
    auto s = f.cache.stats();
    BOOST_TEST(s.coalesced == 1u);
    BOOST_TEST(s.requests == 2u);
    BOOST_TEST(log.calls.size() == 1u);  // what the refresh learnt is still reported
    BOOST_TEST(f.by_id("a").app->secret == "rotated");  // read again
    BOOST_TEST(f.driver.calls() == 3);
}

BOOST_AUTO_TEST_CASE(a_refresh_joins_a_miss_in_flight) {
    fixture f(refreshing());
    BOOST_TEST(f.by_id("a").found());
    manual_clock::advance(61s);
    f.driver.hold();
    pws::find_result hit, missed;
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> {
        hit = co_await f.cache.find_by_key("ka");  // due: claims the refresh, which is queued
        f.cache.invalidate("a");
        missed = co_await f.cache.find_by_id("a");  // a miss of that id sends its request first
    }, asio::detached);
    f.ioc.restart();
    f.ioc.poll();  // then the refresh starts, and joins that request
    BOOST_TEST(f.driver.calls() == 2);
    BOOST_TEST(f.driver.held_requests() == 1u);
    BOOST_TEST(f.cache.requests_in_flight() == 2u);  // the miss's request, and the refresh that joined it
    f.driver.release();
    f.ioc.run();
    BOOST_TEST(hit.found());
    BOOST_TEST(missed.found());
    BOOST_TEST(f.driver.calls() == 2);
    auto s = f.cache.stats();
    BOOST_TEST(s.refreshes == 1u);
    BOOST_TEST(s.requests == 2u);
    BOOST_TEST(f.cache.try_get_by_id("a").has_value());  // the miss's answer, kept
    BOOST_TEST(f.cache.refreshes_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(the_change_hook_is_called_once_per_changed_answer) {
    fixture f(refreshing());
    change_log log;
    log.watch(f.cache, f.ioc);
    auto a0 = f.by_id("a");
    BOOST_TEST(f.by_id("b").found());
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_id("b").found());
    BOOST_TEST(f.driver.calls() == 4);
    BOOST_TEST(log.calls.empty());  // two unchanged answers
    auto a1 = make_app("a", "ka");
    a1.max_connections = 10;  // a limit
    f.driver.put(a1);
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").found());
    BOOST_TEST(f.by_id("a").found());  // the refreshed entry: not due
    BOOST_TEST_REQUIRE(log.calls.size() == 1u);
    BOOST_TEST((log.calls[0].before == *a0.app));
    BOOST_TEST_REQUIRE(log.calls[0].after.found());
    BOOST_TEST(log.calls[0].after.app->max_connections == 10);
    BOOST_TEST(log.calls[0].on_the_io_context);
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").found());  // unchanged since
    BOOST_TEST(log.calls.size() == 1u);
    f.driver.remove("b");
    BOOST_TEST(f.by_key("kb").found());
    BOOST_TEST_REQUIRE(log.calls.size() == 2u);
    BOOST_TEST(log.calls[1].before.id == "b");
    BOOST_TEST(log.calls[1].after.not_found());
    f.driver.fail_with(pws::error::timeout);
    manual_clock::advance(61s);
    BOOST_TEST(f.by_id("a").found());  // an error is no change
    BOOST_TEST(log.calls.size() == 2u);
    auto s = f.cache.stats();
    BOOST_TEST(s.refreshes == 6u);
    BOOST_TEST(s.refresh_changes == 2u);
    BOOST_TEST(s.refresh_failures == 1u);
}

BOOST_AUTO_TEST_CASE(ttl_and_max_stale_keep_their_meaning) {
    {  // refresh_after < ttl: a refreshed app is fresh for a new ttl, so one in use never expires
        auto c = config();  // ttl 60 s
        c.refresh_after = 30s;
        fixture f(c);
        BOOST_TEST(f.by_id("a").found());
        manual_clock::advance(31s);
        BOOST_TEST(f.by_id("a").found());  // refreshed
        BOOST_TEST(f.driver.calls() == 2);
        manual_clock::advance(54s);  // 85 s after the first read, 54 s after the refresh
        BOOST_TEST(f.cache.try_get_by_id("a").has_value());
        BOOST_TEST(f.by_id("a").found());  // due again
        BOOST_TEST(f.driver.calls() == 3);
        BOOST_TEST(f.cache.stats().misses == 1u);
    }
    {  // refresh_after >= ttl: never a refresh, the app expires and is read on a miss
        auto c = config();
        c.refresh_after = 60s;
        fixture f(c);
        BOOST_TEST(f.by_id("a").found());
        manual_clock::advance(59s);
        BOOST_TEST(f.by_id("a").found());
        BOOST_TEST(f.driver.calls() == 1);
        manual_clock::advance(2s);
        BOOST_TEST(f.by_id("a").found());
        BOOST_TEST(f.driver.calls() == 2);
        auto s = f.cache.stats();
        BOOST_TEST(s.refreshes == 0u);
        BOOST_TEST(s.misses == 2u);
    }
    {  // a failed refresh, then expiry: stale-if-error as without refresh-ahead
        auto c = config();
        c.refresh_after = 30s;
        fixture f(c);
        auto first = f.by_id("a");
        f.driver.fail_with(pws::dynamodb_errc::service_unavailable);
        manual_clock::advance(31s);
        BOOST_TEST(f.by_id("a").app.get() == first.app.get());  // fresh: the refresh fails
        BOOST_TEST(f.cache.stats().refresh_failures == 1u);
        manual_clock::advance(30s);  // expired
        auto stale = f.by_id("a");
        BOOST_TEST(stale.app.get() == first.app.get());
        auto s = f.cache.stats();
        BOOST_TEST(s.stale_served == 1u);
        BOOST_TEST(s.refreshes == 1u);
        BOOST_TEST(f.driver.calls() == 3);
        manual_clock::advance(300s);  // past ttl + max_stale
        BOOST_TEST(f.by_id("a").ec == pws::dynamodb_errc::service_unavailable);
    }
}

// The lifetime rule: a refresh holds only the cache's shared state. One still queued, waiting in
// the driver, or destroyed there, when the cache is destroyed ends without touching the cache or
// calling the hook (the driver's backend, like a well-behaved driver's requests, outlives it).
BOOST_AUTO_TEST_CASE(a_refresh_in_flight_when_the_cache_is_destroyed_ends_without_it) {
    auto backend = std::make_shared<pws::test::fake_backend>();
    for (auto id : {"a", "b"}) backend->put(make_app(id, std::string("k") + id));
    asio::io_context ioc;
    int hook_calls = 0;
    {
        cache_t cache(refreshing(), ioc.get_executor(), backend);
        cache.on_change([&](const pws::App&, const pws::find_result&) { ++hook_calls; });
        for (auto id : {"a", "b"}) BOOST_TEST(run(ioc, [&] { return cache.find_by_id(id); }).found());
        backend->put(make_app("a", "ka-new"));  // a refresh that got to the end would call the hook
        backend->remove("b");
        manual_clock::advance(61s);
        backend->hold();
        asio::co_spawn(ioc, cache.find_by_id("a"), asio::detached);
        ioc.restart();
        ioc.poll();  // a's refresh waits in the driver
        BOOST_TEST(backend->held_requests() == 1u);
        asio::co_spawn(ioc, cache.find_by_id("b"), asio::detached);
        ioc.run_one();  // b's lookup: it answers and queues b's refresh, which does not start
        BOOST_TEST(cache.refreshes_in_flight() == 2u);
        BOOST_TEST(backend->calls() == 3);
    }
    backend->release();
    ioc.restart();
    ioc.run();  // a's refresh gets its answer, b's starts: both find the cache gone
    BOOST_TEST(hook_calls == 0);
    BOOST_TEST(backend->calls() == 3);  // b's refresh sent nothing
    BOOST_TEST(backend.use_count() == 1);  // every frame is gone
}

BOOST_AUTO_TEST_CASE(a_refresh_destroyed_in_its_driver_after_the_cache_is_gone) {
    auto backend = std::make_shared<pws::test::fake_backend>();
    backend->put(make_app("a", "ka"));
    asio::io_context ioc;
    int hook_calls = 0;
    pws::find_result joined;
    {
        cache_t cache(refreshing(), ioc.get_executor(), backend);
        cache.on_change([&](const pws::App&, const pws::find_result&) { ++hook_calls; });
        BOOST_TEST(run(ioc, [&] { return cache.find_by_id("a"); }).found());
        backend->remove("a");
        manual_clock::advance(61s);
        backend->hold();
        asio::co_spawn(ioc, cache.find_by_key("ka"), asio::detached);
        ioc.restart();
        ioc.poll();  // the refresh waits in the driver, leading a flight
        BOOST_TEST(backend->held_requests() == 1u);
        BOOST_TEST(cache.refreshes_in_flight() == 1u);
    }
    backend->drop_held();  // its coroutine is destroyed where it waits
    ioc.restart();
    ioc.run();
    BOOST_TEST(hook_calls == 0);
    BOOST_TEST(backend.use_count() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
