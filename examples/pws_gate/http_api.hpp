// The Pusher HTTP API as pure functions of (app, request, hub, clock): the two publishing calls,
// POST /apps/{id}/events and /batch_events, and the three reads, GET /apps/{id}/channels,
// /channels/{name} and /channels/{name}/users. Signature, limits, body, then the work; errors and
// limits with soketi's status codes and texts ({"error": ..., "code": status}).
// The app lookup by id happens before, in server.hpp, because it is asynchronous.
#pragma once

#include "hub.hpp"
#include "limits.hpp"
#include "pusher_protocol.hpp"
#include "signatures.hpp"

#include <pws/app.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::http_api {

/// Which API call a path names.
enum class endpoint { events, batch_events, channels, channel, channel_users };

/// Whether `e` is one of the reads (GET, counted against maxReadRequestsPerSecond).
inline bool is_read(endpoint e) { return e != endpoint::events && e != endpoint::batch_events; }

/// /apps/{id}/{events|batch_events|channels|channels/{name}|channels/{name}/users}, split.
struct api_path {
    std::string app_id;
    endpoint what;
    std::string channel = {};  ///< percent-decoded, for channel and channel_users
};

/// Parses the path part of a target; nullopt for any other path.
inline std::optional<api_path> parse_path(std::string_view path) {
    constexpr std::string_view prefix = "/apps/";
    if (!path.starts_with(prefix)) return std::nullopt;
    path.remove_prefix(prefix.size());
    const auto slash = path.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    std::string_view rest = path.substr(slash);
    api_path p{url_decode(path.substr(0, slash)), endpoint::events};
    if (rest == "/events") return p;
    if (rest == "/batch_events") { p.what = endpoint::batch_events; return p; }
    if (rest == "/channels") { p.what = endpoint::channels; return p; }
    constexpr std::string_view channels = "/channels/", users = "/users";
    if (!rest.starts_with(channels)) return std::nullopt;
    rest.remove_prefix(channels.size());
    p.what = endpoint::channel;
    if (rest.ends_with(users)) { p.what = endpoint::channel_users; rest.remove_suffix(users.size()); }
    if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
    p.channel = url_decode(rest);
    return p;
}

/// A response: status and JSON body.
struct reply {
    int status;
    std::string body;
    std::string note = {};  ///< for the log line only (e.g. why a signature could not be checked)
};

/// A JSON error body as soketi sends it: {"error":"...","code":status}.
inline reply fail(int status, std::string_view why) {
    return {status, boost::json::serialize(boost::json::object{{"error", why}, {"code", status}})};
}

/// One event to publish.
struct event {
    std::string channel, name;
    boost::json::value data;
    std::string socket_id;
};

/// Reads one event object (channel/channels, name, data, socket_id) into `out`, checking the
/// app's limits in soketi's order; returns an error reply on failure.
inline std::optional<reply> read_event(const boost::json::value& v, const pws::App& app, std::vector<event>& out) {
    auto* o = v.if_object();
    if (!o) return fail(400, "The received data is incorrect");
    const auto name = pusher::string_member(*o, "name");
    const auto* data = o->if_contains("data");
    std::vector<std::string> channels;
    if (auto* list = o->if_contains("channels"); list && !list->is_null()) {
        if (!list->is_array()) return fail(400, "channels must be an array of strings");
        for (auto& c : list->as_array()) {
            if (!c.is_string()) return fail(400, "channels must be an array of strings");
            channels.emplace_back(c.as_string());
        }
    } else if (auto* c = o->if_contains("channel"); c && c->is_string()) {
        channels.emplace_back(c->as_string());
    }
    // soketi's `!message.data`: absent, null, "" (and false, 0) are "incorrect".
    const bool no_data = !data || data->is_null() || (data->is_string() && data->as_string().empty()) ||
                         (data->is_bool() && !data->as_bool()) || (data->is_number() && data->to_number<double>() == 0);
    if (channels.empty() || name.empty() || no_data) return fail(400, "The received data is incorrect");
    if (auto over = limits::channels_at_once(app, channels.size())) return fail(400, *over);
    if (auto over = limits::event_name(app, name)) return fail(400, *over);
    if (auto over = limits::event_payload(app, *data)) return fail(413, *over);
    const auto socket_id = pusher::string_member(*o, "socket_id");
    for (auto& c : channels) {
        if (auto over = limits::channel_name(app, c)) return fail(400, *over);
        if (!pusher::valid_channel_name(c, app.max_channel_name_length)) return fail(400, "Invalid channel name " + c);
        out.push_back({std::move(c), name, *data, socket_id});
    }
    return std::nullopt;
}

