// Unit tests of pws-apps audit's pure part (examples/pws_apps/audit.hpp): the JavaScript soketi
// runs (checked against node v20 for the same inputs), soketi's reading of items, one case per
// kind of difference the audit reports, items on which both readers agree (no false positives),
// and the report: keys held twice, the summary, and never the secret. No server.
#define BOOST_TEST_MODULE pws_audit_tests
#include "audit.hpp"

#include <pws/app_fields.hpp>
#include <pws/detail/base64.hpp>
#include <pws/dynamodb/attribute_value.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <set>

namespace json = boost::json;
namespace audit = pws_apps::audit;
namespace js = pws_apps::audit::js;

namespace {

json::object obj(std::string_view text) {
    return json::parse(text).as_object();
}
std::string b64(std::string_view s) {
    return pws::detail::base64_encode(s);
}

// An item with the three keys and whatever else `rest` holds (DynamoDB JSON members).
json::object item(std::string_view id, std::string_view rest = "") {
    std::string text = R"({"AppId":{"S":")" + std::string(id) + R"("},"AppKey":{"S":"key-)" +
                       std::string(id) + R"("},"AppSecret":{"S":"secret-of-)" + std::string(id) + R"("})";
    if (!rest.empty()) text += "," + std::string(rest);
    return obj(text + "}");
}

std::string flag_b(std::string_view attr, std::string_view bytes) {
    return "\"" + std::string(attr) + "\":{\"B\":\"" + b64(bytes) + "\"}";
}

const audit::difference* diff(const audit::item_audit& a, std::string_view field) {
    for (auto& d : a.differences)
        if (d.field == field) return &d;
    return nullptr;
}

std::string fields_of(const audit::item_audit& a) {
    std::string out;
    for (auto& d : a.differences) out += (out.empty() ? "" : " | ") + d.field;
    return out;
}

audit::item_audit run(const json::object& i, const pws::AppDefaults& d = {}) {
    return audit::audit_item(i, d);
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_js)

// Each row: the input string, then what node v20 printed for String(parseInt(s)),
// String(parseFloat(s)), String(Number(s)), the `boolean` package's v3 function on s, and !!s.
struct js_row {
    const char* input;
    const char *parse_int, *parse_float, *number;
    bool boolean, truthy;
};
const js_row js_rows[] = {
    {"1.5", "1", "1.5", "1.5", false, true},
    {"abc", "NaN", "NaN", "NaN", false, true},
    {"", "NaN", "NaN", "0", false, false},
    {" 12", "12", "12", "12", false, true},
    {"-0", "0", "0", "0", false, true},
    {"0x1F", "31", "0", "31", false, true},
    {"-0x10", "-16", "0", "NaN", false, true},
    {"1e3", "1", "1000", "1000", false, true},
    {"1e21", "1", "1e+21", "1e+21", false, true},
    {"12abc", "12", "12", "NaN", false, true},
    {"  +7.5e-3xyz", "7", "0.0075", "NaN", false, true},
    {".5", "NaN", "0.5", "0.5", false, true},
    {"5.", "5", "5", "5", false, true},
    {".", "NaN", "NaN", "NaN", false, true},
    {"Infinity", "NaN", "Infinity", "Infinity", false, true},
    {"infinity", "NaN", "NaN", "NaN", false, true},
    {"1e400", "1", "Infinity", "Infinity", false, true},
    {"123456789012345678901234567890", "1.2345678901234568e+29", "1.2345678901234568e+29",
     "1.2345678901234568e+29", false, true},
    {"9007199254740993", "9007199254740992", "9007199254740992", "9007199254740992", false, true},
    {"0b101", "0", "0", "5", false, true},
    {"  42  ", "42", "42", "42", false, true},
    {" true ", "NaN", "NaN", "NaN", true, true},
    {"TRUE", "NaN", "NaN", "NaN", true, true},
    {"yes", "NaN", "NaN", "NaN", true, true},
    {" On", "NaN", "NaN", "NaN", true, true},
    {"t", "NaN", "NaN", "NaN", true, true},
    {"0", "0", "0", "0", false, true},
    {"1", "1", "1", "1", true, true},
    {"false", "NaN", "NaN", "NaN", false, true},
    {"00012", "12", "12", "12", false, true},
};

BOOST_AUTO_TEST_CASE(string_operations_match_node) {
    for (auto& r : js_rows) {
        BOOST_TEST_CONTEXT("input \"" << r.input << "\"") {
            const auto v = js::value::of(std::string(r.input));
            BOOST_TEST(js::number_to_string(js::parse_int(v)) == r.parse_int);
            BOOST_TEST(js::number_to_string(js::parse_float(v)) == r.parse_float);
            BOOST_TEST(js::number_to_string(js::string_to_number(r.input)) == r.number);
            BOOST_TEST(js::boolean_package(v) == r.boolean);
            BOOST_TEST(js::truthy(v) == r.truthy);
        }
    }
}

