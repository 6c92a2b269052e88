// pws::StaticPolicy: building from JSON, files and code; lookups through co_await and
// synchronously; every malformed document refused with a diagnostic that says where.
#include <pws/policies/static.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

namespace asio = boost::asio;
using pws::StaticPolicy;

namespace {

constexpr std::string_view two_apps = R"([
  {"id": "one", "key": "key-one", "secret": "secret-one"},
  {"id": "two", "key": "key-two", "secret": "secret-two", "maxConnections": "7"}
])";

StaticPolicy load(std::string_view text) {
    boost::system::error_code ec;
    std::string diag;
    auto p = StaticPolicy::from_json(text, ec, diag);
    BOOST_TEST_REQUIRE(!ec, diag);
    return p;
}

// Runs `fn` (a coroutine returning find_result) to completion on a fresh io_context.
template <class Fn>
pws::find_result run(Fn fn) {
    asio::io_context ctx;
    std::optional<pws::find_result> out;
    asio::co_spawn(
        ctx, [&]() -> asio::awaitable<void> { out = co_await fn(); }, asio::detached);
    ctx.run();
    BOOST_TEST_REQUIRE(out.has_value());
    return std::move(*out);
}

struct refused {
    boost::system::error_code ec;
    std::string diag;
};

refused refuse(std::string_view text) {
    refused r;
    auto p = StaticPolicy::from_json(text, r.ec, r.diag);
    BOOST_TEST((r.ec == pws::error::invalid_static_apps), text);
    BOOST_TEST(p.size() == 0u);
    BOOST_TEST(r.diag.find("secret-") == std::string::npos, r.diag);
    return r;
}

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(static_policy)

BOOST_AUTO_TEST_CASE(found_and_not_found_through_co_await) {
    const auto p = load(two_apps);
    BOOST_TEST(p.size() == 2u);

    auto by_id = run([&] { return p.find_by_id("two"); });
    BOOST_TEST_REQUIRE(by_id.found());
    BOOST_TEST(by_id.app->key == "key-two");
    BOOST_TEST(by_id.app->max_connections == 7);

    auto by_key = run([&] { return p.find_by_key("key-one"); });
    BOOST_TEST_REQUIRE(by_key.found());
    BOOST_TEST(by_key.app->id == "one");

    // Ids and keys are separate namespaces, and lookups are exact.
    for (auto r :
         {run([&] { return p.find_by_id("key-one"); }), run([&] { return p.find_by_key("one"); }),
          run([&] { return p.find_by_id("ONE"); }), run([&] { return p.find_by_id(""); })}) {
        BOOST_TEST(r.not_found());
        BOOST_TEST(!r.failed());
    }
}

BOOST_AUTO_TEST_CASE(many_lookups_in_one_coroutine) {
    const auto p = load(two_apps);
    asio::io_context ctx;
    int found = 0;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 1000; ++i) {
                auto r = co_await p.find_by_key(i % 2 ? "key-one" : "nope");
                found += r.found();
            }
        },
        asio::detached);
    ctx.run();
    BOOST_TEST(found == 500);
}

BOOST_AUTO_TEST_CASE(synchronous_lookups_share_the_app) {
    const auto p = load(two_apps);
    auto a = p.get_by_id("one");
    auto b = p.get_by_key("key-one");
    BOOST_TEST_REQUIRE((a.found() && b.found()));
    BOOST_TEST(a.app.get() == b.app.get());  // one immutable App, shared
    BOOST_TEST(p.get_by_id("three").not_found());
    // A view into a larger buffer works: no terminating NUL is assumed.
    const std::string buffer = "key-one-and-more";
    BOOST_TEST(p.get_by_key(std::string_view(buffer).substr(0, 7)).found());
}

BOOST_AUTO_TEST_CASE(object_form_and_file) {
    BOOST_TEST(load(R"({"apps": [{"id": "a", "key": "k", "secret": "s"}]})").size() == 1u);
    BOOST_TEST(load("[]").size() == 0u);

    boost::system::error_code ec;
    std::string diag;
    auto p = StaticPolicy::from_file(PWS_TEST_DATA_DIR "/static_apps.json", ec, diag);
    BOOST_TEST_REQUIRE(!ec, diag);
    BOOST_TEST(p.size() == 2u);
    auto chat = p.get_by_key("chat-key");
    BOOST_TEST_REQUIRE(chat.found());
    BOOST_TEST(chat.app->enable_client_messages);
    BOOST_TEST(chat.app->max_connections == 500);
    BOOST_TEST(chat.app->max_presence_member_size_in_kb == 1.5);
    BOOST_TEST_REQUIRE(chat.app->webhooks.size() == 2u);
    BOOST_TEST(chat.app->webhooks[0].headers.at("X-Source") == "pws");
    BOOST_TEST(chat.app->webhooks[1].lambda->client_options.at("maxRetries").as_int64() == 2);
    auto seed = p.get_by_id("app-id");
    BOOST_TEST_REQUIRE(seed.found());
    BOOST_TEST(seed.app->secret == "app-secret");
}

