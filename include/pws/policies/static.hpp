// pws::StaticPolicy — apps held in memory, for users without DynamoDB and for fast tests.
//
// The apps come from code, from a JSON document in soketi's array-driver form (app_json.hpp) or
// from a file holding one, or exactly as a soketi deployment without a database defines them
// (from_soketi: its config.json and SOKETI_DEFAULT_APP_* variables). Lookups are two hash-map
// probes and never touch the network.
#pragma once

#include <pws/app.hpp>
#include <pws/app_defaults.hpp>
#include <pws/app_json.hpp>
#include <pws/detail/env.hpp>
#include <pws/detail/soketi_options.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>
#include <pws/redact.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pws {

namespace detail {
/// Hashes std::string and std::string_view alike, so a map keyed by std::string is searched
/// with a view and no temporary string is built on the lookup path.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};
}  // namespace detail

/// Apps held in memory (users without DynamoDB; fast tests). Immutable after construction, so
/// one instance may serve any number of threads.
class StaticPolicy {
public:
    /// Largest file from_file() reads; a bigger one is refused (a path to /dev/zero must not hang).
    static constexpr std::size_t max_file_size = 64 * 1024 * 1024;

    /// Holds `apps`. Precondition: ids and keys are unique and non-empty (from_apps() checks
    /// that and reports violations); if it is broken anyway, the first app with a given id or
    /// key is the one found.
    explicit StaticPolicy(std::vector<App> apps) {
        by_id_.reserve(apps.size());
        by_key_.reserve(apps.size());
        for (auto& a : apps) {
            auto app = std::make_shared<const App>(std::move(a));
            by_id_.emplace(app->id, app);
            by_key_.emplace(app->key, app);
        }
    }

    /// Checks `apps` (non-empty id, key and secret; no duplicate id or key) and holds them; on
    /// failure sets `ec` to pws::error::invalid_static_apps, says which app in `diagnostic`
    /// (by index and id, never the secret) and returns an empty policy.
    static StaticPolicy from_apps(std::vector<App> apps, boost::system::error_code& ec,
                                  std::string& diagnostic) {
        ec = {};
        diagnostic.clear();
        std::unordered_map<std::string_view, std::size_t> ids, keys;
        for (std::size_t i = 0; i < apps.size(); ++i) {
            const App& a = apps[i];
            const std::string where = "apps[" + std::to_string(i) + "]";
            const char* empty = a.id.empty()       ? "id"
                                : a.key.empty()    ? "key"
                                : a.secret.empty() ? "secret"
                                                   : nullptr;
            if (empty) return failure(ec, diagnostic, where + ": empty " + empty);
            if (auto [it, fresh] = ids.emplace(a.id, i); !fresh)
                return failure(ec, diagnostic,
                               where + ": duplicate id " + quote_for_diagnostic(a.id) +
                                   " (also apps[" + std::to_string(it->second) + "])");
            if (auto [it, fresh] = keys.emplace(a.key, i); !fresh)
                return failure(ec, diagnostic,
                               where + " (id " + quote_for_diagnostic(a.id) +
                                   "): duplicate key, already used by id " +
                                   quote_for_diagnostic(apps[it->second].id));
        }
        return StaticPolicy(std::move(apps));
    }

    /// Reads a JSON array of apps in soketi's array-driver form, or an object {"apps": [...]};
    /// limits an app leaves out take `defaults`.
    /// On failure sets `ec` to pws::error::invalid_static_apps, `diagnostic` to what and where
    /// ("apps[2]: maxConnections: ..." or "not valid JSON at offset 17: ..."), and returns an
    /// empty policy.
    static StaticPolicy from_json(std::string_view json_text, boost::system::error_code& ec,
                                  std::string& diagnostic, const AppDefaults& defaults = {}) {
        ec = {};
        diagnostic.clear();
        boost::json::stream_parser parser;
        boost::system::error_code pec;
        const std::size_t used = parser.write(json_text.data(), json_text.size(), pec);
        if (!pec) parser.finish(pec);
        if (pec)
            return failure(
                ec, diagnostic,
                "not valid JSON at offset " + std::to_string(used) + ": " + pec.message());
        const boost::json::value doc = parser.release();

        const boost::json::array* list = doc.if_array();
        if (auto* o = doc.if_object())
            if (auto* a = o->if_contains("apps")) list = a->if_array();
        if (!list)
            return failure(ec, diagnostic,
                           "expected a JSON array of apps, or an object {\"apps\": [...]}");

        std::vector<App> apps(list->size());
        std::string why;
        for (std::size_t i = 0; i < list->size(); ++i)
            if (auto e = app_from_json((*list)[i], apps[i], why, defaults))
                return failure(ec, diagnostic, "apps[" + std::to_string(i) + "]: " + why, e);
        return from_apps(std::move(apps), ec, diagnostic);
    }

