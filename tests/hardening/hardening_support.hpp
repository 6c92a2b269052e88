// Shared by the hardening tests: the known secrets, a config pointing at a loopback server,
// a synchronous runner for one lookup, and the item the hostile servers serve.
#pragma once

#include "raw_server.hpp"
#include "support/test_support.hpp"

#include <pws/app_manager.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

namespace pws::test {

using namespace std::chrono_literals;
using manager = AppManager<DynamoDbPolicy>;

// Known secret values: none of them may ever appear in a diagnostic or an exception's text.
inline const std::string aws_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYsEcReTkEy0hArdEn";
inline const std::string session_token = [] {
    std::string t = "IQoJb3JpZ2luX2VjEHardeningSessionToken";
    while (t.size() < 900) t += "Zq9/XK3+tOkEn" + std::to_string(t.size());
    return t;
}();
inline const std::string app_secret = "app-secret-7Yh3Qv9LmT2xHardening";

/// A config for `endpoint` with the known credentials, one attempt and short deadlines.
inline DynamoDbConfig config_for(std::string endpoint) {
    DynamoDbConfig c;
    c.endpoint = std::move(endpoint);
    c.credentials = aws::credentials{"AKIDHARDENING", aws_secret, session_token};
    c.max_attempts = 1;
    c.connect_timeout = 1s;
    c.attempt_timeout = 3s;
    c.total_timeout = 4s;
    return c;
}


/// One lookup by id (or by key) against `endpoint`, on a fresh manager.
inline find_result lookup(DynamoDbConfig cfg, bool by_key = false, std::string what = "") {
    boost::asio::io_context ioc;
    manager apps(ioc.get_executor(), std::move(cfg));
    if (what.empty()) what = by_key ? "app-key" : "app-id";
    return run(ioc, [&] { return by_key ? apps.find_by_key(what) : apps.find_by_id(what); });
}

/// The app every hostile server serves (with the known app secret), as a DynamoDB item.
inline boost::json::object good_item() {
    return {{"AppId", {{"S", "app-id"}}},
            {"AppKey", {{"S", "app-key"}}},
            {"AppSecret", {{"S", app_secret}}},
            {"Enabled", {{"B", "dHJ1ZQ=="}}},
            {"MaxConnections", {{"N", "10"}}},
            {"Webhooks", {{"S", R"([{"url":"https://example.com/h","event_types":["channel_occupied"]}])"}}}};
}

inline std::string get_item_body(const boost::json::object& item = good_item()) {
    return boost::json::serialize(boost::json::object{{"Item", item}});
}

/// Asserts that no known secret, nor any 16-byte piece of one, appears in `text`.
inline void check_no_secret(const std::string& text, const std::string& where, bool app_secret_too = true) {
    for (const std::string* s : {&aws_secret, &session_token, &app_secret}) {
        if (s == &app_secret && !app_secret_too) continue;
        BOOST_TEST(text.find(*s) == std::string::npos, where << ": a secret in \"" << text << "\"");
        // Pieces too: a secret cut short before it was scrubbed still leaks.
        for (std::size_t i = 0; i + 16 <= s->size(); i += 8)
            if (text.find(s->substr(i, 16)) != std::string::npos) {
                BOOST_TEST(false, where << ": a piece of a secret in \"" << text << "\"");
                break;
            }
    }
}

}  // namespace pws::test
