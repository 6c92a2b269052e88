// From a plain thread: the io_context runs on a thread of its own and the caller blocks on a
// std::future (asio::use_future) — for start-up checks, scripts or code that is not async.
//
//   APP_MANAGER_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 ./future_lookup app-id
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <thread>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    auto work = boost::asio::make_work_guard(ioc);
    std::thread io_thread([&] { ioc.run(); });

    pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    const std::string id = argc > 1 ? argv[1] : "app-id";
    // The lookup runs on the io_context's thread; get() waits for it here.
    std::future<pws::find_result> pending = apps.async_find_by_id(id, boost::asio::use_future);
    pws::find_result r = pending.get();

    work.reset();
    io_thread.join();
    if (r.found()) std::cout << "app " << r.app->id << " has key " << r.app->key << "\n";
    else if (r.not_found()) std::cout << "no app has id " << id << "\n";
    else std::cout << "lookup failed: " << r.ec.message() << ": " << r.diagnostic << "\n";
    return r.found() ? 0 : r.not_found() ? 1 : 2;
}