    /// Reads `path` and parses it as from_json() does. A file that cannot be read sets `ec` to
    /// the system's error (e.g. no_such_file_or_directory) with the path in `diagnostic`.
    static StaticPolicy from_file(const std::string& path, boost::system::error_code& ec,
                                  std::string& diagnostic, const AppDefaults& defaults = {}) {
        ec = {};
        diagnostic.clear();
        std::string text;
        if (!read_text(path, text, ec, diagnostic)) return StaticPolicy(std::vector<App>{});
        StaticPolicy p = from_json(text, ec, diagnostic, defaults);
        if (ec) diagnostic = path + ": " + diagnostic;
        return p;
    }

    /// The apps a soketi deployment without a database serves (its `array` driver), read as
    /// soketi reads them:
    ///  1. soketi's built-in app (id `app-id`, key `app-key`, secret `app-secret`), unless
    ///  2. `config_file` (a soketi config.json as it is; "" for none) sets `appManager.array.apps`,
    ///     as a dotted key or nested objects;
    ///  3. then the environment, as soketi applies it over the file: DEFAULT_APP_ID, _KEY,
    ///     _SECRET, _MAX_CONNS, _ENABLE_CLIENT_MESSAGES, _ENABLED, _MAX_BACKEND_EVENTS_PER_SEC,
    ///     _MAX_CLIENT_EVENTS_PER_SEC, _MAX_READ_REQ_PER_SEC, _USER_AUTHENTICATION, _WEBHOOKS
    ///     (each as X or SOKETI_X; a value that parses as JSON is that JSON) set the first app.
    /// Limits an app leaves out take the file's presence.*, channelLimits.* and eventLimits.*,
    /// overridden by AppDefaults::from_env()'s variables. As in soketi, the built-in app keeps its
    /// public secret "app-secret" unless DEFAULT_APP_SECRET replaces it; unlike soketi, an app of
    /// the file without a secret is refused (soketi would sign with "app-secret"). Errors as from_json (invalid_config for a
    /// variable or option that cannot be read, naming it).
    static StaticPolicy from_soketi(const std::string& config_file, boost::system::error_code& ec,
                                    std::string& diagnostic) {
        ec = {};
        diagnostic.clear();
        boost::json::value options;
        if (!soketi_options(config_file, options, ec, diagnostic)) return StaticPolicy(std::vector<App>{});
        AppDefaults defaults;
        std::vector<App> apps;
        try {
            static constexpr std::pair<const char*, const char*> default_app[] = {
                {"DEFAULT_APP_ID", "id"},
                {"DEFAULT_APP_KEY", "key"},
                {"DEFAULT_APP_SECRET", "secret"},
                {"DEFAULT_APP_MAX_CONNS", "maxConnections"},
                {"DEFAULT_APP_ENABLE_CLIENT_MESSAGES", "enableClientMessages"},
                {"DEFAULT_APP_ENABLED", "enabled"},
                {"DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC", "maxBackendEventsPerSecond"},
                {"DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC", "maxClientEventsPerSecond"},
                {"DEFAULT_APP_MAX_READ_REQ_PER_SEC", "maxReadRequestsPerSecond"},
                {"DEFAULT_APP_USER_AUTHENTICATION", "enableUserAuthentication"},
                {"DEFAULT_APP_WEBHOOKS", "webhooks"},
            };
            for (auto [var, field] : default_app)
                if (auto e = detail::env_either(var)) {
                    auto v = detail::env_option_value(e->value);
                    // Ids, keys and secrets are text, whatever they look like ("0123", "1e3").
                    const std::string_view f = field;
                    if (!v.is_string() && (f == "id" || f == "key" || f == "secret"))
                        v = boost::json::value(e->value);
                    if (!detail::option_set(options, std::string("appManager.array.apps.0.") + field, std::move(v)))
                        return failure(ec, diagnostic, e->name + ": appManager.array.apps is not a list of apps",
                                       error::invalid_config);
                }
            if (!soketi_defaults(options, defaults, ec, diagnostic)) return StaticPolicy(std::vector<App>{});
        } catch (const boost::system::system_error& e) {
            return failure(ec, diagnostic, e.what(), e.code());
        }
        const boost::json::value* list = detail::option_get(options, "appManager.array.apps");
        if (!list || !list->is_array())
            return failure(ec, diagnostic, "appManager.array.apps: expected a list of apps");
        auto arr = list->get_array();
        apps.resize(arr.size());
        std::string why;
        for (std::size_t i = 0; i < arr.size(); ++i) {
            // soketi compares ids and keys with ==, so a config's 12345 is the id "12345".
            if (auto* o = arr[i].if_object())
                for (const char* f : {"id", "key"})
                    if (auto* v = o->if_contains(f); v && (v->is_int64() || v->is_uint64()))
                        *v = boost::json::value(boost::json::serialize(*v));
            if (auto e = app_from_json(arr[i], apps[i], why, defaults))
                return failure(ec, diagnostic, "appManager.array.apps[" + std::to_string(i) + "]: " + why, e);
        }
        auto policy = from_apps(std::move(apps), ec, diagnostic);
        if (ec && diagnostic.starts_with("apps[")) diagnostic.insert(0, "appManager.array.");
        return policy;
    }

