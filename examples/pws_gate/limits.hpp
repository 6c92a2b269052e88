// The app's limits as soketi enforces them, in one place for the WebSocket side and the HTTP API:
// each check is a pure function of the app and the value, returning soketi's message when the
// limit is exceeded. The caller picks the code: over WebSocket soketi sends pusher:error 4301 (or
// a subscription_error with status 4009 / 4100 / 4301), over HTTP 400 or 413.
#pragma once

#include <pws/app.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gate::limits {

/// `v` as JavaScript prints a number (soketi's messages interpolate the limit): 10, 0.5, 1e+21,
/// 1e-7.
inline std::string js_number(double v) {
    // The shortest form that reads back as `v`: plain digits from 1e-6 up to 1e21, as JS does;
    // beyond, the exponent without leading zeros ("1e-7", where C++ writes "1e-07").
    const double a = v < 0 ? -v : v;
    const bool plain = a == 0 || (a >= 1e-6 && a < 1e21);
    char buf[400];
    auto [end, ec] = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string s(buf, ec == std::errc{} ? end : buf);
    if (auto e = s.find('e'); e != std::string::npos)
        while (e + 2 < s.size() && s[e + 2] == '0') s.erase(e + 2, 1);
    return s;
}

/// Kilobytes of `data` as soketi counts them (Utils.dataToKilobytes): the UTF-8 bytes of a string,
/// of the JSON text of anything else, / 1024.
inline double kilobytes(const boost::json::value& data) {
    if (auto* s = data.if_string()) return static_cast<double>(s->size()) / 1024;
    return static_cast<double>(boost::json::serialize(data).size()) / 1024;
}

/// Longer than `maxChannelNameLength` (sent with status 4009, type LimitReached).
inline std::optional<std::string> channel_name(const pws::App& app, std::string_view channel) {
    if (static_cast<std::int64_t>(channel.size()) <= app.max_channel_name_length) return std::nullopt;
    return "The channel name is longer than the allowed " + std::to_string(app.max_channel_name_length) +
           " characters.";
}

/// Longer than `maxEventNameLength` (4301 over WebSocket, 400 over HTTP).
inline std::optional<std::string> event_name(const pws::App& app, std::string_view name) {
    if (static_cast<std::int64_t>(name.size()) <= app.max_event_name_length) return std::nullopt;
    return "Event name is too long. Maximum allowed size is " + std::to_string(app.max_event_name_length) + ".";
}

/// More than `maxEventPayloadInKb` (4301 over WebSocket, 413 over HTTP).
inline std::optional<std::string> event_payload(const pws::App& app, const boost::json::value& data) {
    if (kilobytes(data) <= app.max_event_payload_in_kb) return std::nullopt;
    return "The event data should be less than " + js_number(app.max_event_payload_in_kb) + " KB.";
}

/// More channels than `maxEventChannelsAtOnce` in one HTTP API event (400).
inline std::optional<std::string> channels_at_once(const pws::App& app, std::size_t n) {
    if (static_cast<std::int64_t>(n) <= app.max_event_channels_at_once) return std::nullopt;
    return "Cannot broadcast to more than " + std::to_string(app.max_event_channels_at_once) + " channels at once";
}

/// More events than `maxEventBatchSize` in one batch (400).
inline std::optional<std::string> batch_size(const pws::App& app, std::size_t n) {
    if (static_cast<std::int64_t>(n) <= app.max_event_batch_size) return std::nullopt;
    return "Cannot batch-send more than " + std::to_string(app.max_event_batch_size) + " messages at once";
}

/// A presence member whose user_info is larger than `maxPresenceMemberSizeInKb` (status 4301).
inline std::optional<std::string> presence_member_size(const pws::App& app, const boost::json::value& user_info) {
    if (kilobytes(user_info) <= app.max_presence_member_size_in_kb) return std::nullopt;
    return "The maximum size for a channel member is " + js_number(app.max_presence_member_size_in_kb) + " KB.";
}

/// A new member of a presence channel that already has `members` (status 4100).
inline std::optional<std::string> presence_members(const pws::App& app, std::size_t members) {
    if (static_cast<std::int64_t>(members) + 1 <= app.max_presence_members_per_channel) return std::nullopt;
    return std::string("The maximum members per presence channel limit was reached");
}

// soketi's fixed texts.
inline constexpr std::string_view client_messages_disabled = "The app does not have client messaging enabled.";
inline constexpr std::string_view client_events_rate = "The rate limit for sending client events exceeded the quota.";
inline constexpr std::string_view too_many_requests = "Too many requests.";

}  // namespace gate::limits
