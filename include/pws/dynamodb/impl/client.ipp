#pragma once

// Out-of-line bodies of pws::dynamodb::client: the pool, signing, attempts, retries. The
// connection's own I/O (connect, TLS, one exchange) is in client_connection.ipp.
#include <pws/dynamodb/impl/client_connection.ipp>

#include <pws/aws/detail/crypto.hpp>
#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/dynamodb/client.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <random>

namespace pws::dynamodb {

// One slot of the pool, held for one attempt. Whatever way the attempt ends (its coroutine
// destroyed included), the slot goes back: with its connection when `conn` is still set (a
// healthy keep-alive one), empty otherwise.
class client::lease {
public:
    explicit lease(client& owner) noexcept : owner_(owner) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
        if (held) owner_.release(std::move(conn));
    }
    std::unique_ptr<connection> conn; // null until connected; reset when it must not be reused
    bool held = false;                // a slot was granted
    bool reused = false;              // conn came from the pool: the server may have closed it

private:
    client& owner_;
};

namespace client_impl {
// Now, in steady_clock ticks (a replica's cool-down is one atomic of them).
inline std::int64_t ticks() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
}  // namespace client_impl

// One replica of the table, as the primary's call_replicas() sees it.
struct client::replica {
    explicit replica(std::unique_ptr<client> c) : owned(std::move(c)) {}
    std::unique_ptr<client> owned;           // null in slot 0: the primary, the owner itself
    std::atomic<std::int64_t> skip_until{0}; // steady_clock ticks; skipped while now < skip_until
    std::atomic<std::uint64_t> calls{0}, failures{0}, failovers{0};
};

PWS_DECL client::client(executor_type ex, DynamoDbConfig cfg)
    : ex_(std::move(ex)), cfg_(std::move(cfg)),
      // Nothing is read or fetched here: the chain resolves on the first call.
      credentials_(ex_,
                   [this] {
                       aws::credentials_provider_config c;
                       c.explicit_credentials = cfg_.credentials;  // still wins when set
                       if (aws::is_valid_region(cfg_.region)) c.region = cfg_.region;  // STS's region
                       c.ca_file = cfg_.ca_file;
                       return c;
                   }()),
      quota_(cfg_.retry_quota),
      pool_(cfg_.pool_size, std::min(cfg_.max_idle_connections, cfg_.pool_size), cfg_.idle_timeout) {
    // OpenSSL's one-time set-up (configuration, providers, the SHA-256 the signer uses) on the
    // constructing thread rather than inside the first call on an I/O thread: that thread's
    // error-queue state from the set-up was not freed when it exited (904 bytes, LeakSanitizer).
    (void)detail::sha256_md();
    std::string diag;
    if (auto ec = aws::dynamodb_endpoint(cfg_.region, cfg_.endpoint, cfg_.use_fips, ep_, diag))
        throw boost::system::system_error(ec, diag);
    if (!aws::is_valid_region(cfg_.region) && cfg_.region != "local")
        throw boost::system::system_error(
            error::invalid_config, "invalid region '" + cfg_.region.substr(0, 64) + "' (used to sign)");
    if (cfg_.max_attempts == 0)
        throw boost::system::system_error(error::invalid_config, "max_attempts must be at least 1");
    if (cfg_.pool_size == 0)
        throw boost::system::system_error(error::invalid_config, "pool_size must be at least 1");
    if (cfg_.table.empty() || cfg_.table.size() > 255)
        throw boost::system::system_error(error::invalid_config,
                                          "the table name must be 1 to 255 characters");
    if (ep_.tls) tls_ = client_impl::make_tls_context(cfg_);
    if (!cfg_.failover.empty()) {
        replicas_.push_back(std::make_unique<replica>(nullptr));
        for (std::size_t i = 0; i < cfg_.failover.size(); ++i) {
            DynamoDbConfig rc = cfg_;  // the same table, limits, timeouts and credentials...
            rc.region = cfg_.failover[i].region;      // ...signed for its own region,
            rc.endpoint = cfg_.failover[i].endpoint;  // at its own endpoint, with its own pool
            rc.failover.clear();
            try {
                auto c = std::make_unique<client>(ex_, std::move(rc));
                c->creds_ = &credentials_;  // one chain for all replicas (theirs is never used)
                replicas_.push_back(std::make_unique<replica>(std::move(c)));
            } catch (const boost::system::system_error& e) {
                std::string what = e.what();  // "<why>: <the code's text>": keep <why>
                for (const std::string& tail : {": " + e.code().what(), ": " + e.code().message()})
                    if (what.ends_with(tail)) {
                        what.resize(what.size() - tail.size());
                        break;
                    }
                throw boost::system::system_error(e.code(), "failover replica " + std::to_string(i + 1) + " (" +
                                                                cfg_.failover[i].region.substr(0, 64) + "): " + what);
            }
        }
    }
}

