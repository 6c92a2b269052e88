// The decisions of one DynamoDB call at one replica, sans-io: which step comes next (take a pooled
// connection, sign, connect, exchange, give the connection back, wait to retry, end), when each
// step must be over, and what the call comes to. No socket, no timer, no clock of its own: the
// driver (dynamodb::client::call_region, one coroutine) carries out each action and resumes the machine
// with what happened and the time it is now, as Boost.Redis's exec_fsm and Boost.MySQL's sansio
// algorithms do. The unit tests drive it through every path the same way, without I/O or sleeps.
//
//   detail::call_fsm fsm(limits, deadline, quota, skew, secrets, draw);
//   detail::call_event ev{now(), wall_now()};
//   for (;;) {
//       auto a = fsm.resume(ev);
//       ... carry out a.step, fill ev (result, connection state, cancelled, now) ...
//       if (a.step == detail::call_step::done) return fsm.take_response();
//   }
#pragma once

#include <pws/detail/config.hpp>
#include <pws/dynamodb/detail/retry.hpp>
#include <pws/dynamodb/response.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pws::detail {

/// What one exchange (or the connect or pool wait before it) came to, as the transport saw it.
struct attempt_result {
    boost::system::error_code ec; ///< a transport error (error::timeout, connection_closed...), or none
    std::string diagnostic;       ///< why, naming the peer; never a secret
    bool nothing_received = false;///< failed before any byte of a response: the request may be re-sent
    unsigned status = 0;          ///< the HTTP status of a response
    std::string body;             ///< its body
    std::string error_type;       ///< its x-amzn-ErrorType header
    std::string request_id;       ///< its x-amzn-RequestId header
    bool keep_alive = false;      ///< the connection may carry the next request
    bool permanent = false;       ///< retrying cannot help (the server's certificate was rejected)
    bool local = false;           ///< this process's own limit (pool full, out of descriptors): not the region's
    std::optional<std::chrono::system_clock::time_point> server_date; ///< its Date header
};

/// The limits of one call, from DynamoDbConfig.
struct call_limits {
    unsigned max_attempts = 3;                      ///< attempts, the first included
    std::chrono::milliseconds attempt_timeout{3000};///< each attempt: connect + exchange
    std::chrono::milliseconds retry_base_delay{25}; ///< backoff base after a transient failure or timeout
    std::chrono::milliseconds throttling_base_delay{500}; ///< after throttling
    std::chrono::milliseconds max_backoff{20000};   ///< cap of one backoff
    bool fail_fast = false; ///< a healthy replica follows: leave at the first fault that is the region's
};

/// The next thing the driver does.
enum class call_step {
    acquire,  ///< take a connection slot from the pool, waiting at most until `until`
    sign,     ///< build and sign the request of attempt `attempt`, with the clock corrected by `signing_offset`
    connect,  ///< open a connection (resolve, TCP, TLS), by `until`
    exchange, ///< send the signed request on the held connection and read the answer, by `until`
    release,  ///< give the slot back: with its connection when `keep`, closed otherwise
    wait,     ///< sleep until `until` (a backoff), then resume
    done,     ///< the call is over: take_response()
};

/// An action of the machine.
struct call_action {
    call_step step = call_step::done;
    std::chrono::steady_clock::time_point until{};         ///< acquire, connect, exchange, wait
    unsigned attempt = 0;                                   ///< sign: the attempt's number, from 1
    std::chrono::system_clock::duration signing_offset{};   ///< sign: server time - local time
    bool keep = false;            ///< release: the connection goes back to the pool
    bool drop_connection = false; ///< sign, connect: close the held connection first (not to be used)
};

/// What happened since the last action, and the time it is now.
struct call_event {
    std::chrono::steady_clock::time_point now{};  ///< the injected clock (deadlines)
    std::chrono::system_clock::time_point wall{}; ///< the injected wall clock (clock skew)
    bool cancelled = false;       ///< the caller cancelled the call (checked after each step)
    attempt_result* result = nullptr; ///< acquire/connect: set only on failure; exchange: always
    bool has_connection = false;  ///< acquire: the slot came with a pooled connection
    bool clean = false;           ///< acquire: that connection has nothing pending (nor EOF)
};

/// What the call did, for the client's counters (added once, when it ends).
struct call_counters {
    std::uint64_t retries = 0, quota_refusals = 0, skew_corrections = 0, throttles = 0, stale_retries = 0,
                  idle_discards = 0;
};

/// The secrets a diagnostic must never quote (the credentials signing the call).
struct call_secrets {
    std::string_view secret_access_key, session_token;
};

/// One call at one replica, as a state machine. Not thread-safe (one driver); `quota` and `skew`
/// are the client's, shared by its calls (each thread-safe on its own).
class call_fsm {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using draw_fn = std::uint64_t (*)(); ///< the random draws of backoff jitter

    /// A call that must end by `deadline` (DynamoDbConfig::total_timeout after it began).
    PWS_DECL call_fsm(const call_limits& limits, time_point deadline, retry_quota& quota, clock_skew& skew,
                      call_secrets secrets, draw_fn draw) noexcept;

    /// Takes what happened after the last action (nothing, for the first) and returns the next.
    PWS_DECL call_action resume(call_event& ev);

    /// The call's outcome, once resume() returned call_step::done.
    dynamodb::response take_response() noexcept { return std::move(out_); }

    /// What the call did so far.
    const call_counters& counters() const noexcept { return counters_; }

private:
    enum class state { start, acquiring, signing, connecting, exchanging, releasing, waiting, finished };
    enum class next { finish, retry_now, retry_later };

    PWS_DECL call_action begin_attempt();
    PWS_DECL call_action end_attempt(attempt_result& r, const call_event& ev);
    PWS_DECL next judge(attempt_result& r, const call_event& ev);
    PWS_DECL call_action finish();
    PWS_DECL void abort(const char* when);

    call_limits limits_;
    time_point deadline_;
    retry_quota& quota_;
    clock_skew& skew_;
    call_secrets secrets_;
    draw_fn draw_;

    state state_ = state::start;
    next next_ = next::finish;
    std::chrono::milliseconds delay_{};           // of the backoff judged before the release
    time_point attempt_deadline_{};
    std::chrono::system_clock::duration signed_offset_{}; // the correction the attempt was signed with
    unsigned spent_ = 0;                          // retry-quota tokens the call's retries took
    bool skew_retried_ = false;
    bool has_connection_ = false, reused_ = false;
    failure_kind last_ = failure_kind::fatal;     // of the last failed attempt: says whether it is regional
    call_counters counters_;
    dynamodb::response out_;
};

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/call_fsm.ipp>
#endif
