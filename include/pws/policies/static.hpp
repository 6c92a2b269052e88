// pws::StaticPolicy — apps held in memory, for users without DynamoDB and for fast tests.
//
// The apps come from code, from a JSON document in soketi's array-driver form (app_json.hpp) or
// from a file holding one. Lookups are two hash-map probes and never touch the network.
#pragma once

#include <pws/app.hpp>
#include <pws/app_json.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cerrno>
#include <cstddef>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
                               where + ": duplicate id " + detail::quote_for_diagnostic(a.id) +
                                   " (also apps[" + std::to_string(it->second) + "])");
            if (auto [it, fresh] = keys.emplace(a.key, i); !fresh)
                return failure(ec, diagnostic,
                               where + " (id " + detail::quote_for_diagnostic(a.id) +
                                   "): duplicate key, already used by id " +
                                   detail::quote_for_diagnostic(apps[it->second].id));
        }
        return StaticPolicy(std::move(apps));
    }

    /// Reads a JSON array of apps in soketi's array-driver form, or an object {"apps": [...]}.
    /// On failure sets `ec` to pws::error::invalid_static_apps, `diagnostic` to what and where
    /// ("apps[2]: maxConnections: ..." or "not valid JSON at offset 17: ..."), and returns an
    /// empty policy.
    static StaticPolicy from_json(std::string_view json_text, boost::system::error_code& ec,
                                  std::string& diagnostic) {
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
            if (auto e = app_from_json((*list)[i], apps[i], why))
                return failure(ec, diagnostic, "apps[" + std::to_string(i) + "]: " + why, e);
        return from_apps(std::move(apps), ec, diagnostic);
    }

    /// Reads `path` and parses it as from_json() does. A file that cannot be read sets `ec` to
    /// the system's error (e.g. no_such_file_or_directory) with the path in `diagnostic`.
    static StaticPolicy from_file(const std::string& path, boost::system::error_code& ec,
                                  std::string& diagnostic) {
        ec = {};
        diagnostic.clear();
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            const int err = errno ? errno : ENOENT;
            return failure(ec, diagnostic, "cannot open " + path,
                           boost::system::error_code(err, boost::system::generic_category()));
        }
        std::string text;
        char chunk[16384];
        // Read in chunks rather than by size: pipes and devices have no size to trust.
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
            text.append(chunk, static_cast<std::size_t>(in.gcount()));
            if (text.size() > max_file_size)
                return failure(ec, diagnostic, path + ": larger than 64 MiB");
        }
        if (in.bad())
            return failure(ec, diagnostic, "cannot read " + path,
                           boost::system::error_code(EIO, boost::system::generic_category()));
        StaticPolicy p = from_json(text, ec, diagnostic);
        if (ec) diagnostic = path + ": " + diagnostic;
        return p;
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

private:
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
