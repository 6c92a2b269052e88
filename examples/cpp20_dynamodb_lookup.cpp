// The smallest integration: look an app up by key from a coroutine, as a server does on connect.
//
//   APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 ./cpp20_dynamodb_lookup app-key
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    std::string key = argc > 1 ? argv[1] : "app-key";

    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        pws::find_result r = co_await apps.find_by_key(key);
        if (r.found())
            std::cout << "app " << r.app->id << " enabled=" << r.app->enabled
                      << " max_connections=" << r.app->max_connections << "\n";
        else if (r.not_found())
            std::cout << "no app has key " << key << "\n";
        else
            std::cout << "lookup failed: " << r.ec.message() << ": " << r.diagnostic << "\n";
    }, boost::asio::detached);
    ioc.run();
}
