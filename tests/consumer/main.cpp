// A user's program: proves that the target found by add_subdirectory() or find_package()
// carries the include paths, C++20, Boost and OpenSSL needed for the DynamoDB path.
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/policies/static.hpp>

// Every public header, and in header-only mode every body they include: none may put a namespace
// alias or a using-declaration into the library's namespaces, where it would clash with a user's
// own names (this file declares the usual ones there; an `asio` alias in pws::dynamodb, as the
// library once had, fails to compile here).
#include <pws/app_json.hpp>
#include <pws/aws/credentials_provider.hpp>
#include <pws/aws/endpoint.hpp>
#include <pws/aws/sigv4.hpp>
#include <pws/cache_config.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/policies/cached.hpp>

#define PWS_CONSUMER_NAMES asio, beast, json, ssl, error_code, clock_type, header, signing_input, handler_type
namespace pws { [[maybe_unused]] int PWS_CONSUMER_NAMES, http; }
namespace pws::detail { [[maybe_unused]] int PWS_CONSUMER_NAMES; }  // (detail::http is the library's HTTP layer)
namespace pws::dynamodb { [[maybe_unused]] int PWS_CONSUMER_NAMES, http; }
namespace pws::aws { [[maybe_unused]] int PWS_CONSUMER_NAMES, http; }
#undef PWS_CONSUMER_NAMES

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
