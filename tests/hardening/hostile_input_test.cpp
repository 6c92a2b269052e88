// Hostile input: ids and keys DynamoDB cannot hold are refused before any request; anything
// else goes out as a correctly escaped JSON string in the one place a value belongs — never
// spliced into the key condition expression. A raw server records what the client sent.
#include "hardening_support.hpp"

#include <boost/json/parse.hpp>

using namespace pws::test;
using conn = raw_server::conn;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Answers every request "not found" (GetItem {} / Query no items) and records it.
struct recorder {
    raw_server server{[](conn& c) -> asio::awaitable<void> {
        while (auto req = co_await c.read_request()) {
            const bool query = (*req)["X-Amz-Target"] == "DynamoDB_20120810.Query";
            if (!co_await c.send(http_response(query ? R"({"Items":[],"Count":0})" : "{}"))) co_return;
        }
    }};
};

std::string invalid_utf8[] = {
    "\xff",              // never valid
    "ab\x80",            // lone continuation byte
    "\xc0\xaf",          // overlong '/'
    "\xe0\x80\xaf",      // overlong, 3 bytes
    "\xed\xa0\x80",      // UTF-16 surrogate
    "\xf4\x90\x80\x80",  // past U+10FFFF
    "\xe2\x82",          // truncated sequence
    "app-\xfe-key",
};

// Every id/key below must reach the server intact.
std::vector<std::string> metacharacter_values() {
    std::vector<std::string> v = {
        R"(")", R"(\)", R"(\")", R"({"S":"x"})", R"(app-key" OR "1"="1)",
        R"(:app_key)", R"(AppKey = :app_key OR AppKey <> :app_key)", R"(#n)",
        R"("}},"TableName":"other","Key":{"AppId":{"S":"x)", "\\u0000", std::string("nul\0inside", 10),
        "\x01\x02\x1f\x7f", "tab\there\nnewline\r", "\xe2\x80\xa8\xe2\x80\xa9",  // U+2028/2029
        "\xf0\x9f\x94\x91 key", "<script>", "${jndi:x}", "%s%n%x", "'; DROP TABLE apps; --"};
    // 2048 bytes exactly, multi-byte characters up to the limit.
    std::string edge;
    while (edge.size() + 3 <= 2048) edge += "\xe2\x82\xac";  // €
    edge.append(2048 - edge.size(), 'x');
    v.push_back(edge);
    return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(unusable_ids_and_keys_are_refused_before_any_request) {
    recorder rec;
    boost::asio::io_context ioc;
    manager apps(ioc.get_executor(), config_for(rec.server.endpoint()));
    std::vector<std::string> bad = {"", std::string(2049, 'k'), std::string(4096, '"'),
                                    std::string(683, '\0') + std::string(1400, 'x')};
    for (auto& s : invalid_utf8) bad.push_back(s);
    for (auto& v : bad)
        for (bool by_key : {false, true}) {
            BOOST_TEST_CONTEXT((by_key ? "key " : "id ") << v.size() << " bytes") {
                auto r = run(ioc, [&] { return by_key ? apps.find_by_key(v) : apps.find_by_id(v); });
                BOOST_TEST(r.ec == pws::error::invalid_argument, r.ec.message() << ": " << r.diagnostic);
                BOOST_TEST(r.diagnostic.find(by_key ? "app key" : "app id") != std::string::npos, r.diagnostic);
                // The diagnostic names the problem, not the value (it may be anything).
                if (v.size() > 8) BOOST_TEST(r.diagnostic.find(v) == std::string::npos);
                // The completion-token form refuses it the same way.
                auto f = by_key ? apps.async_find_by_key(v, boost::asio::use_future)
                                : apps.async_find_by_id(v, boost::asio::use_future);
                ioc.restart();
                ioc.run();
                BOOST_TEST(f.get().ec == pws::error::invalid_argument);
            }
        }
    BOOST_TEST(rec.server.connections() == 0);
    BOOST_TEST(rec.server.bodies().empty());
}

BOOST_AUTO_TEST_CASE(metacharacters_are_escaped_into_the_value_only) {
    recorder rec;
    boost::asio::io_context ioc;
    auto cfg = config_for(rec.server.endpoint());
    manager apps(ioc.get_executor(), cfg);
    const auto values = metacharacter_values();
    for (auto& v : values)
        for (bool by_key : {false, true}) {
            BOOST_TEST_CONTEXT((by_key ? "key " : "id ") << json::serialize(json::string(v.substr(0, 60)))) {
                const std::size_t before = rec.server.bodies().size();
                auto r = run(ioc, [&] { return by_key ? apps.find_by_key(v) : apps.find_by_id(v); });
                BOOST_TEST(r.not_found(), r.ec.message() << ": " << r.diagnostic);
                const auto bodies = rec.server.bodies();
                BOOST_TEST_REQUIRE(bodies.size() == before + 1);
                boost::system::error_code ec;
                const json::value sent = json::parse(bodies.back(), ec);
                BOOST_TEST_REQUIRE(!ec, "the request body is not JSON: " << bodies.back());
                BOOST_TEST_REQUIRE(sent.is_object());
                const auto& o = sent.get_object();
                BOOST_TEST(std::string(o.at("TableName").as_string()) == cfg.table);
                if (by_key) {
                    // The expression is a constant; the key is only the attribute value.
                    BOOST_TEST(o.size() == 5u, bodies.back());
                    BOOST_TEST(std::string(o.at("IndexName").as_string()) == cfg.key_index);
                    BOOST_TEST(std::string(o.at("KeyConditionExpression").as_string()) == "AppKey = :app_key");
                    const json::value want = {{":app_key", {{"S", v}}}};
                    BOOST_TEST((o.at("ExpressionAttributeValues") == want), bodies.back());
                    BOOST_TEST(!o.contains("ExpressionAttributeNames"));
                    BOOST_TEST(!o.contains("FilterExpression"));
                } else {
                    BOOST_TEST(o.size() == 2u, bodies.back());
                    const json::value want = {{"AppId", {{"S", v}}}};
                    BOOST_TEST((o.at("Key") == want), bodies.back());
                }
                const auto reqs = rec.server.requests();
                BOOST_TEST(reqs.back()["X-Amz-Target"] ==
                           (by_key ? "DynamoDB_20120810.Query" : "DynamoDB_20120810.GetItem"));
            }
        }
}

BOOST_AUTO_TEST_SUITE_END()
