// soketi's array-driver JSON (app_json.hpp): round trips, string numbers, errors.
#include <pws/app_json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include "sample_apps.hpp"

using namespace pws_test;

namespace {

struct from_json_result {
    boost::system::error_code ec;
    App app;
    std::string diag;
};

from_json_result app_from(const json::value& v) {
    from_json_result r;
    BOOST_CHECK_NO_THROW(r.ec = pws::app_from_json(v, r.app, r.diag));
    return r;
}

json::object minimal_json() { return {{"id", "a"}, {"key", "k"}, {"secret", secret}}; }

void expect_invalid(const json::object& o, std::string_view field) {
    auto r = app_from(o);
    BOOST_TEST((r.ec == pws::error::invalid_static_apps), json::serialize(o));
    BOOST_TEST(r.diag.find(field) != std::string::npos, r.diag);
    BOOST_TEST(r.diag.find(secret) == std::string::npos, r.diag);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(app_json)

BOOST_AUTO_TEST_CASE(round_trip) {
    const App original = full_app();
    const auto j = pws::app_to_json(original);
    BOOST_TEST(j.size() == 18u);  // every field
    auto r = app_from(json::parse(json::serialize(j)));
    BOOST_TEST(!r.ec, r.diag);
    BOOST_TEST((r.app == original));
    auto d = app_from(pws::app_to_json(ids("i", "k", "s")));
    BOOST_TEST((d.app == ids("i", "k", "s")));
}

BOOST_AUTO_TEST_CASE(serialized_form) {
    const auto j = pws::app_to_json(full_app());
    BOOST_TEST(j.at("maxEventPayloadInKb").is_double());
    BOOST_TEST(pws::app_to_json(App{}).at("maxEventPayloadInKb").as_int64() == 100);  // not 1E2
    BOOST_TEST(j.at("enableClientMessages").as_bool());
    auto& hooks = j.at("webhooks").as_array();
    BOOST_TEST_REQUIRE(hooks.size() == 3u);
    // Empty optional members are left out; event_types is always there.
    BOOST_TEST(!hooks[0].as_object().contains("lambda_function"));
    BOOST_TEST(!hooks[0].as_object().contains("lambda"));
    BOOST_TEST(!hooks[1].as_object().contains("url"));
    BOOST_TEST(!hooks[1].as_object().contains("headers"));
    BOOST_TEST(!hooks[1].at("filter").as_object().contains("channel_name_starts_with"));
    BOOST_TEST(!hooks[2].as_object().contains("filter"));
    BOOST_TEST(hooks[2].at("event_types").as_array().empty());
    BOOST_TEST((hooks[2].at("lambda") == json::object{{"async", false}}));
}

BOOST_AUTO_TEST_CASE(string_numbers_and_flags) {
    auto o = minimal_json();
    o["maxConnections"] = "500";
    o["maxEventBatchSize"] = 20.0;  // an integral double is an integer
    o["maxEventPayloadInKb"] = "2.5";
    o["maxPresenceMemberSizeInKb"] = 3;
    o["enabled"] = "false";
    o["enableClientMessages"] = 1;
    o["enableUserAuthentication"] = "1";
    o["webhooks"] = R"([{"url":"u","event_types":["client_event"]}])";
    o["maxEventNameLength"] = nullptr;  // null is absent
    o["somethingElse"] = json::array{};
    auto r = app_from(o);
    BOOST_TEST_REQUIRE(!r.ec, r.diag);
    BOOST_TEST(r.app.max_connections == 500);
    BOOST_TEST(r.app.max_event_batch_size == 20);
    BOOST_TEST(r.app.max_event_payload_in_kb == 2.5);
    BOOST_TEST(r.app.max_presence_member_size_in_kb == 3.0);
    BOOST_TEST(!r.app.enabled);
    BOOST_TEST(r.app.enable_client_messages);
    BOOST_TEST(r.app.enable_user_authentication);
    BOOST_TEST(r.app.max_event_name_length == App{}.max_event_name_length);
    BOOST_TEST_REQUIRE(r.app.webhooks.size() == 1u);
    BOOST_TEST(r.app.webhooks[0].url == "u");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
    for (auto field : {"id", "key", "secret"}) {
        auto o = minimal_json();
        o.erase(field);
        expect_invalid(o, field);
        o[field] = 5;
        expect_invalid(o, field);
        o[field] = "";
        expect_invalid(o, field);
    }
    auto set = [](std::string_view field, json::value v) {
        auto o = minimal_json();
        o[field] = std::move(v);
        return o;
    };
    expect_invalid(set("maxConnections", "abc"), "maxConnections");
    expect_invalid(set("maxConnections", 1.5), "maxConnections");
    expect_invalid(set("maxConnections", 18446744073709551615ull), "maxConnections");
    expect_invalid(set("maxConnections", 1e300), "maxConnections");
    expect_invalid(set("maxConnections", true), "maxConnections");
    expect_invalid(set("maxEventPayloadInKb", "big"), "maxEventPayloadInKb");
    expect_invalid(set("maxEventPayloadInKb", json::array{}), "maxEventPayloadInKb");
    expect_invalid(set("enabled", "yes"), "enabled");
    expect_invalid(set("enabled", 2), "enabled");
    expect_invalid(set("webhooks", "not json"), "webhooks");
    expect_invalid(set("webhooks", json::object{}), "webhooks");
    expect_invalid(set("webhooks", json::array{json::object{{"url", "u"}}}),
                   "webhooks[0].event_types");
    auto r = app_from(json::array{});
    BOOST_TEST((r.ec == pws::error::invalid_static_apps));
    // A number past the range of a double in free-form client_options: Boost.JSON reads it as
    // infinity and would write "Infinity", which is not JSON. Refused where it is read.
    const std::string text = R"([{"event_types":["channel_occupied"],"lambda_function":"f",
        "lambda":{"client_options":{"retries":{"base":[1, 1e400]}}}}])";
    auto hooks = json::parse(text);
    expect_invalid(set("webhooks", hooks), "webhooks[0].lambda.client_options");
    expect_invalid(set("webhooks", json::string(text)), "webhooks[0].lambda.client_options");
    hooks.at(0).at("lambda").at("client_options").at("retries").at("base").as_array()[1] = 1e300;
    BOOST_TEST(!app_from(set("webhooks", hooks)).ec);
    // The secret's bytes quoted from another field are withheld (the field is still named).
    auto leak = app_from(set("enabled", json::string(std::string(secret))));
    BOOST_TEST((leak.ec == pws::error::invalid_static_apps));
    BOOST_TEST(leak.diag.find(secret) == std::string::npos, leak.diag);
    BOOST_TEST(leak.diag.find("enabled: ") == 0u, leak.diag);
    auto m = minimal_json();
    m.erase("secret");
    BOOST_TEST(app_from(m).diag.find("cannot sign") != std::string::npos);
}

