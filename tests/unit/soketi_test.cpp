// Moving from soketi (issue 17): its variable spellings, its server-wide limits, its three field
// spellings, and its apps defined without a database. No server: environment, items and files.
#include <pws/cache_config.hpp>
#include <pws/config.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/policies/static.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// Sets variables for one scope and puts back what was there before, even when a check fails.
class env_scope {
public:
    env_scope() { clear_all(); }
    env_scope(std::initializer_list<std::pair<const char*, const char*>> vars) : env_scope() {
        for (auto [k, v] : vars) set(k, v);
    }
    ~env_scope() {
        for (auto& [k, v] : saved_) {
            if (v) ::setenv(k.c_str(), v->c_str(), 1);
            else ::unsetenv(k.c_str());
        }
    }
    void set(const std::string& k, const char* v) {
        save(k);
        if (v) ::setenv(k.c_str(), v, 1);
        else ::unsetenv(k.c_str());
    }

private:
    void save(const std::string& k) {
        if (saved_.contains(k)) return;
        const char* v = std::getenv(k.c_str());
        saved_[k] = v ? std::optional<std::string>(v) : std::nullopt;
    }
    // Every variable these readers look at, in both spellings, so that the caller's environment
    // does not leak into a case.
    void clear_all() {
        for (const char* n :
             {"APP_MANAGER_DYNAMODB_TABLE", "APP_MANAGER_DYNAMODB_REGION", "APP_MANAGER_DYNAMODB_ENDPOINT",
              "APP_MANAGER_CACHE_ENABLED", "APP_MANAGER_CACHE_TTL", "PRESENCE_MAX_MEMBERS",
              "PRESENCE_MAX_MEMBER_SIZE", "CHANNEL_LIMITS_MAX_NAME_LENGTH", "EVENT_MAX_CHANNELS_AT_ONCE",
              "EVENT_MAX_NAME_LENGTH", "EVENT_MAX_SIZE_IN_KB", "EVENT_MAX_BATCH_SIZE", "DEFAULT_APP_ID",
              "DEFAULT_APP_KEY", "DEFAULT_APP_SECRET", "DEFAULT_APP_MAX_CONNS", "DEFAULT_APP_ENABLE_CLIENT_MESSAGES",
              "DEFAULT_APP_ENABLED", "DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC", "DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC",
              "DEFAULT_APP_MAX_READ_REQ_PER_SEC", "DEFAULT_APP_USER_AUTHENTICATION", "DEFAULT_APP_WEBHOOKS"}) {
            set(n, nullptr);
            set(std::string("SOKETI_") + n, nullptr);
        }
        set("AWS_USE_FIPS_ENDPOINT", nullptr);
    }
    std::map<std::string, std::optional<std::string>> saved_;
};

// The invalid_config message of `fn`, or "" when it did not throw.
std::string config_error(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const boost::system::system_error& e) {
        BOOST_TEST((e.code() == pws::error::invalid_config), e.what());
        return e.what();
    }
    return {};
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// An item in DynamoDB JSON with the three keys and `extra` attributes.
boost::json::object item(std::string_view extra = "") {
    std::string text = R"({"AppId": {"S": "id-1"}, "AppKey": {"S": "key-1"}, "AppSecret": {"S": "secret-1-abcdef"}})";
    if (!extra.empty()) text.insert(text.size() - 1, std::string(", ") + std::string(extra));
    return boost::json::parse(text).as_object();
}

struct decoded {
    boost::system::error_code ec;
    std::string diag;
    pws::App app;
};

decoded decode(const boost::json::object& it, const pws::AppDefaults& d = {}) {
    decoded r;
    r.ec = pws::dynamodb::decode_app(it, r.app, r.diag, d);
    BOOST_TEST(!contains(r.diag, "secret-1"), r.diag);
    return r;
}

decoded from_json(std::string_view text, const pws::AppDefaults& d = {}) {
    decoded r;
    r.ec = pws::app_from_json(boost::json::parse(text), r.app, r.diag, d);
    BOOST_TEST(!contains(r.diag, "secret-1"), r.diag);
    return r;
}

