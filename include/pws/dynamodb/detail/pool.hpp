// Sans-io bookkeeping of the DynamoDB client's bounded connection pool: which connections are
// idle and how many are open (idle, in use or connecting). No I/O, no clock and no lock of its
// own: the client holds its mutex around each call, and each call only moves a few pointers, so
// that mutex is never held across I/O. Connections the book gives up (expired or surplus) are
// handed back to the caller to destroy once the lock is released. Who waits for a slot is not
// the book's: the client keeps them in a waiter_list (detail/waiter_list.hpp) and hands a
// released slot to the oldest of them before giving it back here.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

namespace pws::detail {

/// Slots of a pool of at most `limit` connections. A slot is taken by acquire() (an idle
/// connection, or a permit to open one), passed from a caller that is done with it to one that
/// waits (by the owner, without the book), and given back by release().
template <class Conn>
class pool_book {
public:
    using clock = std::chrono::steady_clock;

    /// What acquire() gave.
    enum class grant {
        idle,  ///< a pooled keep-alive connection
        open,  ///< a permit to open a new connection in a free slot
        wait,  ///< every slot is taken (or others wait already): wait to be handed one
    };

    /// `limit` connections at most, `max_idle` of them kept idle, each for less than `idle_timeout`.
    pool_book(std::size_t limit, std::size_t max_idle, clock::duration idle_timeout)
        : limit_(limit), max_idle_(max_idle), idle_timeout_(idle_timeout) {}

    /// Takes a slot: the most recently used idle connection (into `out`), else a permit to open
    /// one unless `others_wait()` (first come, first served: asked only then), else grant::wait.
    /// Idle connections unused for idle_timeout are moved to `expired`.
    template <class OthersWait>
    grant acquire(clock::time_point now, std::unique_ptr<Conn>& out,
                  std::vector<std::unique_ptr<Conn>>& expired, OthersWait others_wait) {
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
        if (open_ < limit_ && !others_wait()) {
            if (++open_ > peak_) peak_ = open_;
            return grant::open;
        }
        return grant::wait;
    }

    /// acquire() when nobody waits.
    grant acquire(clock::time_point now, std::unique_ptr<Conn>& out, std::vector<std::unique_ptr<Conn>>& expired) {
        return acquire(now, out, expired, [] { return false; });
    }

    /// Gives a slot back: `c` is a healthy keep-alive connection, or null when the connection
    /// was closed (or never opened). `c` is kept idle, or moved to `dropped` when max_idle are.
    /// (A slot handed to a waiter instead is not given back: it stays taken.)
    void release(std::unique_ptr<Conn> c, clock::time_point now, std::unique_ptr<Conn>& dropped) {
        if (c && idle_.size() < max_idle_) {
            idle_.push_back({std::move(c), now});
        } else {
            dropped = std::move(c);
            --open_;
        }
    }

    std::size_t open() const noexcept { return open_; }               ///< slots taken or idle
    std::size_t idle() const noexcept { return idle_.size(); }        ///< idle connections
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
};

}  // namespace pws::detail