PWS_DECL client::~client() = default;

PWS_DECL client_stats client::stats() const {
    client_stats s;
    {
        std::lock_guard lock(mutex_);
        s = stats_;
        s.requests = requests_.load(std::memory_order_relaxed);
        s.open_connections = pool_.open();
        s.idle_connections = pool_.idle();
        s.peak_connections = pool_.peak();
    }
    for (auto& r : replicas_) {
        if (!r->owned) continue;
        const client_stats c = r->owned->stats();
        for (auto m : {&client_stats::requests, &client_stats::connections_opened, &client_stats::stale_retries,
                       &client_stats::idle_discards, &client_stats::retries, &client_stats::quota_refusals,
                       &client_stats::skew_corrections, &client_stats::pool_waits, &client_stats::pool_timeouts,
                       &client_stats::throttles, &client_stats::failovers})
            s.*m += c.*m;
        for (auto m : {&client_stats::open_connections, &client_stats::idle_connections, &client_stats::peak_connections})
            s.*m += c.*m;
    }
    return s;
}

PWS_DECL std::vector<replica_stats> client::replicas() const {
    std::vector<replica_stats> out;
    const auto now = client_impl::ticks();
    for (auto& r : replicas_) {
        const client& c = r->owned ? *r->owned : *this;
        out.push_back({c.cfg_.region, c.ep_.host, r->calls.load(), r->failures.load(), r->failovers.load(),
                       r->skip_until.load() > now});
    }
    if (out.empty()) out.push_back({cfg_.region, ep_.host, 0, 0, 0, false});  // no failover: not counted
    return out;
}

PWS_DECL aws::credentials_provider_stats client::credentials_stats() const { return creds_->stats(); }

PWS_DECL bool client::take_slot(lease& l, std::vector<std::unique_ptr<connection>>& expired) {
    std::unique_ptr<connection> idle;
    // The waiters are counted (under the list's own lock) only when a new connection would be
    // opened: an idle one is handed out without asking.
    switch (pool_.acquire(std::chrono::steady_clock::now(), idle, expired,
                          [this] { return slot_waiters_.size() != 0; })) {
    case decltype(pool_)::grant::idle:
        l.conn = std::move(idle);
        l.reused = l.held = true;
        return true;
    case decltype(pool_)::grant::open:
        l.held = true;
        return true;
    case decltype(pool_)::grant::wait:
        break;
    }
    return false;
}

PWS_DECL bool client::try_acquire(lease& l) {
    std::vector<std::unique_ptr<connection>> expired; // closed after the lock is released
    std::lock_guard lock(mutex_);
    return take_slot(l, expired);
}

// The initiation of a wait for a slot (a named type: a lambda in the coroutine's frame would have
// no linkage). Runs once the waiting coroutine is suspended: a cancellation from another thread
// may resume it before this returns, so the timer is only touched under mutex_.
struct client::slot_wait {
    client& self;
    lease& l;
    std::vector<std::unique_ptr<connection>>& expired;
    boost::asio::steady_timer& timer;