BOOST_AUTO_TEST_CASE(number_to_string_matches_node) {
    const std::pair<double, const char*> rows[] = {{1.5, "1.5"},
                                                   {1e21, "1e+21"},
                                                   {1e-7, "1e-7"},
                                                   {123456789, "123456789"},
                                                   {0.1 + 0.2, "0.30000000000000004"},
                                                   {-1e-7, "-1e-7"},
                                                   {5e-324, "5e-324"},
                                                   {100, "100"},
                                                   {1e20, "100000000000000000000"},
                                                   {123e-20, "1.23e-18"},
                                                   {0.000001, "0.000001"},
                                                   {-1, "-1"},
                                                   {NAN, "NaN"},
                                                   {-INFINITY, "-Infinity"}};
    for (auto& [d, text] : rows) BOOST_TEST(js::number_to_string(d) == text);
    // parseInt of a number goes through its text: 1e21 -> "1e+21" -> 1, 1e-7 -> "1e-7" -> 1.
    BOOST_TEST(js::parse_int(js::value::of(1e21)) == 1);
    BOOST_TEST(js::parse_int(js::value::of(1e-7)) == 1);
    BOOST_TEST(js::parse_int(js::value::of(0.1 + 0.2)) == 0);
}

BOOST_AUTO_TEST_CASE(values_of_other_types) {
    using t = js::value::type;
    // Buffers are truthy whatever they hold, and read as their UTF-8 text.
    const auto buffer = js::value::of(std::string("false"), t::buffer);
    BOOST_TEST(js::truthy(buffer));
    BOOST_TEST(js::to_string(buffer) == "false");
    BOOST_TEST(!js::boolean_package(buffer));  // the package itself takes no Buffer
    BOOST_TEST(js::to_string(js::value::of(std::string("a\xff"), t::buffer)) == "a\xef\xbf\xbd");
    BOOST_TEST(js::truthy(js::value::of(t::object)));
    BOOST_TEST(js::truthy(js::value::of(t::array)));
    BOOST_TEST(!js::truthy(js::value::of(t::null)));
    BOOST_TEST(!js::truthy(js::value::of(0.0)));
    BOOST_TEST(!js::truthy(js::value::of(std::nan(""))));
    BOOST_TEST(js::boolean_package(js::value::of(1.0)));
    BOOST_TEST(!js::boolean_package(js::value::of(2.0)));
    // String([1.5]) is "1.5", String({}) "[object Object]".
    js::value arr = js::value::of(t::array);
    arr.elements = {js::value::of(1.5), js::value::of(t::null), js::value::of(std::string("x"))};
    BOOST_TEST(js::to_string(arr) == "1.5,,x");
    BOOST_TEST(js::parse_float(arr) == 1.5);
    BOOST_TEST(std::isnan(js::parse_int(js::value::of(t::object))));
    BOOST_TEST(std::isnan(js::parse_int(js::value::of(true))));
}

BOOST_AUTO_TEST_CASE(unmarshall_like_aws_sdk_v2) {
    using t = js::value::type;
    auto v = js::unmarshall_item(obj(R"({"s":{"S":"x"},"n":{"N":"1.50"},"b":{"B":")" + b64("bytes") +
                                     R"("},"t":{"BOOL":true},"z":{"NULL":true},
        "m":{"M":{"k":{"N":"1"}}},"l":{"L":[{"S":"a"},{"N":"2"}]},"ss":{"SS":["a","b"]},"ns":{"NS":["1"]},
        "bs":{"BS":[")" + b64("q") + R"("]},"odd":{"X":"1"}})"));
    BOOST_TEST((v.t == t::object));
    BOOST_TEST((js::get(v, "s")->t == t::string));
    BOOST_TEST(js::get(v, "n")->number == 1.5);
    BOOST_TEST((js::get(v, "b")->t == t::buffer));
    BOOST_TEST(js::get(v, "b")->text == "bytes");
    BOOST_TEST(js::get(v, "t")->boolean);
    BOOST_TEST((js::get(v, "z")->t == t::null));
    BOOST_TEST(js::get(*js::get(v, "m"), "k")->number == 1);
    BOOST_TEST(js::get(v, "l")->elements.size() == 2u);
    BOOST_TEST((js::get(v, "ss")->t == t::set));
    BOOST_TEST(js::get(v, "bs")->elements.at(0).text == "q");
    BOOST_TEST(js::get(v, "odd") == nullptr);  // no type soketi's SDK knows: undefined
    // `map[key] = ...` with "__proto__" sets the prototype: its members are read through it.
    auto p = js::unmarshall_item(obj(R"({"__proto__":{"M":{"Enabled":{"BOOL":false}}}})"));
    BOOST_TEST(p.members.empty());
    BOOST_REQUIRE(js::get(p, "Enabled"));
    BOOST_TEST(!js::get(p, "Enabled")->boolean);
    // JSON.parse: "__proto__" stays an own key, the last of duplicate keys wins.
    bool ok = false;
    auto j = js::json_parse(R"({"a":1,"a":2,"__proto__":{"b":1}})", ok);
    BOOST_TEST(ok);
    BOOST_TEST(js::get(j, "a")->number == 2);
    BOOST_TEST(js::get(j, "b") == nullptr);
    js::json_parse("[{not json", ok);
    BOOST_TEST(!ok);
    auto deep = js::json_parse(std::string(300, '[') + std::string(300, ']'), ok);
    BOOST_TEST(ok);
    BOOST_TEST((deep.t == t::unknown));  // said, not guessed
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(audit_soketi)

