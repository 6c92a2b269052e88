#pragma once

#include <pws/detail/http/deadline.hpp>

#include <sys/socket.h>

namespace pws::detail::http {

PWS_DECL void deadline_watch::add(entry& e) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;  // the context is shutting down: nothing runs any more
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        e.prev = tail_;
        e.next = nullptr;
        (tail_ ? tail_->next : head_) = &e;
        tail_ = &e;
        if (e.deadline > latest_) latest_ = e.deadline;
        // Deadlines mostly come later than the ones before (now + the same timeout): the thread,
        // already asleep until an earlier one, needs no wake-up for them.
        if (e.deadline < planned_) {
            planned_ = e.deadline;
            wake = true;
        }
    }
    if (wake) wake_.notify_one();
}

PWS_DECL bool deadline_watch::remove(entry& e) noexcept {
    std::lock_guard lock(mutex_);
    if (e.prev || e.next || head_ == &e) {
        (e.prev ? e.prev->next : head_) = e.next;
        (e.next ? e.next->prev : tail_) = e.prev;
        e.prev = e.next = nullptr;
    }
    return e.fired;
}

PWS_DECL void deadline_watch::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

PWS_DECL void deadline_watch::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto now = clock::now();
        auto next = clock::time_point::max();
        for (entry* e = head_; e; e = e->next) {
            if (e->fired) continue;
            if (e->deadline <= now) {
                e->fired = true;
                ::shutdown(e->fd, SHUT_RDWR);
            } else if (e->deadline < next) {
                next = e->deadline;
            }
        }
        // Nothing left to watch: wait until the latest deadline added so far before parking, so
        // that the exchanges of a steady load, each over before its deadline, add theirs without
        // a wake-up; then park until a deadline arrives.
        if (next == clock::time_point::max() && latest_ > now) next = latest_;
        planned_ = next;
        if (next == clock::time_point::max())
            wake_.wait(lock, [this] { return stopping_ || planned_ != clock::time_point::max(); });
        else
            wake_.wait_until(lock, next, [this, next] { return stopping_ || planned_ < next; });
    }
}

}  // namespace pws::detail::http
