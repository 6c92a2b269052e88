// Sans-io bookkeeping of the credentials the chain holds: when to serve them, when to refresh in
// the background, when callers must wait, and what to keep after a refresh fails (static
// stability). Pure functions of the entry and a time passed in, tested without a clock.
#pragma once

#include <pws/aws/credentials.hpp>
#include <pws/detail/config.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace pws::detail {

/// What the chain holds between fetches.
struct credentials_entry {
    std::shared_ptr<const aws::credentials> creds; ///< null until a fetch succeeds
    std::optional<std::chrono::system_clock::time_point> expiration; ///< effective expiry; nullopt = never
    std::chrono::system_clock::time_point not_before{}; ///< no refresh attempt before this
    bool extended = false; ///< `expiration` was pushed out by static stability
};

/// When to refresh.
struct refresh_policy {
    std::chrono::minutes advisory{15};           ///< serve, and refresh once in the background
    std::chrono::minutes mandatory{10};          ///< wait for the refresh
    std::chrono::seconds failed_retry{60};       ///< after a failed refresh (or a short-lived success)
};

/// What a request does with the entry.
enum class cache_action {
    serve,             ///< hand out the held credentials
    serve_and_refresh, ///< hand them out, and start a background refresh if none runs
    wait,              ///< wait for a fetch (start one if none runs)
};

/// The action for a request at `now`.
PWS_DECL cache_action decide(const credentials_entry& e, std::chrono::system_clock::time_point now,
                             const refresh_policy& p) noexcept;

/// How far static stability extends expired credentials: 5 minutes plus `jitter` (callers draw it
/// in [0, 5 min), as the JavaScript SDK v3 does, so that a fleet does not retry in step).
inline constexpr std::chrono::minutes static_stability_interval{5};

/// Records fresh credentials. With `static_stability` (IMDS), credentials that arrive already
/// expired are extended rather than refused. Credentials that arrive inside the advisory window
/// are not refreshed again before `failed_retry`, so a source that hands out short-lived
/// credentials is not asked on every request.
PWS_DECL void note_success(credentials_entry& e, std::shared_ptr<const aws::credentials> creds,
                           std::optional<std::chrono::system_clock::time_point> expiration,
                           std::chrono::system_clock::time_point now, const refresh_policy& p, bool static_stability,
                           std::chrono::seconds jitter);

/// Records a failed refresh. True when the held credentials may still be served: unexpired ones
/// are kept (and not retried before `failed_retry`); expired ones are extended only with
/// `static_stability`. False when there is nothing usable.
PWS_DECL bool note_failure(credentials_entry& e, std::chrono::system_clock::time_point now, const refresh_policy& p,
                           bool static_stability, std::chrono::seconds jitter);

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_cache.ipp>
#endif
