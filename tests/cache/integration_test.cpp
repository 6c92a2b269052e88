// Cached<DynamoDbPolicy> against a real local DynamoDB (dynalite, seeded by the cache_dynalite
// fixture with 13 apps and one broken item) behind tests/support/fault_front.hpp, which counts
// the requests that reach it and can refuse connections. Expiry uses the manual clock: no sleeping.
#define BOOST_TEST_MODULE pws_cache_integration_tests
#include "cache/cache_support.hpp"
#include "support/fault_front.hpp"
#include "support/test_support.hpp"

#include <pws/app_manager.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pws::test::manual_clock;

namespace {

using pws::test::dynalite_port;
using pws::test::run;

using cache_t = pws::Cached<pws::DynamoDbPolicy, manual_clock>;


pws::DynamoDbConfig dynamodb(const pws::test::fault_front& front) {
    pws::DynamoDbConfig c;
    c.endpoint = front.endpoint();
    c.credentials = pws::aws::credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    c.max_attempts = 1;           // a refused request fails at once (stale-if-error is the cache's job)
    c.max_idle_connections = 0;   // every request connects: set_down() then refuses it
    return c;
}

pws::CacheConfig caching() {
    pws::CacheConfig c;
    c.enabled = true;
    c.ttl = 60s;
    c.negative_ttl = 5s;
    c.max_stale = 300s;
    return c;
}


struct fixture {
    asio::io_context ioc;
    pws::test::fault_front front{"127.0.0.1", dynalite_port()};
    cache_t cache;
    explicit fixture(pws::CacheConfig c = caching(), std::size_t max_response_bytes = 0)
        : cache(c, ioc.get_executor(), [&] {
              auto d = dynamodb(front);
              if (max_response_bytes) d.max_response_bytes = max_response_bytes;
              return d;
          }()) {}
    pws::find_result by_id(std::string id) { return run(ioc, [&] { return cache.find_by_id(id); }); }
    pws::find_result by_key(std::string key) { return run(ioc, [&] { return cache.find_by_key(key); }); }
    int scans() const {
        int n = 0;
        for (auto& t : front.targets()) n += t == "DynamoDB_20120810.Scan";
        return n;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cache_dynamodb)

BOOST_AUTO_TEST_CASE(n_concurrent_misses_send_one_request) {
    fixture f;
    constexpr int n = 64;
    std::vector<pws::find_result> by_id(n), by_key(n);
    for (int i = 0; i < n; ++i) {
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            by_id[i] = co_await f.cache.find_by_id("cache-app-01");
        }, asio::detached);
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            by_key[i] = co_await f.cache.find_by_key("cache-key-02");
        }, asio::detached);
    }
    f.ioc.poll();  // all 128 lookups start (and wait) before any answer can come back
    std::thread t([&] { f.ioc.run(); });
    f.ioc.run();
    t.join();
    for (int i = 0; i < n; ++i) {
        BOOST_TEST_REQUIRE(by_id[i].found(), by_id[i].diagnostic);
        BOOST_TEST(by_id[i].app->max_connections == 1);
        BOOST_TEST_REQUIRE(by_key[i].found(), by_key[i].diagnostic);
        BOOST_TEST(by_key[i].app->id == "cache-app-02");
    }
    BOOST_TEST(f.front.requests() == 2);  // one GetItem, one Query
    auto s = f.cache.stats();
    BOOST_TEST(s.coalesced == std::uint64_t(2 * n - 2));
    BOOST_TEST(s.requests == 2u);
}

BOOST_AUTO_TEST_CASE(expiry) {
    fixture f;
    BOOST_TEST(f.by_id("cache-app-03").found());
    BOOST_TEST(f.by_key("cache-key-03").found());  // the same entry
    BOOST_TEST(f.front.requests() == 1);
    manual_clock::advance(59s);
    BOOST_TEST(f.by_id("cache-app-03").found());
    BOOST_TEST(f.front.requests() == 1);
    manual_clock::advance(2s);
    BOOST_TEST(f.by_key("cache-key-03").found());
    BOOST_TEST(f.front.requests() == 2);
    std::uint64_t timed = 0;
    for (auto n : f.cache.stats().latency) timed += n;
    BOOST_TEST(timed == 2u);  // both requests are in the histogram
}

