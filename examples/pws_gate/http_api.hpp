// The Pusher HTTP API's two publishing calls, POST /apps/{id}/events and /batch_events, as a
// pure function of (app, request, hub, clock): signature, limits, body, then the broadcast.
// The app lookup by id happens before, in server.hpp, because it is asynchronous.
#pragma once

#include "hub.hpp"
#include "pusher_protocol.hpp"
#include "signatures.hpp"

#include <pws/app.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::http_api {

/// Which API call a path names.
enum class endpoint { events, batch_events };

/// /apps/{id}/events or /apps/{id}/batch_events, split.
struct api_path {
    std::string app_id;
    endpoint what;
};

/// Parses the path part of a target; nullopt for any other path.
inline std::optional<api_path> parse_path(std::string_view path) {
    constexpr std::string_view prefix = "/apps/";
    if (!path.starts_with(prefix)) return std::nullopt;
    path.remove_prefix(prefix.size());
    const auto slash = path.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    const std::string_view rest = path.substr(slash);
    api_path p{url_decode(path.substr(0, slash)), endpoint::events};
    if (rest == "/events") return p;
    if (rest == "/batch_events") { p.what = endpoint::batch_events; return p; }
    return std::nullopt;
}

/// A response: status and JSON body.
struct reply {
    int status;
    std::string body;
    std::string note = {};  ///< for the log line only (e.g. why a signature could not be checked)
};

/// A JSON error body: {"error":"..."}.
inline reply fail(int status, std::string_view why) {
    return {status, boost::json::serialize(boost::json::object{{"error", why}})};
}

/// One event to publish.
struct event {
    std::string channel, name, data, socket_id;
};

/// Reads one event object (channel/channels, name, data, socket_id) into `out`, checking the
/// app's limits; returns an error reply on failure.
inline std::optional<reply> read_event(const boost::json::value& v, const pws::App& app, bool allow_many,
                                       std::vector<event>& out) {
    auto* o = v.if_object();
    if (!o) return fail(400, "each event must be a JSON object");
    const auto name = pusher::string_member(*o, "name");
    auto* data = o->if_contains("data");
    if (name.empty()) return fail(400, "missing event name");
    if (static_cast<std::int64_t>(name.size()) > app.max_event_name_length) return fail(413, "event name too long");
    if (!data || !data->is_string()) return fail(400, "data must be a string");
    if (static_cast<double>(data->as_string().size()) > app.max_event_payload_in_kb * 1024)
        return fail(413, "event payload too large");
    std::vector<std::string> channels;
    if (auto* list = o->if_contains("channels"); list && allow_many) {
        if (!list->is_array()) return fail(400, "channels must be an array");
        for (auto& c : list->as_array()) {
            if (!c.is_string()) return fail(400, "channels must hold strings");
            channels.emplace_back(c.as_string());
        }
    } else if (auto* c = o->if_contains("channel"); c && c->is_string()) {
        channels.emplace_back(c->as_string());
    }
    if (channels.empty()) return fail(400, "missing channel(s)");
    if (static_cast<std::int64_t>(channels.size()) > app.max_event_channels_at_once)
        return fail(400, "too many channels at once");
    const auto socket_id = pusher::string_member(*o, "socket_id");
    for (auto& c : channels) {
        if (!pusher::valid_channel_name(c, app.max_channel_name_length)) return fail(400, "invalid channel name");
        out.push_back({std::move(c), name, std::string(data->as_string()), socket_id});
    }
    return std::nullopt;
}

/// Handles a POST to `p` for `app` (found, and enabled or not: a disabled app's API is
/// refused too). `query` is the raw query string, `now_s` the Unix time.
inline reply handle(const api_path& p, const pws::App& app, std::string_view path, std::string_view query,
                    std::string_view body, hub& h, std::int64_t now_s) {
    const auto params = parse_query(query);
    if (auto a = check_api_signature("POST", path, params, body, app.key, app.secret, now_s); a != api_auth::ok) {
        reply r = fail(401, to_string(a));
        // Fail closed, and say so once: the operator must learn that no request can be accepted.
        if (a == api_auth::crypto_failed) r.note = "refused: OpenSSL could not compute HMAC-SHA256/MD5";
        return r;
    }
    if (!app.enabled) return fail(403, "the app is disabled");

    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return fail(400, "the body must be a JSON object");
    std::vector<event> events;
    if (p.what == endpoint::events) {
        if (auto r = read_event(doc, app, true, events)) return *r;
    } else {
        auto* batch = doc.as_object().if_contains("batch");
        if (!batch || !batch->is_array()) return fail(400, "batch must be an array");
        if (static_cast<std::int64_t>(batch->as_array().size()) > app.max_event_batch_size)
            return fail(413, "batch too large");
        for (auto& e : batch->as_array())
            if (auto r = read_event(e, app, false, events)) return *r;
    }
    // One point per channel an event goes to, as soketi counts (a batch: one per item).
    if (!h.backend_events(app.id).try_take(app.max_backend_events_per_second,
                                           static_cast<std::int64_t>(events.size()), now_s))
        return fail(429, "over the app's maxBackendEventsPerSecond");

    for (auto& e : events) {
        auto m = std::make_shared<const std::string>(pusher::event(e.channel, e.name, boost::json::value(e.data)));
        const subscriber* except = e.socket_id.empty() ? nullptr : h.find_in_channel(app.id, e.channel, e.socket_id);
        h.publish(app.id, e.channel, m, except);
    }
    return {200, "{}"};
}

}  // namespace gate::http_api
