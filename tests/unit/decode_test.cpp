// DynamoDB item decoding/encoding (dynamodb/attribute_value.hpp) and the base64 it rests on.
// No server: items are JSON values.
#include <pws/app_json.hpp>
#include <pws/detail/base64.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/detail/answer_scan.hpp>
#include <pws/dynamodb/operations.hpp>

#include "sample_apps.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace json = boost::json;
using pws::App;

namespace {

using namespace pws_test;


json::object seed() {
    return json::parse(read_text(PWS_TEST_DATA_DIR "/seed_item.json")).as_object();
}

// The seed with a recognisable secret, so that a leak into a diagnostic would be seen.
json::object base() {
    auto item = seed();
    item["AppSecret"] = json::object{{"S", secret}};
    return item;
}

json::object with(json::object item, std::string_view attr, json::value v) {
    item[attr] = std::move(v);
    return item;
}

json::object av(std::string_view type, json::value v) {
    json::object o;
    o[type] = std::move(v);
    return o;
}
json::object av(std::string_view type, std::string_view s) {
    return av(type, json::value(json::string(s)));
}
json::object av(std::string_view type, const char* s) { return av(type, std::string_view(s)); }
json::object av(std::string_view type, const std::string& s) {
    return av(type, std::string_view(s));
}
json::object b64(std::string_view bytes) { return av("B", pws::detail::base64_encode(bytes)); }

struct decoded {
    boost::system::error_code ec;
    App app;
    std::string diag;
};

decoded run_decode(const json::object& item) {
    decoded r;
    BOOST_CHECK_NO_THROW(r.ec = pws::dynamodb::decode_app(item, r.app, r.diag));
    return r;
}

App decode_ok(const json::object& item) {
    auto r = run_decode(item);
    BOOST_TEST(!r.ec, r.diag);
    return r.app;
}

void expect_malformed(const json::object& item, std::string_view attr) {
    auto r = run_decode(item);
    auto* v = item.if_contains(attr);
    BOOST_TEST((r.ec == pws::error::malformed_item), (v ? json::serialize(*v) : "(absent)")
                                                         << " -> " << r.diag);
    BOOST_TEST(r.diag.find(attr) != std::string::npos, r.diag);
    BOOST_TEST(r.diag.find(secret) == std::string::npos, r.diag);
    BOOST_TEST((r.app == App{}));  // `out` untouched on failure
}

constexpr std::string_view flags[] = {"Enabled", "EnableClientMessages",
                                      "EnableUserAuthentication"};
constexpr std::string_view ints[] = {
    "MaxConnections",           "MaxBackendEventsPerSecond",    "MaxClientEventsPerSecond",
    "MaxReadRequestsPerSecond", "MaxPresenceMembersPerChannel", "MaxChannelNameLength",
    "MaxEventChannelsAtOnce",   "MaxEventNameLength",           "MaxEventBatchSize"};
constexpr std::string_view doubles[] = {"MaxPresenceMemberSizeInKb", "MaxEventPayloadInKb"};



// The same two webhooks as the JSON text soketi stores in an S, and as a native L of M.
std::string webhooks_text() { return read_text(PWS_TEST_DATA_DIR "/webhooks.json"); }
json::value webhooks_native() {
    return json::parse(read_text(PWS_TEST_DATA_DIR "/webhooks_native.json"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decode)

BOOST_AUTO_TEST_CASE(seed_item_decodes_every_attribute) {
    App a = decode_ok(seed());
    BOOST_TEST(a.id == "app-id");
    BOOST_TEST(a.key == "app-key");
    BOOST_TEST(a.secret == "app-secret");
    BOOST_TEST(a.enabled);
    BOOST_TEST(!a.enable_client_messages);
    BOOST_TEST(!a.enable_user_authentication);
    BOOST_TEST(a.max_connections == -1);
    BOOST_TEST(a.max_backend_events_per_second == -1);
    BOOST_TEST(a.max_client_events_per_second == -1);
    BOOST_TEST(a.max_read_requests_per_second == -1);
    BOOST_TEST(a.webhooks.empty());
    // Attributes the seed leaves out keep soketi's defaults.
    App d;
    BOOST_TEST(a.max_presence_members_per_channel == d.max_presence_members_per_channel);
    BOOST_TEST(a.max_presence_member_size_in_kb == d.max_presence_member_size_in_kb);
    BOOST_TEST(a.max_event_payload_in_kb == d.max_event_payload_in_kb);
    BOOST_TEST(a.max_event_batch_size == d.max_event_batch_size);
}

BOOST_AUTO_TEST_CASE(flag_forms) {
    const std::pair<json::object, bool> forms[] = {
        {av("BOOL", true), true},  {av("BOOL", false), false}, {av("S", "true"), true},
        {av("S", "false"), false}, {av("S", "1"), true},       {av("S", "0"), false},
        {av("N", "1"), true},      {av("N", "0"), false},      {b64("true"), true},
        {b64("false"), false},     {b64("1"), true},           {b64("0"), false}};
    for (auto flag : flags)
        for (auto& [value, expected] : forms) {
            App a = decode_ok(with(base(), flag, value));
            bool got = flag == "Enabled"                ? a.enabled
                       : flag == "EnableClientMessages" ? a.enable_client_messages
                                                        : a.enable_user_authentication;
            BOOST_TEST(got == expected, flag << " = " << json::serialize(value));
        }
}

BOOST_AUTO_TEST_CASE(number_forms) {
    BOOST_TEST(decode_ok(with(base(), "MaxConnections", av("S", "100"))).max_connections == 100);
    BOOST_TEST(
        decode_ok(with(base(), "MaxConnections", av("N", "9223372036854775807"))).max_connections ==
        9223372036854775807);
    BOOST_TEST(decode_ok(with(base(), "MaxEventBatchSize", av("N", "-9223372036854775808")))
                   .max_event_batch_size == -9223372036854775807 - 1);
    BOOST_TEST(
        decode_ok(with(base(), "MaxEventPayloadInKb", av("N", "0.5"))).max_event_payload_in_kb ==
        0.5);
    BOOST_TEST(decode_ok(with(base(), "MaxPresenceMemberSizeInKb", av("S", "3")))
                   .max_presence_member_size_in_kb == 3.0);
}

BOOST_AUTO_TEST_CASE(webhooks_as_text_and_native_list_agree) {
    App text = decode_ok(with(base(), "Webhooks", av("S", webhooks_text())));
    App native = decode_ok(with(base(), "Webhooks", webhooks_native()));
    BOOST_TEST_REQUIRE(text.webhooks.size() == 2u);
    BOOST_TEST((text.webhooks == native.webhooks));
    auto& h = text.webhooks[0];
    BOOST_TEST(h.url == "https://h.example/x");
    BOOST_TEST(h.event_types.at(0) == "channel_occupied");
    BOOST_TEST(h.headers.at("X-A") == "1");
    BOOST_TEST(h.filter.channel_name_starts_with == "private-");
    BOOST_TEST(h.filter.channel_name_ends_with == "-end");
    BOOST_TEST(!h.lambda.has_value());
    auto& f = text.webhooks[1];
    BOOST_TEST(f.lambda_function == "fn");
    BOOST_TEST_REQUIRE(f.lambda.has_value());
    BOOST_TEST(f.lambda->async);
    BOOST_TEST(f.lambda->region == "eu-west-1");
    BOOST_TEST(f.lambda->client_options.at("maxRetries").as_int64() == 2);
    BOOST_TEST(f.lambda->client_options.at("none").is_null());
}

BOOST_AUTO_TEST_CASE(wrong_type_for_every_attribute) {
    for (auto attr : {"AppId", "AppKey", "AppSecret"}) {
        expect_malformed(with(base(), attr, av("N", "1")), attr);
        expect_malformed(with(base(), attr, av("S", 5)), attr);
        expect_malformed(with(base(), attr, av("S", "")), attr);
    }
    for (auto attr : flags) {
        expect_malformed(with(base(), attr, av("L", json::array{})), attr);
        expect_malformed(with(base(), attr, av("BOOL", "true")), attr);
    }
    for (auto attr : ints) expect_malformed(with(base(), attr, av("BOOL", true)), attr);
    for (auto attr : doubles) expect_malformed(with(base(), attr, av("BOOL", true)), attr);
    expect_malformed(with(base(), "Webhooks", av("N", "1")), "Webhooks");
    expect_malformed(with(base(), "Webhooks", av("M", json::object{})), "Webhooks");
    // Not an attribute value at all: a bare string, two type keys, an empty object.
    for (auto attr : {"AppId", "AppSecret", "Enabled", "MaxConnections", "Webhooks"}) {
        expect_malformed(with(base(), attr, "plain"), attr);
        expect_malformed(with(base(), attr, json::object{{"S", "1"}, {"N", "1"}}), attr);
        expect_malformed(with(base(), attr, json::object{}), attr);
    }
}

BOOST_AUTO_TEST_CASE(bad_flag_values) {
    for (auto attr : flags) {
        expect_malformed(with(base(), attr, av("B", "dHJ1ZQ=")),
                         attr);  // length not a multiple of 4
        expect_malformed(with(base(), attr, av("B", "dHJ1ZQ===")), attr);
        expect_malformed(with(base(), attr, av("B", "dHJ1!Q==")), attr);  // bad character
        expect_malformed(with(base(), attr, av("B", "dHJ1ZR==")), attr);  // non-zero padding bits
        expect_malformed(with(base(), attr, b64("yes")), attr);
        expect_malformed(with(base(), attr, b64("TRUE")), attr);
        expect_malformed(with(base(), attr, b64("")), attr);
        expect_malformed(with(base(), attr, av("S", "yes")), attr);
        expect_malformed(with(base(), attr, av("N", "2")), attr);
    }
}

BOOST_AUTO_TEST_CASE(bad_numbers) {
    for (auto attr : ints)
        for (auto text : {"abc", "1.5", "1e3", "", "+1", " 1", "1 ", "0x10", "9223372036854775808",
                          "-9223372036854775809", "1e999", "99999999999999999999999"}) {
            expect_malformed(with(base(), attr, av("N", text)), attr);
            expect_malformed(with(base(), attr, av("S", text)), attr);
        }
    for (auto attr : doubles)
        for (auto text : {"abc", "", "1e999", "inf", "-inf", "nan", "infinity", "1,5", "0x1p3"})
            expect_malformed(with(base(), attr, av("N", text)), attr);
    expect_malformed(with(base(), "MaxConnections", av("N", -1)),
                     "MaxConnections");  // not a string
}

BOOST_AUTO_TEST_CASE(bad_webhooks) {
    auto bad_text = [](std::string_view text) {
        expect_malformed(with(base(), "Webhooks", av("S", text)), "Webhooks");
    };
    bad_text("[");
    bad_text("");
    bad_text("{}");
    bad_text("5");
    bad_text("[5]");
    bad_text(R"([{"url":"u","event_types":[1]}])");
    bad_text(R"([{"url":"u","event_types":"channel_occupied"}])");
    bad_text(R"([{"url":"u"}])");         // no event_types
    bad_text(R"([{"event_types":[]}])");  // no target
    bad_text(R"([{"url":5,"event_types":[]}])");
    bad_text(R"([{"url":"u","event_types":[],"headers":{"X":1}}])");
    bad_text(R"([{"url":"u","event_types":[],"headers":[]}])");
    bad_text(R"([{"url":"u","event_types":[],"filter":"presence-"}])");
    bad_text(R"([{"url":"u","event_types":[],"filter":{"channel_name_starts_with":1}}])");
    bad_text(R"([{"lambda_function":"f","event_types":[],"lambda":{"async":"yes"}}])");
    bad_text(R"([{"lambda_function":"f","event_types":[],"lambda":{"region":1}}])");
    bad_text(R"([{"lambda_function":"f","event_types":[],"lambda":{"client_options":[]}}])");
    bad_text(R"([{"lambda_function":"f","event_types":[],"lambda":true}])");
    bad_text(std::string(40, '[') + std::string(40, ']'));  // deeper than the parser allows
    bad_text("[" + std::string(pws::max_webhooks_json_size, ' ') + "]");  // over the 1 MiB cap

    auto bad_native = [](std::string_view text) {
        expect_malformed(with(base(), "Webhooks", json::parse(text)), "Webhooks");
    };
    bad_native(R"({"L":[{"S":"x"}]})");
    bad_native(R"({"L":{"M":{}}})");
    bad_native(R"({"L":[{"M":{"url":{"S":"u"},"event_types":{"L":[{"N":"1"}]}}}]})");
    bad_native(R"({"L":[{"M":{"url":{"S":"u"},"event_types":{"SS":[1]}}}]})");
    bad_native(R"({"L":[{"M":{"url":{"X":"u"},"event_types":{"L":[]}}}]})");
    bad_native(R"({"L":[{"M":{"url":{"S":"u"},"event_types":{"L":[]},"n":{"N":"abc"}}}]})");
    bad_native(R"({"L":[{"M":{"url":"u","event_types":{"L":[]}}}]})");
    // An item built in code has no parser depth cap; the decoder must still not recurse forever.
    json::value deep = av("S", "x");
    for (int i = 0; i < 5000; ++i) deep = av("L", json::array{deep});
    expect_malformed(with(base(), "Webhooks", deep), "Webhooks");
}

BOOST_AUTO_TEST_CASE(missing_and_null_attributes) {
    for (auto attr : {"AppId", "AppKey", "AppSecret"}) {
        auto item = base();
        item.erase(attr);
        expect_malformed(item, attr);
        expect_malformed(with(base(), attr, av("NULL", true)), attr);
    }
    auto r = run_decode([] {
        auto i = base();
        i.erase("AppSecret");
        return i;
    }());
    BOOST_TEST(r.diag.find("cannot sign") != std::string::npos, r.diag);
    // NULL optional attributes are missing ones: defaults apply.
    App a = decode_ok(
        with(with(with(base(), "Enabled", av("NULL", true)), "MaxConnections", av("NULL", true)),
             "Webhooks", av("NULL", true)));
    BOOST_TEST((a.enabled == App{}.enabled && a.max_connections == App{}.max_connections));
    expect_malformed(with(base(), "Enabled", av("NULL", false)), "Enabled");
}

BOOST_AUTO_TEST_CASE(secret_never_in_diagnostic) {
    for (auto& v : {av("N", secret), av("B", secret), av("SS", json::array{secret}),
                    json::object{{"S", secret}, {"N", "1"}}, av("L", json::array{secret})})
        expect_malformed(with(base(), "AppSecret", v), "AppSecret");
}

BOOST_AUTO_TEST_CASE(secret_quoted_from_another_attribute_is_withheld) {
    // The secret's bytes stored elsewhere in the item — a type key, a flag's text, a webhook's
    // map key, a long value the quote would cut — are item data a diagnostic would quote
    // (found by the dynamodb_body and http_response fuzz targets). The attribute is still named.
    const std::string s(secret);
    for (auto [attr, v] : std::initializer_list<std::pair<std::string_view, json::object>>{
             {"EnableClientMessages", av(s + "S", "true")},
             {"Enabled", av("S", s)},
             {"MaxConnections", av("N", "12" + s)},
             {"Enabled", av("S", "x" + s + std::string(60, 'y'))},
             {"Enabled", av("S", s.substr(3, 9))},  // a 9-byte piece of it
         }) {
        BOOST_TEST_CONTEXT(attr << " = " << json::serialize(v)) {
            auto r = run_decode(with(base(), attr, v));
            BOOST_TEST((r.ec == pws::error::malformed_item));
            BOOST_TEST(r.diag.find(attr) == 0u, r.diag);
            BOOST_TEST(r.diag.find("not shown") != std::string::npos, r.diag);
            for (std::size_t i = 0; i + 8 <= s.size(); ++i)
                BOOST_TEST(r.diag.find(s.substr(i, 8)) == std::string::npos, r.diag);
        }
    }
    auto hooks = json::parse(R"([{"M": {"url": {"S": "https://h.example/x"}, "event_types": {"SS": ["channel_occupied"]},
        "lambda": {"M": {"client_options": {"M": {"k": {"NOPE": "1"}}}}}}}])");
    auto& options = hooks.as_array()[0].at("M").at("lambda").at("M").at("client_options").at("M").as_object();
    options[s] = options["k"];
    options.erase("k");
    auto r = run_decode(with(base(), "Webhooks", av("L", hooks)));
    BOOST_TEST((r.ec == pws::error::malformed_item));
    BOOST_TEST(r.diag.find(secret) == std::string::npos, r.diag);
    BOOST_TEST(r.diag.find("Webhooks: ") == 0u, r.diag);  // the rest of the path held the secret
    // An unrelated error keeps its details.
    r = run_decode(with(base(), "Enabled", av("S", "maybe")));
    BOOST_TEST(r.diag.find("\"maybe\"") != std::string::npos, r.diag);
}

