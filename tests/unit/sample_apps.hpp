// Sample apps and fixtures shared by the decoding and app-JSON unit tests.
#pragma once

#include <pws/app.hpp>

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <string>

namespace pws_test {

using pws::App;
namespace json = boost::json;

/// A recognisable secret: a leak into any diagnostic would be seen.
inline constexpr char secret[] = "s3cr3t-value-xyz";

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline App ids(std::string id, std::string key, std::string secret_) {
    App a;
    a.id = std::move(id);
    a.key = std::move(key);
    a.secret = std::move(secret_);
    return a;
}

/// An app with every field away from its default, extreme numbers and all webhook shapes.
inline App full_app() {
    App a;
    a.id = "full";
    a.key = "full-key";
    a.secret = std::string(secret);
    a.enabled = false;
    a.enable_client_messages = true;
    a.enable_user_authentication = true;
    a.max_connections = 9223372036854775807;
    a.max_backend_events_per_second = -9223372036854775807 - 1;
    a.max_client_events_per_second = 3;
    a.max_read_requests_per_second = 4;
    a.max_presence_members_per_channel = 5;
    a.max_presence_member_size_in_kb = 0.1;
    a.max_channel_name_length = 6;
    a.max_event_channels_at_once = 7;
    a.max_event_name_length = 8;
    a.max_event_payload_in_kb = 1e30;
    a.max_event_batch_size = 9;
    pws::Webhook http{"https://h.example/x",
                      "",
                      {"channel_occupied", "client_event"},
                      {{"X-A", "1"}, {"Authorization", "Bearer t"}},
                      {"private-", "-end"},
                      {}};
    pws::LambdaOptions lambda{true, "eu-west-1", json::object{{"maxRetries", 2}, {"n", {1, "x"}}}};
    pws::Webhook fn{"", "fn-name", {"member_added"}, {}, {"", "-x"}, lambda};
    pws::Webhook minimal{"", "fn2", {}, {}, {}, pws::LambdaOptions{}};
    a.webhooks = {http, fn, minimal};
    return a;
}

}  // namespace pws_test
