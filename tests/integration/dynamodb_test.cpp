// AppManager<DynamoDbPolicy> against a real local DynamoDB (dynalite, started by the CTest
// fixture on 127.0.0.1; its endpoint is in $PWS_DYNALITE_STATE/endpoint) and against loopback
// servers that refuse or stall.
#define BOOST_TEST_MODULE pws_integration_tests
#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include "support/test_support.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

using pws::test::dynalite_endpoint;
using pws::test::run;


pws::DynamoDbConfig config(std::string endpoint) {
    pws::DynamoDbConfig c;
    c.endpoint = std::move(endpoint);
    c.credentials = pws::aws::credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    return c;
}


using manager = pws::AppManager<pws::DynamoDbPolicy>;

}  // namespace

BOOST_AUTO_TEST_SUITE(dynamodb)

BOOST_AUTO_TEST_CASE(seed_app_by_id_and_by_key) {
    asio::io_context ioc;
    manager apps(ioc.get_executor(), config(dynalite_endpoint()));
    auto by_id = run(ioc, [&] { return apps.find_by_id("app-id"); });
    BOOST_TEST_REQUIRE(by_id.found(), by_id.ec.message() + ": " + by_id.diagnostic);
    const pws::App& a = *by_id.app;
    BOOST_TEST(a.id == "app-id");
    BOOST_TEST(a.key == "app-key");
    BOOST_TEST(a.secret == "app-secret");
    BOOST_TEST(a.max_connections == -1);
    BOOST_TEST(a.enable_client_messages == false);
    BOOST_TEST(a.enabled == true);
    BOOST_TEST(a.enable_user_authentication == false);
    BOOST_TEST(a.max_backend_events_per_second == -1);
    BOOST_TEST(a.max_client_events_per_second == -1);
    BOOST_TEST(a.max_read_requests_per_second == -1);
    BOOST_TEST(a.webhooks.empty());
    BOOST_TEST(a.max_presence_members_per_channel == 100); // absent: soketi's default

    auto by_key = run(ioc, [&] { return apps.find_by_key("app-key"); });
    BOOST_TEST_REQUIRE(by_key.found(), by_key.diagnostic);
    BOOST_TEST((*by_key.app == a));
    // Both lookups went over one keep-alive connection.
    auto s = apps.policy().client().stats();
    BOOST_TEST(s.requests == 2u);
    BOOST_TEST(s.connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(items_written_by_other_tools) {
    asio::io_context ioc;
    manager apps(ioc.get_executor(), config(dynalite_endpoint()));
    auto disabled = run(ioc, [&] { return apps.find_by_key("disabled-key"); });
    BOOST_TEST_REQUIRE(disabled.found(), disabled.diagnostic);
    BOOST_TEST(disabled.app->enabled == false); // B "false": soketi would read this as enabled
    BOOST_TEST(disabled.app->enable_client_messages == true);
    BOOST_TEST(disabled.app->max_connections == 3);
    BOOST_TEST_REQUIRE(disabled.app->webhooks.size() == 1u);
    BOOST_TEST(disabled.app->webhooks[0].url == "https://example.com/hook");

    auto corrupt = run(ioc, [&] { return apps.find_by_id("corrupt-webhooks"); });
    BOOST_TEST(corrupt.ec == pws::error::malformed_item);
    BOOST_TEST(corrupt.diagnostic.find("Webhooks") != std::string::npos);
    BOOST_TEST(corrupt.diagnostic.find("corrupt-secret") == std::string::npos);

    auto dup = run(ioc, [&] { return apps.find_by_key("shared-key"); });
    BOOST_TEST(dup.ec == pws::error::ambiguous_key);
}

BOOST_AUTO_TEST_CASE(not_found_is_not_an_error) {
    asio::io_context ioc;
    manager apps(ioc.get_executor(), config(dynalite_endpoint()));
    auto r = run(ioc, [&] { return apps.find_by_id("no-such-app"); });
    BOOST_TEST(r.not_found());
    BOOST_TEST(!r.failed());
    r = run(ioc, [&] { return apps.find_by_key("no-such-key"); });
    BOOST_TEST(r.not_found());
}

BOOST_AUTO_TEST_CASE(hostile_ids_are_refused_or_escaped) {
    asio::io_context ioc;
    manager apps(ioc.get_executor(), config(dynalite_endpoint()));
    auto r = run(ioc, [&] { return apps.find_by_id(""); });
    BOOST_TEST(r.ec == pws::error::invalid_argument);
    std::string too_long(2049, 'x');
    r = run(ioc, [&] { return apps.find_by_key(too_long); });
    BOOST_TEST(r.ec == pws::error::invalid_argument);
    r = run(ioc, [&] { return apps.find_by_id("\xff\xfe"); });
    BOOST_TEST(r.ec == pws::error::invalid_argument);
    BOOST_TEST(apps.policy().client().stats().requests == 0u); // refused before any request
    r = run(ioc, [&] { return apps.find_by_key(R"(app-key" OR "1"="1 \u0000 :app_key)"); });
    BOOST_TEST(r.not_found(), r.diagnostic);
}

BOOST_AUTO_TEST_CASE(missing_table_is_an_error_not_a_missing_app) {
    asio::io_context ioc;
    auto cfg = config(dynalite_endpoint());
    cfg.table = "no-such-table";
    manager apps(ioc.get_executor(), cfg);
    auto r = run(ioc, [&] { return apps.find_by_id("app-id"); });
    BOOST_TEST(r.ec == pws::dynamodb_errc::resource_not_found);
    BOOST_TEST(r.diagnostic.find("ResourceNotFoundException") != std::string::npos, r.diagnostic);
    r = run(ioc, [&] { return apps.find_by_key("app-key"); });
    BOOST_TEST(r.ec == pws::dynamodb_errc::resource_not_found);
}

BOOST_AUTO_TEST_CASE(refused_connection_fails_fast) {
    asio::io_context ioc;
    unsigned short port;
    {
        asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }  // closed: nothing listens there now
    manager apps(ioc.get_executor(), config("http://127.0.0.1:" + std::to_string(port)));
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(ioc, [&] { return apps.find_by_id("app-id"); });
    BOOST_TEST(r.ec == pws::error::connection_failed);
    BOOST_TEST(r.diagnostic.find("127.0.0.1:" + std::to_string(port)) != std::string::npos, r.diagnostic);
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
}

BOOST_AUTO_TEST_CASE(silent_server_hits_the_deadline) {
    // Accepts connections and never answers.
    asio::io_context server;
    asio::ip::tcp::acceptor acceptor(server, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<asio::ip::tcp::socket> held;
    std::function<void()> accept = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket s) {
            if (ec) return;
            held.push_back(std::move(s));
            accept();
        });
    };
    accept();
    std::thread t([&] { server.run(); });

    asio::io_context ioc;
    auto cfg = config("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
    cfg.attempt_timeout = 500ms;
    cfg.max_attempts = 1;
    manager apps(ioc.get_executor(), cfg);
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(ioc, [&] { return apps.find_by_key("app-key"); });
    auto took = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(r.ec == pws::error::timeout, r.ec.message());
    BOOST_TEST((took < 5s)); // the deadline bounds it (500 ms asked)

    asio::post(server, [&] { acceptor.close(); held.clear(); });
    t.join();
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_server_is_replaced) {
    // dynalite closes keep-alive connections after 5 s idle; keep ours in the pool for longer so
    // the next lookup meets the closed one and must recover without failing.
    asio::io_context ioc;
    auto cfg = config(dynalite_endpoint());
    cfg.idle_timeout = 60s;
    manager apps(ioc.get_executor(), cfg);
    BOOST_TEST_REQUIRE(run(ioc, [&] { return apps.find_by_id("app-id"); }).found());
    std::this_thread::sleep_for(7500ms); // node closes idle sockets 5 s + up to 1 s timer slack
    auto r = run(ioc, [&] { return apps.find_by_id("app-id"); });
    BOOST_TEST(r.found(), r.diagnostic);
    auto s = apps.policy().client().stats();
    BOOST_TEST(s.connections_opened == 2u);
    BOOST_TEST(s.idle_discards == 1u);  // seen closed before the request was written
    BOOST_TEST(s.stale_retries == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_lookups_on_two_threads) {
    asio::io_context ioc;
    manager apps(ioc.get_executor(), config(dynalite_endpoint()));
    std::atomic<int> found{0}, other{0};
    for (int i = 0; i < 64; ++i) {
        asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
            pws::find_result r;
            if (i % 2) r = co_await apps.find_by_id("app-id");
            else r = co_await apps.find_by_key("app-key");
            (r.found() ? found : other)++;
        }, asio::detached);
    }
    std::thread t([&] { ioc.run(); });
    ioc.run();
    t.join();
    BOOST_TEST(found == 64);
    BOOST_TEST(other == 0);
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_refused_at_construction) {
    asio::io_context ioc;
    pws::DynamoDbConfig cfg;
    cfg.region = "not a region";
    BOOST_CHECK_THROW(manager(ioc.get_executor(), cfg), boost::system::system_error);
    cfg = {};
    cfg.endpoint = "localhost:8000";  // no scheme
    BOOST_CHECK_THROW(manager(ioc.get_executor(), cfg), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
