// The state of a Cached's preload loop, shared by the loop's coroutine and the cache so that the
// loop, woken by the cancellation of its timer, can see it was stopped without touching a cache
// that may be gone.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <memory>
#include <utility>

namespace pws::detail {

/// What the preload loop and its owner share.
struct preload_loop_state {
    explicit preload_loop_state(boost::asio::any_io_executor ex)
        : strand(boost::asio::make_strand(std::move(ex))), timer(strand) {}
    boost::asio::strand<boost::asio::any_io_executor> strand; ///< the loop runs here; so does its timer
    boost::asio::steady_timer timer;                          ///< the wait between two Scans (real time)
    std::atomic<bool> stopped{false};                         ///< set once; checked after each wait
};

/// Tells the loop of `st` to stop and wakes it (the timer is only touched on its strand).
inline void stop_preload_loop(std::shared_ptr<preload_loop_state>& st) noexcept {
    auto s = std::exchange(st, nullptr);
    if (!s) return;
    s->stopped.store(true);
    try {
        boost::asio::post(s->strand, [s] { s->timer.cancel(); });
    } catch (...) {  // out of memory: the loop still stops at its next wake-up
    }
}

}  // namespace pws::detail