BOOST_AUTO_TEST_CASE(spellings_are_soketis_and_the_librarys) {
    // soketi's lists (src/app.ts); the library reads the same spellings (app_fields.hpp).
    auto same = [](std::string_view name, auto& field) {
        std::vector<std::string_view> pws;
        for (auto n : field.names())
            if (!n.empty()) pws.push_back(n);
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(audit::soketi_spellings(name) == pws, boost::test_tools::per_element());
        }
    };
    for (auto& f : pws::app_flags) same(f.camel, f);
    for (auto& f : pws::app_ints) same(f.camel, f);
    for (auto& f : pws::app_numbers) same(f.camel, f);
    same("webhooks", pws::app_webhooks);
    BOOST_TEST(audit::soketi_spellings("maxReadRequestsPerSecond").back() == "max_read_req_per_sec");
    BOOST_TEST(audit::soketi_spellings("secret") == (std::vector<std::string_view>{"secret", "AppSecret"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(last_spelling_present_wins_and_empty_or_null_is_absent) {
    auto s = audit::soketi_reading(
        item("a", R"("maxConnections":{"N":"1"},"MaxConnections":{"N":"2"},"max_connections":{"NULL":true},
                    "MaxEventBatchSize":{"S":""},"max_event_batch_size":{"N":"7"},
                    "enabled":{"BOOL":false},"MaxChannelNameLength":{"S":""})"),
        {});
    BOOST_TEST(s.field("maxConnections").attribute == "MaxConnections");
    BOOST_TEST(s.field("maxConnections").value.number == 2);
    BOOST_TEST(s.field("maxEventBatchSize").attribute == "max_event_batch_size");
    BOOST_TEST(s.field("maxEventBatchSize").value.number == 7);
    BOOST_TEST(s.field("enabled").attribute == "enabled");
    BOOST_TEST(!js::truthy(s.field("enabled").value));
    BOOST_TEST(s.field("maxChannelNameLength").attribute.empty());  // "" skipped: the default
    BOOST_TEST(s.field("maxChannelNameLength").value.number == 200);
}

BOOST_AUTO_TEST_CASE(defaults_are_the_server_options) {
    pws::AppDefaults d;
    d.max_event_batch_size = 33;
    d.max_event_payload_in_kb = 0.5;
    auto s = audit::soketi_reading(item("a"), d);
    BOOST_TEST(s.field("maxEventBatchSize").value.number == 33);
    BOOST_TEST(s.field("maxEventPayloadInKb").value.number == 0.5);
    BOOST_TEST(s.field("maxConnections").value.number == -1);
    BOOST_TEST(js::truthy(s.field("enabled").value));
    BOOST_TEST(!js::truthy(s.field("enableUserAuthentication").value));
    BOOST_TEST(s.field("webhooks").value.elements.empty());
    // ...and the same defaults on both sides agree.
    BOOST_TEST(run(item("a"), d).agrees(), fields_of(run(item("a"), d)));
}

BOOST_AUTO_TEST_CASE(only_the_pascal_enable_client_messages_buffer_is_converted) {
    auto s = audit::soketi_reading(item("a", flag_b("EnableClientMessages", "false") + "," +
                                                 flag_b("EnableUserAuthentication", "false")),
                                   {});
    BOOST_TEST(!js::truthy(s.field("enableClientMessages").value));     // boolean("false")
    BOOST_TEST(js::truthy(s.field("enableUserAuthentication").value));  // a Buffer
    auto snake = audit::soketi_reading(item("a", flag_b("enable_client_messages", "false")), {});
    BOOST_TEST(js::truthy(snake.field("enableClientMessages").value));  // not converted: a Buffer
}

BOOST_AUTO_TEST_CASE(webhooks_as_soketi_loads_them) {
    auto count = [](std::string_view rest) {
        return audit::soketi_reading(item("a", rest), {}).field("webhooks").value.elements.size();
    };
    const std::string hook = R"({\"url\":\"http://h\",\"event_types\":[\"client_event\"]})";
    BOOST_TEST(count(R"("Webhooks":{"S":"[)" + hook + R"(]"})") == 1u);
    BOOST_TEST(count(R"("Webhooks":{"S":"[{bad"})") == 0u);
    BOOST_TEST(count(R"("Webhooks":{"S":"{}"})") == 0u);
    // JSON inside a JSON string: the manager parses once, the App a second time.
    BOOST_TEST(count(R"("Webhooks":{"S":"\"[)" +
                     std::string(R"({\\\"url\\\":\\\"u\\\",\\\"event_types\\\":[]})") + R"(]\""})") == 1u);
    // An empty Webhooks fails the manager's JSON.parse and becomes [], which is not '': it wins.
    BOOST_TEST(count(R"("webhooks":{"S":"[)" + hook + R"(]"},"Webhooks":{"S":""})") == 0u);
    // Webhooks wins over webhooks; a Buffer's bytes are parsed too.
    BOOST_TEST(count(R"("webhooks":{"S":"[)" + hook + R"(]"},"Webhooks":{"S":"[]"})") == 0u);
    BOOST_TEST(count(R"("Webhooks":{"B":")" + b64(R"([{"url":"u","event_types":[]}])") + R"("})") == 1u);
    BOOST_TEST(count(R"("Webhooks":{"L":[{"M":{"url":{"S":"u"},"event_types":{"L":[]}}}]})") == 1u);
    // A webhook whose event_types has no includes() makes App's constructor throw.
    auto throws = [](std::string_view rest) {
        return !audit::soketi_reading(item("a", rest), {}).not_found.empty();
    };
    BOOST_TEST(throws(R"("Webhooks":{"S":"[{\"url\":\"u\"}]"})"));
    BOOST_TEST(throws(R"("Webhooks":{"S":"[null]"})"));
    BOOST_TEST(throws(R"("Webhooks":{"S":"[{\"url\":\"u\",\"event_types\":5}]"})"));
    BOOST_TEST(throws(R"("Webhooks":{"L":[{"M":{"event_types":{"SS":["a"]}}}]})"));
    BOOST_TEST(!throws(R"("Webhooks":{"S":"[{\"url\":\"u\",\"event_types\":\"client_event\"}]"})"));
    BOOST_TEST(!throws(R"("Webhooks":{"S":"[]"})"));
}

BOOST_AUTO_TEST_SUITE_END()

// One case per kind of difference: what soketi reads, what pws reads, and that it is reported.
BOOST_AUTO_TEST_SUITE(audit_differences)

BOOST_AUTO_TEST_CASE(b_false_enabled_is_on_in_soketi) {
    auto a = run(item("a", flag_b("Enabled", "false")));
    BOOST_TEST(a.readable);
    auto* d = diff(a, "Enabled");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("true"));
    BOOST_TEST(contains(d->soketi, "Buffer is truthy"));
    BOOST_TEST(d->pws == "false");
    BOOST_TEST(contains(d->why, "soketi accepts connections"));
    BOOST_TEST(a.differences.size() == 1u, fields_of(a));
}

BOOST_AUTO_TEST_CASE(b_false_user_authentication_is_on_in_soketi) {
    auto a = run(item("a", flag_b("EnableUserAuthentication", "false")));
    auto* d = diff(a, "EnableUserAuthentication");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("true"));
    BOOST_TEST(d->pws == "false");
    BOOST_TEST(a.differences.size() == 1u, fields_of(a));
}

BOOST_AUTO_TEST_CASE(b_yes_client_messages_is_unreadable_here_and_on_in_soketi) {
    auto a = run(item("a", flag_b("EnableClientMessages", "yes")));
    BOOST_TEST(!a.readable);
    BOOST_TEST(a.soketi_finds);
    BOOST_TEST(contains(a.unreadable, "EnableClientMessages"));
    BOOST_TEST(contains(a.unreadable, "soketi: serves it"));
    auto* d = diff(a, "EnableClientMessages");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("true"));
    BOOST_TEST(contains(d->soketi, "boolean package"));
    BOOST_TEST(d->pws.starts_with("cannot read (EnableClientMessages"));
}

BOOST_AUTO_TEST_CASE(s_false_and_n_2_flags) {
    auto a = run(item("a", R"("Enabled":{"S":"false"})"));
    BOOST_REQUIRE_MESSAGE(diff(a, "Enabled"), fields_of(a));
    BOOST_TEST(diff(a, "Enabled")->soketi.starts_with("true"));  // a non-empty string
    BOOST_TEST(diff(a, "Enabled")->pws == "false");
    auto n = run(item("a", R"("EnableUserAuthentication":{"N":"2"})"));
    BOOST_TEST(!n.readable);
    BOOST_REQUIRE_MESSAGE(diff(n, "EnableUserAuthentication"), fields_of(n));
    BOOST_TEST(diff(n, "EnableUserAuthentication")->soketi.starts_with("true"));
}

BOOST_AUTO_TEST_CASE(corrupt_webhooks_json_is_no_webhooks_in_soketi) {
    auto a = run(item("a", R"("Webhooks":{"S":"[{not json"})"));
    BOOST_TEST(!a.readable);
    BOOST_TEST(a.soketi_finds);
    auto* d = diff(a, "Webhooks");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("0 webhooks"));
    BOOST_TEST(contains(d->soketi, "not valid JSON"));
    BOOST_TEST(d->pws.starts_with("cannot read (Webhooks: S is not valid JSON"));
}

BOOST_AUTO_TEST_CASE(webhooks_json_that_is_not_an_array) {
    auto a = run(item("a", R"("Webhooks":{"S":"{\"url\":\"http://h\"}"})"));
    BOOST_TEST(!a.readable);
    auto* d = diff(a, "Webhooks");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("0 webhooks"));
    BOOST_TEST(contains(d->soketi, "an object where soketi wants an array"));
}

BOOST_AUTO_TEST_CASE(a_webhook_without_event_types_loads_no_app_in_soketi) {
    auto a = run(item("a", R"("Webhooks":{"S":"[{\"url\":\"http://h\"}]"})"));
    BOOST_TEST(!a.readable);
    BOOST_TEST(!a.soketi_finds);
    BOOST_TEST(contains(a.unreadable, "cannot load it either (Webhooks[0] has no event_types"));
    BOOST_REQUIRE_MESSAGE(diff(a, "Webhooks"), fields_of(a));
    BOOST_TEST(diff(a, "Webhooks")->soketi.starts_with("loads no app at all"));
}

BOOST_AUTO_TEST_CASE(two_spellings_that_differ) {
    auto a = run(item("a", R"("MaxConnections":{"N":"5"},"max_connections":{"N":"7"})"));
    BOOST_TEST(!a.readable);
    auto* d = diff(a, "MaxConnections, max_connections");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("7, from max_connections N \"7\""));
    BOOST_TEST(contains(d->pws, "max_connections"));
    // Two spellings holding the same value: both read 5.
    BOOST_TEST(run(item("a", R"("MaxConnections":{"N":"5"},"max_connections":{"S":"5"})")).agrees());
}

BOOST_AUTO_TEST_CASE(empty_string_in_a_limit_is_the_default_in_soketi) {
    auto a = run(item("a", R"("MaxEventBatchSize":{"S":""})"));
    BOOST_TEST(!a.readable);
    auto* d = diff(a, "MaxEventBatchSize");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(d->soketi.starts_with("10, soketi's default: it skips MaxEventBatchSize"));
}

BOOST_AUTO_TEST_CASE(a_fraction_in_an_integer) {
    auto a = run(item("a", R"("MaxConnections":{"S":"1.5"})"));
    BOOST_TEST(!a.readable);
    BOOST_REQUIRE_MESSAGE(diff(a, "MaxConnections"), fields_of(a));
    BOOST_TEST(diff(a, "MaxConnections")->soketi.starts_with("1, from MaxConnections S \"1.5\""));
    auto n = run(item("a", R"("MaxEventNameLength":{"N":"2.9"})"));
    BOOST_REQUIRE_MESSAGE(diff(n, "MaxEventNameLength"), fields_of(n));
    BOOST_TEST(diff(n, "MaxEventNameLength")->soketi.starts_with("2, "));
}

BOOST_AUTO_TEST_CASE(abc_in_a_limit_is_nan_in_soketi) {
    auto a = run(item("a", R"("MaxClientEventsPerSecond":{"S":"abc"},"MaxChannelNameLength":{"S":"abc"},
                                "MaxConnections":{"S":"abc"},"MaxEventPayloadInKb":{"S":"abc"})"));
    BOOST_TEST(!a.readable);
    BOOST_REQUIRE_MESSAGE(a.differences.size() == 4u, fields_of(a));  // every field named, not the first only
    BOOST_TEST(diff(a, "MaxClientEventsPerSecond")->soketi.starts_with("4 per second"));
    BOOST_TEST(diff(a, "MaxChannelNameLength")->soketi.starts_with("no limit"));
    BOOST_TEST(diff(a, "MaxConnections")->soketi.starts_with("unlimited"));  // NaN || -1
    BOOST_TEST(diff(a, "MaxEventPayloadInKb")->soketi.starts_with("no limit"));
}

BOOST_AUTO_TEST_CASE(zero_connections_is_unlimited_in_soketi) {
    auto a = run(item("a", R"("MaxConnections":{"N":"0"})"));
    BOOST_TEST(a.readable);
    BOOST_REQUIRE_MESSAGE(diff(a, "MaxConnections"), fields_of(a));
    BOOST_TEST(diff(a, "MaxConnections")->soketi.starts_with("unlimited"));
    BOOST_TEST(diff(a, "MaxConnections")->pws == "0");
}

BOOST_AUTO_TEST_CASE(a_missing_secret_is_soketis_default_secret) {
    auto a = run(obj(R"({"AppId":{"S":"a"},"AppKey":{"S":"k"}})"));
    BOOST_TEST(!a.readable);
    BOOST_TEST(a.soketi_finds);
    auto* d = diff(a, "AppSecret");
    BOOST_REQUIRE_MESSAGE(d, fields_of(a));
    BOOST_TEST(contains(d->soketi, "built-in default secret"));
    BOOST_TEST(!contains(d->soketi, "app-secret"));
    BOOST_TEST(d->pws.starts_with("cannot read (AppSecret: missing"));
    // The other spelling soketi reads: pws does not.
    auto lower = run(obj(R"({"AppId":{"S":"a"},"AppKey":{"S":"k"},"secret":{"S":"lower-case-secret"}})"));
    BOOST_REQUIRE_MESSAGE(diff(lower, "secret"), fields_of(lower));
    BOOST_TEST(diff(lower, "secret")->soketi == "the secret in secret");
}

BOOST_AUTO_TEST_CASE(a_missing_key_is_reached_by_id_only) {
    auto a = run(obj(R"({"AppId":{"S":"a"},"AppSecret":{"S":"some-secret"}})"));
    BOOST_TEST(!a.readable);
    BOOST_TEST(contains(a.unreadable, "nothing finds it by key"));
    BOOST_REQUIRE_MESSAGE(diff(a, "AppKey"), fields_of(a));
    BOOST_TEST(diff(a, "AppKey")->soketi.starts_with("\"app-key\", soketi's default"));
}

BOOST_AUTO_TEST_CASE(webhooks_soketi_would_not_deliver_as_pws_reads_them) {
    // A Lambda webhook without a `lambda` object: pws reads it, soketi's sender throws on it.
    auto a = run(
        item("a", R"("Webhooks":{"S":"[{\"lambda_function\":\"f\",\"event_types\":[\"client_event\"]}]"})"));
    BOOST_TEST(a.readable);
    BOOST_REQUIRE_MESSAGE(diff(a, "Webhooks"), fields_of(a));
    BOOST_TEST(contains(diff(a, "Webhooks")->soketi, "no lambda object"));
    // event_types as a string: soketi matches substrings, pws refuses.
    auto s = run(item("a", R"("Webhooks":{"S":"[{\"url\":\"u\",\"event_types\":\"client_event\"}]"})"));
    BOOST_TEST(!s.readable);
    BOOST_TEST(s.soketi_finds);
    BOOST_REQUIRE_MESSAGE(diff(s, "Webhooks"), fields_of(s));
    BOOST_TEST(contains(diff(s, "Webhooks")->soketi, "substrings"));
    // JSON inside the JSON string: soketi finds the webhook, pws refuses the string.
    auto twice = run(item("a", R"("Webhooks":{"S":"\"[]\""})"));
    BOOST_TEST(!twice.readable);
    BOOST_REQUIRE_MESSAGE(diff(twice, "Webhooks"), fields_of(twice));
}

BOOST_AUTO_TEST_CASE(soketi_cannot_load_an_app_pws_reads) {
    // A "__proto__" map is the prototype of soketi's object, so soketi reads Webhooks from it
    // (and cannot load a webhook without event_types); pws ignores the unknown attribute.
    auto a = run(item("a", R"("__proto__":{"M":{"Webhooks":{"L":[{"M":{"url":{"S":"u"}}}]}}})"));
    BOOST_TEST(a.readable);
    BOOST_TEST(!a.soketi_finds);
    BOOST_REQUIRE_MESSAGE(diff(a, "the app"), fields_of(a));
    BOOST_TEST(diff(a, "the app")->soketi.starts_with("no such app"));
}

BOOST_AUTO_TEST_SUITE_END()

// No false positives: items both readers read the same.
BOOST_AUTO_TEST_SUITE(audit_agreement)

BOOST_AUTO_TEST_CASE(soketis_own_seed) {
    // tests/fixtures/dynamodb_schema.js of soketi, as it lands in the table.
    auto a = run(obj(R"({"AppId":{"S":"app-id"},"AppKey":{"S":"app-key"},"AppSecret":{"S":"app-secret"},
        "MaxConnections":{"N":"-1"},"EnableClientMessages":{"B":")" +
                     b64("false") + R"("},
        "Enabled":{"B":")" +
                     b64("true") + R"("},"MaxBackendEventsPerSecond":{"N":"-1"},
        "MaxClientEventsPerSecond":{"N":"-1"},"MaxReadRequestsPerSecond":{"N":"-1"},"Webhooks":{"S":"[]"}})"));
    BOOST_TEST(a.agrees(), fields_of(a) << a.unreadable);
}

BOOST_AUTO_TEST_CASE(native_types_and_full_webhooks) {
    const std::string hooks =
        R"([{\"url\":\"https://h/x\",\"event_types\":[\"channel_occupied\",\"client_event\"],\"headers\":{\"X-A\":\"1\"},)"
        R"(\"filter\":{\"channel_name_starts_with\":\"private-\"}},{\"lambda_function\":\"fn\",\"event_types\":[\"member_added\"],)"
        R"(\"lambda\":{\"async\":true,\"region\":\"eu-west-1\",\"client_options\":{\"maxRetries\":1.0}}}])";
    auto a = run(item("a", R"("Enabled":{"BOOL":false},"EnableClientMessages":{"BOOL":true},
        "EnableUserAuthentication":{"N":"1"},"MaxConnections":{"N":"100"},"MaxEventPayloadInKb":{"N":"0.5"},
        "MaxPresenceMemberSizeInKb":{"S":"3"},"maxEventBatchSize":{"N":"20"},"Webhooks":{"S":")" +
                               hooks + R"("})"));
    BOOST_TEST(a.agrees(), fields_of(a) << a.unreadable);
}

BOOST_AUTO_TEST_CASE(items_written_by_encode_app) {
    // encode_app writes a false Enabled or EnableUserAuthentication as BOOL false, since soketi
    // holds a B one as a Buffer (truthy); any B "false" it wrote would be reported. Nothing is.
    pws::App base;
    base.id = "enc";
    base.key = "enc-key";
    base.secret = "enc-secret-123";
    base.max_connections = 5;
    base.max_event_payload_in_kb = 0.25;
    pws::Webhook http;
    http.url = "https://h";
    http.event_types = {"client_event"};
    http.headers = {{"A", "b"}};
    base.webhooks.push_back(http);
    pws::Webhook lambda;
    lambda.lambda_function = "fn";
    lambda.event_types = {"member_added"};
    lambda.lambda.emplace();
    lambda.lambda->async = true;
    lambda.lambda->region = "r";
    lambda.lambda->client_options = {{"k", 2}};
    base.webhooks.push_back(lambda);
    for (int bits = 0; bits < 8; ++bits) {
        pws::App app = base;
        app.enabled = bits & 1;
        app.enable_client_messages = bits & 2;
        app.enable_user_authentication = bits & 4;
        const auto encoded = pws::dynamodb::encode_app(app);
        std::set<std::string> want;
        for (std::string_view f : {"Enabled", "EnableUserAuthentication"}) {
            const auto* v = encoded.at(f).as_object().if_contains("B");
            if (v && v->as_string() == b64("false")) want.insert(std::string(f));
        }
        auto a = run(encoded);
        std::set<std::string> got;
        for (auto& d : a.differences) got.insert(d.field);
        BOOST_TEST_CONTEXT("flags " << bits) {
            BOOST_TEST(a.readable);
            BOOST_TEST(want.empty());
            BOOST_TEST(got == want, boost::test_tools::per_element());
        }
    }
    pws::App on = base;
    on.enable_user_authentication = true;
    BOOST_TEST(run(pws::dynamodb::encode_app(on)).agrees());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(audit_report)

BOOST_AUTO_TEST_CASE(keys_held_twice_summary_and_exit_codes) {
    std::vector<audit::item_audit> items{
        run(obj(R"({"AppId":{"S":"b"},"AppKey":{"S":"shared"},"AppSecret":{"S":"sb-secret"}})")),
        run(obj(R"({"AppId":{"S":"a"},"AppKey":{"S":"shared"},"AppSecret":{"S":"sa-secret"}})")),
        run(item("c"))};
    auto r = audit::make_report(items);
    BOOST_TEST(r.apps == 3u);
    BOOST_TEST(r.keys_held_twice == 1u);
    BOOST_TEST(r.with_differences == 2u);
    BOOST_TEST(r.exit_code == 1);
    BOOST_REQUIRE(r.lines.size() >= 5u);
    BOOST_TEST(r.lines.front() == "app \"a\" (key \"shared\"):");  // sorted by id
    BOOST_TEST(contains(r.lines[1], "key \"shared\" is held by 2 apps (\"a\", \"b\")"));
    BOOST_TEST(contains(r.lines[1], "pws: every lookup by it fails"));
    BOOST_TEST(r.lines.back() == "audited 3 apps: 2 with differences, 0 unreadable, 1 key held twice");

    auto clean = audit::make_report({run(item("x")), run(item("y"))});
    BOOST_TEST(clean.exit_code == 0);
    BOOST_TEST(clean.lines.size() == 3u);
    BOOST_TEST(clean.lines[0] == "app \"x\" (key \"key-x\"): soketi and pws read it the same");
    BOOST_TEST(clean.lines.back() == "audited 2 apps: 0 with differences, 0 unreadable, 0 keys held twice");
    BOOST_TEST(audit::make_report({}).lines.back() ==
               "audited 0 apps: 0 with differences, 0 unreadable, 0 keys held twice");
}

BOOST_AUTO_TEST_CASE(unreadable_items_are_counted_and_listed) {
    auto r = audit::make_report({run(item("bad", R"("Webhooks":{"S":"nope"})")), run(item("ok"))});
    BOOST_TEST(r.unreadable == 1u);
    BOOST_TEST(r.exit_code == 1);
    bool listed = false;
    for (auto& l : r.lines) listed = listed || l == "soketi serves 1 app pws cannot read: \"bad\"";
    BOOST_TEST(listed);
}

BOOST_AUTO_TEST_CASE(printed_values_are_printable_and_short) {
    BOOST_TEST(audit::shown("a\x1b[31mb\x7f", {}) == "\"a?[31mb?\"");
    BOOST_TEST(audit::shown("caf\xc3\xa9 \xc2\x9b x", {}) ==
               "\"caf\xc3\xa9 ? x\"");  // UTF-8 kept, C1 CSI not
    BOOST_TEST(audit::shown("\xff\xfe", {}) == "\"??\"");
    BOOST_TEST(audit::shown(std::string(100, 'x'), {}) == "\"" + std::string(64, 'x') + "\"...");
    BOOST_TEST(audit::shown(std::string(63, 'x') + "\xc3\xa9", {}) == "\"" + std::string(63, 'x') + "\"...");
}

BOOST_AUTO_TEST_CASE(the_secret_is_never_printed) {
    const std::string secret = "Zq9-very-secret-value";
    auto with = [&](std::string_view rest, std::string_view id = "app-1") {
        std::string text = R"({"AppId":{"S":")" + std::string(id) + R"("},"AppKey":{"S":"k-)" +
                           std::string(id) + R"("},"AppSecret":{"S":")" + secret + "\"}";
        return obj(text + (rest.empty() ? "" : ",") + std::string(rest) + "}");
    };
    std::vector<audit::item_audit> items{
        run(with(R"("MaxConnections":{"S":")" + secret + R"("})", "a")),
        run(with(R"("Enabled":{"S":")" + secret + R"("})", "b")),
        run(with(R"("Webhooks":{"S":"[{\"url\":\"http://)" + secret + R"(\"}]"})", "c")),
        run(with(R"("Webhooks":{"S":"[{\"url\":\"u\",\"event_types\":[],\"headers\":{\")" + secret +
                     R"(\":1}}]"})",
                 "d")),
        run(with(R"("MaxEventBatchSize":{"S":"x)" + secret.substr(3, 9) + R"("})", "e")),
        run(with("", "id-" + secret)),
        run(with(R"("EnableClientMessages":{"B":")" + b64(secret) + R"("})", "f")),
        run(obj(R"({"AppId":{"S":"g"},"AppKey":{"S":"k-g"},"AppSecret":{"B":")" + b64(secret) +
                R"("},"MaxConnections":{"S":")" + secret + R"("}})")),
        run(obj(R"({"AppId":{"S":"h"},"AppKey":{"S":")" + secret + R"("},"secret":{"S":")" + secret +
                R"("}})")),
    };
    auto r = audit::make_report(items);
    std::string all;
    for (auto& l : r.lines) all += l + "\n";
    BOOST_TEST(r.apps == 9u);
    for (std::size_t i = 0; i + 8 <= secret.size(); ++i)
        BOOST_TEST(!contains(all, secret.substr(i, 8)), "piece " << secret.substr(i, 8) << " in:\n" << all);
    BOOST_TEST(!contains(all, b64(secret)));
    BOOST_TEST(contains(all, "(withheld: the app secret)"));
    // The audit still says what it found around the secret.
    BOOST_TEST(contains(all, "app \"a\""));
    BOOST_TEST(contains(all, "MaxConnections: soketi: unlimited"));
}

BOOST_AUTO_TEST_SUITE_END()
