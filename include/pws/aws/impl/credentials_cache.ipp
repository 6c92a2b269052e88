#pragma once

#include <pws/aws/detail/credentials_cache.hpp>

namespace pws::detail {

PWS_DECL cache_action decide(const credentials_entry& e, std::chrono::system_clock::time_point now,
                             const refresh_policy& p) noexcept {
    if (!e.creds) return cache_action::wait;
    if (!e.expiration) return cache_action::serve;
    if (now >= *e.expiration) return cache_action::wait;
    if (now < e.not_before) return cache_action::serve;
    // Extended credentials are a stopgap the service still accepts: keep signing with them and
    // retry in the background until they lapse.
    if (e.extended) return cache_action::serve_and_refresh;
    auto left = *e.expiration - now;
    if (left <= p.mandatory) return cache_action::wait;
    if (left <= p.advisory) return cache_action::serve_and_refresh;
    return cache_action::serve;
}

namespace credentials_cache_impl {
inline void extend(credentials_entry& e, std::chrono::system_clock::time_point now, std::chrono::seconds jitter) {
    e.expiration = now + static_stability_interval + jitter;
    e.not_before = now + static_stability_interval;
    e.extended = true;
}
}  // namespace credentials_cache_impl

PWS_DECL void note_success(credentials_entry& e, std::shared_ptr<const aws::credentials> creds,
                           std::optional<std::chrono::system_clock::time_point> expiration,
                           std::chrono::system_clock::time_point now, const refresh_policy& p, bool static_stability,
                           std::chrono::seconds jitter) {
    e.creds = std::move(creds);
    e.expiration = expiration;
    e.extended = false;
    e.not_before = {};
    if (!expiration) return;
    if (now >= *expiration) {
        // Only IMDS does this (during an outage it may hand back what it last had); anything
        // else that answers expired credentials gets asked again by the next request.
        if (static_stability) credentials_cache_impl::extend(e, now, jitter);
        return;
    }
    if (*expiration - now <= p.advisory) e.not_before = now + p.failed_retry;
}

PWS_DECL bool note_failure(credentials_entry& e, std::chrono::system_clock::time_point now, const refresh_policy& p,
                           bool static_stability, std::chrono::seconds jitter) {
    if (!e.creds) return false;
    if (!e.expiration) return true;
    if (now >= *e.expiration) {
        if (!static_stability) return false;
        credentials_cache_impl::extend(e, now, jitter);
        return true;
    }
    e.not_before = now + p.failed_retry;
    return true;
}

}  // namespace pws::detail