    template <class Handler>
    void operator()(Handler handler) const {
        std::unique_lock lock(self.mutex_);
        if (self.take_slot(l, expired)) {  // one freed since try_acquire
            lock.unlock();
            boost::asio::post(boost::asio::append(std::move(handler), boost::system::error_code(),
                                                  std::unique_ptr<connection>()));
            return;
        }
        ++self.stats_.pool_waits;
        // A handler, not a token: enqueued now, under mutex_, so that release() sees it.
        const auto handle = self.slot_waiters_.wait_handler(std::move(handler));
        timer.async_wait([handle](boost::system::error_code e) {
            if (!e) handle.cancel();
        });
    }
};

PWS_DECL boost::asio::awaitable<bool> client::wait_for_slot(lease& l, detail::attempt_result& out,
                                                            std::chrono::steady_clock::time_point deadline) {
    // Every connection is busy (rare): wait in slot_waiters_ until release() hands us a slot.
    // The wait keeps this coroutine's cancellation slot (the call's cancellation ends it at
    // once); a timer ends it at the deadline. No strand: the list decides, under its lock, which
    // of a hand-over and a cancellation wins, and the timer's handler only asks it to cancel.
    using conn_ptr = std::unique_ptr<connection>;
    using token_type = boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    std::vector<conn_ptr> expired;  // closed after the lock is released
    token_type token;
    auto [ec, conn] = co_await boost::asio::async_initiate<token_type, void(boost::system::error_code, conn_ptr)>(
        slot_wait{*this, l, expired, timer}, token);
    {
        std::lock_guard lock(mutex_);  // the initiation is done with the timer
        timer.cancel();
    }
    expired.clear();
    if (l.held) co_return true;  // a free slot, taken at once
    if (!ec) {                   // handed one: the connection, or a permit to open one
        l.held = true;
        l.conn = std::move(conn);
        l.reused = l.conn != nullptr;
        co_return true;
    }
    if (std::chrono::steady_clock::now() < deadline) {
        out.ec = boost::asio::error::operation_aborted;
        out.diagnostic = "cancelled while waiting for a free connection";
    } else {
        std::lock_guard lock(mutex_);
        ++stats_.pool_timeouts;
        out.local = true;  // our pool is full: the region may be fine
        out.ec = error::timeout;
        out.diagnostic = "timed out waiting for a free connection to " + ep_.host_header + " (all " +
                         std::to_string(pool_.limit()) + " of DynamoDbConfig::pool_size busy)";
    }
    co_return false;
}

PWS_DECL void client::release(std::unique_ptr<connection> c) {
    std::unique_ptr<connection> dropped; // closed after the lock is released
    auto next = [&] {
        std::lock_guard lock(mutex_);
        auto b = slot_waiters_.take_one();
        if (b.empty()) pool_.release(std::move(c), std::chrono::steady_clock::now(), dropped);
        return b;
    }();
    // The slot stays taken, passed on: the connection, or (null) a permit to open one.
    if (!next.empty()) next.complete(std::move(c));
}

