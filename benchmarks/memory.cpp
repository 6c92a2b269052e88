// pws-bench-memory — resident memory of a process whose cache holds many apps.
//
//   pws-bench-memory [--apps 100000]
//
// Fills a pws::Cached cache (CacheConfig: enabled, max_entries = N) with N apps shaped like the
// seed's item (tests/data/seed_item.json) with distinct ids, keys and secrets ("app-id-000042",
// "app-key-000042", "app-secret-000042"), each decoded by the library's decode_app as a DynamoDB
// lookup would and cached by one find_by_id miss through AppManager<Cached<...>>, as a server's
// lookups fill it. Prints one JSON line: the resident set size before and after, and the
// difference per app (both indexes, the entry, the shared App and the allocator's overhead).
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/find_result.hpp>
#include <pws/policies/cached.hpp>
#include <sstream>
#include <string>

namespace {

long resident_bytes() {
    long pages_total = 0, pages_resident = 0;
    std::ifstream f("/proc/self/statm");
    f >> pages_total >> pages_resident;
    return pages_resident * sysconf(_SC_PAGESIZE);
}

// A driver that makes up the app it is asked for: the seed's item under that id, decoded.
class synthetic_policy {
public:
    explicit synthetic_policy(boost::json::object item) : item_(std::move(item)) {}

    boost::asio::awaitable<pws::find_result> find_by_id(std::string_view id) {
        const std::string_view suffix = id.substr(id.rfind('-'));
        item_["AppId"].as_object()["S"] = id;
        item_["AppKey"].as_object()["S"] = "app-key" + std::string(suffix);
        item_["AppSecret"].as_object()["S"] = "app-secret" + std::string(suffix);
        auto app = std::make_shared<pws::App>();
        std::string diag;
        if (auto ec = pws::dynamodb::decode_app(item_, *app, diag))
            co_return pws::find_result::failure(ec, diag);
        co_return pws::find_result::of(std::move(app));
    }
    boost::asio::awaitable<pws::find_result> find_by_key(std::string_view) {
        co_return pws::find_result::none();
    }

private:
    boost::json::object item_;
};

}  // namespace

int main(int argc, char** argv) {
    long n = 100000;
    if (argc == 3 && std::string(argv[1]) == "--apps")
        n = std::stol(argv[2]);
    else if (argc != 1) {
        std::cerr << "usage: pws-bench-memory [--apps N]\n";
        return 2;
    }

    std::ifstream f(PWS_BENCH_SEED_ITEM);
    std::stringstream ss;
    ss << f.rdbuf();
    boost::json::object item = boost::json::parse(ss.str()).as_object();

    pws::CacheConfig cfg;
    cfg.enabled = true;
    cfg.max_entries = std::size_t(n);
    boost::asio::io_context ioc(1);
    const long before = resident_bytes();
    pws::AppManager<pws::Cached<synthetic_policy>> apps(cfg, std::move(item));
    long failed = 0;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            char id[32];
            for (long i = 0; i < n; ++i) {
                std::snprintf(id, sizeof id, "app-id-%06ld", i);
                if (!(co_await apps.find_by_id(id)).found()) ++failed;
            }
        },
        boost::asio::detached);
    ioc.run();
    const long after = resident_bytes();
    if (failed != 0 || apps.policy().size() != std::size_t(n)) {
        std::cerr << "pws-bench-memory: " << failed << " lookups failed; the cache holds "
                  << apps.policy().size() << " apps, not " << n << "\n";
        return 1;
    }
    std::printf(
        "{\"apps\":%ld,\"holder\":\"pws::Cached (CacheConfig max_entries %ld), filled by find_by_id\","
        "\"sizeof_app\":%zu,\"rss_before_bytes\":%ld,\"rss_after_bytes\":%ld,\"bytes_per_app\":%.1f}\n",
        n, n, sizeof(pws::App), before, after, double(after - before) / double(n));
    return 0;
}
