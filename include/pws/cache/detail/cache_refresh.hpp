// What a Cached shares with its background refreshes (policies/cached.hpp), which may outlive it.
//
// A refresh holds this, not the cache, across its waits, and touches the cache only while it
// holds `mutex` and `open` is still true. ~Cached sets `open` to false under `mutex`: a refresh
// either finishes its work on the cache before the destructor goes on, or finds it closed and
// ends without touching it. The flights live here too, so that a refresh's flight (and whoever
// waits for it) can still be completed once the cache is gone.
#pragma once

#include <pws/app.hpp>
#include <pws/cache/detail/cache_flight.hpp>
#include <pws/find_result.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace pws::detail {

/// The part of a Cached that its refreshes hold.
struct cache_shared {
    std::mutex mutex;      ///< held by a refresh while it touches the cache, and by ~Cached to close
    bool open = true;      ///< under `mutex`: false once the cache is being destroyed
    flight_table flights;  ///< the driver requests in flight, misses' and refreshes' (its own lock)
    std::function<void(const App&, const find_result&)> on_change;  ///< under `mutex`: see Cached::on_change
    std::atomic<std::size_t> refreshing{0};  ///< refreshes started and not ended (refresh_hold)
};

/// A refresh's hold on the shared part, counted in `refreshing` from the hit that starts the
/// refresh until the refresh's coroutine frame goes. Passed as the coroutine's parameter, it is
/// released with the frame even if the coroutine never ran.
class refresh_hold {
public:
    explicit refresh_hold(std::shared_ptr<cache_shared> s) noexcept : s_(std::move(s)) {
        s_->refreshing.fetch_add(1);
    }
    refresh_hold(refresh_hold&&) noexcept = default;
    refresh_hold& operator=(refresh_hold&&) = delete;
    ~refresh_hold() {
        if (s_) s_->refreshing.fetch_sub(1);
    }
    cache_shared* operator->() const noexcept { return s_.get(); }

private:
    std::shared_ptr<cache_shared> s_;
};

/// Whether `after`, the answer to a refresh of `before` by its id, says that the app changed: any
/// field differs, or it is gone. An error says nothing, nor does an answer for another id.
inline bool app_changed(const App& before, const find_result& after) {
    if (after.not_found()) return true;
    return after.found() && after.app->id == before.id && !(*after.app == before);
}

}  // namespace pws::detail