PWS_DECL void client::build_request(std::string& req, std::string_view operation, const std::string& body,
                                    const aws::credentials& creds, std::string_view invocation_id, unsigned attempt,
                                    std::chrono::system_clock::time_point signing_time) {
    // X-Amz-Target and X-Amz-Date in buffers on the stack (the operation names are short).
    constexpr std::string_view prefix = "DynamoDB_20120810.";
    char target_buf[64];
    std::string target_long;
    std::string_view target;
    if (prefix.size() + operation.size() <= sizeof target_buf) {
        std::copy(prefix.begin(), prefix.end(), target_buf);
        std::copy(operation.begin(), operation.end(), target_buf + prefix.size());
        target = std::string_view(target_buf, prefix.size() + operation.size());
    } else {
        target = target_long = std::string(prefix) + std::string(operation);
    }
    char date_buf[16];
    aws::format_amz_date(signing_time, date_buf);
    const std::string_view date(date_buf, sizeof date_buf);
    aws::header headers[5] = {
        {"content-type", "application/x-amz-json-1.0"},
        {"host", ep_.host_header},
        {"x-amz-date", date},
        {"x-amz-target", target},
        {"x-amz-security-token", creds.session_token},
    };
    aws::signing_input in{"POST", "/", "",
                          std::span<const aws::header>(headers, creds.session_token.empty() ? 4 : 5), body};
    req.clear();  // a recycled buffer: its capacity is kept
    req.reserve(640 + body.size() + creds.session_token.size());
    req += "POST / HTTP/1.1\r\nHost: ";
    req += ep_.host_header;
    req += "\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: ";
    req += target;
    req += "\r\nX-Amz-Date: ";
    req += date;
    if (!creds.session_token.empty()) {
        req += "\r\nX-Amz-Security-Token: ";
        req += creds.session_token;
    }
    req += "\r\nAuthorization: ";
    {
        std::lock_guard lock(sign_mutex_);  // the signer's key cache and buffers are shared
        signer_.append_authorization(req, in, creds, cfg_.region, "dynamodb", date);
    }
    req += "\r\namz-sdk-invocation-id: ";
    req += invocation_id;
    req += "\r\namz-sdk-request: attempt=";
    req += std::to_string(attempt);
    req += "; max=";
    req += std::to_string(std::max(cfg_.max_attempts, attempt)); // a clock-skew retry may add one
    req += "\r\nContent-Length: ";
    req += std::to_string(body.size());
    req += "\r\nConnection: keep-alive\r\n\r\n";
    req += body;
}

namespace client_impl {
// A random UUID (v4) for amz-sdk-invocation-id, and the draws for backoff jitter.
inline std::uint64_t random64() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng();
}
inline std::array<char, 36> invocation_id() {
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t a = random64(), b = random64();
    std::array<char, 36> id;
    id.fill('-');
    int bit = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) continue;
        std::uint64_t& src = bit < 64 ? a : b;
        id[i] = hex[(src >> (bit % 64)) & 0xF];
        bit += 4;
    }
    id[14] = '4';                         // version 4
    id[19] = hex[8 + ((b >> 60) & 0x3)];  // variant 10xx
    return id;
}

// Marks `out` as cancelled by its caller, `when` saying at which step.
inline response& aborted(response& out, const char* when) {
    out.ec = boost::asio::error::operation_aborted;
    out.diagnostic = std::string("the call was cancelled ") + when;
    return out;
}

}  // namespace client_impl

PWS_DECL boost::asio::awaitable<response> client::call(std::string_view operation, std::string body) {
    return start(operation, body_source{std::move(body)});
}

PWS_DECL boost::asio::awaitable<response> client::call(std::string_view operation, body_writer write,
                                                       const void* context) {
    return start(operation, body_source{{}, write, context});
}

PWS_DECL boost::asio::awaitable<response> client::start(std::string_view operation, body_source body) {
    // One deadline over the whole call, the wait for credentials and every replica included.
    // Not a coroutine (nor are the call()s): it hands out the one that does the work, a frame
    // fewer per call.
    const auto deadline = std::chrono::steady_clock::now() + cfg_.total_timeout;
    if (replicas_.empty()) return call_region(operation, std::move(body), deadline, false);
    // Failover: each replica's call_region gets a copy of the body, written once here.
    if (body.write) body.write(body.context, body.owned);
    return call_replicas(operation, std::move(body.owned), deadline);
}