BOOST_AUTO_TEST_CASE(negative_ttl) {
    fixture f;
    BOOST_TEST(f.by_key("no-such-cache-key").not_found());
    BOOST_TEST(f.by_id("cache-app-05").found());
    for (int i = 0; i < 10; ++i) BOOST_TEST(f.by_key("no-such-cache-key").not_found());
    BOOST_TEST(f.front.requests() == 2);
    manual_clock::advance(6s);  // past the negative TTL, well within the TTL
    BOOST_TEST(f.by_key("no-such-cache-key").not_found());
    BOOST_TEST(f.by_id("cache-app-05").found());
    BOOST_TEST(f.front.requests() == 3);
    BOOST_TEST(f.cache.stats().negative_hits == 10u);
}

BOOST_AUTO_TEST_CASE(stale_if_error_while_the_front_is_down) {
    fixture f;
    auto fresh = f.by_id("cache-app-04");
    BOOST_TEST_REQUIRE(fresh.found(), fresh.diagnostic);
    f.front.set_down(true);
    manual_clock::advance(61s);
    const int before = f.front.connections();
    auto stale = f.by_id("cache-app-04");
    BOOST_TEST_REQUIRE(stale.found(), stale.ec.message() + ": " + stale.diagnostic);
    BOOST_TEST(stale.app.get() == fresh.app.get());
    BOOST_TEST(f.front.connections() > before);  // it did try
    auto s = f.cache.stats();
    BOOST_TEST(s.stale_served == 1u);
    BOOST_TEST(s.errors == 1u);
    // An app never fetched has nothing to fall back on: the error reaches the caller.
    auto unknown = f.by_id("cache-app-06");
    BOOST_TEST(unknown.failed());
    manual_clock::advance(301s);  // past ttl + max_stale
    auto too_old = f.by_key("cache-key-04");
    BOOST_TEST(too_old.failed(), too_old.diagnostic);
    f.front.set_down(false);
    BOOST_TEST(f.by_key("cache-key-04").found());
}

BOOST_AUTO_TEST_CASE(preload_reads_every_page) {
    auto c = caching();
    c.preload_page_size = 4;  // 14 items: four pages
    fixture f(c);
    auto r = run(f.ioc, [&] { return f.cache.preload(); });
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.pages >= 4u);
    BOOST_TEST(f.scans() == int(r.pages));
    BOOST_TEST(r.apps == 13u);  // soketi's seed app and cache-app-01..12
    BOOST_TEST(r.malformed == 1u);
    BOOST_TEST(f.cache.size() == 13u);
    const int requests = f.front.requests();
    for (int i = 1; i <= 12; ++i) {
        char id[32], key[32];
        std::snprintf(id, sizeof id, "cache-app-%02d", i);
        std::snprintf(key, sizeof key, "cache-key-%02d", i);
        BOOST_TEST(f.by_id(id).found());
        auto k = f.by_key(key);
        BOOST_TEST_REQUIRE(k.found());
        BOOST_TEST(k.app->id == id);
    }
    BOOST_TEST(f.by_key("app-key").found());
    BOOST_TEST(f.front.requests() == requests);  // every lookup was a memory hit
    auto broken = f.by_id("cache-broken");       // left to the driver, which says what is wrong
    BOOST_TEST(broken.ec == pws::error::malformed_item);
    BOOST_TEST(f.cache.stats().preload_malformed == 1u);

    // An app deleted from the table is dropped by the next complete preload.
    auto& client = f.cache.inner().client();
    auto put = [&](std::string op, std::string body) {
        return run(f.ioc, [&]() { return client.call(op, body); });
    };
    boost::json::object item = pws::dynamodb::encode_app(pws::test::make_app("cache-temp", "cache-temp-key"));
    auto w = put("PutItem",
                 boost::json::serialize(boost::json::object{{"TableName", "apps"}, {"Item", item}}));
    BOOST_TEST_REQUIRE(!w.ec, w.diagnostic);
    BOOST_TEST(run(f.ioc, [&] { return f.cache.preload(); }).apps == 14u);
    BOOST_TEST(f.cache.try_get_by_key("cache-temp-key").has_value());
    w = put("DeleteItem", R"({"TableName":"apps","Key":{"AppId":{"S":"cache-temp"}}})");
    BOOST_TEST_REQUIRE(!w.ec, w.diagnostic);
    auto again = run(f.ioc, [&] { return f.cache.preload(); });
    BOOST_TEST(again.dropped == 1u);
    BOOST_TEST(!f.cache.try_get_by_id("cache-temp").has_value());
    BOOST_TEST(!f.cache.try_get_by_key("cache-temp-key").has_value());
}

