// The sans-io parts of examples/pws_gate without a socket or a clock: signatures (checked against
// the worked examples of Pusher's documentation), the protocol's parsing and messages, the hub's
// bookkeeping, and the HTTP API's decisions.
#define BOOST_TEST_MODULE pws_gate_unit
#include <boost/test/unit_test.hpp>

#include "http_api.hpp"
#include "limits.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "hub.hpp"
#include "pusher_protocol.hpp"
#include "signatures.hpp"

#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/policies/static.hpp>

#include <boost/json/parse.hpp>

#include <limits>
#include <string>
#include <vector>

namespace {

// Pusher's worked example: app 3, key 278d425bdf160c739803, secret 7ad3773142a6692b25b8.
const std::string key = "278d425bdf160c739803", secret = "7ad3773142a6692b25b8";
const std::string body = R"({"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"})";
const std::string query = "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0"
                          "&body_md5=ec365a775a4cd0599faeb73354201b6f"
                          "&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";
constexpr std::int64_t signed_at = 1353088179;

// A subscriber that records what it was sent.
struct recorder : gate::subscriber {
    recorder(std::string app, std::string sid) { app_id = std::move(app); socket_id = std::move(sid); }
    void deliver(gate::message_ptr m) override { got.push_back(*m); }
    std::vector<std::string> got;
};

pws::App docs_app() {
    pws::App a;
    a.id = "3";
    a.key = key;
    a.secret = secret;
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signatures)

BOOST_AUTO_TEST_CASE(http_api_worked_example) {
    const auto params = gate::parse_query(query);
    BOOST_TEST(gate::md5_hex(body).value() == "ec365a775a4cd0599faeb73354201b6f");
    BOOST_TEST(gate::api_string_to_sign("POST", "/apps/3/events", params) ==
               "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179"
               "&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f");
    using gate::api_auth;
    auto check = [&](std::string_view b, std::string_view s, std::int64_t now, std::string_view k = key) {
        return gate::check_api_signature("POST", "/apps/3/events", params, b, k, s, now);
    };
    BOOST_TEST((check(body, secret, signed_at) == api_auth::ok));
    BOOST_TEST((check(body, secret, signed_at + 600) == api_auth::ok));
    BOOST_TEST((check(body, secret, signed_at - 600) == api_auth::ok));
    BOOST_TEST((check(body, secret, signed_at + 601) == api_auth::bad_timestamp));
    BOOST_TEST((check(body, secret, signed_at - 601) == api_auth::bad_timestamp));
    BOOST_TEST((check(body + " ", secret, signed_at) == api_auth::bad_body_md5));
    BOOST_TEST((check(body, "another-secret", signed_at) == api_auth::bad_signature));
    BOOST_TEST((check(body, secret, signed_at, "another-key") == api_auth::wrong_key));
}

BOOST_AUTO_TEST_CASE(http_api_refusals) {
    using gate::api_auth;
    auto check = [&](const std::string& q) {
        return gate::check_api_signature("POST", "/apps/3/events", gate::parse_query(q), body, key, secret, signed_at);
    };
    BOOST_TEST((check("auth_key=" + key + "&auth_timestamp=1353088179&auth_version=1.0") == api_auth::missing_param));
    std::string v2 = query;
    v2.replace(v2.find("1.0"), 3, "2.0");
    BOOST_TEST((check(v2) == api_auth::bad_version));
    std::string no_md5 = query;
    no_md5.erase(no_md5.find("&body_md5"), std::string("&body_md5=ec365a775a4cd0599faeb73354201b6f").size());
    BOOST_TEST((check(no_md5) == api_auth::bad_body_md5));
    std::string flipped = query;
    flipped.back() = flipped.back() == 'e' ? 'f' : 'e';
    BOOST_TEST((check(flipped) == api_auth::bad_signature));
    std::string garbage_ts = query;
    garbage_ts.replace(garbage_ts.find("1353088179"), 10, "13530881xx");
    BOOST_TEST((check(garbage_ts) == api_auth::bad_timestamp));
}

BOOST_AUTO_TEST_CASE(channel_auth_worked_examples) {
    // Pusher's private-channel example.
    const std::string auth = gate::channel_auth(key, secret, "1234.1234", "private-foobar").value();
    BOOST_TEST(auth == key + ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
    BOOST_TEST(gate::channel_auth_ok(auth, key, secret, "1234.1234", "private-foobar"));
    BOOST_TEST(!gate::channel_auth_ok(auth, key, secret, "1234.1235", "private-foobar"));
    BOOST_TEST(!gate::channel_auth_ok(auth, key, secret, "1234.1234", "private-foobaz"));
    BOOST_TEST(!gate::channel_auth_ok(auth.substr(0, auth.size() - 1), key, secret, "1234.1234", "private-foobar"));
    // Presence: channel_data is signed too (value computed with Python's hmac).
    const std::string data = R"({"user_id":10,"user_info":{"name":"Mr. Channels"}})";
    BOOST_TEST(gate::channel_auth(key, secret, "1234.1234", "presence-foobar", data).value() ==
               key + ":31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80");
}

BOOST_AUTO_TEST_CASE(query_parsing) {
    const auto p = gate::parse_query("a=1&b=x%20y+z&&c&d=%zz");
    BOOST_TEST_REQUIRE(p.size() == 4u);
    BOOST_TEST(p[1].second == "x y z");
    BOOST_TEST(p[2].first == "c");
    BOOST_TEST(p[2].second == "");
    BOOST_TEST(p[3].second == "%zz");
}

// A value that came from a client (a URL-decoded app key, a channel name) cannot forge a log line
// or grow one without bound.
BOOST_AUTO_TEST_CASE(log_lines_are_escaped_and_cut) {
    BOOST_TEST(gate::log_text("ws app-key=abc\nforged line") == "ws app-key=abc\\x0aforged line");
    BOOST_TEST(gate::log_text(std::string("a\r\t\x1b[31m\x7f\\b\0c", 13)) == "a\\x0d\\x09\\x1b[31m\\x7f\\\\b\\x00c");
    BOOST_TEST(gate::log_text("plain: \"quotes\" and UTF-8 \xc3\xa9") == "plain: \"quotes\" and UTF-8 \xc3\xa9");
    const std::string huge(1'000'000, '\n');
    const std::string cut = gate::log_text(huge);
    BOOST_TEST(cut.size() <= gate::max_log_line);
    BOOST_TEST(cut.ends_with("..."));
    BOOST_TEST(cut.find('\n') == std::string::npos);
    BOOST_TEST(gate::log_text(std::string(gate::max_log_line - 10, 'x')) == std::string(gate::max_log_line - 10, 'x'));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(connect_target) {
    auto t = gate::pusher::parse_connect_target("/app/my-key?protocol=7&client=js&version=8.6.0&flash=false");
    BOOST_TEST(t.is_app_path);
    BOOST_TEST(t.key == "my-key");
    BOOST_TEST(*t.protocol == "7");
    BOOST_TEST(!gate::pusher::parse_connect_target("/app/").is_app_path);
    BOOST_TEST(!gate::pusher::parse_connect_target("/app/a/b").is_app_path);
    BOOST_TEST(!gate::pusher::parse_connect_target("/apps/a").is_app_path);
    BOOST_TEST(!gate::pusher::parse_connect_target("/app/k").protocol.has_value());
}

BOOST_AUTO_TEST_CASE(protocol_versions) {
    using namespace gate::pusher;
    BOOST_TEST(check_protocol(std::nullopt)->code == no_protocol);
    BOOST_TEST(check_protocol("seven")->code == invalid_version_format);
    BOOST_TEST(check_protocol("4")->code == unsupported_protocol);
    BOOST_TEST(check_protocol("8")->code == unsupported_protocol);
    BOOST_TEST(!check_protocol("7").has_value());
    // The lookup-failure code is in the "back off, then reconnect" range; shutdown in "reconnect now".
    BOOST_TEST((app_lookup_failed >= 4100 && app_lookup_failed < 4200));
    BOOST_TEST((server_restarting >= 4200 && server_restarting < 4300));
}

BOOST_AUTO_TEST_CASE(channels_and_messages) {
    using namespace gate::pusher;
    BOOST_TEST(valid_channel_name("private-a_b-c=d@e,f.g;h", 200));
    BOOST_TEST(!valid_channel_name("a b", 200));
    BOOST_TEST(!valid_channel_name("", 200));
    BOOST_TEST(!valid_channel_name("abcd", 3));
    BOOST_TEST((kind_of("private-encrypted-x") == channel_kind::private_encrypted));
    BOOST_TEST((kind_of("presence-x") == channel_kind::presence));
    BOOST_TEST(!needs_auth("public"));

    auto est = boost::json::parse(connection_established("1.2", 120)).as_object();
    BOOST_TEST(est["event"].as_string() == "pusher:connection_established");
    auto data = boost::json::parse(est["data"].as_string()).as_object();  // double-encoded, as Pusher sends it
    BOOST_TEST(data["socket_id"].as_string() == "1.2");
    BOOST_TEST(data["activity_timeout"].to_number<std::int64_t>() == 120);
    auto err = boost::json::parse(error(4001, "nope")).as_object();
    BOOST_TEST(err["data"].as_object()["code"].to_number<std::int64_t>() == 4001);
    BOOST_TEST(boost::json::parse(error(0, "x")).as_object()["data"].as_object()["code"].is_null());

    auto m = parse_client_message(R"({"event":"pusher:subscribe","data":"{\"channel\":\"c\"}"})");
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST(string_member(data_object(m->data), "channel") == "c");
    BOOST_TEST(!parse_client_message("[1]").has_value());
    BOOST_TEST(!parse_client_message(R"({"event":1})").has_value());
    BOOST_TEST(!parse_client_message("{").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hub)

BOOST_AUTO_TEST_CASE(connection_quota) {
    gate::hub h;
    BOOST_TEST(h.try_add_connection("a", 1));
    BOOST_TEST(!h.try_add_connection("a", 1));
    BOOST_TEST(h.try_add_connection("b", -1));
    recorder r("a", "1.1");
    h.remove_connection(r);
    BOOST_TEST(h.try_add_connection("a", 1));
    BOOST_TEST(!h.try_add_connection("a", 0));
}

BOOST_AUTO_TEST_CASE(publish_and_presence) {
    gate::hub h;
    recorder a("app", "1.1"), b("app", "1.2"), c("app", "1.3"), other("app2", "1.1");
    h.subscribe(a, "news");
    h.subscribe(b, "news");
    h.subscribe(other, "news");
    BOOST_TEST(h.publish("app", "news", std::make_shared<const std::string>("m"), &a) == 1u);
    BOOST_TEST(b.got.size() == 1u);
    BOOST_TEST(a.got.empty());
    BOOST_TEST(other.got.empty());

    auto p = h.subscribe_presence(a, "presence-r", "alice", boost::json::object{{"n", 1}});
    BOOST_TEST(p.as_object()["count"].to_number<std::int64_t>() == 1);
    h.subscribe_presence(b, "presence-r", "alice", nullptr);  // same user, second socket: no member_added
    BOOST_TEST(a.got.empty());
    p = h.subscribe_presence(c, "presence-r", "bob", nullptr);
    BOOST_TEST(p.as_object()["count"].to_number<std::int64_t>() == 2);
    BOOST_TEST_REQUIRE(a.got.size() == 1u);
    BOOST_TEST(a.got[0].find("member_added") != std::string::npos);
    h.remove_connection(b);  // alice still has socket a
    BOOST_TEST(a.got.size() == 1u);
    h.remove_connection(c);
    BOOST_TEST_REQUIRE(a.got.size() == 2u);
    BOOST_TEST(a.got[1].find("member_removed") != std::string::npos);
    BOOST_TEST(c.channels.empty());
}

BOOST_AUTO_TEST_CASE(rate_window) {
    gate::rate_window w;
    BOOST_TEST(w.try_take(2, 2, 100));
    BOOST_TEST(!w.try_take(2, 1, 100));
    BOOST_TEST(w.try_take(2, 1, 101));
    BOOST_TEST(!w.try_take(2, 3, 102));  // refused points take nothing...
    BOOST_TEST(w.try_take(2, 2, 102));   // ...so the window is still whole
    BOOST_TEST(w.try_take(-1, 1000, 102));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_api)

BOOST_AUTO_TEST_CASE(paths) {
    auto p = gate::http_api::parse_path("/apps/3/events");
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST(p->app_id == "3");
    BOOST_TEST((gate::http_api::parse_path("/apps/3/batch_events")->what == gate::http_api::endpoint::batch_events));
    BOOST_TEST(!gate::http_api::parse_path("/apps//events").has_value());
    using gate::http_api::endpoint;
    BOOST_TEST((gate::http_api::parse_path("/apps/3/channels")->what == endpoint::channels));
    auto c = gate::http_api::parse_path("/apps/3/channels/presence-a%40b");
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST((c->what == endpoint::channel));
    BOOST_TEST(c->channel == "presence-a@b");
    auto u = gate::http_api::parse_path("/apps/3/channels/presence-x/users");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST((u->what == endpoint::channel_users));
    BOOST_TEST(u->channel == "presence-x");
    BOOST_TEST(!gate::http_api::parse_path("/apps/3/channels/").has_value());
    BOOST_TEST(!gate::http_api::parse_path("/apps/3/channels/a/b").has_value());
    BOOST_TEST(!gate::http_api::parse_path("/apps/3/users").has_value());
    BOOST_TEST(gate::http_api::is_read(endpoint::channel_users));
    BOOST_TEST(!gate::http_api::is_read(endpoint::batch_events));
}

BOOST_AUTO_TEST_CASE(publish_signature_limits) {
    gate::hub h;
    recorder sub("3", "5.5");
    h.subscribe(sub, "project-3");
    pws::App app = docs_app();
    const auto path = *gate::http_api::parse_path("/apps/3/events");
    auto call = [&](const pws::App& a, std::string_view b, std::int64_t now = signed_at) {
        return gate::http_api::handle(path, a, "POST", "/apps/3/events", query, b, h, now);
    };
    auto ok = call(app, body);
    BOOST_TEST(ok.status == 200);
    BOOST_TEST_REQUIRE(sub.got.size() == 1u);
    auto ev = boost::json::parse(sub.got[0]).as_object();
    BOOST_TEST(ev["event"].as_string() == "foo");
    BOOST_TEST(ev["channel"].as_string() == "project-3");
    BOOST_TEST(ev["data"].as_string() == R"({"some":"data"})");

    BOOST_TEST(call(app, body, signed_at + 601).status == 401);
    pws::App disabled = app;
    disabled.enabled = false;
    BOOST_TEST(call(disabled, body).status == 403);
    pws::App limited = app;
    limited.max_backend_events_per_second = 0;
    BOOST_TEST(call(limited, body).status == 429);
    pws::App tiny = app;
    tiny.max_event_payload_in_kb = 0.001;  // 1 byte
    auto big = call(tiny, body);
    BOOST_TEST(big.status == 413);
    BOOST_TEST(big.body == R"({"error":"The event data should be less than 0.001 KB.","code":413})");
    pws::App short_names = app;
    short_names.max_event_name_length = 2;
    auto named = call(short_names, body);
    BOOST_TEST(named.status == 400);  // soketi: 400 for the name, 413 for the payload
    BOOST_TEST(named.body == R"({"error":"Event name is too long. Maximum allowed size is 2.","code":400})");
    pws::App one_channel = app;
    one_channel.max_event_channels_at_once = 0;
    BOOST_TEST(call(one_channel, body).body ==
               R"({"error":"Cannot broadcast to more than 0 channels at once","code":400})");
    pws::App short_channels = app;
    short_channels.max_channel_name_length = 5;
    BOOST_TEST(call(short_channels, body).status == 400);
    BOOST_TEST(sub.got.size() == 1u);  // none of the refused calls published
}

// The reads, signed as the pusher SDK signs a GET (no body_md5), with a budget per second.
BOOST_AUTO_TEST_CASE(reads) {
    gate::hub h;
    recorder a("3", "1.1"), b("3", "1.2"), c("3", "1.3"), other("4", "9.9");
    h.subscribe(a, "project-3");
    h.subscribe(b, "project-3");
    h.subscribe(other, "project-3");  // another app's: not counted
    h.subscribe_presence(a, "presence-room", "u1", boost::json::value("alice"));
    h.subscribe_presence(b, "presence-room", "u1", boost::json::value("alice"));  // same user, 2nd socket
    h.subscribe_presence(c, "presence-room", "u2", boost::json::object{{"n", 2}});
    pws::App app = docs_app();
    app.max_read_requests_per_second = 3;
    auto call = [&](std::string target, std::int64_t now = signed_at) {
        target += (target.find('?') == std::string::npos ? "?" : "&");
        target += "auth_key=" + key + "&auth_timestamp=" + std::to_string(signed_at) + "&auth_version=1.0";
        const auto q = target.find('?');
        const std::string path = target.substr(0, q);
        const auto to_sign = gate::api_string_to_sign("GET", path, gate::parse_query(target.substr(q + 1)));
        target += "&auth_signature=" + gate::hmac_sha256_hex(secret, to_sign).value();
        const auto p = gate::http_api::parse_path(path).value();
        return gate::http_api::handle(p, app, "GET", path, target.substr(q + 1), "", h, now);
    };
    auto all = call("/apps/3/channels");
    BOOST_TEST(all.status == 200);
    BOOST_TEST(all.body == R"({"channels":{"presence-room":{"subscription_count":3,"occupied":true},)"
                           R"("project-3":{"subscription_count":2,"occupied":true}}})");
    auto presence = call("/apps/3/channels?filter_by_prefix=presence-&info=user_count");
    BOOST_TEST(presence.body ==
               R"({"channels":{"presence-room":{"subscription_count":3,"occupied":true,"user_count":2}}})");
    auto users = call("/apps/3/channels/presence-room/users?with_user_info=1", signed_at + 1);
    BOOST_TEST(users.body == R"({"users":[{"id":"u1","user_info":"alice"},{"id":"u2","user_info":{"n":2}}]})");
    BOOST_TEST(call("/apps/3/channels/presence-room/users", signed_at + 1).body ==
               R"({"users":[{"id":"u1"},{"id":"u2"}]})");
    BOOST_TEST(call("/apps/3/channels/project-3", signed_at + 1).body == R"({"subscription_count":2,"occupied":true})");
    auto over = call("/apps/3/channels/project-3", signed_at + 1);  // the 4th read of second +1
    BOOST_TEST(over.status == 429);
    BOOST_TEST(over.body == R"({"error":"Too many requests.","code":429})");
    auto empty = call("/apps/3/channels/presence-nobody", signed_at + 2);
    BOOST_TEST(empty.body == R"({"subscription_count":0,"occupied":false,"user_count":0})");
    auto not_presence = call("/apps/3/channels/project-3/users", signed_at + 2);
    BOOST_TEST(not_presence.status == 400);
    BOOST_TEST(not_presence.body == R"({"error":"The channel must be a presence channel.","code":400})");
    // A read whose signature was made for another method, or with another secret, is refused.
    auto signed_as = [&](std::string_view method, const std::string& with_secret) {
        const std::string path = "/apps/3/channels";
        std::string q = "auth_key=" + key + "&auth_timestamp=" + std::to_string(signed_at) + "&auth_version=1.0";
        const auto to_sign = gate::api_string_to_sign(method, path, gate::parse_query(q));
        q += "&auth_signature=" + gate::hmac_sha256_hex(with_secret, to_sign).value();
        return gate::http_api::handle(gate::http_api::parse_path(path).value(), app, "GET", path, q, "", h,
                                      signed_at + 3).status;
    };
    BOOST_TEST(signed_as("GET", secret) == 200);
    BOOST_TEST(signed_as("POST", secret) == 401);
    BOOST_TEST(signed_as("GET", "another-secret") == 401);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(app_limits)

BOOST_AUTO_TEST_CASE(messages_as_soketi_writes_them) {
    using namespace gate::limits;
    BOOST_TEST(js_number(10) == "10");
    BOOST_TEST(js_number(0.5) == "0.5");
    BOOST_TEST(js_number(100.25) == "100.25");
    BOOST_TEST(js_number(1e21) == "1e+21");
    BOOST_TEST(js_number(1e-7) == "1e-7");
    BOOST_TEST(js_number(0.000001) == "0.000001");
    BOOST_TEST(js_number(2.5e-10) == "2.5e-10");
    BOOST_TEST(kilobytes(boost::json::value("ab")) == 2.0 / 1024);
    BOOST_TEST(kilobytes(boost::json::parse(R"({"a":1})")) == 7.0 / 1024);  // JSON text, as JSON.stringify
    pws::App app;
    app.max_channel_name_length = 3;
    app.max_event_name_length = 4;
    app.max_event_payload_in_kb = 0.5;
    app.max_presence_members_per_channel = 2;
    app.max_presence_member_size_in_kb = 0.01;
    BOOST_TEST(!channel_name(app, "abc"));
    BOOST_TEST(channel_name(app, "abcd").value() == "The channel name is longer than the allowed 3 characters.");
    BOOST_TEST(!event_name(app, "abcd"));
    BOOST_TEST(event_name(app, "abcde").value() == "Event name is too long. Maximum allowed size is 4.");
    BOOST_TEST(!event_payload(app, boost::json::value(std::string(512, 'x'))));
    BOOST_TEST(event_payload(app, boost::json::value(std::string(513, 'x'))).value() ==
               "The event data should be less than 0.5 KB.");
    BOOST_TEST(!presence_members(app, 1));
    BOOST_TEST(presence_members(app, 2).value() == "The maximum members per presence channel limit was reached");
    BOOST_TEST(!presence_member_size(app, boost::json::value(std::string(10, 'x'))));
    BOOST_TEST(presence_member_size(app, boost::json::value(std::string(11, 'x'))).value() ==
               "The maximum size for a channel member is 0.01 KB.");
    app.max_event_batch_size = 1;
    BOOST_TEST(batch_size(app, 2).value() == "Cannot batch-send more than 1 messages at once");
    BOOST_TEST(!channels_at_once(app, 100));
    BOOST_TEST(channels_at_once(app, 101).value() == "Cannot broadcast to more than 100 channels at once");
}

BOOST_AUTO_TEST_SUITE_END()

// GET /metrics' text (metrics.hpp): the format's escaping and numbers, the histogram's cumulative
// buckets, and which families each driver type gets.
BOOST_AUTO_TEST_SUITE(metrics)

namespace m = gate::metrics;

// The value of the sample line that starts with `series` ("name{labels}"), or "" when none does.
std::string sample_value(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    const auto from = at + series.size() + 2;
    return text.substr(from, text.find('\n', from) - from);
}

// Every sample line's name was declared by a TYPE line (and a HELP line) before it.
bool every_sample_typed(const std::string& text) {
    std::vector<std::string> declared;
    std::size_t helps = 0, types = 0;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = text.find('\n', at);
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.starts_with("# HELP ")) { ++helps; continue; }
        if (line.starts_with("# TYPE ")) {
            ++types;
            declared.push_back(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        const std::string name = line.substr(0, line.find_first_of("{ "));
        bool ok = false;
        for (const auto& d : declared)
            for (const char* suffix : {"", "_bucket", "_sum", "_count"})
                ok = ok || name == d + suffix;
        if (!ok) return false;
    }
    return helps == types && types == declared.size();
}

BOOST_AUTO_TEST_CASE(escaping_and_numbers) {
    BOOST_TEST(m::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    BOOST_TEST(m::escape_help("x \"quoted\" \\ and\nnewline") == "x \"quoted\" \\\\ and\\nnewline");
    std::string out;
    m::writer w(out);
    w.family("x_total", "counter", "line one\nline two");
    w.sample("x_total", {{"code", "a\\b\"c\nd"}, {"by", "key"}}, std::uint64_t{18446744073709551615u});
    w.sample("y", {}, 2.5);
    BOOST_TEST(out == "# HELP x_total line one\\nline two\n# TYPE x_total counter\n"
                      "x_total{code=\"a\\\\b\\\"c\\nd\",by=\"key\"} 18446744073709551615\ny 2.5\n");
    BOOST_TEST(m::format_value(std::uint64_t{9007199254740993u}) == "9007199254740993");  // not via a double
    BOOST_TEST(m::format_value(0.0001) == "0.0001");
    BOOST_TEST(m::format_value(0.00025) == "0.00025");
    BOOST_TEST(m::format_value(1.0) == "1");
    BOOST_TEST(m::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    BOOST_TEST(m::format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative) {
    m::gate_counters g;
    using us = std::chrono::microseconds;
    const pws::find_result found = pws::find_result::of(std::make_shared<const pws::App>(docs_app()));
    g.looked_up(m::lookup_by::key, found, us(50));                                  // <= 0.0001
    g.looked_up(m::lookup_by::key, pws::find_result::none(), us(300));              // <= 0.0005
    g.looked_up(m::lookup_by::id, found, us(3'000));                                // <= 0.005
    g.looked_up(m::lookup_by::key, pws::find_result::failure(pws::error::timeout, "t"), std::chrono::seconds(10));
    g.lookup_seconds.observe(0.0001);  // on a bound: in that bucket (le is "<=")
    const std::string text = m::render(m::snapshot{g, 3, "dynamodb"});
    auto bucket = [&](const char* le) {
        return sample_value(text, std::string("pws_gate_lookup_duration_seconds_bucket{driver=\"dynamodb\",le=\"") + le + "\"}");
    };
    BOOST_TEST(bucket("0.0001") == "2");
    BOOST_TEST(bucket("0.00025") == "2");
    BOOST_TEST(bucket("0.0005") == "3");
    BOOST_TEST(bucket("0.0025") == "3");
    BOOST_TEST(bucket("0.005") == "4");
    BOOST_TEST(bucket("5") == "4");
    BOOST_TEST(bucket("+Inf") == "5");
    BOOST_TEST(sample_value(text, "pws_gate_lookup_duration_seconds_count{driver=\"dynamodb\"}") == "5");
    BOOST_TEST(std::stod(sample_value(text, "pws_gate_lookup_duration_seconds_sum{driver=\"dynamodb\"}")) ==
               0.00005 + 0.0003 + 0.003 + 10 + 0.0001, boost::test_tools::tolerance(1e-9));
    // Buckets never decrease, and there is one per bound plus +Inf.
    std::uint64_t last = 0;
    for (double b : m::lookup_bounds) {
        const std::string v = bucket(m::format_value(b).c_str());
        BOOST_TEST_REQUIRE(!v.empty(), "no bucket le=" << b);
        BOOST_TEST(std::stoull(v) >= last);
        last = std::stoull(v);
    }
    BOOST_TEST(sample_value(text, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"key\",outcome=\"found\"}") == "1");
    BOOST_TEST(sample_value(text, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"key\",outcome=\"not_found\"}") == "1");
    BOOST_TEST(sample_value(text, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"key\",outcome=\"error\"}") == "1");
    BOOST_TEST(sample_value(text, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"id\",outcome=\"found\"}") == "1");
    BOOST_TEST(sample_value(text, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"id\",outcome=\"error\"}") == "0");
    BOOST_TEST(sample_value(text, "pws_gate_tcp_connections") == "3");
    BOOST_TEST(every_sample_typed(text), text);
}

BOOST_AUTO_TEST_CASE(connections_and_closes) {
    m::gate_counters g;
    g.admitted();
    g.admitted();
    g.refused(4001);
    g.refused(4001);
    g.closed(std::nullopt);  // the client went first
    std::string text = m::render(m::snapshot{g, 0});
    BOOST_TEST(sample_value(text, "pws_gate_connections") == "1");
    BOOST_TEST(sample_value(text, "pws_gate_connections_total") == "2");
    BOOST_TEST(sample_value(text, "pws_gate_closes_total{code=\"4001\"}") == "2");
    BOOST_TEST(sample_value(text, "pws_gate_closes_total{code=\"client\"}") == "1");
    g.closed(4200);
    text = m::render(m::snapshot{g, 0});
    BOOST_TEST(sample_value(text, "pws_gate_connections") == "0");
    BOOST_TEST(sample_value(text, "pws_gate_closes_total{code=\"4200\"}") == "1");
    BOOST_TEST(every_sample_typed(text), text);
}

// Stand-ins with the shape of the real drivers, to see what render(apps, ...) reads from each.
struct fake_client {
    pws::dynamodb::client_stats stats() const {
        pws::dynamodb::client_stats s;
        s.requests = 11;
        s.throttles = 7;
        s.failovers = 3;
        s.open_connections = 2;
        return s;
    }
    pws::aws::credentials_provider_stats credentials_stats() const {
        pws::aws::credentials_provider_stats s;
        s.fetches = 1;
        s.served_stale = 4;
        return s;
    }
};
struct fake_dynamodb {
    fake_client c;
    fake_client& client() { return c; }
};
struct fake_cached {
    fake_dynamodb d;
    pws::CacheConfig cfg{.enabled = true};
    pws::cache_stats stats() const {
        pws::cache_stats s;
        s.hits = 5;
        s.entries = 3;
        return s;
    }
    const pws::CacheConfig& config() const { return cfg; }
    fake_dynamodb& inner() { return d; }
};
struct fake_static {};
template <class P>
struct fake_apps {
    P p;
    P& policy() { return p; }
};

BOOST_AUTO_TEST_CASE(families_follow_the_driver_type) {
    // The gate's two real drivers are told apart at compile time.
    static_assert(m::caching_driver<pws::Cached<pws::DynamoDbPolicy>>);
    static_assert(m::dynamodb_driver<pws::DynamoDbPolicy>);
    static_assert(!m::caching_driver<pws::StaticPolicy> && !m::dynamodb_driver<pws::StaticPolicy>);
    static_assert(!m::dynamodb_driver<pws::Cached<pws::DynamoDbPolicy>>);  // only through inner()

    m::gate_counters g;
    fake_apps<fake_static> st;
    const std::string plain = m::render(st, g, 0);
    for (const char* prefix : {"pws_cache_", "pws_dynamodb_", "pws_credentials_"})
        BOOST_TEST(plain.find(prefix) == std::string::npos, prefix << " in a static driver's metrics");
    BOOST_TEST(sample_value(plain, "pws_gate_lookups_total{driver=\"array\",by=\"key\",outcome=\"found\"}") == "0");

    fake_apps<fake_cached> dyn;
    const std::string full = m::render(dyn, g, 0);
    BOOST_TEST(sample_value(full, "pws_gate_lookups_total{driver=\"dynamodb\",by=\"id\",outcome=\"found\"}") == "0");
    BOOST_TEST(sample_value(full, "pws_cache_enabled") == "1");
    BOOST_TEST(sample_value(full, "pws_cache_hits_total") == "5");
    BOOST_TEST(sample_value(full, "pws_cache_entries") == "3");
    BOOST_TEST(sample_value(full, "pws_dynamodb_requests_total") == "11");
    BOOST_TEST(sample_value(full, "pws_dynamodb_throttles_total") == "7");
    BOOST_TEST(sample_value(full, "pws_dynamodb_failovers_total") == "3");
    BOOST_TEST(sample_value(full, "pws_dynamodb_open_connections") == "2");
    BOOST_TEST(sample_value(full, "pws_credentials_fetches_total") == "1");
    BOOST_TEST(sample_value(full, "pws_credentials_served_stale_total") == "4");
    BOOST_TEST(full.find("# TYPE pws_cache_preload_runs_total counter\n") != std::string::npos);
    BOOST_TEST(every_sample_typed(full), full);
}

BOOST_AUTO_TEST_SUITE_END()
