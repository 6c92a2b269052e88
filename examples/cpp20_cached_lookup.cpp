// A cache in front of DynamoDB: the first lookup of a key asks the table, the next ones are
// answered from memory. Concurrent misses of one key share one request (single-flight).
//
//   APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 ./cpp20_cached_lookup app-key
#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

using Apps = pws::AppManager<pws::Cached<pws::DynamoDbPolicy>>;

boost::asio::awaitable<void> lookups(Apps& apps, std::string key) {
    for (int i = 0; i < 3; ++i) {
        pws::find_result r = co_await apps.find_by_key(key);
        if (r.failed()) {
            std::cout << "lookup failed: " << r.ec.message() << ": " << r.diagnostic << "\n";
            co_return;
        }
        std::cout << "lookup " << i + 1 << ": " << (r.found() ? "app " + r.app->id : "no such app") << "\n";
    }
    pws::cache_stats s = apps.policy().stats();
    std::cout << "cache: " << s.hits << " hits, " << s.negative_hits << " negative hits, " << s.misses
              << " misses, " << s.requests << " DynamoDB requests\n";
}

int main(int argc, char** argv) {
    // from_env() reads soketi's APP_MANAGER_CACHE_* variables; this example turns the cache on
    // whatever they say, with a one-minute TTL.
    pws::CacheConfig cache = pws::CacheConfig::from_env();
    cache.enabled = true;
    cache.ttl = std::chrono::seconds(60);

    boost::asio::io_context ioc;
    Apps apps(cache, ioc.get_executor(), pws::DynamoDbConfig::from_env());
    boost::asio::co_spawn(ioc, lookups(apps, argc > 1 ? argv[1] : "app-key"), boost::asio::detached);
    ioc.run();
}
