// The Pusher WebSocket protocol (version 7) as pure functions: the connect URL, the close codes,
// channel names, and the JSON messages both ways. No sockets here; server.hpp does the I/O.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "signatures.hpp"  // parse_query, url_decode

namespace gate::pusher {

/// Close codes. The Pusher protocol splits 4000-4999 into what a client must do next:
/// 4000-4099 do not reconnect unchanged; 4100-4199 reconnect after backing off (>= 1 s);
/// 4200-4299 reconnect at once. pusher-js acts on exactly these ranges.
enum close_code : std::uint16_t {
    app_does_not_exist = 4001,     ///< no app has the key
    app_disabled = 4003,           ///< the app's `enabled` is false
    over_connection_quota = 4004,  ///< the app already has `maxConnections` connections
    invalid_version_format = 4006, ///< `protocol` is not a number
    unsupported_protocol = 4007,   ///< `protocol` is not 5..7
    no_protocol = 4008,            ///< no `protocol` parameter
    over_capacity = 4100,          ///< the client reads too slowly (its outbox overflowed)
    /// The app could not be looked up (DynamoDB unreachable, throttled, erroring): not the
    /// client's fault and not "no such app", so the client must come back, but after backing
    /// off so a struggling store is not hammered. The top of the back-off range, away from the
    /// codes Pusher assigns (4100 upwards).
    app_lookup_failed = 4199,
    server_restarting = 4200,      ///< the server is shutting down: reconnect (to another one) now
};

/// What the client asked for in ws://host/app/{key}?protocol=7&client=js&version=8.6.0.
struct connect_target {
    bool is_app_path = false;          ///< the path is /app/{non-empty key}
    std::string key;                   ///< the app key (percent-decoded)
    std::optional<std::string> protocol; ///< the `protocol` parameter, when present
};

/// Parses the request target of a WebSocket upgrade.
inline connect_target parse_connect_target(std::string_view target) {
    connect_target t;
    const auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    constexpr std::string_view prefix = "/app/";
    if (!path.starts_with(prefix) || path.size() == prefix.size()) return t;
    path.remove_prefix(prefix.size());
    if (path.find('/') != std::string_view::npos) return t;
    t.is_app_path = true;
    t.key = url_decode(path);
    if (q != std::string_view::npos) {
        const auto params = parse_query(target.substr(q + 1));  // find_param points into it
        if (auto* p = find_param(params, "protocol")) t.protocol = *p;
    }
    return t;
}

/// A reason to refuse a connection: the close code and its message.
struct refusal {
    close_code code;
    std::string message;
};

/// Checks the `protocol` parameter; the protocol this server speaks is 7 (5 and 6 differ only
/// in features it does not use).
inline std::optional<refusal> check_protocol(const std::optional<std::string>& protocol) {
    if (!protocol) return refusal{no_protocol, "No protocol version supplied"};
    int v = 0;
    auto [p, ec] = std::from_chars(protocol->data(), protocol->data() + protocol->size(), v);
    if (ec != std::errc{} || p != protocol->data() + protocol->size())
        return refusal{invalid_version_format, "Invalid version string format"};
    if (v < 5 || v > 7) return refusal{unsupported_protocol, "Unsupported protocol version"};
    return std::nullopt;
}

/// The kinds of channel, by name prefix.
enum class channel_kind { public_channel, private_channel, private_encrypted, presence };

/// The kind of `name`.
inline channel_kind kind_of(std::string_view name) {
    if (name.starts_with("private-encrypted-")) return channel_kind::private_encrypted;
    if (name.starts_with("private-")) return channel_kind::private_channel;
    if (name.starts_with("presence-")) return channel_kind::presence;
    return channel_kind::public_channel;
}

/// Whether subscribing needs an `auth` signature.
inline bool needs_auth(std::string_view name) { return kind_of(name) != channel_kind::public_channel; }

/// Whether `name` is a channel name: 1..max_length of [A-Za-z0-9_-=@,.;].
inline bool valid_channel_name(std::string_view name, std::int64_t max_length) {
    if (name.empty() || static_cast<std::int64_t>(name.size()) > max_length) return false;
    for (unsigned char c : name)
        if (!(std::isalnum(c) || std::string_view("_-=@,.;").find(static_cast<char>(c)) != std::string_view::npos))
            return false;
    return true;
}

/// A message from a client: {"event": ..., "channel": ..., "data": ...}.
struct client_message {
    std::string event;
    std::string channel;     ///< empty when absent
    boost::json::value data; ///< as sent (an object, or a string holding JSON, or anything)
};

/// Parses a client's text frame; nullopt when it is not a JSON object with a string `event`.
inline std::optional<client_message> parse_client_message(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    auto* o = ec ? nullptr : v.if_object();
    if (!o) return std::nullopt;
    auto* ev = o->if_contains("event");
    if (!ev || !ev->is_string()) return std::nullopt;
    client_message m;
    m.event = ev->as_string();
    if (auto* ch = o->if_contains("channel"); ch && ch->is_string()) m.channel = ch->as_string();
    if (auto* d = o->if_contains("data")) m.data = std::move(*d);
    return m;
}

/// `data` as an object: pusher-js sends one, some clients send a string holding one.
inline boost::json::object data_object(const boost::json::value& data) {
    if (auto* o = data.if_object()) return *o;
    if (auto* s = data.if_string()) {
        boost::system::error_code ec;
        auto v = boost::json::parse(*s, ec);
        if (!ec && v.is_object()) return std::move(v.as_object());
    }
    return {};
}

/// The string member `name` of `o`, or "".
inline std::string string_member(const boost::json::object& o, std::string_view name) {
    auto* v = o.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

// Server messages. Pusher double-encodes `data` for events (a string holding JSON); pusher-js
// decodes either form.

/// {"event":"pusher:connection_established","data":"{\"socket_id\":...,\"activity_timeout\":...}"}
inline std::string connection_established(std::string_view socket_id, int activity_timeout_s) {
    boost::json::object d{{"socket_id", socket_id}, {"activity_timeout", activity_timeout_s}};
    return boost::json::serialize(boost::json::object{{"event", "pusher:connection_established"},
                                                      {"data", boost::json::serialize(d)}});
}

/// {"event":"pusher:error","data":{"code":4001,"message":"..."}}; code 0 is sent as null. An error
/// about a client event names its channel, as soketi's do.
inline std::string error(int code, std::string_view message, std::string_view channel = {}) {
    boost::json::object d{{"message", message}};
    if (code) d["code"] = code;
    else d["code"] = nullptr;
    boost::json::object m{{"event", "pusher:error"}};
    if (!channel.empty()) m["channel"] = channel;
    m["data"] = std::move(d);
    return boost::json::serialize(m);
}

/// {"event":"pusher:pong","data":{}}
inline std::string pong() { return R"({"event":"pusher:pong","data":{}})"; }

/// pusher_internal:subscription_succeeded; `presence` is the {"ids","hash","count"} object of a
/// presence channel, or null.
inline std::string subscription_succeeded(std::string_view channel, const boost::json::value& presence = nullptr) {
    boost::json::object d;
    if (!presence.is_null()) d["presence"] = presence;
    return boost::json::serialize(boost::json::object{
        {"event", "pusher_internal:subscription_succeeded"}, {"channel", channel}, {"data", boost::json::serialize(d)}});
}

/// pusher:subscription_error {type, error, status}, as soketi sends it.
inline std::string subscription_error(std::string_view channel, std::string_view type, std::string_view why, int status) {
    return boost::json::serialize(boost::json::object{
        {"event", "pusher:subscription_error"},
        {"channel", channel},
        {"data", boost::json::object{{"type", type}, {"error", why}, {"status", status}}}});
}

/// An event on a channel; `data` is forwarded as it came (a string from the HTTP API, anything
/// from a client event); `user_id` is set for client events on presence channels.
inline std::string event(std::string_view channel, std::string_view name, const boost::json::value& data,
                         std::string_view user_id = {}) {
    boost::json::object m{{"event", name}, {"channel", channel}, {"data", data}};
    if (!user_id.empty()) m["user_id"] = user_id;
    return boost::json::serialize(m);
}

/// pusher_internal:member_added / member_removed on a presence channel.
inline std::string member_added(std::string_view channel, std::string_view user_id, const boost::json::value& info) {
    boost::json::object d{{"user_id", user_id}, {"user_info", info}};
    return event(channel, "pusher_internal:member_added", boost::json::value(boost::json::serialize(d)));
}

/// See member_added.
inline std::string member_removed(std::string_view channel, std::string_view user_id) {
    boost::json::object d{{"user_id", user_id}};
    return event(channel, "pusher_internal:member_removed", boost::json::value(boost::json::serialize(d)));
}

}  // namespace gate::pusher