// A file in the test's temporary directory, removed at the end of the scope.
struct temp_file {
    std::string path;
    explicit temp_file(std::string_view text) {
        char name[] = "/tmp/pws-soketi-test-XXXXXX";
        int fd = ::mkstemp(name);
        BOOST_TEST_REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path, std::ios::binary) << text;
    }
    ~temp_file() { std::remove(path.c_str()); }
};

struct loaded {
    boost::system::error_code ec;
    std::string diag;
    pws::StaticPolicy policy{std::vector<pws::App>{}};
};

loaded soketi(const std::string& file) {
    loaded l;
    l.policy = pws::StaticPolicy::from_soketi(file, l.ec, l.diag);
    return l;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(soketi_env)

// Point 1: each DynamoDB variable in either spelling; both spellings must agree.
BOOST_AUTO_TEST_CASE(dynamodb_variables_in_both_spellings) {
    struct var {
        const char* name;
        std::string pws::DynamoDbConfig::*member;
        const char* value;
    };
    for (auto v : {var{"APP_MANAGER_DYNAMODB_TABLE", &pws::DynamoDbConfig::table, "prod-apps"},
                   var{"APP_MANAGER_DYNAMODB_REGION", &pws::DynamoDbConfig::region, "eu-west-1"},
                   var{"APP_MANAGER_DYNAMODB_ENDPOINT", &pws::DynamoDbConfig::endpoint, "http://127.0.0.1:9"}}) {
        const std::string soketi = std::string("SOKETI_") + v.name;
        const auto defaults = pws::DynamoDbConfig{};
        {
            env_scope e;
            BOOST_TEST((pws::DynamoDbConfig::from_env().*v.member == defaults.*v.member), v.name);
        }
        for (const std::string& spelling : {std::string(v.name), soketi}) {
            env_scope e{{spelling.c_str(), v.value}};
            BOOST_TEST((pws::DynamoDbConfig::from_env().*v.member == v.value), spelling);
        }
        {
            env_scope e{{v.name, v.value}, {soketi.c_str(), v.value}};  // the same value twice is fine
            BOOST_TEST((pws::DynamoDbConfig::from_env().*v.member == v.value));
        }
        {
            env_scope e{{v.name, ""}, {soketi.c_str(), v.value}};  // empty is unset, as in soketi
            BOOST_TEST((pws::DynamoDbConfig::from_env().*v.member == v.value));
        }
        {
            env_scope e{{v.name, v.value}, {soketi.c_str(), "other-value"}};
            auto why = config_error([] { (void)pws::DynamoDbConfig::from_env(); });
            BOOST_TEST(contains(why, v.name), why);
            BOOST_TEST(contains(why, soketi), why);
            BOOST_TEST(!contains(why, "other-value"), why);
        }
    }
}

BOOST_AUTO_TEST_CASE(cache_variables_must_agree_too) {
    {
        env_scope e{{"SOKETI_APP_MANAGER_CACHE_ENABLED", "true"}, {"SOKETI_APP_MANAGER_CACHE_TTL", "30"}};
        auto c = pws::CacheConfig::from_env();
        BOOST_TEST(c.enabled);
        BOOST_TEST(c.ttl.count() == 30);
    }
    env_scope e{{"APP_MANAGER_CACHE_TTL", "30"}, {"SOKETI_APP_MANAGER_CACHE_TTL", "60"}};
    auto why = config_error([] { (void)pws::CacheConfig::from_env(); });
    BOOST_TEST(contains(why, "SOKETI_APP_MANAGER_CACHE_TTL"), why);
}

BOOST_AUTO_TEST_CASE(fips_is_read_by_from_env_only) {
    env_scope e{{"AWS_USE_FIPS_ENDPOINT", "TRUE"}};
    BOOST_TEST(pws::DynamoDbConfig::from_env().use_fips);
    BOOST_TEST(!pws::DynamoDbConfig{}.use_fips);
    e.set("AWS_USE_FIPS_ENDPOINT", "yes");
    auto why = config_error([] { (void)pws::DynamoDbConfig::from_env(); });
    BOOST_TEST(contains(why, "AWS_USE_FIPS_ENDPOINT"), why);
}

// Point 2: soketi's server-wide limits, each variable in either spelling, bad values refused.
BOOST_AUTO_TEST_CASE(server_wide_limits_from_env) {
    struct var {
        const char* name;
        std::function<double(const pws::AppDefaults&)> get;
        double soketi_default;
        const char* bad;
    };
    const std::vector<var> vars{
        {"PRESENCE_MAX_MEMBERS", [](auto& d) { return double(d.max_presence_members_per_channel); }, 100, "0"},
        {"PRESENCE_MAX_MEMBER_SIZE", [](auto& d) { return d.max_presence_member_size_in_kb; }, 2, "-1"},
        {"CHANNEL_LIMITS_MAX_NAME_LENGTH", [](auto& d) { return double(d.max_channel_name_length); }, 200, "1.5"},
        {"EVENT_MAX_CHANNELS_AT_ONCE", [](auto& d) { return double(d.max_event_channels_at_once); }, 100, "ten"},
        {"EVENT_MAX_NAME_LENGTH", [](auto& d) { return double(d.max_event_name_length); }, 200, "20x"},
        {"EVENT_MAX_SIZE_IN_KB", [](auto& d) { return d.max_event_payload_in_kb; }, 100, "inf"},
        {"EVENT_MAX_BATCH_SIZE", [](auto& d) { return double(d.max_event_batch_size); }, 10, "99999999999999999999"},
    };
    for (auto& v : vars) {
        const std::string soketi = std::string("SOKETI_") + v.name;
        {
            env_scope e;
            BOOST_TEST(v.get(pws::AppDefaults::from_env()) == v.soketi_default, v.name);
        }
        for (const std::string& spelling : {std::string(v.name), soketi}) {
            env_scope e{{spelling.c_str(), "7"}};
            BOOST_TEST(v.get(pws::AppDefaults::from_env()) == 7, spelling);
            // The DynamoDB driver's config carries them.
            BOOST_TEST(v.get(pws::DynamoDbConfig::from_env().defaults) == 7, spelling);
        }
        {
            env_scope e{{soketi.c_str(), v.bad}};
            auto why = config_error([] { (void)pws::AppDefaults::from_env(); });
            BOOST_TEST(contains(why, soketi), why);
        }
        {
            env_scope e{{v.name, "7"}, {soketi.c_str(), "8"}};
            auto why = config_error([] { (void)pws::AppDefaults::from_env(); });
            BOOST_TEST(contains(why, v.name), why);
        }
    }
    env_scope e{{"SOKETI_EVENT_MAX_SIZE_IN_KB", "0.5"}};
    BOOST_TEST(pws::AppDefaults::from_env().max_event_payload_in_kb == 0.5);
}

BOOST_AUTO_TEST_CASE(absent_limits_follow_the_server_wide_settings) {
    pws::AppDefaults d;
    d.max_presence_members_per_channel = 3;
    d.max_presence_member_size_in_kb = 0.25;
    d.max_channel_name_length = 40;
    d.max_event_channels_at_once = 4;
    d.max_event_name_length = 50;
    d.max_event_payload_in_kb = 8;
    d.max_event_batch_size = 2;

    auto r = decode(item(), d);
    BOOST_TEST_REQUIRE(!r.ec, r.diag);
    BOOST_TEST(r.app.max_presence_members_per_channel == 3);
    BOOST_TEST(r.app.max_presence_member_size_in_kb == 0.25);
    BOOST_TEST(r.app.max_channel_name_length == 40);
    BOOST_TEST(r.app.max_event_channels_at_once == 4);
    BOOST_TEST(r.app.max_event_name_length == 50);
    BOOST_TEST(r.app.max_event_payload_in_kb == 8);
    BOOST_TEST(r.app.max_event_batch_size == 2);
    BOOST_TEST(r.app.max_connections == -1);  // not a server-wide setting

    // An item's own value wins over the server's.
    r = decode(item(R"("MaxEventBatchSize": {"N": "30"}, "MaxEventPayloadInKb": {"N": "200"})"), d);
    BOOST_TEST_REQUIRE(!r.ec, r.diag);
    BOOST_TEST(r.app.max_event_batch_size == 30);
    BOOST_TEST(r.app.max_event_payload_in_kb == 200);
    BOOST_TEST(r.app.max_event_name_length == 50);

    auto j = from_json(R"({"id": "a", "key": "k", "secret": "secret-1-abcdef", "maxEventNameLength": 9})", d);
    BOOST_TEST_REQUIRE(!j.ec, j.diag);
    BOOST_TEST(j.app.max_event_name_length == 9);
    BOOST_TEST(j.app.max_event_batch_size == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(soketi_spellings)

// Point 3: every non-key field under camelCase, PascalCase and snake_case (soketi's lists), in
// DynamoDB items and in JSON.
BOOST_AUTO_TEST_CASE(every_field_in_every_spelling) {
    struct field {
        std::vector<const char*> names;  // soketi's spellings
        const char* attr_value;           // as a DynamoDB attribute
        const char* json_value;           // as JSON
        std::function<bool(const pws::App&)> holds;
    };
    const std::vector<field> fields{
        {{"enabled", "Enabled"}, R"({"B": "ZmFsc2U="})", "false", [](auto& a) { return !a.enabled; }},
        {{"enableClientMessages", "EnableClientMessages", "enable_client_messages"}, R"({"BOOL": true})", "true",
         [](auto& a) { return a.enable_client_messages; }},
        {{"enableUserAuthentication", "EnableUserAuthentication", "enable_user_authentication"}, R"({"S": "1"})",
         "1", [](auto& a) { return a.enable_user_authentication; }},
        {{"maxConnections", "MaxConnections", "max_connections"}, R"({"N": "11"})", "11",
         [](auto& a) { return a.max_connections == 11; }},
        {{"maxBackendEventsPerSecond", "MaxBackendEventsPerSecond", "max_backend_events_per_sec"}, R"({"N": "12"})",
         "\"12\"", [](auto& a) { return a.max_backend_events_per_second == 12; }},
        {{"maxClientEventsPerSecond", "MaxClientEventsPerSecond", "max_client_events_per_sec"}, R"({"N": "13"})",
         "13", [](auto& a) { return a.max_client_events_per_second == 13; }},
        {{"maxReadRequestsPerSecond", "MaxReadRequestsPerSecond", "max_read_req_per_sec"}, R"({"N": "14"})", "14",
         [](auto& a) { return a.max_read_requests_per_second == 14; }},
        {{"maxPresenceMembersPerChannel", "MaxPresenceMembersPerChannel", "max_presence_members_per_channel"},
         R"({"N": "15"})", "15", [](auto& a) { return a.max_presence_members_per_channel == 15; }},
        {{"maxPresenceMemberSizeInKb", "MaxPresenceMemberSizeInKb", "max_presence_member_size_in_kb"},
         R"({"N": "1.5"})", "1.5", [](auto& a) { return a.max_presence_member_size_in_kb == 1.5; }},
        {{"maxChannelNameLength", "MaxChannelNameLength", "max_channel_name_length"}, R"({"N": "16"})", "16",
         [](auto& a) { return a.max_channel_name_length == 16; }},
        {{"maxEventChannelsAtOnce", "MaxEventChannelsAtOnce", "max_event_channels_at_once"}, R"({"N": "17"})",
         "17", [](auto& a) { return a.max_event_channels_at_once == 17; }},
        {{"maxEventNameLength", "MaxEventNameLength", "max_event_name_length"}, R"({"N": "18"})", "18",
         [](auto& a) { return a.max_event_name_length == 18; }},
        {{"maxEventPayloadInKb", "MaxEventPayloadInKb", "max_event_payload_in_kb"}, R"({"N": "19.5"})", "19.5",
         [](auto& a) { return a.max_event_payload_in_kb == 19.5; }},
        {{"maxEventBatchSize", "MaxEventBatchSize", "max_event_batch_size"}, R"({"N": "20"})", "20",
         [](auto& a) { return a.max_event_batch_size == 20; }},
        {{"webhooks", "Webhooks"}, R"({"S": "[{\"url\": \"https://h.example/x\", \"event_types\": [\"channel_occupied\"]}]"})",
         R"([{"url": "https://h.example/x", "event_types": ["channel_occupied"]}])",
         [](auto& a) { return a.webhooks.size() == 1 && a.webhooks[0].url == "https://h.example/x"; }},
    };
    for (auto& f : fields) {
        for (const char* name : f.names) {
            auto r = decode(item("\"" + std::string(name) + "\": " + f.attr_value));
            BOOST_TEST_REQUIRE(!r.ec, name << ": " << r.diag);
            BOOST_TEST(f.holds(r.app), "item spelling " << name);
            BOOST_TEST(!f.holds(pws::App{}), name);  // the value is not the default: the check can fail

            auto j = from_json(R"({"id": "a", "key": "k", "secret": "secret-1-abcdef", ")" + std::string(name) +
                               "\": " + f.json_value + "}");
            BOOST_TEST_REQUIRE(!j.ec, name << ": " << j.diag);
            BOOST_TEST(f.holds(j.app), "JSON spelling " << name);
        }
        // Every spelling at once with the same value: fine.
        std::string all, all_json;
        for (const char* name : f.names) {
            all += std::string(all.empty() ? "" : ", ") + "\"" + name + "\": " + f.attr_value;
            all_json += std::string(", \"") + name + "\": " + f.json_value;
        }
        auto r = decode(item(all));
        BOOST_TEST(!r.ec, r.diag);
        BOOST_TEST(f.holds(r.app));
        auto j = from_json(R"({"id": "a", "key": "k", "secret": "secret-1-abcdef")" + all_json + "}");
        BOOST_TEST(!j.ec, j.diag);
    }
}

BOOST_AUTO_TEST_CASE(two_spellings_that_differ_are_an_error_naming_both) {
    auto r = decode(item(R"("MaxConnections": {"N": "5"}, "max_connections": {"N": "7"})"));
    BOOST_TEST((r.ec == pws::error::malformed_item));
    BOOST_TEST(contains(r.diag, "MaxConnections"), r.diag);
    BOOST_TEST(contains(r.diag, "max_connections"), r.diag);

    r = decode(item(R"("Enabled": {"B": "dHJ1ZQ=="}, "enabled": {"BOOL": false})"));
    BOOST_TEST((r.ec == pws::error::malformed_item));
    BOOST_TEST((contains(r.diag, "Enabled") && contains(r.diag, "enabled")), r.diag);

    // Different spellings of the same value agree: B "true" and BOOL true.
    r = decode(item(R"("Enabled": {"B": "dHJ1ZQ=="}, "enabled": {"BOOL": true})"));
    BOOST_TEST(!r.ec, r.diag);

    auto j = from_json(
        R"({"id": "a", "key": "k", "secret": "secret-1-abcdef", "maxEventBatchSize": 3, "max_event_batch_size": 4})");
    BOOST_TEST((j.ec == pws::error::invalid_static_apps));
    BOOST_TEST((contains(j.diag, "maxEventBatchSize") && contains(j.diag, "max_event_batch_size")), j.diag);

    // A broken value under any spelling is named by that spelling.
    r = decode(item(R"("max_read_req_per_sec": {"N": "1.5"})"));
    BOOST_TEST((r.ec == pws::error::malformed_item));
    BOOST_TEST(contains(r.diag, "max_read_req_per_sec"), r.diag);
}

BOOST_AUTO_TEST_CASE(soketi_sql_rows_decode) {
    // A row of soketi's MySQL/Postgres `apps` table as a JSON export gives it.
    auto j = from_json(R"({"id": "app-1", "key": "key-1", "secret": "secret-1-abcdef", "max_connections": 100,
        "enable_client_messages": 1, "enabled": 1, "max_backend_events_per_sec": -1,
        "max_client_events_per_sec": 20, "max_read_req_per_sec": null, "webhooks": "[]",
        "max_presence_members_per_channel": null, "max_presence_member_size_in_kb": null,
        "max_channel_name_length": null, "max_event_channels_at_once": null, "max_event_name_length": null,
        "max_event_payload_in_kb": null, "max_event_batch_size": null, "enable_user_authentication": 0})");
    BOOST_TEST_REQUIRE(!j.ec, j.diag);
    BOOST_TEST(j.app.max_connections == 100);
    BOOST_TEST(j.app.enable_client_messages);
    BOOST_TEST(j.app.max_client_events_per_second == 20);
    BOOST_TEST(j.app.max_read_requests_per_second == -1);
    BOOST_TEST(j.app.max_event_batch_size == 10);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(soketi_array_driver)

// Point 4: apps without a database, as soketi defines them.
BOOST_AUTO_TEST_CASE(the_default_app_from_env) {
    {
        env_scope e;
        auto l = soketi("");
        BOOST_TEST_REQUIRE(!l.ec, l.diag);
        BOOST_TEST(l.policy.size() == 1u);
        auto r = l.policy.get_by_key("app-key");
        BOOST_TEST_REQUIRE(r.found());
        BOOST_TEST(r.app->id == "app-id");
        BOOST_TEST(r.app->secret == "app-secret");
        BOOST_TEST(r.app->enabled);
    }
    env_scope e{{"SOKETI_DEFAULT_APP_ID", "12345"},
                {"SOKETI_DEFAULT_APP_KEY", "0123"},
                {"SOKETI_DEFAULT_APP_SECRET", "s3cr3t-from-env-abcdef"},
                {"SOKETI_DEFAULT_APP_MAX_CONNS", "100"},
                {"SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES", "true"},
                {"SOKETI_DEFAULT_APP_ENABLED", "false"},
                {"SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC", "21"},
                {"DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC", "22"},
                {"SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC", "23"},
                {"SOKETI_DEFAULT_APP_USER_AUTHENTICATION", "true"},
                {"SOKETI_DEFAULT_APP_WEBHOOKS", R"([{"url": "https://h.example/w", "event_types": ["member_added"]}])"},
                {"SOKETI_EVENT_MAX_SIZE_IN_KB", "12"}};
    boost::system::error_code ec;
    std::string diag;
    auto l = pws::StaticPolicy::from_env(ec, diag);
    BOOST_TEST_REQUIRE(!ec, diag);
    auto r = l.get_by_id("12345");
    BOOST_TEST_REQUIRE(r.found());
    const pws::App& a = *r.app;
    BOOST_TEST(a.key == "0123");  // text as written, not the number 123
    BOOST_TEST(a.secret == "s3cr3t-from-env-abcdef");
    BOOST_TEST(a.max_connections == 100);
    BOOST_TEST(a.enable_client_messages);
    BOOST_TEST(!a.enabled);
    BOOST_TEST(a.max_backend_events_per_second == 21);
    BOOST_TEST(a.max_client_events_per_second == 22);
    BOOST_TEST(a.max_read_requests_per_second == 23);
    BOOST_TEST(a.enable_user_authentication);
    BOOST_TEST_REQUIRE(a.webhooks.size() == 1u);
    BOOST_TEST(a.webhooks[0].event_types.at(0) == "member_added");
    BOOST_TEST(a.max_event_payload_in_kb == 12);

    e.set("SOKETI_DEFAULT_APP_MAX_CONNS", "lots");
    l = pws::StaticPolicy::from_env(ec, diag);
    BOOST_TEST((ec == pws::error::invalid_static_apps));
    BOOST_TEST(contains(diag, "maxConnections"), diag);
    BOOST_TEST(!contains(diag, "s3cr3t"), diag);
    BOOST_TEST(l.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_soketi_config_file_as_it_is) {
    env_scope e;
    // The dotted form soketi's docs show, with server-wide limits beside the apps.
    temp_file dotted(R"({
      "debug": true, "port": 6001,
      "appManager.driver": "array",
      "appManager.array.apps": [
        {"id": "one", "key": "key-one", "secret": "secret-1-abcdef", "maxConnections": 10,
         "enableClientMessages": true, "webhooks": [{"url": "https://h.example/1", "event_types": ["client_event"]}]},
        {"id": 2, "key": "key-two", "secret": "secret-1-2bcdef", "max_event_batch_size": 3}
      ],
      "eventLimits.maxBatchSize": 6,
      "presence.maxMembersPerChannel": 4
    })");
    auto l = soketi(dotted.path);
    BOOST_TEST_REQUIRE(!l.ec, l.diag);
    BOOST_TEST(l.policy.size() == 2u);
    BOOST_TEST(!l.policy.get_by_key("app-key").found());  // the file's apps replace the built-in one
    auto one = l.policy.get_by_id("one");
    BOOST_TEST_REQUIRE(one.found());
    BOOST_TEST(one.app->max_connections == 10);
    BOOST_TEST(one.app->enable_client_messages);
    BOOST_TEST(one.app->webhooks.size() == 1u);
    BOOST_TEST(one.app->max_event_batch_size == 6);              // the file's eventLimits
    BOOST_TEST(one.app->max_presence_members_per_channel == 4);  // the file's presence
    BOOST_TEST(one.app->max_event_name_length == 200);           // soketi's default
    auto two = l.policy.get_by_id("2");
    BOOST_TEST_REQUIRE(two.found());
    BOOST_TEST(two.app->max_event_batch_size == 3);

    // The nested form, and the environment over the file as soketi applies it.
    temp_file nested(R"({"appManager": {"driver": "array", "array": {"apps": [
        {"id": "n1", "key": "key-n1", "secret": "secret-1-n1cdef"}]}},
      "eventLimits": {"maxPayloadInKb": 50}})");
    e.set("SOKETI_DEFAULT_APP_MAX_CONNS", "9");
    e.set("SOKETI_PRESENCE_MAX_MEMBERS", "8");
    l = soketi(nested.path);
    BOOST_TEST_REQUIRE(!l.ec, l.diag);
    auto n1 = l.policy.get_by_id("n1");
    BOOST_TEST_REQUIRE(n1.found());
    BOOST_TEST(n1.app->max_connections == 9);
    BOOST_TEST(n1.app->max_event_payload_in_kb == 50);
    BOOST_TEST(n1.app->max_presence_members_per_channel == 8);
    BOOST_TEST(n1.app->max_event_batch_size == 10);  // nested eventLimits replaced the object: soketi's default
}

