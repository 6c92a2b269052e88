// The time a cache hit compares its entry's deadlines with.
//
// Reading std::chrono::steady_clock costs more than the rest of a hit (about 30 ns on a cloud
// guest, where the clock source has to be read and scaled). Linux keeps a coarse copy of the
// same clock, CLOCK_MONOTONIC_COARSE, read in a few nanoseconds: the monotonic time the kernel
// last published. It is never ahead of steady_clock, and behind it by less than two ticks (its
// resolution, 1-10 ms): the kernel publishes once a tick, a time it accumulates in whole tick
// intervals, so the value may already trail by up to a tick when published. A hit uses that time
// plus two ticks: an upper bound of the real time, so an entry is served before its deadline
// only; it may be taken for expired (or due for its refresh) up to two ticks early, which costs
// one driver request. (Only if the kernel's timekeeping itself stalls — a guest CPU held by
// the hypervisor — may the coarse time lag by more, and an entry then be served late by that much;
// Linux forces an update after 5 stalled ticks.)
//
// Every other clock (a test clock, a user's clock) is read as it is, and writes (put_app,
// expiry of new entries) always read the real clock.
#pragma once

#include <chrono>
#include <ctime>

namespace pws::detail {

/// Hit-path time for `Clock`: Clock::now().
template <class Clock>
struct hit_clock {
    static typename Clock::time_point now() noexcept { return Clock::now(); }
};

#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
/// steady_clock on Linux: the coarse clock plus two of its ticks (an upper bound of the real time,
/// at most two ticks ahead of it). Both read CLOCK_MONOTONIC's epoch, as libstdc++ and libc++ do.
template <>
struct hit_clock<std::chrono::steady_clock> {
    using time_point = std::chrono::steady_clock::time_point;

    static time_point now() noexcept {
        static const std::chrono::nanoseconds tick = resolution();
        if (tick.count() < 0) return std::chrono::steady_clock::now();
        timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return std::chrono::steady_clock::now();
        const auto t = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec) + 2 * tick;
        return time_point(std::chrono::duration_cast<time_point::duration>(t));
    }

    /// The coarse clock's tick, or -1 ns when it cannot be used (then now() reads steady_clock).
    /// A tick over 100 ms (never seen) is not trusted either.
    static std::chrono::nanoseconds resolution() noexcept {
        timespec r;
        if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) != 0) return std::chrono::nanoseconds(-1);
        const auto tick = std::chrono::seconds(r.tv_sec) + std::chrono::nanoseconds(r.tv_nsec);
        if (tick > std::chrono::milliseconds(100)) return std::chrono::nanoseconds(-1);
        return tick;
    }
};
#endif

}  // namespace pws::detail
