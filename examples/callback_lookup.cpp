// Without coroutines: async_find_by_key with a completion handler, as in any callback-style Asio
// server. The handler runs on the io_context, with the one argument `pws::find_result`.
//
//   APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 ./callback_lookup app-key
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    const std::string key = argc > 1 ? argv[1] : "app-key";
    int status = 2;

    apps.async_find_by_key(key, [&](pws::find_result r) {
        if (r.found()) {
            std::cout << "app " << r.app->id << " enabled=" << r.app->enabled << "\n";
            status = 0;
        } else if (r.not_found()) {
            std::cout << "no app has key " << key << "\n";
            status = 1;
        } else {
            std::cout << "lookup failed: " << r.ec.message() << ": " << r.diagnostic << "\n";
        }
    });
    ioc.run();
    return status;
}
