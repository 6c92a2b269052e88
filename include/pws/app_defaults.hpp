// pws::AppDefaults — the server-wide limits an app takes when its record does not set them.
//
// soketi keeps these in its server options (presence.*, channelLimits.*, eventLimits.*) and gives
// them to every app whose record lacks the field; so do our drivers: hand the same AppDefaults to
// DynamoDbConfig::defaults and to StaticPolicy, and a record without MaxEventPayloadInKb gets the
// operator's SOKETI_EVENT_MAX_SIZE_IN_KB, not a constant.
#pragma once

#include <pws/app.hpp>
#include <pws/detail/env.hpp>

#include <cstdint>

namespace pws {

/// The limits an app record may leave out. Every member defaults to soketi's server default.
struct AppDefaults {
    std::int64_t max_presence_members_per_channel = 100; ///< PRESENCE_MAX_MEMBERS
    double max_presence_member_size_in_kb = 2;           ///< PRESENCE_MAX_MEMBER_SIZE (KB)
    std::int64_t max_channel_name_length = 200;          ///< CHANNEL_LIMITS_MAX_NAME_LENGTH
    std::int64_t max_event_channels_at_once = 100;       ///< EVENT_MAX_CHANNELS_AT_ONCE
    std::int64_t max_event_name_length = 200;            ///< EVENT_MAX_NAME_LENGTH
    double max_event_payload_in_kb = 100;                ///< EVENT_MAX_SIZE_IN_KB
    std::int64_t max_event_batch_size = 10;              ///< EVENT_MAX_BATCH_SIZE

    /// Reads the variables named above, each as `X` or `SOKETI_X` (soketi's spelling); unset or
    /// empty ones keep `base`'s values (soketi's defaults, or what a config file set). Counts are
    /// integers >= 1, sizes numbers > 0. Throws boost::system::system_error(error::invalid_config)
    /// naming the variable for a value it cannot read, or when both spellings are set to
    /// different values.
    static AppDefaults from_env(const AppDefaults& base) {
        AppDefaults d = base;
        constexpr const char* count = "an integer >= 1";
        constexpr const char* size = "a number > 0 (KB)";
        detail::env_int("PRESENCE_MAX_MEMBERS", d.max_presence_members_per_channel, 1, count);
        detail::env_positive_number("PRESENCE_MAX_MEMBER_SIZE", d.max_presence_member_size_in_kb, size);
        detail::env_int("CHANNEL_LIMITS_MAX_NAME_LENGTH", d.max_channel_name_length, 1, count);
        detail::env_int("EVENT_MAX_CHANNELS_AT_ONCE", d.max_event_channels_at_once, 1, count);
        detail::env_int("EVENT_MAX_NAME_LENGTH", d.max_event_name_length, 1, count);
        detail::env_positive_number("EVENT_MAX_SIZE_IN_KB", d.max_event_payload_in_kb, size);
        detail::env_int("EVENT_MAX_BATCH_SIZE", d.max_event_batch_size, 1, count);
        return d;
    }

    /// from_env() over soketi's defaults.
    static AppDefaults from_env() { return from_env(AppDefaults()); }

    /// An App with every member at App's default, except these limits.
    App app() const {
        App a;
        a.max_presence_members_per_channel = max_presence_members_per_channel;
        a.max_presence_member_size_in_kb = max_presence_member_size_in_kb;
        a.max_channel_name_length = max_channel_name_length;
        a.max_event_channels_at_once = max_event_channels_at_once;
        a.max_event_name_length = max_event_name_length;
        a.max_event_payload_in_kb = max_event_payload_in_kb;
        a.max_event_batch_size = max_event_batch_size;
        return a;
    }

    bool operator==(const AppDefaults&) const = default;
};

}  // namespace pws