    /// soketi's default app with the environment's DEFAULT_APP_* and limit variables, as a soketi
    /// started without a config file serves it: from_soketi("").
    static StaticPolicy from_env(boost::system::error_code& ec, std::string& diagnostic) {
        return from_soketi(std::string(), ec, diagnostic);
    }

    /// The server-wide limits soketi would use with `options` (soketi_options()): its presence.*,
    /// channelLimits.* and eventLimits.*, then AppDefaults::from_env()'s variables over them.
    /// On failure sets `ec` to error::invalid_config and `diagnostic` naming the option or variable.
    static bool soketi_defaults(const boost::json::value& options, AppDefaults& d, boost::system::error_code& ec,
                                std::string& diagnostic) {
        auto get = [&](const char* path, auto& into) {
            const boost::json::value* v = detail::option_get(options, path);
            if (!v) return true;
            std::int64_t i = 0;
            double x = 0;
            bool ok;
            if constexpr (std::is_same_v<std::remove_reference_t<decltype(into)>, double>) {
                ok = v->is_number() && (x = v->to_number<double>(), std::isfinite(x) && x > 0);
                if (ok) into = x;
            } else {
                ok = v->is_int64() && (i = v->get_int64()) >= 1;
                if (ok) into = i;
            }
            if (!ok) {
                ec = error::invalid_config;
                diagnostic = std::string(path) + ": expected " +
                             (std::is_same_v<std::remove_reference_t<decltype(into)>, double> ? "a number > 0"
                                                                                             : "an integer >= 1");
            }
            return ok;
        };
        if (!(get("presence.maxMembersPerChannel", d.max_presence_members_per_channel) &&
               get("presence.maxMemberSizeInKb", d.max_presence_member_size_in_kb) &&
               get("channelLimits.maxNameLength", d.max_channel_name_length) &&
               get("eventLimits.maxChannelsAtOnce", d.max_event_channels_at_once) &&
               get("eventLimits.maxNameLength", d.max_event_name_length) &&
               get("eventLimits.maxPayloadInKb", d.max_event_payload_in_kb) &&
               get("eventLimits.maxBatchSize", d.max_event_batch_size)))
            return false;
        try {
            d = AppDefaults::from_env(d);
        } catch (const boost::system::system_error& e) {
            ec = e.code();
            diagnostic = e.what();
            return false;
        }
        return true;
    }