PWS_DECL boost::asio::awaitable<response> client::call_replicas(std::string_view operation, std::string body,
                                                         time_point deadline) {
    // List order, the replicas cooling down after the others: they are asked only when every
    // other one failed this call (a last resort costs nothing to a call that would fail anyway).
    // A replica whose cool-down has just ended is tried again by one call only (the one whose
    // compare-exchange moves its end on): the others keep skipping it, so that a region still
    // down costs one call a timeout, not every call in flight.
    const auto cooldown = std::chrono::duration_cast<std::chrono::steady_clock::duration>(cfg_.failover_cooldown).count();
    std::vector<std::size_t> order, cooling;
    const auto now = client_impl::ticks();
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        auto until = replicas_[i]->skip_until.load(std::memory_order_relaxed);
        const bool healthy =
            until == 0 || (until <= now && replicas_[i]->skip_until.compare_exchange_strong(
                                               until, now + cooldown, std::memory_order_relaxed));
        (healthy ? order : cooling).push_back(i);
    }
    const std::size_t healthy = order.size();
    order.insert(order.end(), cooling.begin(), cooling.end());
    auto cancel_state = co_await boost::asio::this_coro::cancellation_state;
    response out;
    std::string failed_over;  // "eu-west-1 (why); "... of the replicas left behind
    for (std::size_t k = 0; k < order.size(); ++k) {
        replica& r = *replicas_[order[k]];
        client& c = r.owned ? *r.owned : *this;
        const bool more = k + 1 < order.size();
        // Leave a region at its first regional fault only for a healthy replica after it: the
        // last healthy one retries as usual before the ones cooling down are asked.
        const bool fail_fast = k + 1 < healthy || (k >= healthy && more);
        r.calls.fetch_add(1, std::memory_order_relaxed);
        // Named, not a temporary of the co_await's expression: g++ 12 destroys an aggregate
        // temporary there twice (a double free of its string).
        body_source src{more ? std::string(body) : std::move(body)};
        out = co_await c.call_region(operation, std::move(src), deadline, fail_fast);
        out.replica = order[k];
        if (!out.ec) {
            r.skip_until.store(0, std::memory_order_relaxed);
            break;
        }
        if (!out.regional) break;  // the same answer everywhere: no failover
        r.failures.fetch_add(1, std::memory_order_relaxed);
        r.skip_until.store(client_impl::ticks() + cooldown, std::memory_order_relaxed);
        if (!more || std::chrono::steady_clock::now() >= deadline || cancel_state.cancelled() != boost::asio::cancellation_type::none)
            break;
        r.failovers.fetch_add(1, std::memory_order_relaxed);
        {
            std::lock_guard lock(mutex_);
            ++stats_.failovers;
        }
        failed_over += c.cfg_.region + " (" + out.diagnostic + "); ";
    }
    if (out.ec && !failed_over.empty())
        out.diagnostic = "failed over from " + failed_over + "then " +
                         (replicas_[out.replica]->owned ? replicas_[out.replica]->owned->cfg_.region : cfg_.region) +
                         ": " + out.diagnostic;
    co_return out;
}

// What one call_region() holds across its steps besides its coroutine frame: the call's state
// machine, its last action and event, the pool slot, the signed request, the exchange under
// way. Asio keeps two coroutine frames of up to 1,020 bytes per thread for reuse; with this
// state in it the frame would be larger than that, so it lives here, and each thread keeps up
// to max_kept of these for its next calls (a few kB each, freed when the thread exits): a call
// in the steady state allocates neither its frame nor this, and the request's buffer keeps its
// capacity from call to call.
struct client::call_state {
    static constexpr std::size_t max_kept = 32;           // per thread
    static constexpr std::size_t max_kept_request = 16384; // a larger request buffer is not kept

    // The call's own, set when it starts.
    std::string_view operation;
    const std::string* body = nullptr;
    std::shared_ptr<const aws::credentials> held; // signs the call: shared with the chain's cache, not copied
    std::array<char, 36> invocation_id{};
    boost::asio::cancellation_state cancel;

