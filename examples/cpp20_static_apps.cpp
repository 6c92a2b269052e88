// Apps without a database: StaticPolicy holds them in memory, from code or from a JSON document
// in soketi's array-driver form (the same fields as `pws-apps get` prints).
//
//   ./cpp20_static_apps [apps.json]
#include <pws/app_manager.hpp>
#include <pws/policies/static.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

constexpr std::string_view inline_apps = R"([
  {"id": "app-1", "key": "key-1", "secret": "secret-1", "maxConnections": 100},
  {"id": "app-2", "key": "key-2", "secret": "secret-2", "enableClientMessages": true}
])";

boost::asio::awaitable<void> lookups(pws::AppManager<pws::StaticPolicy>& apps) {
    for (std::string_view key : {"key-1", "key-2", "no-such-key"}) {
        pws::find_result r = co_await apps.find_by_key(key);
        if (r.found())
            std::cout << "key " << key << ": app " << r.app->id << " max_connections=" << r.app->max_connections
                      << " client_messages=" << r.app->enable_client_messages << "\n";
        else if (r.not_found())
            std::cout << "key " << key << ": no such app\n";
        else
            std::cout << "key " << key << ": lookup failed: " << r.diagnostic << "\n";
    }
}

int main(int argc, char** argv) {
    // Bad input is an error value, never an exception: check it before serving.
    boost::system::error_code ec;
    std::string why;
    auto policy = argc > 1 ? pws::StaticPolicy::from_file(argv[1], ec, why)
                           : pws::StaticPolicy::from_json(inline_apps, ec, why);
    if (ec) {
        std::cerr << "cannot load the apps: " << why << "\n";
        return 2;
    }
    pws::AppManager<pws::StaticPolicy> apps(std::move(policy));

    boost::asio::io_context ioc;
    boost::asio::co_spawn(ioc, lookups(apps), boost::asio::detached);
    ioc.run();
}
