// pws::dynamodb::client — a small DynamoDB JSON-protocol client over Beast.
//
// One call = one HTTP/1.1 POST to "/", signed with SigV4, over a keep-alive connection from a
// bounded pool (TLS for https endpoints). A call runs on its caller's coroutine, its I/O on the
// executor given at construction; the threads are the deadline watch's (one per execution
// context, detail/http/deadline.hpp) and the credentials provider's, started on first use when
// the chain reaches the shared files or credential_process (they block). It is safe to share
// between coroutines, including on a multi-threaded io_context: the shared state (the pool's
// book, the signer's key cache, the counters) sits behind mutexes held for a few pointer moves,
// never across I/O; a call that finds every connection busy waits for one, within its deadline.
// A call's state (its state machine, request and body buffers) comes from a per-thread cache of
// up to 32, kept for the thread's next calls and freed when the thread exits: in the steady
// state a lookup allocates only the answer's body and the App it returns.
#pragma once

#include <pws/aws/credentials.hpp>
#include <pws/aws/credentials_provider.hpp>
#include <pws/aws/endpoint.hpp>
#include <pws/aws/sigv4.hpp>
#include <pws/config.hpp>
#include <pws/detail/config.hpp>
#include <pws/dynamodb/detail/pool.hpp>
#include <pws/dynamodb/detail/retry.hpp>
#include <pws/dynamodb/response.hpp>
#include <pws/detail/waiter_list.hpp>
#include <pws/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws::detail {
struct attempt_result;  // dynamodb/detail/call_fsm.hpp
}  // namespace pws::detail