BOOST_AUTO_TEST_CASE(broken_config_files_are_refused) {
    env_scope e;
    struct bad {
        const char* text;
        const char* expect;
    };
    for (auto b : {bad{"{\"appManager.array.apps\": [", "not valid JSON"},
                   bad{"[1, 2]", "expected a JSON object"},
                   bad{R"({"appManager.array.apps": {"id": "x"}})", "appManager.array.apps"},
                   bad{R"({"appManager.array.apps": [{"id": "x", "key": "k"}]})", "secret"},
                   bad{R"({"appManager.array.apps": [{"id": "x", "key": "k", "secret": "secret-1-abcdef"},
                                                     {"id": "x", "key": "k2", "secret": "secret-1-abcdef"}]})",
                       "duplicate id"},
                   bad{R"({"eventLimits.maxBatchSize": 0})", "eventLimits.maxBatchSize"},
                   bad{R"({"port": 6001, "port.x": 1})", "port.x"}}) {
        temp_file f(b.text);
        auto l = soketi(f.path);
        BOOST_TEST(!!l.ec, b.text);
        BOOST_TEST(contains(l.diag, b.expect), l.diag);
        BOOST_TEST(!contains(l.diag, "secret-1"), l.diag);
        BOOST_TEST(l.policy.size() == 0u);
    }
    auto l = soketi("/nonexistent/soketi.json");
    BOOST_TEST((l.ec == boost::system::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_SUITE_END()