BOOST_AUTO_TEST_CASE(missing_file) {
    boost::system::error_code ec;
    std::string diag;
    auto p = StaticPolicy::from_file(PWS_TEST_DATA_DIR "/no-such-file.json", ec, diag);
    BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory), ec.message());
    BOOST_TEST(contains(diag, "no-such-file.json"), diag);
    BOOST_TEST(p.size() == 0u);
}

BOOST_AUTO_TEST_CASE(duplicates_rejected) {
    auto id = refuse(R"([{"id": "x", "key": "k1", "secret": "secret-1"},
                         {"id": "x", "key": "k2", "secret": "secret-2"}])");
    BOOST_TEST(contains(id.diag, "apps[1]"), id.diag);
    BOOST_TEST(contains(id.diag, "duplicate id \"x\""), id.diag);

    auto key = refuse(R"([{"id": "a", "key": "k", "secret": "secret-1"},
                          {"id": "b", "key": "k", "secret": "secret-2"}])");
    BOOST_TEST(contains(key.diag, "apps[1] (id \"b\")"), key.diag);
    BOOST_TEST(contains(key.diag, "duplicate key"), key.diag);
    BOOST_TEST(contains(key.diag, "\"a\""), key.diag);
}

BOOST_AUTO_TEST_CASE(malformed_documents_rejected) {
    auto not_json = refuse(R"([{"id": "a",)");
    BOOST_TEST(contains(not_json.diag, "not valid JSON"), not_json.diag);
    auto garbage = refuse(R"([] trailing)");
    BOOST_TEST(contains(garbage.diag, "offset 3"), garbage.diag);
    BOOST_TEST(contains(refuse("{}").diag, "expected a JSON array"));
    BOOST_TEST(contains(refuse(R"({"apps": {}})").diag, "expected a JSON array"));
    BOOST_TEST(contains(refuse("\"apps\"").diag, "expected a JSON array"));
    BOOST_TEST(contains(refuse("[1]").diag, "apps[0]"));
    auto field = refuse(R"([{"id": "a", "key": "k", "secret": "secret-1"},
                            {"id": "b", "key": "k2", "secret": "secret-2",
                             "maxConnections": "many"}])");
    BOOST_TEST(contains(field.diag, "apps[1]: maxConnections"), field.diag);
    auto no_secret = refuse(R"([{"id": "a", "key": "k"}])");
    BOOST_TEST(contains(no_secret.diag, "apps[0]: secret"), no_secret.diag);
    auto hook =
        refuse(R"([{"id": "a", "key": "k", "secret": "secret-1", "webhooks": [{"url": "u"}]}])");
    BOOST_TEST(contains(hook.diag, "apps[0]: webhooks[0].event_types"), hook.diag);
}

BOOST_AUTO_TEST_CASE(from_apps_checks_what_the_constructor_assumes) {
    pws::App a;
    a.id = "a";
    a.key = "k";
    a.secret = "secret-a";
    pws::App b = a;
    b.id = "b";

    boost::system::error_code ec;
    std::string diag;
    auto p = StaticPolicy::from_apps({a, b}, ec, diag);
    BOOST_TEST((ec == pws::error::invalid_static_apps));
    BOOST_TEST(contains(diag, "duplicate key"), diag);
    BOOST_TEST(!contains(diag, "secret-a"), diag);

    pws::App empty_key = b;
    empty_key.key.clear();
    StaticPolicy::from_apps({a, empty_key}, ec, diag);
    BOOST_TEST(contains(diag, "apps[1]: empty key"), diag);

    b.key = "k2";
    auto ok = StaticPolicy::from_apps({a, b}, ec, diag);
    BOOST_TEST(!ec, diag);
    BOOST_TEST(ok.size() == 2u);

    // The documented outcome when the precondition is broken anyway: the first app wins.
    b.key = "k";
    StaticPolicy unchecked({a, b});
    BOOST_TEST(unchecked.get_by_key("k").app->id == "a");
    BOOST_TEST(unchecked.get_by_id("b").found());
}

BOOST_AUTO_TEST_SUITE_END()