namespace pws::dynamodb {

/// Counters of what the client did (a plain snapshot).
struct client_stats {
    std::uint64_t requests = 0;          ///< HTTP requests written
    std::uint64_t connections_opened = 0;///< TCP connections established
    std::uint64_t stale_retries = 0;     ///< requests re-sent because a pooled connection was dead
    std::uint64_t idle_discards = 0;     ///< pooled connections dropped unused: closed, or bytes nobody asked for
    std::uint64_t retries = 0;           ///< attempts after a retryable failure
    std::uint64_t quota_refusals = 0;    ///< retries refused by the retry quota
    std::uint64_t skew_corrections = 0;  ///< immediate retries with a corrected clock
    std::uint64_t pool_waits = 0;        ///< attempts that waited for a free connection
    std::uint64_t pool_timeouts = 0;     ///< calls whose deadline passed while waiting for one
    std::uint64_t throttles = 0;         ///< attempts throttled (ProvisionedThroughputExceeded, 429...), retried or not
    std::uint64_t failovers = 0;         ///< hops to the next replica after a regional fault (a call may make several)
    std::size_t open_connections = 0;    ///< connections open now (idle, in use or connecting)
    std::size_t idle_connections = 0;    ///< of which idle in the pool
    std::size_t peak_connections = 0;    ///< most connections open at once (<= pool_size; with failover, the sum of each replica's peak)
};

/// What one replica of the table did (replicas()[0] is the primary: DynamoDbConfig::region).
struct replica_stats {
    std::string region;          ///< signed for
    std::string host;            ///< requests go to
    std::uint64_t calls = 0;     ///< calls sent to it
    std::uint64_t failures = 0;  ///< of which ended with a regional fault
    std::uint64_t failovers = 0; ///< of which went on to the next replica
    bool cooling_down = false;   ///< skipped now: it failed less than failover_cooldown ago
};

/// A DynamoDB client bound to one endpoint and region, and to the further replicas of a global
/// table when DynamoDbConfig::failover lists some.
///
/// Failover: each replica is signed for its own region and has its own connection pool. A call
/// goes to the first replica in list order that is not cooling down. When it fails there with a
/// regional fault (response::regional) it goes on at the next one, within the same
/// total_timeout; with a healthy replica after it, a connect failure, reset, attempt timeout or
/// 5xx is not retried in the region first (throttling is, up to max_attempts; the last healthy
/// replica retries as usual). Validation, auth, TLS-verification and "not found" answers never
/// fail over: every replica holds the same table. A replica that failed is skipped for
/// failover_cooldown; then one call tries it again (the others keep skipping it until that one
/// ends), and on success traffic is back with the first healthy replica. Replicas cooling down
/// are asked last, only when every other one failed the call. All replicas sign with the one
/// credentials chain (the primary's, whose region STS web identity uses). replicas() tells what
/// happened, without a log. Failover applies to every operation, writes included: like a retry,
/// a write that timed out may have been applied where it was sent first.
class client {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Builds a client for `cfg`. Throws boost::system::system_error (error::invalid_config or
    /// error::invalid_endpoint, with the reason in what()) when the region or endpoint is unusable.
    PWS_DECL client(executor_type ex, DynamoDbConfig cfg);
    PWS_DECL ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// The executor every operation runs on.
    executor_type get_executor() const noexcept { return ex_; }

    /// The configuration in use.
    const DynamoDbConfig& config() const noexcept { return cfg_; }

    /// The endpoint requests go to.
    const aws::endpoint& endpoint() const noexcept { return ep_; }

    /// Sends `operation` (e.g. "GetItem") with a JSON `body`. A 2xx response completes with an
    /// empty `ec` and the body; anything else with `ec` and a diagnostic.
    PWS_DECL boost::asio::awaitable<response> call(std::string_view operation, std::string body);

    /// Writes a request body into `out` (which it replaces), from `context`.
    using body_writer = void (*)(const void* context, std::string& out);

    /// As call(), with the body written by `write(context, out)` into a buffer of the call's own,
    /// which keeps its capacity from call to call: no allocation for the body in the steady
    /// state. `context` must stay valid until the call completes (write may run more than once).
    PWS_DECL boost::asio::awaitable<response> call(std::string_view operation, body_writer write, const void* context);

    /// A snapshot of the counters, summed over the replicas.
    PWS_DECL client_stats stats() const;

    /// The replicas in list order, the primary first, with their counters.
    PWS_DECL std::vector<replica_stats> replicas() const;

    /// A snapshot of the credentials provider's counters (fetches, refreshes); no credential in it.
    PWS_DECL aws::credentials_provider_stats credentials_stats() const;

private:
    struct connection;
    class lease;
    struct slot_wait;
    using time_point = std::chrono::steady_clock::time_point;
    struct replica; // one of failover_: its client, its cool-down, its counters
    struct call_state;  // what one call_region() holds besides its frame, recycled per thread
    struct call_state_recycler;
    struct body_source {       // a call's body: owned, or written into the call's buffer
        std::string owned;
        body_writer write = nullptr;
        const void* context = nullptr;
    };
    enum class call_wait { slot, connect, write, read, backoff, done }; // what call_region awaits next

    PWS_DECL boost::asio::awaitable<response> start(std::string_view operation, body_source body); // both call()s
    PWS_DECL boost::asio::awaitable<response> call_replicas(std::string_view operation, std::string body,
                                                            time_point deadline);
    PWS_DECL boost::asio::awaitable<response> call_region(std::string_view operation, body_source body,
                                                          time_point deadline, bool fail_fast);
    PWS_DECL boost::asio::awaitable<boost::system::error_code> connect(connection& c, detail::attempt_result& out,
                                                                       time_point deadline);
    PWS_DECL boost::asio::awaitable<std::shared_ptr<const aws::credentials>> wait_credentials(time_point deadline,
                                                                                             response& failure);
    PWS_DECL call_wait advance(call_state& st);
    PWS_DECL call_wait exchanged(call_state& st);
    PWS_DECL bool take_slot(lease& l, std::vector<std::unique_ptr<connection>>& expired); // mutex_ held
    PWS_DECL bool try_acquire(lease& l);
    PWS_DECL boost::asio::awaitable<bool> wait_for_slot(lease& l, detail::attempt_result& out, time_point deadline);
    PWS_DECL void release(std::unique_ptr<connection> c);
    PWS_DECL void build_request(std::string& req, std::string_view operation, const std::string& body,
                                const aws::credentials& creds, std::string_view invocation_id, unsigned attempt,
                                std::chrono::system_clock::time_point signing_time);

    executor_type ex_;
    DynamoDbConfig cfg_;
    aws::endpoint ep_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
    aws::credentials_provider credentials_; // the default chain; DynamoDbConfig::credentials first
    aws::credentials_provider* creds_ = &credentials_; // what signs: credentials_, or the primary's for a replica

    detail::retry_quota quota_; // thread-safe on its own
    detail::clock_skew skew_;   // an atomic
    std::atomic<std::uint64_t> requests_{0};  // HTTP requests written, counted without mutex_

    std::mutex sign_mutex_;     // guards the signer (its key cache and scratch buffers)
    aws::sigv4_signer signer_;

    mutable std::mutex mutex_;  // guards the three below; held only for a few pointer moves, never across I/O
    detail::pool_book<connection> pool_;
    client_stats stats_;        // but `requests`, which stats() takes from requests_
    // Calls waiting for a slot, every connection being busy; release() hands its slot to the
    // oldest, with the connection or, when it was closed, as a permit to open one. Enqueued and
    // taken under mutex_ (the list's own lock comes after it), cancelled without it.
    detail::waiter_list<std::unique_ptr<connection>> slot_waiters_;

    // Slot 0 stands for this client (the primary), slot i for a client of failover[i - 1]; empty
    // without failover.
    std::vector<std::unique_ptr<replica>> replicas_;
};

}  // namespace pws::dynamodb

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/client.ipp>
#endif
