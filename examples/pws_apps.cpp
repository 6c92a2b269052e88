// pws-apps — look apps up in the DynamoDB table, configured like the library (env vars).
//
//   pws-apps get --id ID      print the app as one JSON object (soketi's camelCase fields)
//   pws-apps get --key KEY
//
// Exit codes: 0 found, 1 not found, 2 error (one line on stderr: the DynamoDB error type and
// message, or the network cause; never a secret).
#include <pws/app_json.hpp>
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr int exit_found = 0, exit_not_found = 1, exit_error = 2;

int usage(const char* why) {
    std::cerr << "pws-apps: " << why << "\n"
              << "usage: pws-apps get --id ID | --key KEY\n"
              << "environment: APP_MANAGER_DYNAMODB_TABLE (apps), APP_MANAGER_DYNAMODB_REGION (us-east-1),\n"
              << "             APP_MANAGER_DYNAMODB_ENDPOINT (the region's AWS endpoint), AWS_ACCESS_KEY_ID,\n"
              << "             AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CA_BUNDLE\n";
    return exit_error;
}

int print_result(const pws::find_result& r) {
    if (r.failed()) {
        std::cerr << "pws-apps: " << r.ec.message();
        if (!r.diagnostic.empty()) std::cerr << ": " << r.diagnostic;
        std::cerr << "\n";
        return exit_error;
    }
    if (r.not_found()) {
        std::cerr << "pws-apps: no such app\n";
        return exit_not_found;
    }
    std::cout << boost::json::serialize(pws::app_to_json(*r.app)) << "\n";
    return exit_found;
}

int get(int argc, char** argv) {
    std::optional<std::string> id, key;
    for (int i = 2; i < argc; ++i) {
        std::string_view a = argv[i];
        if ((a == "--id" || a == "--key") && i + 1 < argc) (a == "--id" ? id : key) = argv[++i];
        else return usage(("unexpected argument '" + std::string(a) + "'").c_str());
    }
    if (id.has_value() == key.has_value()) return usage("get takes exactly one of --id or --key");

    boost::asio::io_context ioc;
    std::optional<pws::AppManager<pws::DynamoDbPolicy>> apps;
    try {
        apps.emplace(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    } catch (const boost::system::system_error& e) {
        std::cerr << "pws-apps: configuration error: " << e.what() << "\n";
        return exit_error;
    }
    int rc = exit_error;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            pws::find_result r;
            if (id) r = co_await apps->find_by_id(*id);
            else r = co_await apps->find_by_key(*key);
            rc = print_result(r);
        },
        boost::asio::detached);
    ioc.run();
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage("no command");
    std::string_view cmd = argv[1];
    if (cmd == "get") return get(argc, argv);
    return usage(("unknown command '" + std::string(cmd) + "'").c_str());
}
