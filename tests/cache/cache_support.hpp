// Test doubles for the cache: a clock that moves only when told, and a driver whose answers,
// failures, latency and timing (it can hold every request until released) the test controls.
// Like a real database, the driver reads when the request arrives; the answer travels back later.
// Its state lives in a shared backend, so that a request can outlive the driver.
#pragma once

#include <pws/app.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pws::test {

/// A steady clock that only moves when advance() is called (process-wide).
struct manual_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<manual_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point(duration(ticks.load())); }
    static void advance(duration d) noexcept { ticks.fetch_add(d.count()); }

    static inline std::atomic<rep> ticks{std::chrono::nanoseconds(std::chrono::hours(24)).count()};
};

/// An app with id `id`, key `key` and a recognisable secret.
inline App make_app(std::string id, std::string key) {
    App a;
    a.id = std::move(id);
    a.key = std::move(key);
    a.secret = a.id + "-secret";
    return a;
}

/// The table and the script of a fake_policy, shared with its requests in flight: a request
/// held when the driver (and the cache around it) is destroyed can still be released, and ends
/// without touching the driver, as a well-behaved driver's would. Thread-safe.
class fake_backend {
public:
    /// Adds or replaces an app (by id).
    void put(App a) {
        std::string id = a.id;  // not apps_[a.id] = ...(std::move(a)): the right side goes first
        std::lock_guard lock(mutex_);
        apps_[id] = std::make_shared<const App>(std::move(a));
    }
    /// Deletes an app.
    void remove(const std::string& id) {
        std::lock_guard lock(mutex_);
        apps_.erase(id);
    }
    /// From now on every request fails with `ec` (an empty code: answer again).
    void fail_with(boost::system::error_code ec) {
        std::lock_guard lock(mutex_);
        fail_ = ec;
    }
    /// From now on every request throws.
    void throw_exceptions(bool on) { throw_ = on; }
    /// While held, requests wait until release().
    void hold() { held_ = true; }
    /// Lets every held request (and later ones) go on, in arrival order or `newest_first`.
    void release(bool newest_first = false) {
        std::vector<held_request> w;
        {
            std::lock_guard lock(mutex_);
            held_ = false;
            w.swap(waiting_);
        }
        // Not std::reverse: it move-assigns, and Boost 1.81's any_completion_handler cannot be
        // move-assigned (it recurses forever).
        auto go = [](held_request& r) { boost::asio::post(r.executor, std::move(r.resume)); };
        if (newest_first) std::for_each(w.rbegin(), w.rend(), go);
        else std::for_each(w.begin(), w.end(), go);
    }
    /// Destroys every held request without resuming it (as a driver torn down with its sockets
    /// might): their coroutines are destroyed where they wait.
    void drop_held() {
        std::vector<held_request> w;
        {
            std::lock_guard lock(mutex_);
            w.swap(waiting_);
        }
    }
    /// Requests waiting for release().
    std::size_t held_requests() const {
        std::lock_guard lock(mutex_);
        return waiting_.size();
    }
    /// The clock `Clock` advances by `d` during each request (to test the latency histogram).
    void set_latency(std::chrono::nanoseconds d) { latency_ = d.count(); }

    int calls() const { return calls_; }  ///< requests received

    /// One request: read at once, answered after at least one suspension (and the hold).
    static boost::asio::awaitable<find_result> answer(std::shared_ptr<fake_backend> self, bool by_id,
                                                      std::string name) {
        ++self->calls_;
        find_result r = self->read(by_id, name);
        co_await self->gate();  // always at least one suspension: a real driver is asynchronous
        manual_clock::advance(std::chrono::nanoseconds(self->latency_.load()));
        if (self->throw_) throw std::runtime_error("fake driver failure");
        co_return r;
    }

private:
    boost::asio::awaitable<void> gate() {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
            [this](auto handler) {
                held_request r{boost::asio::get_associated_executor(handler), std::move(handler)};
                std::unique_lock lock(mutex_);
                if (held_) {
                    waiting_.push_back(std::move(r));
                    return;
                }
                lock.unlock();
                boost::asio::post(r.executor, std::move(r.resume));
            },
            boost::asio::use_awaitable);
    }

    find_result read(bool by_id, const std::string& name) {
        std::lock_guard lock(mutex_);
        if (fail_) return find_result::failure(fail_, "fake failure");
        for (auto& [id, app] : apps_)
            if (by_id ? id == name : app->key == name) return find_result::of(app);
        return find_result::none();
    }

    mutable std::mutex mutex_;
    std::map<std::string, app_ptr> apps_;
    struct held_request {
        boost::asio::any_io_executor executor;
        boost::asio::any_completion_handler<void()> resume;
    };
    std::vector<held_request> waiting_;
    std::atomic<bool> held_{false};
    boost::system::error_code fail_;
    std::atomic<bool> throw_{false};
    std::atomic<std::int64_t> latency_{0};
    std::atomic<int> calls_{0};
};

/// A driver over a map, counting what it is asked (a fake_backend of its own, or a shared one).
/// Thread-safe; its requests hold the backend, not the driver.
class fake_policy {
public:
    explicit fake_policy(boost::asio::any_io_executor ex,
                         std::shared_ptr<fake_backend> backend = std::make_shared<fake_backend>())
        : ex_(std::move(ex)), backend_(std::move(backend)) {}

    boost::asio::any_io_executor get_executor() const { return ex_; }

    boost::asio::awaitable<find_result> find_by_id(std::string_view id) {
        return fake_backend::answer(backend_, true, std::string(id));
    }
    boost::asio::awaitable<find_result> find_by_key(std::string_view key) {
        return fake_backend::answer(backend_, false, std::string(key));
    }

    /// The backend (which outlives the driver while someone holds it).
    const std::shared_ptr<fake_backend>& backend() const noexcept { return backend_; }

    // The backend's, forwarded.
    void put(App a) { backend_->put(std::move(a)); }
    void remove(const std::string& id) { backend_->remove(id); }
    void fail_with(boost::system::error_code ec) { backend_->fail_with(ec); }
    void throw_exceptions(bool on) { backend_->throw_exceptions(on); }
    void hold() { backend_->hold(); }
    void release(bool newest_first = false) { backend_->release(newest_first); }
    std::size_t held_requests() const { return backend_->held_requests(); }
    void set_latency(std::chrono::nanoseconds d) { backend_->set_latency(d); }
    int calls() const { return backend_->calls(); }

private:
    boost::asio::any_io_executor ex_;
    std::shared_ptr<fake_backend> backend_;
};

}  // namespace pws::test
