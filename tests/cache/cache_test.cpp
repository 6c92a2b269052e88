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
