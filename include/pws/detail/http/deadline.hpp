// A wall-clock deadline over a socket, whatever the peer does.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pws::detail::http {

/// The sockets of one execution context that have a deadline, and the one thread that shuts each
/// down when its deadline passes. Registering a deadline takes a mutex and, in the steady state,
/// no system call: the thread sleeps until the earliest deadline it knows of and is woken only
/// when an earlier one arrives (or when it had parked with nothing to watch), so one lookup does
/// not re-arm a kernel timer. Nothing here is an Asio operation: a deadline being watched does
/// not keep `run()` from returning. The thread starts with the first deadline and is joined when
/// the execution context shuts down; an entry removed from the list is never touched again.
class deadline_watch : public boost::asio::execution_context::service {
public:
    using clock = std::chrono::steady_clock;

    /// One socket's deadline: an intrusive node, owned by its deadline_guard.
    struct entry {
        clock::time_point deadline;
        int fd = -1;
        bool fired = false;  ///< the deadline passed and the socket was shut down
        entry* prev = nullptr;
        entry* next = nullptr;
    };

    static inline boost::asio::execution_context::id id;

    explicit deadline_watch(boost::asio::execution_context& ctx) : service(ctx) {}
    ~deadline_watch() override { stop(); }

    /// Watches `e` until remove(e). Throws std::system_error if the thread cannot start.
    PWS_DECL void add(entry& e);

    /// Stops watching `e`; returns whether its deadline had passed (the socket was shut down).
    PWS_DECL bool remove(entry& e) noexcept;

    /// Whether `e`'s deadline has passed and its socket was shut down.
    bool fired(const entry& e) const {
        std::lock_guard lock(mutex_);
        return e.fired;
    }

private:
    void shutdown() override { stop(); }
    PWS_DECL void stop() noexcept;
    PWS_DECL void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    entry* head_ = nullptr;
    entry* tail_ = nullptr;
    // When the thread wakes next; max() while it sleeps with nothing to watch.
    clock::time_point planned_ = clock::time_point::max();
    // The latest deadline added: with nothing to watch, the thread waits for it before it parks,
    // so a steady stream of short exchanges does not wake it up each time.
    clock::time_point latest_ = clock::time_point::min();
    bool stopping_ = false;
    std::thread thread_;
};

/// Shuts a socket down at `deadline`, so that whatever I/O is pending on it fails at once.
/// Beast's stream timeout did not hold while data kept coming (a server sending 1-byte chunks
/// with long extensions kept one lookup reading for minutes); this deadline does not depend on
/// reads completing, and fired() tells the caller why its I/O failed. It touches the socket only
/// through its file descriptor, from the watch's thread, under the watch's mutex the destructor
/// also takes: the executor need not be a strand. Destroy it before the socket is closed: from
/// then on it never touches it. A deadline of time_point::max() is no deadline.
///
/// The watch runs on a thread of its own, so the deadline may pass — and the socket be shut
/// down — just after an operation succeeded: ask release() (or fired()) after every guarded
/// operation, not only after one that failed, and do not use the socket again when it says so.
class deadline_guard {
public:
    deadline_guard(const boost::asio::any_io_executor& ex, int socket_fd,
                   std::chrono::steady_clock::time_point deadline)
        : watch_(deadline == std::chrono::steady_clock::time_point::max()
                     ? nullptr
                     : &boost::asio::use_service<deadline_watch>(
                           boost::asio::query(ex, boost::asio::execution::context))) {
        entry_.deadline = deadline;
        entry_.fd = socket_fd;
        if (watch_) watch_->add(entry_);
    }
    ~deadline_guard() { release(); }
    deadline_guard(const deadline_guard&) = delete;
    deadline_guard& operator=(const deadline_guard&) = delete;

    /// Whether the deadline passed and the socket was shut down.
    bool fired() const { return watch_ ? watch_->fired(entry_) : released_fired_; }

    /// Stops watching (from then on the socket is never touched) and returns whether the
    /// deadline had passed and the socket was shut down. One lock, where fired() and the
    /// destructor take two.
    bool release() noexcept {
        if (!watch_) return released_fired_;
        released_fired_ = watch_->remove(entry_);
        watch_ = nullptr;
        return released_fired_;
    }

private:
    deadline_watch* watch_;
    deadline_watch::entry entry_;
    bool released_fired_ = false;
};

}  // namespace pws::detail::http

#ifdef PWS_HEADER_ONLY
#include <pws/detail/http/impl/deadline.ipp>
#endif