    std::optional<detail::call_fsm> fsm;
    detail::call_action action;            // the step under way
    detail::call_event event;              // what the last one came to
    std::optional<lease> slot;             // the pool slot of the attempt under way
    std::unique_ptr<connection> fresh;     // being connected
    std::string request;                   // the attempt's signed bytes
    std::string body_buffer;               // the body, when a body_writer writes it
    detail::attempt_result result;         // what the step under way came to
    detail::http::limits limits;           // the exchange's
    std::optional<std::pmr::monotonic_buffer_resource> header_memory; // over the connection's header_space
    std::optional<detail::http::exchanger<detail::http::stream>> exchange;
    std::optional<boost::asio::steady_timer> backoff;
    response failure;                      // a call that ends before its state machine starts

    // Back to the state of a new one, the buffers' capacity kept: the exchange first (it reads
    // into the connection, its header into header_memory), then the slot (the connection goes back).
    void reset() noexcept {
        backoff.reset();
        exchange.reset();
        header_memory.reset();
        fresh.reset();
        slot.reset();
        fsm.reset();
        cancel = {};
        held.reset();
        body = nullptr;
        result = {};
        failure = {};
        for (std::string* b : {&request, &body_buffer}) {
            if (b->capacity() > max_kept_request) std::string().swap(*b);
            b->clear();
        }
    }

    // A slot was granted: whether it came with a pooled connection, and one with nothing pending.
    void granted() {
        event.has_connection = slot->conn != nullptr;
        event.clean = event.has_connection && slot->conn->clean_for_reuse();
    }

    // The time it is now and whether the caller cancelled, after a step.
    void stamp() {
        event.now = std::chrono::steady_clock::now();
        event.wall = std::chrono::system_clock::now();
        event.cancelled = cancel.cancelled() != boost::asio::cancellation_type::none;
    }

    // The thread's cache: trivially destructible, so that a call ending on this thread after
    // its thread-local objects were destroyed (a frame destroyed at static destruction) still
    // finds it, closed, and deletes its state instead of keeping it.
    struct cache {
        std::array<call_state*, max_kept> kept;
        std::size_t n;
        bool closed;
    };
    static cache& local() noexcept {
        thread_local cache c{};
        return c;
    }
    struct cache_closer {
        ~cache_closer() {
            auto& c = local();
            while (c.n) delete c.kept[--c.n];
            c.closed = true;
        }
    };
    static call_state* take() {
        auto& c = local();
        return c.n ? c.kept[--c.n] : new call_state;
    }
    static void give(call_state* st) noexcept {
        auto& c = local();
        if (!c.closed && c.n < max_kept) {
            thread_local cache_closer closer;  // frees what the thread kept when it exits
            (void)closer;
            c.kept[c.n++] = st;
        } else {
            delete st;
        }
    }
};

struct client::call_state_recycler {
    void operator()(call_state* st) const noexcept {
        st->reset();
        call_state::give(st);
    }
};

namespace client_impl {
// A response that failed with `ec` and `why`.
inline response& failed(response& out, boost::system::error_code ec, std::string why) {
    out.ec = ec;
    out.diagnostic = std::move(why);
    return out;
}
// Whether the access key id or session token holds a control character (never sent).
inline bool has_control_character(const aws::credentials& c) {
    for (std::string_view v : {std::string_view(c.access_key_id), std::string_view(c.session_token)})
        for (char ch : v)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return true;
    return false;
}
}  // namespace client_impl

PWS_DECL boost::asio::awaitable<std::shared_ptr<const aws::credentials>> client::wait_credentials(
    time_point deadline, response& failure) {
    // On the call's coroutine: the wait keeps its cancellation slot, and ends at the deadline.
    auto cancel_state = co_await boost::asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != boost::asio::cancellation_type::none) {
        client_impl::aborted(failure, "before it began");
        co_return nullptr;
    }
    aws::credentials_result cr = co_await creds_->async_get(deadline, boost::asio::use_awaitable);
    // Cancelled while waiting, whichever of the wait and the check saw it first.
    if (cancel_state.cancelled() != boost::asio::cancellation_type::none)
        client_impl::aborted(failure, "while it waited for AWS credentials");
    else if (cr.ec == error::timeout)
        client_impl::failed(failure, error::timeout,
                            "no AWS credentials within the call's total_timeout (" +
                                std::to_string(cfg_.total_timeout.count()) +
                                " ms): the credentials chain is still fetching them");
    else if (cr.ec)
        client_impl::failed(failure, cr.ec, std::move(cr.diagnostic));
    else
        co_return std::move(cr.creds);
    co_return nullptr;
}

