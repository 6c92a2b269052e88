// Single-flight for the cache's miss path: the first miss of a name sends the one driver request
// (it "leads" a flight); misses of the same name meanwhile wait for that flight's result instead
// of sending their own. Waiters are stored as type-erased completion handlers beside their
// coroutine's executor, and resumed by a post there, so a flight led on one thread completes
// waiters on any other.
//
// Boost 1.81's any_completion_handler has two bugs this file steers around: its associated
// executor cannot be posted to (no blocking.never), so the executor is kept beside it; and its
// move assignment recurses until the stack overflows, so waiters are only ever move-constructed
// (vector growth, swap of whole vectors, capture by move), never assigned.
#pragma once

#include <pws/detail/cache_store.hpp>
#include <pws/detail/cache_table.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pws::detail {

/// The driver requests in flight, by index and name.
class flight_table {
public:
    /// A suspended lookup: its completion, and the executor it resumes on.
    struct waiter {
        boost::asio::any_io_executor executor;
        boost::asio::any_completion_handler<void(find_result)> handler;

        void resume(const find_result& r) {
            boost::asio::post(executor,
                              [h = std::move(handler), r]() mutable { std::move(h)(std::move(r)); });
        }
    };

    /// One request in flight and whoever waits for it.
    struct flight {
        bool done = false;   // under the table's mutex
        find_result result;  // set with `done`; immutable after
        std::vector<waiter> waiters;
    };

    /// Completes a led flight exactly once: with complete(), or on destruction (the leader's
    /// coroutine was destroyed or threw before it could) with an error, so no waiter hangs.
    class guard {
    public:
        guard(flight_table& t, cache_index i, std::string_view name, std::shared_ptr<flight> f)
            : table_(t), index_(i), name_(name), flight_(std::move(f)) {}
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;
        ~guard() {
            if (flight_)
                complete(find_result::failure(error::driver_exception,
                                              "the lookup leading this one was abandoned"));
        }
        /// Hands `r` to every waiter; returns how many there were.
        std::size_t complete(const find_result& r) {
            return table_.complete(index_, name_, std::exchange(flight_, nullptr), r);
        }

    private:
        flight_table& table_;
        cache_index index_;
        std::string_view name_;
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
        auto f = std::make_shared<flight>();
        m.emplace(std::string(name), f);
        return f;
    }

    /// Waits for `f`'s result; resumes on the awaiting coroutine's executor.
    boost::asio::awaitable<find_result> wait(std::shared_ptr<flight> f) {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(find_result)>(
            [this, f](auto handler) {
                waiter w{boost::asio::get_associated_executor(handler), std::move(handler)};
                std::unique_lock lock(mutex_);
                if (!f->done) {
                    f->waiters.push_back(std::move(w));
                    return;
                }
                lock.unlock();  // completed between join() and here: `result` is immutable now
                w.resume(f->result);
            },
            boost::asio::use_awaitable);
    }

    /// Unregisters `f` and posts `r` to each of its waiters; returns how many there were.
    std::size_t complete(cache_index i, std::string_view name, std::shared_ptr<flight> f,
                         const find_result& r) {
        std::vector<waiter> waiters;
        {
            std::lock_guard lock(mutex_);
            auto& m = maps_[static_cast<int>(i)];
            if (auto it = m.find(name); it != m.end() && it->second == f) m.erase(it);
            f->result = r;
            f->done = true;
            waiters.swap(f->waiters);
        }
        for (auto& w : waiters) w.resume(r);
        return waiters.size();
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
    using map = std::unordered_map<std::string, std::shared_ptr<flight>, name_hash, std::equal_to<>>;

    mutable std::mutex mutex_;
    map maps_[2];  // by cache_index
};

}  // namespace pws::detail