/// A publishing call's body, checked, then broadcast.
inline reply publish(const api_path& p, const pws::App& app, std::string_view body, hub& h, std::int64_t now_s) {
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return fail(400, "The body must be a JSON object");
    std::vector<event> events;
    if (p.what == endpoint::events) {
        if (auto r = read_event(doc, app, events)) return *r;
    } else {
        auto* batch = doc.as_object().if_contains("batch");
        if (!batch || !batch->is_array()) return fail(400, "The received data is incorrect");
        if (auto over = limits::batch_size(app, batch->as_array().size())) return fail(400, *over);
        for (auto& e : batch->as_array())
            if (auto r = read_event(e, app, events)) return *r;
    }
    // One point per channel an event goes to, as soketi counts (a batch: one per item and
    // channel). Unlike soketi, a refused body takes no points.
    if (!h.backend_events(app.id).try_take(app.max_backend_events_per_second,
                                           static_cast<std::int64_t>(events.size()), now_s))
        return fail(429, limits::too_many_requests);

    for (auto& e : events) {
        auto m = std::make_shared<const std::string>(pusher::event(e.channel, e.name, e.data));
        const subscriber* except = e.socket_id.empty() ? nullptr : h.find_in_channel(app.id, e.channel, e.socket_id);
        h.publish(app.id, e.channel, m, except);
    }
    return {200, "{}"};
}

/// Whether the comma-separated `info` parameter lists `attribute`.
inline bool info_has(const std::vector<query_param>& params, std::string_view attribute) {
    const std::string* info = find_param(params, "info");
    if (!info) return false;
    std::string_view rest = *info;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (rest.substr(0, comma) == attribute) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return false;
}

/// A read: what soketi answers (subscription_count and occupied always; user_count for presence
/// channels), with the channels sorted by name so that answers are stable.
inline reply read(const api_path& p, const pws::App& app, const std::vector<query_param>& params, const hub& h) {
    namespace json = boost::json;
    auto describe = [&](const std::string& name, hub::occupancy o, bool with_users) {
        json::object c{{"subscription_count", o.sockets}, {"occupied", o.sockets > 0}};
        if (with_users && pusher::kind_of(name) == pusher::channel_kind::presence) c["user_count"] = o.users;
        return c;
    };
    switch (p.what) {
    case endpoint::channels: {
        const std::string* prefix = find_param(params, "filter_by_prefix");
        std::vector<std::pair<std::string, hub::occupancy>> found;
        h.for_each_channel(app.id, [&](const std::string& name, hub::occupancy o) {
            if (o.sockets && (!prefix || name.starts_with(*prefix))) found.emplace_back(name, o);
        });
        std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first < b.first; });
        json::object channels;
        for (auto& [name, o] : found) channels[name] = describe(name, o, info_has(params, "user_count"));
        return {200, json::serialize(json::object{{"channels", std::move(channels)}})};
    }
    case endpoint::channel:
        return {200, json::serialize(describe(p.channel, h.channel(app.id, p.channel), true))};
    case endpoint::channel_users: {
        if (pusher::kind_of(p.channel) != pusher::channel_kind::presence)
            return fail(400, "The channel must be a presence channel.");
        const std::string* with_info = find_param(params, "with_user_info");
        json::array users;
        h.for_each_user(app.id, p.channel, [&](const std::string& id, const json::value& info) {
            json::object u{{"id", id}};
            if (with_info && *with_info == "1") u["user_info"] = info;
            users.push_back(std::move(u));
        });
        return {200, json::serialize(json::object{{"users", std::move(users)}})};
    }
    default: return fail(404, "Not found");
    }
}

/// Handles a request to `p` for `app` (found, and enabled or not: a disabled app's API is
/// refused too). `method` is "GET" or "POST" (the caller answers 405 otherwise), `query` the raw
/// query string, `now_s` the Unix time.
inline reply handle(const api_path& p, const pws::App& app, std::string_view method, std::string_view path,
                    std::string_view query, std::string_view body, hub& h, std::int64_t now_s) {
    const auto params = parse_query(query);
    if (auto a = check_api_signature(method, path, params, body, app.key, app.secret, now_s); a != api_auth::ok) {
        reply r = fail(401, to_string(a));
        // Fail closed, and say so once: the operator must learn that no request can be accepted.
        if (a == api_auth::crypto_failed) r.note = "refused: OpenSSL could not compute HMAC-SHA256/MD5";
        return r;
    }
    if (!app.enabled) return fail(403, "The app is disabled");
    if (!is_read(p.what)) return publish(p, app, body, h, now_s);
    if (!h.read_requests(app.id).try_take(app.max_read_requests_per_second, 1, now_s))
        return fail(429, limits::too_many_requests);
    return read(p, app, params, h);
}

}  // namespace gate::http_api