BOOST_AUTO_TEST_CASE(unknown_attributes_are_ignored) {
    App a = decode_ok(with(with(base(), "CreatedAt", av("N", "x")), "Notes", "not even typed"));
    BOOST_TEST(a.id == "app-id");
}

BOOST_AUTO_TEST_CASE(encode_decode_round_trip) {
    const App original = full_app();
    auto item = pws::dynamodb::encode_app(original);
    BOOST_TEST((decode_ok(item) == original));
    // Through the wire text as well, as an item is stored and read back.
    BOOST_TEST((decode_ok(json::parse(json::serialize(item)).as_object()) == original));
    BOOST_TEST((decode_ok(pws::dynamodb::encode_app(ids("i", "k", "s"))) == ids("i", "k", "s")));
}

BOOST_AUTO_TEST_CASE(encode_seed_app_matches_seed_item) {
    const auto item = seed();
    const auto encoded = pws::dynamodb::encode_app(decode_ok(item));
    // As the seed, but for a false EnableUserAuthentication: the seed's B "false" there is a
    // truthy Buffer to soketi (it converts only EnableClientMessages' bytes), BOOL false is off.
    for (auto& [attr, value] : item)
        if (attr != "EnableUserAuthentication")
            BOOST_TEST(encoded.at(attr) == value, attr << ": " << json::serialize(encoded.at(attr)));
    BOOST_TEST(encoded.at("EnableUserAuthentication") == json::parse(R"({"BOOL": false})"));
    BOOST_TEST(encoded.at("Enabled").at("B") == "dHJ1ZQ==");
    BOOST_TEST(encoded.at("EnableClientMessages").at("B") == "ZmFsc2U=");
    App off = decode_ok(item);
    off.enabled = false;
    off.enable_user_authentication = true;
    const auto flipped = pws::dynamodb::encode_app(off);
    BOOST_TEST(flipped.at("Enabled") == json::parse(R"({"BOOL": false})"));
    BOOST_TEST(flipped.at("EnableUserAuthentication").at("B") == "dHJ1ZQ==");
    BOOST_TEST(encoded.size() == 18u);  // every App attribute, defaults included
}

