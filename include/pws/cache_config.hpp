// Configuration and counters of pws::Cached (policies/cached.hpp): plain structs, and from_env()
// reading soketi's two cache variables plus a few of our own.
//
// soketi's defaults are kept: with no variable set the cache is OFF and, once on, entries never
// expire (TTL -1) — as in a soketi deployment. One addition: an app in use is re-read in the
// background once it was read a minute ago (refresh_after), so that an app disabled, re-keyed or
// given a new secret in the table is seen without a restart. soketi (src/cli/cli.ts, server.ts)
// reads SOKETI_APP_MANAGER_CACHE_ENABLED / SOKETI_APP_MANAGER_CACHE_TTL; we read every name with
// or without the prefix, as for APP_MANAGER_DYNAMODB_* (detail/env.hpp: both set, differently, is
// an error).
#pragma once

#include <pws/detail/env.hpp>
#include <pws/error.hpp>

#include <boost/system/system_error.hpp>

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace pws {

/// How pws::Cached caches. Every member has a usable default; see the table in from_env().
struct CacheConfig {
    /// Off: every lookup goes to the driver (soketi's default).
    bool enabled = false;
    /// A found app is served from memory this long; <= 0: until evicted (soketi's default, -1).
    /// Hits check it (and the other durations here) on a coarse clock: an entry may expire up to
    /// two kernel ticks (1-10 ms each) early, not late (cache/detail/cache_clock.hpp).
    std::chrono::seconds ttl{-1};
    /// Refresh-ahead: a lookup that finds an app read longer ago than this is answered from
    /// memory at once, and starts one background re-read of the app by id, whose answer replaces
    /// it (or, if the app is gone, a negative entry does). At most one re-read per app in use per
    /// refresh_after (after a failed one, one per stale_retry until it succeeds); apps not looked
    /// up are never re-read. 0: off. Only while the app is fresh:
    /// with a ttl > 0, refresh_after >= ttl never refreshes (the app expires first).
    std::chrono::seconds refresh_after{60};
    /// "No such app" is remembered this long (never longer than a positive ttl); 0: not at all.
    std::chrono::seconds negative_ttl{5};
    /// Past its ttl, an app is still served this long while the driver fails; 0: never.
    std::chrono::seconds max_stale{300};
    /// While an app is served stale, the driver is asked again at most this often; after a
    /// refresh failed, the next refresh of that app starts no sooner than this.
    std::chrono::milliseconds stale_retry{1000};
    /// Apps held; beyond it, CLOCK (second-chance LRU) evicts.
    std::size_t max_entries = 10000;
    /// Unknown ids/keys remembered, held apart: a flood of them never evicts an app.
    std::size_t max_negative_entries = 10000;
    /// Scan the whole table at start, and then every preload_interval (drivers with scan()).
    bool preload = false;
    /// Real time between two preload Scans; 0: only the one at start.
    std::chrono::seconds preload_interval{60};
    /// Limit of each Scan page; 0: DynamoDB's 1 MB pages.
    int preload_page_size = 0;

    /// Reads, each unset or empty variable keeping the default above (`X` or `SOKETI_X`):
    ///
    /// | variable                              | member               | values                  |
    /// |---------------------------------------|----------------------|-------------------------|
    /// | APP_MANAGER_CACHE_ENABLED             | enabled              | true/false/1/0          |
    /// | APP_MANAGER_CACHE_TTL                 | ttl                  | integer seconds, -1     |
    /// | APP_MANAGER_CACHE_REFRESH_AFTER       | refresh_after        | integer seconds, 0: off |
    /// | APP_MANAGER_CACHE_NEGATIVE_TTL        | negative_ttl         | integer seconds         |
    /// | APP_MANAGER_CACHE_MAX_STALE           | max_stale            | integer seconds         |
    /// | APP_MANAGER_CACHE_MAX_ENTRIES         | max_entries          | integer >= 1            |
    /// | APP_MANAGER_CACHE_PRELOAD             | preload              | true/false/1/0          |
    /// | APP_MANAGER_CACHE_PRELOAD_INTERVAL    | preload_interval     | integer seconds         |
    ///
    /// Throws boost::system::system_error (error::invalid_config, naming the variable) for a value
    /// it cannot read, or both spellings set to different values, rather than running with a
    /// cache the operator did not ask for.
    static CacheConfig from_env() {
        CacheConfig c;
        read_bool("APP_MANAGER_CACHE_ENABLED", c.enabled);
        read_seconds("APP_MANAGER_CACHE_TTL", c.ttl, true);
        read_seconds("APP_MANAGER_CACHE_REFRESH_AFTER", c.refresh_after, false);
        read_seconds("APP_MANAGER_CACHE_NEGATIVE_TTL", c.negative_ttl, false);
        read_seconds("APP_MANAGER_CACHE_MAX_STALE", c.max_stale, false);
        if (auto v = read_int("APP_MANAGER_CACHE_MAX_ENTRIES", 1))
            c.max_entries = static_cast<std::size_t>(*v);
        read_bool("APP_MANAGER_CACHE_PRELOAD", c.preload);
        read_seconds("APP_MANAGER_CACHE_PRELOAD_INTERVAL", c.preload_interval, false);
        return c;
    }

private:
    static void read_bool(const char* name, bool& out) {
        auto e = detail::env_either(name);
        if (!e) return;
        std::string s = e->value;
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (s == "true" || s == "1") out = true;
        else if (s == "false" || s == "0") out = false;
        else detail::env_refuse(*e, "true or false");
    }
    static std::optional<long long> read_int(const char* name, long long min) {
        std::int64_t n = 0;
        const char* expected = min < 0 ? "an integer" : min == 0 ? "a non-negative integer" : "a positive integer";
        if (!detail::env_int(name, n, min, expected)) return std::nullopt;
        return n;
    }
    static void read_seconds(const char* name, std::chrono::seconds& out, bool negative_ok) {
        if (auto v = read_int(name, negative_ok ? -(1LL << 40) : 0)) out = std::chrono::seconds(*v);
    }
};

/// A snapshot of what a pws::Cached did since it was built (plain values, copied out at once).
struct cache_stats {
    std::uint64_t hits = 0;           ///< lookups answered with a fresh app from memory
    std::uint64_t negative_hits = 0;  ///< lookups answered "not found" from a negative entry
    std::uint64_t misses = 0;         ///< lookups with nothing fresh in memory (each asked the driver)
    std::uint64_t coalesced = 0;      ///< misses that joined a driver request already in flight
    std::uint64_t requests = 0;       ///< driver lookups sent: misses - coalesced, plus refreshes that
                                      ///< sent their own (all lookups when disabled)
    std::uint64_t errors = 0;         ///< driver lookups that failed
    std::uint64_t stale_served = 0;   ///< lookups answered with an expired app because the driver failed
    std::uint64_t evictions = 0;      ///< entries dropped to stay within max_entries / max_negative_entries
    std::size_t entries = 0;          ///< apps held now
    std::size_t negative_entries = 0; ///< negative entries held now

    std::uint64_t preload_runs = 0;      ///< preload Scans that completed
    std::uint64_t preload_failures = 0;  ///< preload Scans that stopped on an error
    std::uint64_t preload_malformed = 0; ///< items that did not decode, in all preloads

    std::uint64_t refreshes = 0;        ///< background re-reads started (one per app per refresh_after;
                                        ///< one joining a request in flight for that id sends none)
    std::uint64_t refresh_failures = 0; ///< refreshes answered with an error (the app is kept; tried
                                        ///< again on a hit after stale_retry)
    std::uint64_t refresh_changes = 0;  ///< refreshes whose answer differed from the cached app (any
                                        ///< field: key, secret, enabled, limits...; or the app is gone)

    /// Upper bounds of the latency buckets, in microseconds.
    static constexpr std::array<std::uint32_t, 12> latency_bounds_us{
        250, 500, 1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000, 250'000, 1'000'000, 5'000'000};
    /// Driver lookups by duration: [i] counts those under latency_bounds_us[i] and not under the one
    /// before; the last counts the rest. Measured with the cache's clock.
    std::array<std::uint64_t, latency_bounds_us.size() + 1> latency{};
};

}  // namespace pws
