// Sans-io retry machinery of the transport: which failures are worth another attempt, how long
// to wait (exponential backoff with full jitter), the retry quota that stops an outage from
// multiplying load, the x-amz-crc32 check and clock-skew learning. No I/O, no clock of its own.
#pragma once

#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

namespace pws::detail {

/// What kind of failure an attempt ended with, for the retry decision.
enum class failure_kind {
    fatal,      ///< never retried: validation, auth, not found, malformed data, bad config
    transient,  ///< 5xx, 429, connection reset/EOF, CRC mismatch: retry after a short backoff
    throttling, ///< DynamoDB throttled us: retry after a longer backoff
    timeout,    ///< the attempt timed out: retry, at a higher quota cost
    clock_skew, ///< our clock is off: re-sign with the server's time and retry at once
};

/// Classifies an attempt's error. `status` is the HTTP status (0 when none), `message` the
/// diagnostic (InvalidSignatureException is a skew only for "Signature expired"/"not yet current").
PWS_DECL failure_kind classify_failure(boost::system::error_code ec, unsigned status,
                                       std::string_view message) noexcept;

/// Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^retry)], retry counted from 0.
PWS_DECL std::chrono::milliseconds backoff_delay(unsigned retry, std::chrono::milliseconds base,
                                                 std::chrono::milliseconds cap, std::uint64_t random) noexcept;

/// The SDKs' retry quota: a bucket of tokens; a retry costs tokens (more after a timeout), a
/// success gives back what its retries took (or one token when it needed none). When the bucket
/// cannot pay, the failure is returned instead of retried. Thread-safe.
class retry_quota {
public:
    /// `capacity` tokens (SDK default 500), `cost` per retry (5), `timeout_cost` (10).
    explicit retry_quota(unsigned capacity = 500, unsigned cost = 5, unsigned timeout_cost = 10) noexcept
        : capacity_(capacity), tokens_(capacity), cost_(cost), timeout_cost_(timeout_cost) {}

    /// Takes the tokens for one retry after `kind`; returns how many (0 = refused).
    PWS_DECL unsigned acquire(failure_kind kind) noexcept;
    /// A request succeeded after retries that took `spent` tokens (0 when it needed none).
    PWS_DECL void release(unsigned spent) noexcept;
    /// Tokens left.
    PWS_DECL unsigned available() const noexcept;

private:
    mutable std::mutex mutex_; // a handful of integer operations; never held across I/O
    unsigned capacity_, tokens_, cost_, timeout_cost_;
};

/// CRC32 (IEEE, as x-amz-crc32 uses) of `data`.
PWS_DECL std::uint32_t crc32(std::string_view data) noexcept;

/// Checks a body against its x-amz-crc32 header value (decimal). An absent header passes; a
/// header that is not a number fails.
PWS_DECL bool crc32_matches(std::string_view body, std::string_view header) noexcept;

/// Parses an HTTP Date header (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
PWS_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) noexcept;

/// The clock offset to apply when signing (server time - local time), learned from responses.
/// Only offsets of at least `threshold` (4 minutes) are kept: smaller skews are harmless.
class clock_skew {
public:
    using duration = std::chrono::system_clock::duration;
    /// Learns from a response's Date header, received at local time `now`. Returns true when the
    /// correction changed enough to make a retry with the corrected clock worthwhile.
    PWS_DECL bool observe(std::chrono::system_clock::time_point server_time,
                          std::chrono::system_clock::time_point now) noexcept;
    /// The local time corrected by the learned offset.
    std::chrono::system_clock::time_point corrected(std::chrono::system_clock::time_point now) const noexcept {
        return now + offset();
    }
    /// The learned offset (zero until a skew of at least the threshold was seen).
    duration offset() const noexcept { return duration(offset_.load(std::memory_order_relaxed)); }
    /// True when the clock we would sign with now is at least `threshold` away from the one a
    /// request was signed with (`signed_offset`: offset() when it was signed), so that its skew
    /// error is worth one immediate retry. Judged per request rather than on observe()'s result,
    /// so that every call rejected concurrently gets its retry, not only the first to learn.
    bool corrects(duration signed_offset) const noexcept {
        auto change = offset() - signed_offset;
        return (change < duration::zero() ? -change : change) >= threshold;
    }

    static constexpr std::chrono::minutes threshold{4};

private:
    std::atomic<duration::rep> offset_{0};
};

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/retry.ipp>
#endif
