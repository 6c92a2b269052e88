// Counting allocations, for the counting builds of the benchmark programs (pws-bench-count,
// pws-bench-count-frames, pws-bench-frames-check*): include this header in exactly one translation
// unit of a program built with PWS_BENCH_COUNT_ALLOCATIONS, and it replaces
//
//   - the global operator new and delete, every form (plain, array, nothrow, aligned, sized), and
//   - the C allocator's entry points (malloc, calloc, realloc, free, aligned_alloc, posix_memalign,
//     memalign, valloc, pvalloc), forwarding to glibc's own (__libc_malloc, ...),
//
// with versions that count calls and bytes (relaxed atomics: any thread). Both doors count, apart:
// operator new is what C++ code allocates through, and the C allocator is what Asio's recycling
// allocator falls back to on a cache miss (std::aligned_alloc: handlers and, unless
// BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING, coroutine frames), and what OpenSSL and the C
// library call. The replaced operator new calls __libc_malloc directly, so nothing counts twice.
//
// While recording (record(true)), operator new also notes its caller's address: the calls of one
// call site, symbolized later (addr2line -i on the executable, built with -g), say who allocates.
// With frame recycling disabled, an Asio coroutine frame is an operator new called by the
// coroutine's ramp function, so the innermost function at that call site is the coroutine itself
// (co_spawn_entry_point for a co_spawn). The table holds `caller_slots` distinct call sites; calls
// from further ones are counted in `callers_dropped`.
//
// glibc only (it exports the __libc_* functions; replacing malloc this way is what its manual
// allows). Not for production code: this is the benchmarks' instrument.
#pragma once

#if !defined(PWS_BENCH_COUNT_ALLOCATIONS)
#error "count_allocations.hpp is for the counting builds only (PWS_BENCH_COUNT_ALLOCATIONS)"
#endif

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
extern const char __executable_start;  // the linker's: where the executable's image starts
}

namespace bench::alloc {

/// Calls and bytes through each door since the start of the process.
struct counts {
    std::uint64_t new_calls = 0, new_bytes = 0;        ///< operator new (every form)
    std::uint64_t malloc_calls = 0, malloc_bytes = 0;  ///< the C allocator, called directly
    std::uint64_t frees = 0;                           ///< operator delete and free (non-null)

