// GET /metrics: what the gate and its driver counted, in Prometheus's text exposition format
// (version 0.0.4). Two halves:
//  - gate_counters, what the gate counts itself (connections, closes by code, app lookups by
//    outcome and duration), updated by server.hpp on the io_context's one thread: plain integers;
//  - render(), a pure function of those counters and of the driver's own stats snapshots. Which
//    driver families it writes is decided at compile time from the driver's type: a static
//    driver has no cache, DynamoDB or credentials families, and nothing is virtual.
// Every label set is fixed (code, driver, by, outcome, le): no app id, key or secret, and no AWS
// credential, can reach the output.
#pragma once

#include <pws/aws/credentials_provider.hpp>
#include <pws/cache_config.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/find_result.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace gate::metrics {

/// The Content-Type of the exposition format this writes.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds, in seconds, of pws_gate_lookup_duration_seconds' buckets (+Inf follows).
inline constexpr std::array<double, 15> lookup_bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};

/// Observations by bucket (each counted once, in the first bucket whose bound is >= it; the last
/// slot is above every bound), their sum and count. render() makes the buckets cumulative.
struct histogram {
    std::array<std::uint64_t, lookup_bounds.size() + 1> buckets{};
    double sum = 0;
    std::uint64_t count = 0;

    void observe(double seconds) {
        std::size_t b = 0;
        while (b < lookup_bounds.size() && seconds > lookup_bounds[b]) ++b;
        ++buckets[b];
        sum += seconds;
        ++count;
    }
};

/// Which lookup: by key (a WebSocket connect) or by id (the HTTP API).
enum class lookup_by { key, id };

/// What the gate counts itself. One thread (the io_context's) touches it: no atomics.
struct gate_counters {
    std::uint64_t connections = 0;       ///< WebSocket connections admitted and open now
    std::uint64_t connections_total = 0; ///< admitted since start
    std::map<std::string, std::uint64_t, std::less<>> closes; ///< by close code sent, or "client"
    std::array<std::array<std::uint64_t, 3>, 2> lookups{};    ///< [by][found, not_found, error]
    histogram lookup_seconds;

    void admitted() {
        ++connections;
        ++connections_total;
    }
    /// An admitted connection ended; `code` is the one the server sent, nullopt if it sent none.
    void closed(std::optional<std::uint16_t> code) {
        --connections;
        ++closes[code ? std::to_string(*code) : "client"];
    }
    /// A connection refused at connect time with `code` (it was never admitted).
    void refused(std::uint16_t code) { ++closes[std::to_string(code)]; }
    void looked_up(lookup_by by, const pws::find_result& r, std::chrono::steady_clock::duration took) {
        ++lookups[by == lookup_by::id][r.found() ? 0 : r.not_found() ? 1 : 2];
        lookup_seconds.observe(std::chrono::duration<double>(took).count());
    }
};

/// `v` as a label value: backslash, double quote and newline escaped.
inline std::string escape_label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