// Carries out the state machine's actions that need no wait (a free slot, signing, giving the
// slot back, the counters at the end) until one does, and says which. Not a coroutine: what it
// holds is on the stack, not in the call's frame.
PWS_DECL client::call_wait client::advance(call_state& st) {
    for (;;) {
        st.action = st.fsm->resume(st.event);
        st.event = {};
        const detail::call_action& a = st.action;
        switch (a.step) {
        case detail::call_step::acquire:
            st.slot.emplace(*this);
            st.result = {};
            // A free slot without a wait; wait_for_slot only when all are busy.
            if (!try_acquire(*st.slot)) return call_wait::slot;
            st.granted();
            break;
        case detail::call_step::sign:
            if (a.drop_connection) st.slot->conn.reset();
            build_request(st.request, st.operation, *st.body, *st.held,
                          std::string_view(st.invocation_id.data(), st.invocation_id.size()), a.attempt,
                          std::chrono::system_clock::now() + a.signing_offset);
            break;
        case detail::call_step::connect:
            if (a.drop_connection) st.slot->conn.reset();
            st.fresh = std::make_unique<connection>(ex_, tls_.get());
            st.result = {};
            return call_wait::connect;
        case detail::call_step::exchange: {
            // Driven on the call's coroutine (detail/http/exchange.hpp's exchanger): an exchange
            // coroutine would cost a frame per call, and so would use_awaitable's initiation of
            // each read (call_region's operations complete through `deferred`).
            st.result = {};
            requests_.fetch_add(1, std::memory_order_relaxed);
            connection& c = *st.slot->conn;
            st.header_memory.emplace(c.header_space.data(), c.header_space.size());
            st.exchange.emplace(c.stream, c.buffer, st.request, st.limits, a.until, &*st.header_memory);
            return exchanged(st);
        }
        case detail::call_step::release:
            if (!a.keep && st.slot) st.slot->conn.reset();
            st.slot.reset();  // the slot goes back, with its connection when kept
            break;
        case detail::call_step::wait:
            st.backoff.emplace(ex_, a.until);
            return call_wait::backoff;
        case detail::call_step::done: {
            const auto& n = st.fsm->counters();
            if (n.retries | n.quota_refusals | n.skew_corrections | n.throttles | n.stale_retries | n.idle_discards) {
                std::lock_guard lock(mutex_);
                stats_.retries += n.retries;
                stats_.quota_refusals += n.quota_refusals;
                stats_.skew_corrections += n.skew_corrections;
                stats_.throttles += n.throttles;
                stats_.stale_retries += n.stale_retries;
                stats_.idle_discards += n.idle_discards;
            }
            return call_wait::done;
        }
        }
        st.stamp();
    }
}

// After the exchange under way made progress: the next write or read it needs, or, once it is
// over, what the reply means for the attempt, and the machine's next wait.
PWS_DECL client::call_wait client::exchanged(call_state& st) {
    switch (st.exchange->next()) {
    case detail::http::want::write: return call_wait::write;
    case detail::http::want::read: return call_wait::read;
    case detail::http::want::done: break;
    }
    client_impl::take_reply(ep_.host_header, *st.exchange, st.result);
    st.exchange.reset();
    st.header_memory.reset();
    st.event.result = &st.result;
    st.stamp();
    return advance(st);
}