    counts operator-(const counts& o) const {
        return {new_calls - o.new_calls, new_bytes - o.new_bytes, malloc_calls - o.malloc_calls,
                malloc_bytes - o.malloc_bytes, frees - o.frees};
    }
};

namespace detail {
inline std::atomic<std::uint64_t> new_calls{0}, new_bytes{0}, malloc_calls{0}, malloc_bytes{0}, frees{0};
inline std::atomic<bool> recording{false};

constexpr std::size_t caller_slots = 4096;  // a power of two
inline std::atomic<std::uintptr_t> caller_addr[caller_slots];
inline std::atomic<std::uint64_t> caller_calls[caller_slots];
inline std::atomic<std::uint64_t> callers_dropped{0};

inline void note_caller(void* ret) {
    const auto a = reinterpret_cast<std::uintptr_t>(ret);
    std::size_t i = (a * 0x9E3779B97F4A7C15ull) >> 52;  // 12 bits: caller_slots
    for (std::size_t probe = 0; probe < caller_slots; ++probe, i = (i + 1) & (caller_slots - 1)) {
        std::uintptr_t seen = caller_addr[i].load(std::memory_order_relaxed);
        if (seen == 0 &&
            caller_addr[i].compare_exchange_strong(seen, a, std::memory_order_relaxed, std::memory_order_relaxed))
            seen = a;
        if (seen == a) {
            caller_calls[i].fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    callers_dropped.fetch_add(1, std::memory_order_relaxed);
}

inline void count_new(std::size_t n, void* ret) {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    new_bytes.fetch_add(n, std::memory_order_relaxed);
    if (recording.load(std::memory_order_relaxed)) note_caller(ret);
}
inline void count_malloc(std::size_t n) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    malloc_bytes.fetch_add(n, std::memory_order_relaxed);
}
inline void count_free(void* p) {
    if (p) frees.fetch_add(1, std::memory_order_relaxed);
}

[[gnu::noinline]] inline void* new_impl(std::size_t n, void* ret) {
    count_new(n, ret);
    if (void* p = __libc_malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] inline void* new_aligned_impl(std::size_t n, std::size_t align, void* ret) {
    count_new(n, ret);
    if (void* p = __libc_memalign(align, n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace detail

/// The counts so far.
inline counts now() {
    using namespace detail;
    auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return {r(new_calls), r(new_bytes), r(malloc_calls), r(malloc_bytes), r(frees)};
}

/// Starts (true) or stops (false) noting operator new's callers.
inline void record(bool on) { detail::recording.store(on, std::memory_order_relaxed); }

/// The counts of a measured stretch, per unit (lookup, iteration), and the callers noted, as the
/// members of a JSON object (no braces): "allocs_per_lookup":..,... with `unit` in the names.
/// Callers are [offset, calls] pairs: offset from the executable's start (what addr2line takes, for
/// a PIE), or -1 for the calls from outside the executable (shared libraries), summed.
inline std::string json_members(const counts& c, std::uint64_t units, const char* unit) {
    const double u = double(units);
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "\"allocs_per_%s\":%.4f,\"alloc_bytes_per_%s\":%.2f,\"new_per_%s\":%.4f,\"new_bytes_per_%s\":%.2f,"
                  "\"malloc_per_%s\":%.4f,\"malloc_bytes_per_%s\":%.2f,\"frees_per_%s\":%.4f,\"counted_%ss\":%llu",
                  unit, double(c.new_calls + c.malloc_calls) / u, unit, double(c.new_bytes + c.malloc_bytes) / u, unit,
                  double(c.new_calls) / u, unit, double(c.new_bytes) / u, unit, double(c.malloc_calls) / u, unit,
                  double(c.malloc_bytes) / u, unit, double(c.frees) / u, unit, static_cast<unsigned long long>(units));
    std::string out = buf;
    out += ",\"callers\":[";
    const auto base = reinterpret_cast<std::uintptr_t>(&__executable_start);
    std::uint64_t outside = 0;
    bool first = true;
    for (std::size_t i = 0; i < detail::caller_slots; ++i) {
        const std::uintptr_t a = detail::caller_addr[i].load(std::memory_order_relaxed);
        const std::uint64_t n = detail::caller_calls[i].load(std::memory_order_relaxed);
        if (a == 0 || n == 0) continue;
        // Only the executable's own code is symbolized; its image ends well below 1 GiB past its start.
        if (a < base || a - base > (std::uintptr_t(1) << 30)) {
            outside += n;
            continue;
        }
        std::snprintf(buf, sizeof buf, "%s[%llu,%llu]", first ? "" : ",", static_cast<unsigned long long>(a - base),
                      static_cast<unsigned long long>(n));
        out += buf;
        first = false;
    }
    std::snprintf(buf, sizeof buf, "%s[-1,%llu]],\"callers_dropped\":%llu", first ? "" : ",",
                  static_cast<unsigned long long>(outside),
                  static_cast<unsigned long long>(detail::callers_dropped.load(std::memory_order_relaxed)));
    out += buf;
    return out;
}

}  // namespace bench::alloc

// ---- the replacements (one definition each: this header is in one TU per program) ----

#define PWS_BENCH_RET __builtin_return_address(0)

[[gnu::noinline]] void* operator new(std::size_t n) { return bench::alloc::detail::new_impl(n, PWS_BENCH_RET); }
[[gnu::noinline]] void* operator new[](std::size_t n) { return bench::alloc::detail::new_impl(n, PWS_BENCH_RET); }
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_new(n, PWS_BENCH_RET);
    return __libc_malloc(n ? n : 1);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_new(n, PWS_BENCH_RET);
    return __libc_malloc(n ? n : 1);
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) {
    return bench::alloc::detail::new_aligned_impl(n, std::size_t(a), PWS_BENCH_RET);
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a) {
    return bench::alloc::detail::new_aligned_impl(n, std::size_t(a), PWS_BENCH_RET);
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_new(n, PWS_BENCH_RET);
    return __libc_memalign(std::size_t(a), n ? n : 1);
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_new(n, PWS_BENCH_RET);
    return __libc_memalign(std::size_t(a), n ? n : 1);
}

#undef PWS_BENCH_RET

void operator delete(void* p) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete[](void* p) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { bench::alloc::detail::count_free(p), __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    bench::alloc::detail::count_free(p), __libc_free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    bench::alloc::detail::count_free(p), __libc_free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_free(p), __libc_free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    bench::alloc::detail::count_free(p), __libc_free(p);
}

extern "C" {
void* malloc(std::size_t n) {
    bench::alloc::detail::count_malloc(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    bench::alloc::detail::count_malloc(n * size);
    return __libc_calloc(n, size);
}
// A realloc may move the block: it counts as one allocation (of the new size) unless it frees.
void* realloc(void* p, std::size_t n) {
    if (n != 0 || !p) bench::alloc::detail::count_malloc(n);
    if (n == 0 && p) bench::alloc::detail::count_free(p);
    return __libc_realloc(p, n);
}
void free(void* p) {
    bench::alloc::detail::count_free(p);
    __libc_free(p);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
    bench::alloc::detail::count_malloc(n);
    return __libc_memalign(align, n);
}
void* memalign(std::size_t align, std::size_t n) {
    bench::alloc::detail::count_malloc(n);
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
    bench::alloc::detail::count_malloc(n);
    void* p = __libc_memalign(align, n);
    if (!p && n != 0) return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t n) {
    bench::alloc::detail::count_malloc(n);
    return __libc_valloc(n);
}
void* pvalloc(std::size_t n) {
    bench::alloc::detail::count_malloc(n);
    return __libc_pvalloc(n);
}
}