BOOST_AUTO_TEST_CASE(never_throws_on_mutated_items) {
    // Any attribute replaced by any of these values must give a result, never an exception.
    const json::value pool[] = {nullptr,
                                true,
                                1,
                                -1.5,
                                "s",
                                json::array{},
                                json::object{},
                                av("S", 1),
                                av("N", "1e999"),
                                av("B", "===="),
                                av("L", json::array{1}),
                                av("M", json::object{{"a", 1}}),
                                av("SS", 1),
                                av("NS", json::array{"x"}),
                                av("NULL", "x"),
                                av("BOOL", json::value(nullptr)),
                                av("S", "[{}]")};
    std::mt19937 rng(42);
    const auto item = seed();
    for (int i = 0; i < 2000; ++i) {
        auto m = item;
        for (int j = 0; j < 3; ++j) {
            auto it = m.begin() + static_cast<std::ptrdiff_t>(rng() % m.size());
            it->value() = pool[rng() % std::size(pool)];
        }
        run_decode(m);
    }
}

BOOST_AUTO_TEST_CASE(base64_strict) {
    std::string out;
    for (std::string bytes : std::initializer_list<std::string>{
             "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x80", 3)}) {
        BOOST_TEST(pws::detail::base64_decode(pws::detail::base64_encode(bytes), out));
        BOOST_TEST(out == bytes);
    }
    BOOST_TEST(pws::detail::base64_encode("foobar") == "Zm9vYmFy");
    for (auto bad : {"Zg", "Zg=", "Zg=a", "Z===", "====", "Zm9=Zm9v", "Zm 9", "Zm9v\n", "Zh=="})
        BOOST_TEST(!pws::detail::base64_decode(bad, out), bad);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the one-pass reading of a lookup's answer (dynamodb/detail/answer_scan.hpp) ----