PWS_DECL boost::asio::awaitable<response> client::call_region(std::string_view operation, body_source body,
                                                       time_point deadline, bool fail_fast) {
    namespace asio = boost::asio;
    // The call's state off its frame (call_state), so that the frame is one Asio recycles.
    std::unique_ptr<call_state, call_state_recycler> st(call_state::take());
    // A cancelled call ends with operation_aborted. Here, on the caller's coroutine, that is
    // checked before each co_await: Asio throws when a coroutine already cancelled starts an
    // operation (unless the caller turned throw_if_cancelled off: that choice is theirs).
    st->cancel = co_await asio::this_coro::cancellation_state;
    // Held credentials without a hop; otherwise wait for the chain (the first call resolves it,
    // concurrent calls share that fetch), at most until the deadline: a source can take longer
    // (credential_process may run for a minute), and the fetch goes on for later calls. A
    // credentials failure is this call's error.
    st->held = creds_->try_get();
    if (!st->held && !(st->held = co_await wait_credentials(deadline, st->failure))) co_return std::move(st->failure);
    if (client_impl::has_control_character(*st->held))
        co_return std::move(client_impl::failed(st->failure, error::invalid_config,
                                                "the AWS access key id or session token holds a control character"));

    // On the caller's coroutine, without a strand: nothing the call does needs one. Every
    // deadline is a deadline_guard (the deadline watch shuts the socket down under its own mutex)
    // or a timer that cancels one wait of a waiter_list (a free connection, credentials), and the
    // resolver's wait has a strand of its own.
    if (st->cancel.cancelled() != asio::cancellation_type::none)
        co_return std::move(client_impl::aborted(st->failure, "before its request"));

    // The decisions are the state machine's (dynamodb/detail/call_fsm.hpp); advance() carries out
    // its actions that need no wait, and this coroutine the waits.
    st->operation = operation;
    if (body.write) {
        body.write(body.context, st->body_buffer);
        st->body = &st->body_buffer;
    } else {
        st->body = &body.owned;
    }
    st->invocation_id = client_impl::invocation_id();
    st->limits = {cfg_.max_response_bytes, 64 * 1024, "DynamoDbConfig::max_response_bytes"};
    st->fsm.emplace(detail::call_limits{cfg_.max_attempts, cfg_.attempt_timeout, cfg_.retry_base_delay,
                                        cfg_.throttling_base_delay, cfg_.max_backoff, fail_fast},
                    deadline, quota_, skew_, detail::call_secrets{st->held->secret_access_key, st->held->session_token},
                    &client_impl::random64);

    // This coroutine checks its cancellation itself: an operation started after a cancellation
    // must not throw out of it. The setting belongs to the caller's whole coroutine stack, so it
    // is put back as it was when the call ends.
    const bool throwing = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    st->event = {std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
    for (call_wait w = advance(*st); w != call_wait::done;) {
        call_state& s = *st;
        switch (w) {
        case call_wait::slot:
            if (co_await wait_for_slot(*s.slot, s.result, s.action.until))
                s.granted();
            else
                s.event.result = &s.result;
            break;
        case call_wait::connect:
            if (co_await connect(*s.fresh, s.result, s.action.until))
                s.event.result = &s.result;
            else
                s.slot->conn = std::move(s.fresh);
            s.fresh.reset();
            break;
        case call_wait::write: {
            auto [ec, n] = co_await asio::async_write(s.slot->conn->stream, s.exchange->unsent(), asio::as_tuple(asio::deferred));
            s.exchange->wrote(ec);
            w = exchanged(s);
            continue;
        }
        case call_wait::read: {
            auto [ec, n] = co_await boost::beast::http::async_read_some(s.slot->conn->stream, s.slot->conn->buffer,
                                                                         s.exchange->parser(), asio::as_tuple(asio::deferred));
            s.exchange->read(ec, n);
            w = exchanged(s);
            continue;
        }
        case call_wait::backoff:
            co_await s.backoff->async_wait(asio::as_tuple(asio::deferred));
            s.backoff.reset();
            break;
        case call_wait::done:
            break;
        }
        s.stamp();
        w = advance(s);
    }
    co_await asio::this_coro::throw_if_cancelled(throwing);
    co_return st->fsm->take_response();
}

}  // namespace pws::dynamodb