    /// soketi's options tree with its defaults for what this library reads (appManager.driver
    /// "array", the built-in app, the server-wide limits; none if `with_defaults` is false: then
    /// only what the file sets), `config_file` applied over them as soketi applies it ("" for
    /// none). Variables are not applied. On failure sets `ec` (invalid_config, or the system's
    /// error reading the file) and `diagnostic`.
    static bool soketi_options(const std::string& config_file, boost::json::value& options,
                               boost::system::error_code& ec, std::string& diagnostic,
                               bool with_defaults = true) {
        options = !with_defaults ? boost::json::value(boost::json::object()) : boost::json::parse(R"({
          "appManager": {"driver": "array", "array": {"apps": [
            {"id": "app-id", "key": "app-key", "secret": "app-secret", "maxConnections": -1,
             "enableClientMessages": false, "enabled": true, "maxBackendEventsPerSecond": -1,
             "maxClientEventsPerSecond": -1, "maxReadRequestsPerSecond": -1, "webhooks": []}]}},
          "channelLimits": {"maxNameLength": 200},
          "eventLimits": {"maxChannelsAtOnce": 100, "maxNameLength": 200, "maxPayloadInKb": 100, "maxBatchSize": 10},
          "presence": {"maxMembersPerChannel": 100, "maxMemberSizeInKb": 2}
        })");
        if (config_file.empty()) return true;
        std::string text;
        if (!read_text(config_file, text, ec, diagnostic)) return false;
        boost::system::error_code pec;
        auto doc = boost::json::parse(text, pec);
        std::string why;
        if (pec) why = "not valid JSON: " + pec.message();
        else if (!doc.is_object()) why = "expected a JSON object of soketi options";
        else detail::apply_config_file(options, doc.get_object(), why);
        if (why.empty()) return true;
        ec = error::invalid_config;
        diagnostic = config_file + ": " + why;
        return false;
    }
    /// Looks an app up by id. Completes at once, allocating nothing beyond the coroutine frame;
    /// `id` and this policy must stay alive until the awaitable completes.
    boost::asio::awaitable<find_result> find_by_id(std::string_view id) const {
        co_return get_by_id(id);
    }

    /// Looks an app up by key; see find_by_id().
    boost::asio::awaitable<find_result> find_by_key(std::string_view key) const {
        co_return get_by_key(key);
    }

    /// Synchronous find_by_id(): found or not found, never an error.
    find_result get_by_id(std::string_view id) const { return lookup(by_id_, id); }

    /// Synchronous find_by_key(): found or not found, never an error.
    find_result get_by_key(std::string_view key) const { return lookup(by_key_, key); }

    /// The number of apps held.
    std::size_t size() const noexcept { return by_id_.size(); }

    /// Calls `f(const App&)` for every app held, in no particular order (e.g. to check them).
    template <class F>
    void for_each(F&& f) const {
        for (auto& entry : by_id_) f(*entry.second);
    }

private:
    // The whole of `path` (at most max_file_size bytes) into `text`.
    static bool read_text(const std::string& path, std::string& text, boost::system::error_code& ec,
                          std::string& diagnostic) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            const int err = errno ? errno : ENOENT;
            failure(ec, diagnostic, "cannot open " + path,
                    boost::system::error_code(err, boost::system::generic_category()));
            return false;
        }
        char chunk[16384];
        // Read in chunks rather than by size: pipes and devices have no size to trust.
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
            text.append(chunk, static_cast<std::size_t>(in.gcount()));
            if (text.size() > max_file_size) {
                failure(ec, diagnostic, path + ": larger than 64 MiB");
                return false;
            }
        }
        if (in.bad()) {
            failure(ec, diagnostic, "cannot read " + path,
                    boost::system::error_code(EIO, boost::system::generic_category()));
            return false;
        }
        return true;
    }

    using index = std::unordered_map<std::string, app_ptr, detail::string_hash, std::equal_to<>>;

    static find_result lookup(const index& map, std::string_view s) {
        auto it = map.find(s);  // heterogeneous: no std::string is built
        return it == map.end() ? find_result::none() : find_result::of(it->second);
    }

    static StaticPolicy failure(boost::system::error_code& ec, std::string& diagnostic,
                                std::string why,
                                boost::system::error_code code = error::invalid_static_apps) {
        ec = code;
        diagnostic = std::move(why);
        return StaticPolicy(std::vector<App>{});
    }

    index by_id_;
    index by_key_;
};

}  // namespace pws
