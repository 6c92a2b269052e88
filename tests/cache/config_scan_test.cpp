// CacheConfig::from_env(), and the sans-io Scan pieces (dynamodb/scan.hpp): no server.
#include <pws/cache_config.hpp>
#include <pws/dynamodb/scan.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace std::chrono_literals;

namespace {

// Sets the variables for one test and unsets them after.
struct env_guard {
    std::vector<std::string> names;
    void set(const std::string& name, const std::string& value) {
        ::setenv(name.c_str(), value.c_str(), 1);
        names.push_back(name);
    }
    ~env_guard() {
        for (auto& n : names) ::unsetenv(n.c_str());
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cache_config)

BOOST_AUTO_TEST_CASE(soketi_defaults) {
    auto c = pws::CacheConfig::from_env();
    BOOST_TEST(c.enabled == false);     // soketi: appManager.cache.enabled = false
    BOOST_TEST(c.ttl.count() == -1);    // soketi: appManager.cache.ttl = -1 (never expires)
    BOOST_TEST(c.refresh_after == 60s); // ours: an app in use is re-read once a minute
    BOOST_TEST(c.preload == false);
}

BOOST_AUTO_TEST_CASE(reads_the_variables) {
    env_guard env;
    env.set("APP_MANAGER_CACHE_ENABLED", "true");
    env.set("APP_MANAGER_CACHE_TTL", "120");
    env.set("SOKETI_APP_MANAGER_CACHE_REFRESH_AFTER", "0");
    env.set("APP_MANAGER_CACHE_NEGATIVE_TTL", "3");
    env.set("APP_MANAGER_CACHE_MAX_STALE", "0");
    env.set("APP_MANAGER_CACHE_MAX_ENTRIES", "500");
    env.set("APP_MANAGER_CACHE_PRELOAD", "1");
    env.set("APP_MANAGER_CACHE_PRELOAD_INTERVAL", "30");
    auto c = pws::CacheConfig::from_env();
    BOOST_TEST(c.enabled);
    BOOST_TEST(c.ttl == 120s);
    BOOST_TEST(c.refresh_after == 0s);
    BOOST_TEST(c.negative_ttl == 3s);
    BOOST_TEST(c.max_stale == 0s);
    BOOST_TEST(c.max_entries == 500u);
    BOOST_TEST(c.preload);
    BOOST_TEST(c.preload_interval == 30s);
}

BOOST_AUTO_TEST_CASE(soketi_prefixed_names_are_read_too) {
    env_guard env;
    env.set("SOKETI_APP_MANAGER_CACHE_ENABLED", "TRUE");
    env.set("SOKETI_APP_MANAGER_CACHE_TTL", "7");
    env.set("APP_MANAGER_CACHE_TTL", "7");  // both spellings, one value: fine
    auto c = pws::CacheConfig::from_env();
    BOOST_TEST(c.enabled);
    BOOST_TEST(c.ttl == 7s);
    // Both spellings with different values: an error naming both, never a silent pick.
    env.set("SOKETI_APP_MANAGER_CACHE_TTL", "-1");
    try {
        (void)pws::CacheConfig::from_env();
        BOOST_FAIL("two different TTLs were accepted");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST((e.code() == pws::error::invalid_config));
        BOOST_TEST(std::string(e.what()).find("SOKETI_APP_MANAGER_CACHE_TTL") != std::string::npos, e.what());
    }
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_read) {
    for (auto [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
             {"APP_MANAGER_CACHE_ENABLED", "yes please"},
             {"APP_MANAGER_CACHE_TTL", "1.5"},
             {"APP_MANAGER_CACHE_TTL", "60s"},
             {"APP_MANAGER_CACHE_NEGATIVE_TTL", "-1"},
             {"APP_MANAGER_CACHE_REFRESH_AFTER", "-1"},
             {"APP_MANAGER_CACHE_REFRESH_AFTER", "1m"},
             {"APP_MANAGER_CACHE_MAX_ENTRIES", "0"}}) {
        env_guard env;
        env.set(name, value);
        try {
            (void)pws::CacheConfig::from_env();
            BOOST_ERROR(std::string(name) + "=" + value + " was accepted");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == pws::error::invalid_config);
            BOOST_TEST(std::string(e.what()).find(name) != std::string::npos, e.what());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scan)

BOOST_AUTO_TEST_CASE(request_bodies) {
    auto first = boost::json::parse(pws::dynamodb::scan{"apps", nullptr, 0}.body()).as_object();
    BOOST_TEST(boost::json::serialize(first) == R"({"TableName":"apps"})");
    boost::json::object start{{"AppId", {{"S", "app-7"}}}};
    auto next = boost::json::parse(pws::dynamodb::scan{"t\"x", &start, 25}.body()).as_object();
    BOOST_TEST(next.at("TableName").as_string() == "t\"x");
    BOOST_TEST(next.at("Limit").as_int64() == 25);
    BOOST_TEST(next.at("ExclusiveStartKey").as_object() == start);
}

BOOST_AUTO_TEST_CASE(a_scan_must_progress) {
    using pws::dynamodb::scan_page;
    auto page = [](std::string id) {
        scan_page p;
        if (!id.empty()) p.last_evaluated_key = {{"AppId", {{"S", id}}}};
        return p;
    };
    std::string diag;
    pws::dynamodb::scan_progress ok;
    BOOST_TEST(!ok.next(page("a"), diag));
    BOOST_TEST(!ok.next(page("b"), diag));
    BOOST_TEST(!ok.next(page(""), diag));  // the last page
    BOOST_TEST(ok.pages() == 3u);

    pws::dynamodb::scan_progress repeated;  // a server answering the same key again
    BOOST_TEST(!repeated.next(page("a"), diag));
    BOOST_TEST(repeated.next(page("a"), diag) == pws::error::malformed_response);
    BOOST_TEST(diag.find("LastEvaluatedKey repeated") != std::string::npos, diag);

    pws::dynamodb::scan_progress cycle;  // a -> b -> a
    BOOST_TEST(!cycle.next(page("a"), diag));
    BOOST_TEST(!cycle.next(page("b"), diag));
    BOOST_TEST(cycle.next(page("a"), diag) == pws::error::malformed_response);

    pws::dynamodb::scan_progress capped(3);  // ever new keys, but no end
    BOOST_TEST(!capped.next(page("1"), diag));
    BOOST_TEST(!capped.next(page("2"), diag));
    BOOST_TEST(capped.next(page("3"), diag) == pws::error::malformed_response);
    BOOST_TEST(diag == "the Scan did not end within 3 pages");
    pws::dynamodb::scan_progress last_at_cap(3);  // the cap's own page may be the last one
    BOOST_TEST(!last_at_cap.next(page("1"), diag));
    BOOST_TEST(!last_at_cap.next(page("2"), diag));
    BOOST_TEST(!last_at_cap.next(page(""), diag));
}

BOOST_AUTO_TEST_CASE(a_page_too_large_is_asked_for_smaller) {
    using pws::dynamodb::scan_progress;
    int limit = 0;  // DynamoDB's 1 MB pages
    std::vector<int> limits;
    while (scan_progress::retry_smaller(pws::error::response_too_large, limit)) limits.push_back(limit);
    BOOST_TEST(limits == (std::vector<int>{1000, 500, 250, 125, 62, 31, 15, 7, 3, 1}), boost::test_tools::per_element());
    limit = 25;  // a page size the caller chose
    BOOST_TEST(scan_progress::retry_smaller(pws::error::response_too_large, limit));
    BOOST_TEST(limit == 12);
    limit = 25;  // any other error is not about the page's size
    BOOST_TEST(!scan_progress::retry_smaller(pws::error::malformed_response, limit));
    BOOST_TEST(!scan_progress::retry_smaller({}, limit));
    BOOST_TEST(limit == 25);
}

BOOST_AUTO_TEST_CASE(a_page_keeps_every_item) {
    auto page = pws::dynamodb::scan::parse(R"({
      "Items": [
        {"AppId": {"S": "a"}, "AppKey": {"S": "ka"}, "AppSecret": {"S": "sa"}, "MaxConnections": {"N": "7"}},
        {"AppId": {"S": "broken"}, "AppKey": {"S": "kb"}, "AppSecret": {"S": "top-secret"},
         "Webhooks": {"S": "[{"}},
        "not an item",
        {"AppKey": {"S": "no-id"}, "AppSecret": {"S": "s"}},
        {"AppId": {"S": "c"}, "AppKey": {"S": "kc"}, "AppSecret": {"S": "sc"}, "Enabled": {"B": "ZmFsc2U="}}
      ],
      "Count": 5, "ScannedCount": 5,
      "LastEvaluatedKey": {"AppId": {"S": "c"}}
    })");
    BOOST_TEST_REQUIRE(!page.ec, page.diagnostic);
    BOOST_TEST_REQUIRE(page.items.size() == 5u);
    BOOST_TEST(page.items[0].ok());
    BOOST_TEST(page.items[0].app->max_connections == 7);
    BOOST_TEST(page.items[1].ec == pws::error::malformed_item);
    BOOST_TEST(page.items[1].id == "broken");
    BOOST_TEST(page.items[1].diagnostic.find("Webhooks") != std::string::npos, page.items[1].diagnostic);
    BOOST_TEST(page.items[1].diagnostic.find("top-secret") == std::string::npos);
    BOOST_TEST(page.items[2].ec == pws::error::malformed_item);
    BOOST_TEST(page.items[2].diagnostic == "Items[2] is not an object");
    BOOST_TEST(page.items[3].ec == pws::error::malformed_item);
    BOOST_TEST(page.items[3].id == "");
    BOOST_TEST(page.items[4].ok());
    BOOST_TEST(page.items[4].app->enabled == false);
    BOOST_TEST(page.more());
    BOOST_TEST(boost::json::serialize(page.last_evaluated_key) == R"({"AppId":{"S":"c"}})");
}

BOOST_AUTO_TEST_CASE(the_last_page) {
    auto page = pws::dynamodb::scan::parse(R"({"Items": [], "Count": 0})");
    BOOST_TEST(!page.ec);
    BOOST_TEST(!page.more());
    page = pws::dynamodb::scan::parse(R"({"Items": [], "LastEvaluatedKey": null})");
    BOOST_TEST(!page.ec);
    BOOST_TEST(!page.more());
}

BOOST_AUTO_TEST_CASE(unusable_pages) {
    for (auto body : {"", "[]", R"({"Items": {}})", R"({"Count": 0})",
                      R"({"Items": [], "LastEvaluatedKey": "x"})", R"({"Items": [ {"AppId": )"}) {
        auto page = pws::dynamodb::scan::parse(body);
        BOOST_TEST(page.ec == pws::error::malformed_response, body);
        BOOST_TEST(!page.diagnostic.empty());
        BOOST_TEST(page.items.empty());
        BOOST_TEST(!page.more());
    }
}

BOOST_AUTO_TEST_SUITE_END()
