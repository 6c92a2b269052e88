// A user's program: proves that the target found by add_subdirectory() or find_package()
// carries the include paths, C++20, Boost and OpenSSL needed for the DynamoDB path.
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/policies/static.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    boost::asio::io_context ioc;
    pws::AppManager<pws::DynamoDbPolicy> dynamo(ioc.get_executor(), pws::DynamoDbConfig{});
    pws::App app;
    app.id = "consumer-id";
    app.key = "consumer-key";
    app.secret = "consumer-secret";
    pws::AppManager<pws::StaticPolicy> fixed(std::vector<pws::App>{app});
    std::cout << "endpoint " << dynamo.policy().client().endpoint().host << "\n";
    return fixed.policy().get_by_key("consumer-key").found() ? 0 : 1;
}
