// The one table of App's fields and the names each is stored under: the DynamoDB attribute
// (PascalCase), soketi's JSON member (camelCase), its SQL column (snake_case), and the App member.
// The DynamoDB item decoder/encoder (dynamodb/attribute_value.hpp) and the JSON codec
// (app_json.hpp) both read and write through it, and so can tools (pws-apps lists its names).
//
// soketi builds every app through `new App(record)`, which takes each field from any of the
// spellings its `extractFromPassedKeys` lists: camelCase (its array driver and config files),
// PascalCase (the DynamoDB items), snake_case (its SQL tables' columns, which shorten three names:
// max_backend_events_per_sec, max_client_events_per_sec, max_read_req_per_sec). We accept the same
// spellings in every record; two of them set to different values is an error, where soketi would
// silently take the last one in its list.
#pragma once

#include <pws/app.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pws {

/// A field of App and its spellings, in soketi's order (its last one present wins there).
template <class T>
struct app_field {
    std::string_view camel;   ///< soketi's JSON name, what app_to_json writes
    std::string_view pascal;  ///< the DynamoDB attribute, what encode_app writes
    std::string_view snake;   ///< the SQL column; empty when it is the camel name
    T App::*member;           ///< where App holds it

    /// The spellings, in soketi's order (snake empty when it is the camel name: skip it).
    constexpr std::array<std::string_view, 3> names() const { return {camel, pascal, snake}; }
};

/// The id, the key and the secret: required, non-empty strings, read under one name each: the
/// camel one in JSON, the pascal one in an item (soketi takes these two names only).
inline constexpr std::array<app_field<std::string>, 3> app_keys{{
    {"id", "AppId", "", &App::id},
    {"key", "AppKey", "", &App::key},
    {"secret", "AppSecret", "", &App::secret},
}};

/// The switches.
inline constexpr std::array<app_field<bool>, 3> app_flags{{
    {"enabled", "Enabled", "", &App::enabled},
    {"enableClientMessages", "EnableClientMessages", "enable_client_messages", &App::enable_client_messages},
    {"enableUserAuthentication", "EnableUserAuthentication", "enable_user_authentication",
     &App::enable_user_authentication},
}};

/// The integer rates and limits.
inline constexpr std::array<app_field<std::int64_t>, 9> app_ints{{
    {"maxConnections", "MaxConnections", "max_connections", &App::max_connections},
    {"maxBackendEventsPerSecond", "MaxBackendEventsPerSecond", "max_backend_events_per_sec",
     &App::max_backend_events_per_second},
    {"maxClientEventsPerSecond", "MaxClientEventsPerSecond", "max_client_events_per_sec",
     &App::max_client_events_per_second},
    {"maxReadRequestsPerSecond", "MaxReadRequestsPerSecond", "max_read_req_per_sec",
     &App::max_read_requests_per_second},
    {"maxPresenceMembersPerChannel", "MaxPresenceMembersPerChannel", "max_presence_members_per_channel",
     &App::max_presence_members_per_channel},
    {"maxChannelNameLength", "MaxChannelNameLength", "max_channel_name_length", &App::max_channel_name_length},
    {"maxEventChannelsAtOnce", "MaxEventChannelsAtOnce", "max_event_channels_at_once",
     &App::max_event_channels_at_once},
    {"maxEventNameLength", "MaxEventNameLength", "max_event_name_length", &App::max_event_name_length},
    {"maxEventBatchSize", "MaxEventBatchSize", "max_event_batch_size", &App::max_event_batch_size},
}};

/// The two sizes in KB, which may be fractional.
inline constexpr std::array<app_field<double>, 2> app_numbers{{
    {"maxPresenceMemberSizeInKb", "MaxPresenceMemberSizeInKb", "max_presence_member_size_in_kb",
     &App::max_presence_member_size_in_kb},
    {"maxEventPayloadInKb", "MaxEventPayloadInKb", "max_event_payload_in_kb", &App::max_event_payload_in_kb},
}};

/// The webhooks (a JSON array; in an item an S holding one, or a native L).
inline constexpr app_field<std::vector<Webhook>> app_webhooks{"webhooks", "Webhooks", "", &App::webhooks};

/// The fields a record may leave to the server-wide settings (AppDefaults), by camel name.
inline constexpr std::array<std::string_view, 7> server_wide_fields{
    "maxPresenceMembersPerChannel", "maxPresenceMemberSizeInKb", "maxChannelNameLength",
    "maxEventChannelsAtOnce",       "maxEventNameLength",        "maxEventPayloadInKb",
    "maxEventBatchSize",
};

/// Whether `record` (an app as JSON, or a DynamoDB item) sets field `f` under any spelling: a
/// member that is not null (in an item, not {"NULL": true}). Absent and null mean "not set", as
/// the decoders read them.
template <class Field>
bool record_sets(const boost::json::object& record, const Field& f) {
    for (std::string_view name : f.names()) {
        const boost::json::value* v = name.empty() ? nullptr : record.if_contains(name);
        if (!v || v->is_null()) continue;
        if (auto* o = v->if_object(); o && o->size() == 1 && o->contains("NULL")) continue;
        return true;
    }
    return false;
}

/// Calls f(field) for each of server_wide_fields that `record` does not set (record_sets): the
/// limits a record leaves to the server (AppDefaults), to be left out when it is copied.
template <class F>
void for_each_unset_server_wide(const boost::json::object& record, F&& f) {
    auto visit = [&](const auto& table) {
        for (auto& field : table)
            for (std::string_view name : server_wide_fields)
                if (name == field.camel && !record_sets(record, field)) f(field);
    };
    visit(app_ints);
    visit(app_numbers);
}

namespace detail {

/// The diagnostic for two spellings of one field holding different values.
inline std::string conflicting_spellings(std::string_view first, std::string_view second) {
    std::string d(first);
    d += ": also set as ";
    d += second;
    d += ", to a different value (soketi would silently take ";
    d += second;
    d += "); keep one of them";
    return d;
}

}  // namespace detail

}  // namespace pws