//
// scan_answer is a fast path of get_item::parse / query_by_key::parse: whatever it accepts, the
// general path (Boost.JSON, then decode_app) must decode to the same app; whatever it declines,
// the general path alone decides. The bodies below are of both kinds; the tests say which kind
// each must be, so that a scan which declined everything (or took too much) fails them.
namespace {

using pws::detail::answer_shape;

struct answer_case {
    answer_shape shape;
    std::string expected;  // the id or key asked for
    std::string body;
};

std::string get_item_body(const std::string& item) { return "{\"Item\":" + item + "}"; }
std::string query_body(const std::string& item) {
    return "{\"Count\":1,\"Items\":[" + item + "],\"ScannedCount\":1}";
}

// Runs both paths; returns whether the scan took the body. When it did, the general path must
// have found the same app (and parse(), which tries the scan first, returns it too).
bool scan_agrees(const answer_case& c) {
    const pws::AppDefaults defaults{.max_presence_members_per_channel = 7, .max_event_payload_in_kb = 3.5};
    App fast;
    bool took = false;
    BOOST_CHECK_NO_THROW(took = pws::detail::scan_answer(c.body, c.shape, c.expected, defaults, fast));
    const pws::find_result general = pws::detail::parse_answer_general(c.body, c.shape, c.expected, defaults);
    const pws::find_result parsed = c.shape == answer_shape::get_item
                                        ? pws::dynamodb::get_item{"apps", c.expected}.parse(c.body, defaults)
                                        : pws::dynamodb::query_by_key{"apps", "AppKeyIndex", c.expected}.parse(c.body, defaults);
    if (took) {
        BOOST_TEST_REQUIRE(general.found(), c.body << " -> " << general.ec.message() << ": " << general.diagnostic);
        BOOST_TEST((fast == *general.app), c.body);
        BOOST_TEST_REQUIRE(parsed.found(), c.body);
        BOOST_TEST((*parsed.app == *general.app), c.body);
    } else {
        BOOST_TEST(parsed.ec == general.ec, c.body);
        BOOST_TEST(parsed.diagnostic == general.diagnostic, c.body);
        BOOST_TEST(parsed.found() == general.found(), c.body);
        if (parsed.found() && general.found()) BOOST_TEST((*parsed.app == *general.app), c.body);
    }
    return took;
}

std::string seed_text() {
    auto t = read_text(PWS_TEST_DATA_DIR "/seed_item.json");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
}

// An item of the seed with `attr` set to `value` (JSON text), appended or replacing.
std::string seed_with(std::string_view attr, std::string_view value) {
    auto item = json::parse(seed_text()).as_object();
    item[attr] = json::parse(value);
    return json::serialize(item);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(answer_scan)

BOOST_AUTO_TEST_CASE(usual_answers_take_the_scan_and_decode_as_the_general_path) {
    const std::string seed = seed_text();
    const std::vector<std::string> items = {
        seed,
        // spellings, forms and shapes the scan reads
        seed_with("Enabled", R"({"BOOL":false})"),
        seed_with("Enabled", R"({"B":"MA=="})"),                   // the bytes "0"
        seed_with("EnableUserAuthentication", R"({"B":"MQ=="})"),  // the bytes "1"
        seed_with("EnableClientMessages", R"({"N":"1"})"),
        seed_with("EnableUserAuthentication", R"({"S":"true"})"),
        seed_with("enable_client_messages", R"({"B":"ZmFsc2U="})"),  // the same value as EnableClientMessages
        seed_with("MaxConnections", R"({"S":"-1"})"),
        seed_with("maxEventBatchSize", R"({"N":"25"})"),
        seed_with("MaxEventPayloadInKb", R"({"N":"12.5"})"),
        seed_with("max_presence_member_size_in_kb", R"({"S":"0.5"})"),
        seed_with("MaxReadRequestsPerSecond", R"({"NULL":true})"),  // absent: the default
        seed_with("Webhooks", R"({"NULL":true})"),
        seed_with("CreatedAt", R"({"N":"1700000000"})"),              // unknown: ignored
        seed_with("Note", R"({"S":"(ignored) \u00e9"})"),           // non-ASCII, decoded by neither: see below
        R"({"AppSecret":{"S":"s"},"AppKey":{"S":"app-key"},"AppId":{"S":"app-id"}})",
        // JSON text in a Webhooks S (its quotes escaped), and the two-character escapes elsewhere
        seed_with("Webhooks", json::serialize(json::object{{"S", webhooks_text()}})),
        [] {  // the camelCase spelling alone (beside the seed's "[]" it would conflict)
            auto o = json::parse(seed_text()).as_object();
            o.erase("Webhooks");
            o["webhooks"] = json::object{{"S", webhooks_text()}};
            return std::string(json::serialize(o));
        }(),
        seed_with("AppSecret", R"({"S":"a\"b\\c/d\n\r\te"})"),
        R"({"AppId":{"S":"app-id"},"AppKey":{"S":"app-key"},"AppSecret":{"S":"\/\b\f\"\\"}})",
        seed_with("Note", R"({"S":"line\nbreak"})"),
    };
    std::size_t taken = 0;
    for (const auto& item : items) {
        taken += scan_agrees({answer_shape::get_item, "app-id", get_item_body(item)});
        taken += scan_agrees({answer_shape::query, "app-key", query_body(item)});
    }
    // The first "Note" item holds a non-ASCII byte (é): declined, whatever it decodes to. Every
    // other one is taken.
    BOOST_TEST(taken == 2 * (items.size() - 1));

    // Whitespace anywhere JSON allows it, and the Query members in another order.
    BOOST_TEST(scan_agrees({answer_shape::get_item, "app-id",
                            " {\n\t\"Item\" :\r\n { \"AppId\" : { \"S\" : \"app-id\" } , \"AppKey\":{\"S\":\"k\"},"
                            "\"AppSecret\":{\"S\":\"s\"}, \"Enabled\" : { \"BOOL\" : true } } } \n"}));
    BOOST_TEST(scan_agrees({answer_shape::query, "app-key",
                            "{\"ScannedCount\":1,\"Items\":[" + seed + "],\"Count\":1}"}));
    BOOST_TEST(scan_agrees({answer_shape::query, "app-key", "{\"Items\":[" + seed + "]}"}));
}

