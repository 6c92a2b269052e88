// Single-flight for the cache's miss path: the first miss of a name sends the one driver request
// (it "leads" a flight); misses of the same name meanwhile wait for that flight's result instead
// of sending their own. The waiters are a waiter_list: each resumes on its own coroutine's
// executor (a flight led on one thread completes waiters on any other), and each may be
// cancelled alone — it then ends with operation_aborted at once, while the flight goes on for the
// others.
#pragma once

#include <pws/cache/detail/cache_store.hpp>
#include <pws/cache/detail/cache_table.hpp>
#include <pws/detail/waiter_list.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace pws::detail {

/// The driver requests in flight, by index and name.
class flight_table {
public:
    /// One request in flight and whoever waits for it.
    struct flight {
        flight(cache_index i, std::string_view n) : index(i), name(n) {}
        const cache_index index;
        const std::string name;  // the table's key views it
        bool done = false;   // under the table's mutex
        find_result result;  // set with `done`; immutable after
        waiter_list<find_result> waiters;  // enqueued under the table's mutex while !done
    };

    /// Completes a led flight exactly once: with complete(), or on destruction (the leader's
    /// coroutine was destroyed or threw before it could) with an error, so no waiter hangs.
    /// Movable, e.g. into the coroutine that runs the flight's request.
    class guard {
    public:
        guard(flight_table& t, std::shared_ptr<flight> f) noexcept : table_(&t), flight_(std::move(f)) {}
        guard(guard&& o) noexcept : table_(o.table_), flight_(std::move(o.flight_)) {}
        guard& operator=(guard&&) = delete;
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;
        ~guard() {
            if (flight_)
                complete(find_result::failure(error::driver_exception,
                                              "the lookup leading this one was abandoned"));
        }
        /// Hands `r` to every waiter; returns how many there were.
        std::size_t complete(const find_result& r) { return table_->complete(std::exchange(flight_, nullptr), r); }
        /// The name the flight is for (valid while the guard holds it).
        std::string_view name() const noexcept { return flight_->name; }

    private:
        flight_table* table_;
        std::shared_ptr<flight> flight_;
    };

    /// The flight already in the air for `name` (`leader` = false), or a new one that the caller
    /// must lead and complete (`leader` = true).
    std::shared_ptr<flight> join(cache_index i, std::string_view name, bool& leader) {
        std::lock_guard lock(mutex_);
        auto& m = maps_[static_cast<int>(i)];
        if (auto it = m.find(name); it != m.end()) {
            leader = false;
            return it->second;
        }
        leader = true;
        auto f = std::make_shared<flight>(i, name);
        m.emplace(std::string_view(f->name), f);
        return f;
    }

    /// Waits for `f`'s result; resumes on the awaiting coroutine's executor. Cancelled (any type,
    /// through the coroutine's cancellation state), it ends at once with operation_aborted.
    boost::asio::awaitable<find_result> wait(std::shared_ptr<flight> f) {
        using token_type = boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>;
        token_type token;
        auto [ec, r] = co_await boost::asio::async_initiate<token_type, waiter_list<find_result>::signature>(
            [this, &f](auto handler) {
                std::unique_lock lock(mutex_);
                if (!f->done) {
                    f->waiters.async_wait(std::move(handler));  // a handler: enqueued now, under the lock
                    return;
                }
                lock.unlock();  // completed between join() and here: `result` is immutable now
                boost::asio::post(boost::asio::append(std::move(handler), boost::system::error_code(), f->result));
            },
            token);
        if (ec) co_return find_result::failure(ec, "the lookup was cancelled while waiting for the same lookup in flight");
        co_return std::move(r);
    }

    /// Unregisters `f` and posts `r` to each of its waiters still waiting (not cancelled);
    /// returns how many there were.
    std::size_t complete(std::shared_ptr<flight> f, const find_result& r) {
        {
            std::lock_guard lock(mutex_);
            auto& m = maps_[static_cast<int>(f->index)];
            if (auto it = m.find(std::string_view(f->name)); it != m.end() && it->second == f) m.erase(it);
            f->result = r;
            f->done = true;
        }
        // Outside the lock: every waiter enqueued before `done` is in the list, none after it.
        return f->waiters.notify_all(r);
    }

    /// Flights in the air (tests).
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return maps_[0].size() + maps_[1].size();
    }

private:
    // Names come from clients: keyed like the cache's own indexes (see cache_table.hpp).
    struct name_hash : keyed_hash {
        using is_transparent = void;
    };
    // Keyed by a view of the flight's own name: one copy of the name per flight.
    using map = std::unordered_map<std::string_view, std::shared_ptr<flight>, name_hash, std::equal_to<>>;

    mutable std::mutex mutex_;
    map maps_[2];  // by cache_index
};

}  // namespace pws::detail
