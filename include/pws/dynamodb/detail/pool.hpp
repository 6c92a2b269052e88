// Sans-io bookkeeping of the DynamoDB client's bounded connection pool: which connections are
// idle, how many are open (idle, in use or connecting) and who waits for one. No I/O, no clock
// and no lock of its own: the client holds its mutex around each call, and each call only moves
// a few pointers, so that mutex is never held across I/O. Connections the book gives up (expired
// or surplus) are handed back to the caller to destroy once the lock is released.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

namespace pws::detail {

/// A call waiting for a connection; the pool fills it in when one frees up.
template <class Conn>
struct pool_waiter {
    bool granted = false;        ///< set (under the owner's lock) when handed a slot
    std::unique_ptr<Conn> conn;  ///< the connection handed over; null with `granted`: open a new one
};

/// Slots of a pool of at most `limit` connections. A slot is taken by acquire() (an idle
/// connection, or a permit to open one) or by a granted waiter, and given back by release().
template <class Conn, class Waiter = pool_waiter<Conn>>
class pool_book {
public:
    using clock = std::chrono::steady_clock;

    /// What acquire() gave.
    enum class grant {
        idle,  ///< a pooled keep-alive connection
        open,  ///< a permit to open a new connection in a free slot
        wait,  ///< every slot is taken: enqueue() and wait to be granted one
    };

    /// `limit` connections at most, `max_idle` of them kept idle, each for less than `idle_timeout`.
    pool_book(std::size_t limit, std::size_t max_idle, clock::duration idle_timeout)
        : limit_(limit), max_idle_(max_idle), idle_timeout_(idle_timeout) {}

    /// Takes a slot: the most recently used idle connection (into `out`), else a permit to open
    /// one, else grant::wait. Idle connections unused for idle_timeout are moved to `expired`.
    grant acquire(clock::time_point now, std::unique_ptr<Conn>& out,
                  std::vector<std::unique_ptr<Conn>>& expired) {
        // Oldest first: the server may have closed them already (dynalite after 5 s, AWS later).
        while (!idle_.empty() && now - idle_.front().since >= idle_timeout_) {
            expired.push_back(std::move(idle_.front().conn));
            idle_.pop_front();
            --open_;
        }
        if (!idle_.empty()) {
            out = std::move(idle_.back().conn);
            idle_.pop_back();
            return grant::idle;
        }
        if (open_ < limit_ && waiters_.empty()) {
            if (++open_ > peak_) peak_ = open_;
            return grant::open;
        }
        return grant::wait;
    }

    /// Queues a caller that got grant::wait; release() grants slots first come, first served.
    void enqueue(std::shared_ptr<Waiter> w) { waiters_.push_back(std::move(w)); }

    /// Takes `w` out of the queue (its deadline passed). False when it was granted meanwhile:
    /// the caller then owns that slot and must release() it.
    bool withdraw(const Waiter* w) {
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it)
            if (it->get() == w) {
                waiters_.erase(it);
                return true;
            }
        return false;
    }

    /// Gives a slot back: `c` is a healthy keep-alive connection, or null when the connection
    /// was closed (or never opened). The slot goes to the first waiter, which is returned for the
    /// caller to wake; otherwise `c` is kept idle, or moved to `dropped` when max_idle are.
    std::shared_ptr<Waiter> release(std::unique_ptr<Conn> c, clock::time_point now,
                                    std::unique_ptr<Conn>& dropped) {
        if (!waiters_.empty()) {
            auto w = std::move(waiters_.front());
            waiters_.pop_front();
            w->granted = true;
            w->conn = std::move(c);
            return w;
        }
        if (c && idle_.size() < max_idle_) {
            idle_.push_back({std::move(c), now});
        } else {
            dropped = std::move(c);
            --open_;
        }
        return nullptr;
    }

    std::size_t open() const noexcept { return open_; }               ///< slots taken or idle
    std::size_t idle() const noexcept { return idle_.size(); }        ///< idle connections
    std::size_t waiting() const noexcept { return waiters_.size(); }  ///< queued callers
    std::size_t peak() const noexcept { return peak_; }               ///< most slots ever taken at once
    std::size_t limit() const noexcept { return limit_; }             ///< the pool's size

private:
    struct idle_entry {
        std::unique_ptr<Conn> conn;
        clock::time_point since;
    };
    std::size_t limit_, max_idle_;
    clock::duration idle_timeout_;
    std::size_t open_ = 0, peak_ = 0;
    std::deque<idle_entry> idle_;  // oldest at the front, most recent at the back
    std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace pws::detail