BOOST_AUTO_TEST_CASE(anything_else_is_left_to_the_general_path) {
    const std::string seed = seed_text();
    const std::vector<answer_case> declined = {
        // not found, or not one app: the general path's answers
        {answer_shape::get_item, "app-id", "{}"},
        {answer_shape::query, "app-key", R"({"Count":0,"Items":[],"ScannedCount":0})"},
        {answer_shape::query, "app-key", "{\"Count\":2,\"Items\":[" + seed + "," + seed + "],\"ScannedCount\":2}"},
        // another app than the one asked for
        {answer_shape::get_item, "other-id", get_item_body(seed)},
        {answer_shape::query, "other-key", query_body(seed)},
        // envelope members the scan does not know, twice the same, trailing bytes, the wrong shape
        {answer_shape::get_item, "app-id", R"({"Item":)" + seed + R"(,"ConsumedCapacity":{"TableName":"apps"}})"},
        {answer_shape::get_item, "app-id", R"({"Item":)" + seed + R"(,"Item":)" + seed + "}"},
        {answer_shape::get_item, "app-id", get_item_body(seed) + "x"},
        {answer_shape::get_item, "app-id", get_item_body(seed) + "}"},
        {answer_shape::get_item, "app-id", query_body(seed)},
        {answer_shape::query, "app-key", get_item_body(seed)},
        {answer_shape::query, "app-key", "{\"Count\":1.0,\"Items\":[" + seed + "]}"},
        {answer_shape::query, "app-key", "{\"Count\":01,\"Items\":[" + seed + "]}"},
        {answer_shape::query, "app-key", "{\"Items\":[" + seed + "],\"LastEvaluatedKey\":{}}"},
        {answer_shape::get_item, "app-id", "{\"Item\":" + seed + ",}"},
        // items the decoder refuses, or that need more than the scan reads
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Webhooks", json::serialize(json::object{{"L", webhooks_native()}})))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Webhooks", R"({"S":"[1]"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"B":"dHJ1ZQ="})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"B":"dHJ1ZR=="})"))},  // bits under '='
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"B":"eWVz"})"))},      // "yes"
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"N":"2"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"BOOL":"true"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"NULL":false})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Enabled", R"({"SS":["true"]})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("enabled", R"({"BOOL":false})"))},  // conflicts
        {answer_shape::get_item, "app-id", get_item_body(seed_with("MaxConnections", R"({"N":"1e3"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("MaxConnections", R"({"N":"99999999999999999999"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("MaxEventPayloadInKb", R"({"N":"inf"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("AppSecret", R"({"S":""})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("AppSecret", R"({"B":"cw=="})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("AppKey", R"({"NULL":true})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("AppSecret", R"({"S":"caf\u00e9"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("AppSecret", "{\"S\":\"caf\u00e9\"}"))},  // raw UTF-8
        {answer_shape::get_item, "app-id", R"({"Item":{"AppId":{"S":"app-id"},"AppKey":{"S":"k"},"AppSecret":{"S":"a\u0022b"}}})"},
        {answer_shape::get_item, "app-id", R"({"Item":{"App\u0049d":{"S":"app-id"},"AppKey":{"S":"k"},"AppSecret":{"S":"s"}}})"},
        {answer_shape::get_item, "app-id", R"({"Item":{"AppId":{"\u0053":"app-id"},"AppKey":{"S":"k"},"AppSecret":{"S":"s"}}})"},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Webhooks", R"({"S":"[{\"url\":\"https://h\u00e9.example\",\"event_types\":[]}]"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Webhooks", R"({"S":"[{\"url\":1}]"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Webhooks", R"({"S":"[{\"url\":\"https://x\"}"})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Extra", R"({"M":{"a":{"S":"b"}}})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Extra", R"({})"))},
        {answer_shape::get_item, "app-id", get_item_body(seed_with("Extra", R"({"S":"a","N":"1"})"))},
        {answer_shape::get_item, "app-id", R"({"Item":{"AppId":{"S":"app-id"},"AppId":{"S":"app-id"},"AppKey":{"S":"k"},"AppSecret":{"S":"s"}}})"},
        {answer_shape::get_item, "app-id", "{\"Item\":{\"AppId\":{\"S\":\"app\tid\"}}}"},  // a raw tab: not JSON
        {answer_shape::get_item, "app-id", "{\"Item\":[]}"},
        {answer_shape::get_item, "app-id", ""},
        {answer_shape::get_item, "app-id", "null"},
    };
    for (const auto& c : declined) BOOST_TEST(!scan_agrees(c), c.body);

    // Every strict prefix of a usual answer is broken JSON: declined, and an error of the general path.
    for (const auto& whole : {get_item_body(seed), query_body(seed)}) {
        const auto shape = whole.find("Items") != std::string::npos ? answer_shape::query : answer_shape::get_item;
        for (std::size_t n = 0; n < whole.size(); ++n) {
            const answer_case c{shape, shape == answer_shape::query ? "app-key" : "app-id", whole.substr(0, n)};
            BOOST_TEST(!scan_agrees(c), c.body);
        }
    }
}

BOOST_AUTO_TEST_CASE(mutated_answers_never_make_the_two_paths_disagree) {
    // Byte-level mutations of usual answers (a fixed seed: reproducible); the dynamodb_body and
    // http_response fuzz targets check the same agreement on whatever the fuzzer makes.
    const std::string seed = seed_text();
    const std::string hooked = seed_with("Webhooks", json::serialize(json::object{{"S", webhooks_text()}}));
    const std::string alphabet = "{}[]:,\"\\ 01-.eEtrufalsnNSBOLM=Zdx\x7f\xc3\xa9";
    std::mt19937 rng(16);
    std::size_t taken = 0, declined = 0;
    for (int i = 0; i < 4000; ++i) {
        const bool query = i % 2 == 1;
        std::string body = query ? query_body(i % 4 == 1 ? seed : hooked) : get_item_body(i % 4 == 0 ? seed : hooked);
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % body.size();
            switch (rng() % 3) {
            case 0: body[at] = alphabet[rng() % alphabet.size()]; break;
            case 1: body.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
            default: body.erase(at, 1); break;
            }
        }
        const answer_case c{query ? answer_shape::query : answer_shape::get_item, query ? "app-key" : "app-id", body};
        (scan_agrees(c) ? taken : declined)++;
    }
    // Both kinds occur (a mutation inside a value the decoder ignores, or in whitespace, keeps the
    // body usual), so both branches of the agreement are exercised.
    BOOST_TEST(taken > 0u);
    BOOST_TEST(declined > 0u);
    BOOST_TEST_MESSAGE("mutated answers: " << taken << " taken by the scan, " << declined << " declined");
}

BOOST_AUTO_TEST_SUITE_END()