// DynamoDB's 1 MB page counts item bytes; its JSON can be several times larger and over the
// client's cap. The preload then asks for the same page again with a smaller Limit, not fail.
BOOST_AUTO_TEST_CASE(preload_asks_again_smaller_when_a_page_is_too_large) {
    auto c = caching();
    c.preload_page_size = 0;   // DynamoDB's own pages: the whole 14-item table at once
    fixture f(c, 1024);        // but no response over 1 KiB (the table is ~2 KiB)
    auto r = run(f.ioc, [&] { return f.cache.preload(); });
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.apps == 13u);
    BOOST_TEST(r.malformed == 1u);
    BOOST_TEST(f.scans() > int(r.pages));  // some pages were asked for more than once
    BOOST_TEST(r.pages > 1u);
    BOOST_TEST(f.by_key("cache-key-07").found());

    // A cap no single item fits in: retried down to Limit 1, then the error, not a loop.
    fixture tiny(c, 64);
    auto t = run(tiny.ioc, [&] { return tiny.cache.preload(); });
    BOOST_TEST((t.ec == pws::error::response_too_large), t.diagnostic);
    BOOST_TEST(tiny.scans() <= 12);  // unlimited, 1000, 500, ..., 1
}

BOOST_AUTO_TEST_CASE(preload_loop_started_by_the_config) {
    auto c = caching();
    c.preload = true;
    c.preload_interval = 3600s;
    c.preload_page_size = 5;
    fixture f(c);  // the constructor starts it; it runs when the io_context does
    std::thread t([&] { f.ioc.run(); });
    for (int i = 0; i < 500 && f.cache.stats().preload_runs == 0; ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(f.cache.stats().preload_runs == 1u);
    f.cache.stop_preload();  // wakes the loop from its hour-long wait: run() returns
    t.join();
    BOOST_TEST(f.cache.size() == 13u);
    BOOST_TEST(f.cache.try_get_by_key("cache-key-07").has_value());
}

BOOST_AUTO_TEST_CASE(through_app_manager_any_token) {
    asio::io_context ioc;
    pws::test::fault_front front("127.0.0.1", dynalite_port());
    pws::AppManager<cache_t> apps(caching(), ioc.get_executor(), dynamodb(front));
    int found = 0;
    for (int i = 0; i < 10; ++i)
        apps.async_find_by_key("cache-key-08", [&](pws::find_result r) { found += r.found(); });
    ioc.run();  // the handlers have no executor: AppManager falls back to Cached's, the driver's
    BOOST_TEST(found == 10);
    BOOST_TEST(front.requests() == 1);
}

// Refresh-ahead: a long-running AppManager<Cached<DynamoDbPolicy>> with ttl -1 (soketi's
// default) sees an app disabled in the table within refresh_after and one lookup, with exactly
// one request more per refresh (counted by its client; the table is written through another).
BOOST_AUTO_TEST_CASE(refresh_ahead_sees_an_app_disabled_in_the_table) {
    asio::io_context ioc;
    pws::test::fault_front front("127.0.0.1", dynalite_port());
    auto c = caching();
    c.ttl = -1s;
    c.refresh_after = 1s;
    pws::AppManager<cache_t> apps(c, ioc.get_executor(), dynamodb(front));
    auto& cache = apps.policy();
    auto reads = [&] { return cache.inner().client().stats().requests; };
    std::vector<std::pair<pws::App, pws::find_result>> changes;
    cache.on_change([&](const pws::App& before, const pws::find_result& after) {
        changes.emplace_back(before, after);
    });

    pws::dynamodb::client writer(ioc.get_executor(), dynamodb(front));
    auto call = [&](std::string op, std::string body) {
        auto w = run(ioc, [&]() { return writer.call(op, body); });
        BOOST_TEST_REQUIRE(!w.ec, op << ": " << w.diagnostic);
    };
    auto write = [&](const pws::App& a) {
        boost::json::object put{{"TableName", "apps"}, {"Item", pws::dynamodb::encode_app(a)}};
        call("PutItem", boost::json::serialize(put));
    };
    auto by_key = [&] { return run(ioc, [&] { return apps.find_by_key("cache-refresh-key"); }); };
    auto by_id = [&] { return run(ioc, [&] { return apps.find_by_id("cache-refresh"); }); };

    auto app = pws::test::make_app("cache-refresh", "cache-refresh-key");
    write(app);
    auto first = by_key();
    BOOST_TEST_REQUIRE(first.found(), first.diagnostic);
    BOOST_TEST(first.app->enabled);
    const auto base = reads();  // the Query
    BOOST_TEST(base == 1u);

    app.enabled = false;
    write(app);  // disabled in the table
    manual_clock::advance(500ms);
    BOOST_TEST(by_key().app->enabled);  // not due: memory, no request
    BOOST_TEST(reads() == base);
    manual_clock::advance(600ms);  // read 1.1 s ago: due
    auto due = by_key();           // run() runs the io_context to completion: the refresh too
    BOOST_TEST(due.app->enabled);  // this lookup was answered from memory...
    BOOST_TEST(reads() == base + 1);  // ...and started one GetItem
    auto after = by_key();
    BOOST_TEST_REQUIRE(after.found());
    BOOST_TEST(!after.app->enabled);  // the next one sees it disabled
    BOOST_TEST(by_id().app.get() == after.app.get());
    BOOST_TEST(reads() == base + 1);
    BOOST_TEST_REQUIRE(changes.size() == 1u);
    BOOST_TEST(changes[0].first.enabled);
    BOOST_TEST(!changes[0].second.app->enabled);

    // Unchanged in the table: one request per refresh_after and lookup, the same app kept.
    for (std::uint64_t round = 2; round <= 4; ++round) {
        manual_clock::advance(1100ms);
        BOOST_TEST(by_key().app.get() == after.app.get());
        BOOST_TEST(reads() == base + round);
        BOOST_TEST(by_id().app.get() == after.app.get());  // refreshed: not due
        BOOST_TEST(reads() == base + round);
    }

    // 1,000 lookups at once on a due entry, on two threads: one request.
    manual_clock::advance(1100ms);
    constexpr int n = 1000;
    std::atomic<int> wrong{0};
    for (int i = 0; i < n; ++i)
        asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
            pws::find_result r;
            if (i % 2) r = co_await apps.find_by_key("cache-refresh-key");
            else r = co_await apps.find_by_id("cache-refresh");
            if (!r.found() || r.app->enabled) ++wrong;
        }, asio::detached);
    ioc.restart();
    std::thread t([&] { ioc.run(); });
    ioc.run();
    t.join();
    BOOST_TEST(wrong == 0);
    BOOST_TEST(reads() == base + 5);

    // Deleted from the table: the next refresh leaves a negative entry for its id.
    call("DeleteItem", R"({"TableName":"apps","Key":{"AppId":{"S":"cache-refresh"}}})");
    manual_clock::advance(1100ms);
    BOOST_TEST(by_key().found());  // memory; its refresh finds the app gone
    BOOST_TEST(reads() == base + 6);
    BOOST_TEST(by_id().not_found());  // the negative entry: no request
    BOOST_TEST(reads() == base + 6);
    BOOST_TEST(by_key().not_found());  // the key was dropped: asked, and gone
    BOOST_TEST(reads() == base + 7);
    BOOST_TEST(changes.size() == 2u);
    auto s = cache.stats();
    BOOST_TEST(s.refreshes == 6u);
    BOOST_TEST(s.refresh_changes == 2u);
    BOOST_TEST(s.refresh_failures == 0u);
    BOOST_TEST(s.requests == reads());
    BOOST_TEST(cache.refreshes_in_flight() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