// The reader both decoders share for webhooks carried as JSON text: each outcome, and `out` left
// as it was on every failure.
BOOST_AUTO_TEST_CASE(webhooks_from_json_text) {
    using pws::webhooks_text;
    const std::vector<pws::Webhook> before = full_app().webhooks;
    BOOST_TEST_REQUIRE(!before.empty());
    std::string diag = "stale";
    auto out = before;
    BOOST_TEST((pws::webhooks_from_json_text("[]", out, diag) == webhooks_text::ok));
    BOOST_TEST(out.empty());
    BOOST_TEST(diag.empty());
    out = before;
    BOOST_TEST((pws::webhooks_from_json_text(" [ ] ", out, diag) == webhooks_text::ok));
    BOOST_TEST(out.empty());
    out = {};
    const std::string one = R"([{"url":"https://h.example/w","event_types":["channel_occupied"]}])";
    BOOST_TEST((pws::webhooks_from_json_text(one, out, diag) == webhooks_text::ok));
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].url == "https://h.example/w");
    BOOST_TEST_REQUIRE(out[0].event_types.size() == 1u);
    BOOST_TEST(out[0].event_types[0] == "channel_occupied");

    auto refused = [&](const std::string& text, webhooks_text expected, std::string_view in_diag) {
        auto kept = before;
        std::string d = "stale";
        BOOST_TEST((pws::webhooks_from_json_text(text, kept, d) == expected), text.substr(0, 40));
        BOOST_TEST((kept == before));
        if (in_diag.empty())
            BOOST_TEST(d.empty(), d);
        else
            BOOST_TEST(d.find(in_diag) != std::string::npos, d);
    };
    // One byte over the cap is refused unparsed, even though it is a valid (empty) array.
    refused("[" + std::string(pws::max_webhooks_json_size - 1, ' ') + "]", webhooks_text::too_large, "");
    refused("[", webhooks_text::not_json, "incomplete");
    refused("{}", webhooks_text::wrong_shape, "expected an array");
    refused(R"([{"url":"u","event_types":[1]}])", webhooks_text::wrong_shape, "[0].event_types[0]");
    // At the cap exactly it is read.
    auto at_cap = before;
    BOOST_TEST((pws::webhooks_from_json_text("[" + std::string(pws::max_webhooks_json_size - 2, ' ') + "]", at_cap,
                                              diag) == webhooks_text::ok));
    BOOST_TEST(at_cap.empty());
}

BOOST_AUTO_TEST_SUITE_END()
