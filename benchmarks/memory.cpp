// pws-bench-memory — resident memory of a process holding many apps.
//
//   pws-bench-memory [--apps 100000]
//
// Builds N apps shaped like the seed's item (tests/data/seed_item.json) with distinct ids, keys and
// secrets ("app-id-000042", "app-key-000042", "app-secret-000042"), decoded by the library's
// decode_app as a lookup would, and holds them as pws::app_ptr in a std::unordered_map keyed by id.
// Prints one JSON line: the resident set size before and after, and the difference per app.
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/find_result.hpp>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <unordered_map>

namespace {

long resident_bytes() {
    long pages_total = 0, pages_resident = 0;
    std::ifstream f("/proc/self/statm");
    f >> pages_total >> pages_resident;
    return pages_resident * sysconf(_SC_PAGESIZE);
}

}  // namespace

int main(int argc, char** argv) {
    long n = 100000;
    if (argc == 3 && std::string(argv[1]) == "--apps") n = std::stol(argv[2]);
    else if (argc != 1) {
        std::cerr << "usage: pws-bench-memory [--apps N]\n";
        return 2;
    }

    std::ifstream f(PWS_BENCH_SEED_ITEM);
    std::stringstream ss;
    ss << f.rdbuf();
    boost::json::object item = boost::json::parse(ss.str()).as_object();

    std::string diag;
    char suffix[16];
    // The holder's buckets count: a cache needs them too.
    const long before = resident_bytes();
    std::unordered_map<std::string, pws::app_ptr> apps;
    apps.reserve(std::size_t(n));
    for (long i = 0; i < n; ++i) {
        std::snprintf(suffix, sizeof suffix, "-%06ld", i);
        item["AppId"].as_object()["S"] = std::string("app-id") + suffix;
        item["AppKey"].as_object()["S"] = std::string("app-key") + suffix;
        item["AppSecret"].as_object()["S"] = std::string("app-secret") + suffix;
        auto app = std::make_shared<pws::App>();
        if (pws::dynamodb::decode_app(item, *app, diag)) {
            std::cerr << "pws-bench-memory: " << diag << "\n";
            return 1;
        }
        std::string id = app->id;
        apps.emplace(std::move(id), std::move(app));
    }
    const long after = resident_bytes();
    std::printf("{\"apps\":%ld,\"holder\":\"std::unordered_map<std::string, pws::app_ptr> (no cache yet)\","
                "\"sizeof_app\":%zu,\"rss_before_bytes\":%ld,\"rss_after_bytes\":%ld,\"bytes_per_app\":%.1f}\n",
                n, sizeof(pws::App), before, after, double(after - before) / double(n));
    return 0;
}
