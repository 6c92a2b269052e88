#pragma once

// The chain itself: single-flight fetches, the refresh windows, static stability, and the one
// error that lists every source.

#include <pws/aws/credentials_provider.hpp>
#include <pws/aws/detail/credentials_cache.hpp>
#include <pws/aws/detail/credentials_sources.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>

namespace pws::detail {

namespace credentials_provider_impl {

inline std::string_view source_name(const chain_state& st, int i) {
    return std::visit([](const auto& s) { return s.name; }, st.sources[static_cast<std::size_t>(i)]);
}

inline bool source_static_stability(const chain_state& st, int i) {
    return std::visit([](const auto& s) { return s.static_stability; }, st.sources[static_cast<std::size_t>(i)]);
}

// Completes on the handler's own executor, never inline (Asio's rule for initiating functions).
inline void complete(const boost::asio::any_io_executor& ex,
                     boost::asio::any_completion_handler<aws::credentials_signature> h, aws::credentials_result r) {
    boost::asio::post(ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
}

// A request's handler as a waiter of chain_state::waiters. The executor is kept beside it, since
// Boost 1.81's any_completion_handler cannot be posted to through its own associated executor (no
// blocking.never); its cancellation slot is the request's. Only ever move-constructed: that
// version's any_completion_handler move assignment recurses until the stack overflows.
// A wait with a deadline: its timer, and the handle that cancels the wait, set under the chain's
// mutex (the timer's handler reads it under that mutex too, so it never sees it unset).
struct credentials_deadline {
    credentials_deadline(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point at)
        : timer(ex, at), deadline(at) {}
    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point deadline;
    waiter_list<aws::credentials_result>::cancel_handle handle;  // under chain_state::mutex
};

struct credentials_waiter {
    boost::asio::any_io_executor ex;
    boost::asio::any_completion_handler<aws::credentials_signature> handler;
    std::shared_ptr<credentials_deadline> deadline;  // null: no deadline

    using executor_type = boost::asio::any_io_executor;
    executor_type get_executor() const noexcept { return ex; }
    using cancellation_slot_type = boost::asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return handler.get_cancellation_slot(); }

    void operator()(boost::system::error_code ec, aws::credentials_result r) {
        if (deadline) deadline->timer.cancel();  // started before this wait was enqueued
        if (ec && deadline && std::chrono::steady_clock::now() >= deadline->deadline) {
            r.ec = error::timeout;  // the fetch goes on for the others and for later calls
            r.diagnostic = "no AWS credentials within the deadline: the credentials chain is still fetching them";
        } else if (ec) {  // cancelled: likewise
            r.ec = ec;
            r.diagnostic = "waiting for AWS credentials was cancelled";
        }
        std::move(handler)(std::move(r));
    }
};

// The held credentials as a result. Called with the mutex held.
inline aws::credentials_result held(const chain_state& st) {
    aws::credentials_result r;
    r.creds = st.entry.creds;
    r.expiration = st.entry.expiration;
    r.source = st.winner >= 0 ? source_name(st, st.winner) : std::string_view{};
    return r;
}

inline std::chrono::seconds jitter(chain_state& st) {
    // [0, 5 min), as the JavaScript SDK v3's static stability draws it.
    return std::chrono::seconds(st.rng() % 300);
}

// One fetch: the whole chain the first time, the remembered source afterwards. Holds the state
// alive, so a background refresh may outlive the provider.
struct fetch_result {
    source_outcome outcome;
    int index = -1;          // the source that answered (ok or failed), -1 if none
    std::string diagnostic;  // when not ok
};

inline boost::asio::awaitable<source_outcome> fetch_one(chain_state& st, int i) {
    return std::visit([&](auto& s) { return s.fetch(st); }, st.sources[static_cast<std::size_t>(i)]);
}

inline boost::asio::awaitable<fetch_result> resolve_chain(chain_state& st) {
    fetch_result out;
    std::string tried;
    for (int i = 0; i < static_cast<int>(source_count); ++i) {
        auto o = co_await fetch_one(st, i);
        if (o.what == source_outcome::kind::ok) {
            out.outcome = std::move(o);
            out.index = i;
            co_return out;
        }
        if (!tried.empty()) tried += "; ";
        tried += source_name(st, i);
        tried += o.what == source_outcome::kind::skipped ? ": skipped, " : ": FAILED, ";
        tried += o.reason;
        if (o.what == source_outcome::kind::failed) {
            // A configured source that fails ends the search: the next source would sign as
            // another identity (say, the node's instance role instead of the pod's).
            out.outcome = std::move(o);
            out.index = i;
            if (i + 1 < static_cast<int>(source_count)) {
                tried += "; not tried after that failure:";
                for (int j = i + 1; j < static_cast<int>(source_count); ++j) {
                    tried += j == i + 1 ? " " : ", ";
                    tried += source_name(st, j);
                }
            }
            break;
        }
        out.outcome = std::move(o);
    }
    out.diagnostic = "no AWS credentials: " + tried;
    co_return out;
}

inline boost::asio::awaitable<fetch_result> refresh(chain_state& st, int winner) {
    fetch_result out;
    out.index = winner;
    out.outcome = co_await fetch_one(st, winner);
    if (out.outcome.what != source_outcome::kind::ok)
        out.diagnostic = "refreshing AWS credentials from " + std::string(source_name(st, winner)) +
                         " failed: " + out.outcome.reason;
    co_return out;
}

// Applies a fetch's result and completes every waiter (also after the fetch threw, so that no
// waiter hangs).
inline void finish(chain_state& st, fetch_result f) {
    aws::credentials_result r;
    auto ready = [&] {
        std::lock_guard lock(st.mutex);
        // Taken out with the state they see: a request after this waits for the next fetch.
        auto waiters = st.waiters.take_all();
        auto now = st.now();
        auto policy = st.policy();
        if (f.outcome.what == source_outcome::kind::ok) {
            st.winner = f.index;
            note_success(st.entry, std::make_shared<const aws::credentials>(std::move(f.outcome.creds)),
                         f.outcome.expiration, now, policy, source_static_stability(st, f.index), jitter(st));
            if (st.entry.extended) ++st.stats.extensions;
            r = held(st);
        } else {
            ++st.stats.failed_fetches;
            bool was_extended = st.entry.extended && st.entry.expiration && now < *st.entry.expiration;
            bool stability = st.winner >= 0 && source_static_stability(st, st.winner);
            if (st.winner >= 0 && note_failure(st.entry, now, policy, stability, jitter(st))) {
                if (st.entry.extended && !was_extended) ++st.stats.extensions;
                st.stats.served_stale += waiters.size();
                r = held(st);
            } else {
                r.ec = error::no_credentials;
                r.diagnostic = std::move(f.diagnostic);
            }
        }
        st.fetching = false;
        return waiters;
    }();
    ready.complete(std::move(r));  // cancelled waits left the list on their own
}

inline boost::asio::awaitable<void> run_fetch(std::shared_ptr<chain_state> st) {
    int winner;
    {
        std::lock_guard lock(st->mutex);
        winner = st->winner;
    }
    fetch_result f;
    bool threw = false;
    try {
        // (No co_await inside ?: — GCC 12 miscompiles it.)
        if (winner < 0)
            f = co_await resolve_chain(*st);
        else
            f = co_await refresh(*st, winner);
    } catch (const std::exception&) {
        threw = true;
    }
    if (threw) {
        // Out of memory, or a thread that could not start: nothing a caller could act on beyond
        // retrying, and what() could quote anything, so it is not passed on.
        f = {};
        f.outcome = source_outcome::fail("internal error");
        f.diagnostic = "fetching AWS credentials failed: an internal error (exception) occurred";
    }
    finish(*st, std::move(f));
}

inline void start_fetch(const std::shared_ptr<chain_state>& st) {
    boost::asio::co_spawn(st->ex, run_fetch(st), boost::asio::detached);
}

}  // namespace credentials_provider_impl

PWS_DECL void chain_get(const std::shared_ptr<chain_state>& st, boost::asio::any_io_executor ex,
                        boost::asio::any_completion_handler<aws::credentials_signature> h,
                        std::chrono::steady_clock::time_point deadline) {
    using namespace credentials_provider_impl;
    bool start = false;
    std::unique_lock lock(st->mutex);
    auto action = decide(st->entry, st->now(), st->policy());
    if (action != cache_action::wait) {
        if (action == cache_action::serve_and_refresh && !st->fetching) {
            st->fetching = true;
            ++st->stats.fetches;
            ++st->stats.background_refreshes;
            start = true;
        }
        auto r = held(*st);
        lock.unlock();
        if (start) start_fetch(st);
        complete(ex, std::move(h), std::move(r));
        return;
    }
    // A waiter may stop waiting (any cancellation type, through its slot): it completes at once
    // with operation_aborted, and the fetch goes on for the others and for later calls.
    // Enqueued under the mutex, so that finish() either sees it or has already run.
    // A deadline is a timer that cancels this wait alone. It is started before the wait is
    // enqueued (the wait's completion cancels it, on any thread), and reads the wait's handle
    // under the mutex held here until it is set.
    std::shared_ptr<credentials_deadline> timed;
    if (deadline != std::chrono::steady_clock::time_point::max()) {
        timed = std::make_shared<credentials_deadline>(ex, deadline);
        timed->timer.async_wait([weak = std::weak_ptr<chain_state>(st), timed](boost::system::error_code e) {
            if (e) return;
            const auto s = weak.lock();
            if (!s) return;
            waiter_list<aws::credentials_result>::cancel_handle h;
            {
                std::lock_guard l(s->mutex);
                h = timed->handle;
            }
            h.cancel();
        });
    }
    auto handle = st->waiters.wait_handler(credentials_waiter{std::move(ex), std::move(h), timed});
    if (timed) timed->handle = std::move(handle);
    if (!st->fetching) {
        st->fetching = true;
        ++st->stats.fetches;
        start = true;
    }
    lock.unlock();
    if (start) start_fetch(st);
}

PWS_DECL std::shared_ptr<const aws::credentials> chain_try_get(const std::shared_ptr<chain_state>& st) {
    using namespace credentials_provider_impl;
    bool start = false;
    std::shared_ptr<const aws::credentials> out;
    {
        std::lock_guard lock(st->mutex);
        auto action = decide(st->entry, st->now(), st->policy());
        if (action == cache_action::wait) return nullptr;
        if (action == cache_action::serve_and_refresh && !st->fetching) {
            st->fetching = true;
            ++st->stats.fetches;
            ++st->stats.background_refreshes;
            start = true;
        }
        out = st->entry.creds;
    }
    if (start) start_fetch(st);
    return out;
}

}  // namespace pws::detail

namespace pws::aws {

PWS_DECL credentials_provider::credentials_provider(executor_type ex, credentials_provider_config cfg)
    : state_(std::make_shared<detail::chain_state>(std::move(ex), std::move(cfg))) {}

PWS_DECL credentials_provider::~credentials_provider() = default;

PWS_DECL credentials_provider::executor_type credentials_provider::get_executor() const noexcept { return state_->ex; }

PWS_DECL std::string_view credentials_provider::source() const {
    std::lock_guard lock(state_->mutex);
    return state_->winner >= 0 ? detail::credentials_provider_impl::source_name(*state_, state_->winner)
                               : std::string_view{};
}

PWS_DECL credentials_provider_stats credentials_provider::stats() const {
    std::lock_guard lock(state_->mutex);
    credentials_provider_stats s = state_->stats;
    s.abandoned_waits = state_->waiters.cancelled();
    return s;
}

}  // namespace pws::aws