/// `v` as HELP text: backslash and newline escaped.
inline std::string escape_help(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

/// A number as the format wants it: integers exactly; doubles in the shortest form that reads
/// back the same, %g-style as Prometheus's own clients write them (0.0001, 2.5, 1e-05); +Inf, NaN.
template <class V>
std::string format_value(V v) {
    char buf[64];
    std::to_chars_result r;
    if constexpr (std::floating_point<V>) {
        if (std::isnan(v)) return "NaN";
        if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
        r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
    } else {
        r = std::to_chars(buf, buf + sizeof buf, v);
    }
    return std::string(buf, r.ptr);
}

struct label {
    std::string_view name, value;
};

/// Appends families and samples to a string.
class writer {
public:
    explicit writer(std::string& out) : out_(out) {}

    /// A family's HELP and TYPE lines; its samples follow.
    void family(std::string_view name, std::string_view type, std::string_view help) {
        ((out_ += "# HELP ") += name) += ' ';
        (out_ += escape_help(help)) += '\n';
        ((((out_ += "# TYPE ") += name) += ' ') += type) += '\n';
    }

    template <class V>
    void sample(std::string_view name, std::initializer_list<label> labels, V value) {
        out_ += name;
        if (labels.size()) {
            char sep = '{';
            for (const label& l : labels) {
                ((out_ += sep) += l.name) += "=\"";
                (out_ += escape_label_value(l.value)) += '"';
                sep = ',';
            }
            out_ += '}';
        }
        ((out_ += ' ') += format_value(value)) += '\n';
    }

    /// A family of one unlabelled sample.
    template <class V>
    void single(std::string_view name, std::string_view type, std::string_view help, V value) {
        family(name, type, help);
        sample(name, {}, value);
    }

private:
    std::string& out_;
};

/// Everything render() reads: the gate's counters and whatever the driver could report.
struct snapshot {
    const gate_counters& gate;
    std::size_t tcp_connections = 0;
    std::string_view driver = "array";  ///< "dynamodb" or "array", the value of the driver label
    std::optional<pws::cache_stats> cache;  ///< the driver is a pws::Cached
    bool cache_enabled = false;
    std::optional<pws::dynamodb::client_stats> dynamodb;  ///< the innermost driver is DynamoDbPolicy
    std::optional<pws::aws::credentials_provider_stats> credentials;
};

/// The exposition text of `s`.
inline std::string render(const snapshot& s) {
    std::string out;
    writer w(out);
    const gate_counters& g = s.gate;
    w.single("pws_gate_connections", "gauge",
             "WebSocket connections admitted (app found, enabled, under its quota) and open now.", g.connections);
    w.single("pws_gate_connections_total", "counter", "WebSocket connections admitted since start.",
             g.connections_total);
    w.single("pws_gate_tcp_connections", "gauge", "TCP connections open now (HTTP or WebSocket, admitted or not).",
             s.tcp_connections);
    w.family("pws_gate_closes_total", "counter",
             "WebSocket connections closed, by the close code the server sent (connect-time refusals "
             "included); code=\"client\" when the client closed, or the connection broke, first.");
    for (const auto& [code, n] : g.closes) w.sample("pws_gate_closes_total", {{"code", code}}, n);

    w.family("pws_gate_lookups_total", "counter",
             "App lookups the gate made (by key: WebSocket connects; by id: HTTP API), by outcome.");
    static constexpr std::array<std::string_view, 2> by{"key", "id"};
    static constexpr std::array<std::string_view, 3> outcome{"found", "not_found", "error"};
    for (std::size_t b = 0; b < by.size(); ++b)
        for (std::size_t o = 0; o < outcome.size(); ++o)
            w.sample("pws_gate_lookups_total", {{"driver", s.driver}, {"by", by[b]}, {"outcome", outcome[o]}},
                     g.lookups[b][o]);

    w.family("pws_gate_lookup_duration_seconds", "histogram",
             "Duration of the gate's app lookups (cache hits included), measured by the gate.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < lookup_bounds.size(); ++i) {
        cumulative += g.lookup_seconds.buckets[i];
        const std::string le = format_value(lookup_bounds[i]);
        w.sample("pws_gate_lookup_duration_seconds_bucket", {{"driver", s.driver}, {"le", le}}, cumulative);
    }
    w.sample("pws_gate_lookup_duration_seconds_bucket", {{"driver", s.driver}, {"le", "+Inf"}}, g.lookup_seconds.count);
    w.sample("pws_gate_lookup_duration_seconds_sum", {{"driver", s.driver}}, g.lookup_seconds.sum);
    w.sample("pws_gate_lookup_duration_seconds_count", {{"driver", s.driver}}, g.lookup_seconds.count);

    if (const auto& c = s.cache) {
        w.single("pws_cache_enabled", "gauge",
                 "1 when the app cache is on (APP_MANAGER_CACHE_ENABLED); 0: every lookup goes to the driver.",
                 s.cache_enabled ? 1 : 0);
        w.single("pws_cache_hits_total", "counter", "Lookups answered with a fresh app from memory.", c->hits);
        w.single("pws_cache_negative_hits_total", "counter",
                 "Lookups answered \"not found\" from memory (a negative entry).", c->negative_hits);
        w.single("pws_cache_misses_total", "counter",
                 "Lookups with nothing fresh in memory (each asked the driver); not counted while the cache is off.",
                 c->misses);
        w.single("pws_cache_coalesced_total", "counter", "Misses that joined a driver request already in flight.",
                 c->coalesced);
        w.single("pws_cache_requests_total", "counter",
                 "Driver lookups sent (misses less coalesced; every lookup while the cache is off).", c->requests);
        w.single("pws_cache_errors_total", "counter", "Driver lookups that failed.", c->errors);
        w.single("pws_cache_stale_served_total", "counter",
                 "Lookups answered with an expired app because the driver failed (stale-if-error).", c->stale_served);
        w.single("pws_cache_evictions_total", "counter",
                 "Entries dropped to stay within APP_MANAGER_CACHE_MAX_ENTRIES (apps or negative entries).",
                 c->evictions);
        w.single("pws_cache_entries", "gauge", "Apps held in the cache now.", c->entries);
        w.single("pws_cache_negative_entries", "gauge", "Negative (\"no such app\") entries held now.",
                 c->negative_entries);
        w.single("pws_cache_preload_runs_total", "counter",
                 "Preload Scans of the whole table that completed (APP_MANAGER_CACHE_PRELOAD).",
                 c->preload_runs);
        w.single("pws_cache_refreshes_total", "counter",
                 "Background re-reads of an app in use, started by a hit on an entry older than "
                 "CacheConfig::refresh_after.",
                 c->refreshes);
        w.single("pws_cache_refresh_failures_total", "counter",
                 "Refreshes answered with an error (the cached app is kept, and tried again later).",
                 c->refresh_failures);
        w.single("pws_cache_refresh_changes_total", "counter",
                 "Refreshes whose answer differed from the cached app (changed, disabled or deleted).",
                 c->refresh_changes);
        w.single("pws_cache_preload_failures_total", "counter", "Preload Scans that stopped on an error.",
                 c->preload_failures);
    }
    if (const auto& d = s.dynamodb) {
        w.single("pws_dynamodb_requests_total", "counter",
                 "HTTP requests sent to DynamoDB (every attempt: retries and stale-connection re-sends included).",
                 d->requests);
        w.single("pws_dynamodb_retries_total", "counter", "Attempts made after a retryable failure.", d->retries);
        w.single("pws_dynamodb_stale_retries_total", "counter",
                 "Requests re-sent because a pooled keep-alive connection turned out dead.", d->stale_retries);
        w.single("pws_dynamodb_throttles_total", "counter",
                 "Attempts DynamoDB throttled (ProvisionedThroughputExceeded, ThrottlingException, "
                 "RequestLimitExceeded, HTTP 429), retried or not.",
                 d->throttles);
        w.single("pws_dynamodb_failovers_total", "counter",
                 "Calls that went on to the next replica of a global table after a regional fault "
                 "(DynamoDbConfig::failover).",
                 d->failovers);
        w.single("pws_dynamodb_quota_refusals_total", "counter",
                 "Retries not made because the retry quota was exhausted.", d->quota_refusals);
        w.single("pws_dynamodb_connections_opened_total", "counter", "Connections established to DynamoDB.",
                 d->connections_opened);
        w.single("pws_dynamodb_open_connections", "gauge",
                 "Connections to DynamoDB open now (idle, in use or connecting).", d->open_connections);
        w.single("pws_dynamodb_idle_connections", "gauge", "Connections to DynamoDB idle in the pool now.",
                 d->idle_connections);
        w.single("pws_dynamodb_pool_waits_total", "counter", "Attempts that waited for a free pooled connection.",
                 d->pool_waits);
        w.single("pws_dynamodb_pool_timeouts_total", "counter",
                 "Calls whose deadline passed while waiting for a pooled connection.", d->pool_timeouts);
    }
    if (const auto& c = s.credentials) {
        w.single("pws_credentials_fetches_total", "counter",
                 "AWS credential chain resolutions and refreshes started.", c->fetches);
        w.single("pws_credentials_failed_fetches_total", "counter",
                 "AWS credential resolutions and refreshes that failed.", c->failed_fetches);
        w.single("pws_credentials_background_refreshes_total", "counter",
                 "AWS credential refreshes started while the cached credentials were still served.",
                 c->background_refreshes);
        w.single("pws_credentials_served_stale_total", "counter",
                 "Requests signed with old AWS credentials after a failed refresh.", c->served_stale);
    }
    return out;
}

/// A driver with a cache in front (pws::Cached): its counters, its switch and the driver inside.
template <class P>
concept caching_driver = requires(P& p) {
    { std::as_const(p).stats() } -> std::same_as<pws::cache_stats>;
    { p.config().enabled } -> std::convertible_to<bool>;
    p.inner();
};

/// A driver over a pws::dynamodb::client (DynamoDbPolicy).
template <class P>
concept dynamodb_driver = requires(P& p) {
    { p.client().stats() } -> std::same_as<pws::dynamodb::client_stats>;
    { p.client().credentials_stats() } -> std::same_as<pws::aws::credentials_provider_stats>;
};

/// The driver at the bottom of any number of wrappers that have inner().
template <class P>
auto& innermost(P& p) {
    if constexpr (requires { p.inner(); }) return innermost(p.inner());
    else return p;
}

/// The exposition text of the gate over `apps` (a pws::AppManager<...>), with `tcp_connections` open.
template <class Apps>
std::string render(Apps& apps, const gate_counters& g, std::size_t tcp_connections) {
    auto& policy = apps.policy();
    auto& inner = innermost(policy);
    using policy_type = std::remove_reference_t<decltype(policy)>;
    using inner_type = std::remove_reference_t<decltype(inner)>;
    snapshot s{g, tcp_connections, dynamodb_driver<inner_type> ? "dynamodb" : "array"};
    if constexpr (caching_driver<policy_type>) {
        s.cache = policy.stats();
        s.cache_enabled = policy.config().enabled;
    }
    if constexpr (dynamodb_driver<inner_type>) {
        s.dynamodb = inner.client().stats();
        s.credentials = inner.client().credentials_stats();
    }
    return render(s);
}

}  // namespace gate::metrics
