// Epoch-based reclamation for the cache's read path: readers never lock and never allocate,
// writers (serialized by the caller) retire what they unlink and free it once no reader can hold it.
//
// Readers announce themselves in one of `slot_count` per-thread-ish slots, each on its own cache
// line, so that threads do not write to a shared line on every hit. A slot has a reader count per
// epoch parity. A reader reads the epoch E, increments count[E % 2] of its slot, and re-reads the
// epoch; if it moved, it backs out and retries (it might have been counted too late to be seen).
// The first `owned_slots` threads that read each own a slot for good: only that thread ever writes
// it, so leaving a section and counting a hit are plain stores (a release store, a relaxed one),
// not read-modify-writes. Later threads share the other slots, with read-modify-writes.
//
// Entering is where a reader's store (its count) must be visible to writers before its next loads
// (the epoch again, then the table): a store-to-load order, which on its own takes a full fence or
// a read-modify-write on every hit. Where Linux's membarrier(2) is available (registered for
// MEMBARRIER_CMD_PRIVATE_EXPEDITED), owned slots enter with a plain store and a compiler-only
// fence, and the writer pays instead: collect() issues membarrier() before it reads the counts,
// which runs a full fence on every CPU running a thread of this process. Either the writer then
// sees a reader's count, or that reader's later loads see everything the writer did before, the
// unlinks and the epoch step included (the asymmetric fence of liburcu's "memb" flavour and of
// folly's asymmetric_thread_fence_heavy). It costs the writer a system call and an interrupt of
// every other CPU running one of its threads (0.4 us alone, 8 us with a thread busy on the other
// CPU, on the 2-CPU benchmark machine), so the cache's writers collect once per `collect_batch`
// retired objects (collect_batched()). Elsewhere (another OS, an
// old kernel, a seccomp filter refusing it), readers keep the read-modify-write, and writers
// collect at every write.
//
// Writers put what they unlink in `current_`. collect() may advance the epoch from E to E + 1 when
// no reader of parity (E - 1) % 2 remains: readers of E - 1 are then gone, so everything retired
// during E - 1 (`previous_`) is freed, and what was retired during E becomes `previous_`, to be
// freed once the readers of E are gone. Nobody ever waits: if readers are in the way, collect()
// does nothing and the next one tries again (the garbage is bounded by two writers' batches).
//
// Every other operation is seq_cst on std::atomic, which ThreadSanitizer models (it does not
// model membarrier; the fence only orders accesses that are atomic already).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#if defined(__linux__) && __has_include(<linux/membarrier.h>) && __has_include(<sys/syscall.h>)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__NR_membarrier)
#define PWS_DETAIL_HAS_MEMBARRIER 1
#endif
#endif

namespace pws::detail {

/// The process-wide heavy fence (membarrier(2), private expedited): a full memory barrier on every
/// CPU that runs a thread of this process, and on the caller's. register_heavy_fence() registers
/// the process once (thread-safe) and says whether the fence can be used; heavy_fence() issues it
/// and says whether it ran (false if it was refused: after fork(), the child must register again).
inline bool register_heavy_fence() noexcept {
#if defined(PWS_DETAIL_HAS_MEMBARRIER)
    static const bool registered = [] {
        const long cmds = ::syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
        return ::syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }();
    return registered;
#else
    return false;
#endif
}

inline bool heavy_fence() noexcept {
#if defined(PWS_DETAIL_HAS_MEMBARRIER)
    if (::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) return true;
    // Refused: a process forked from the one that registered starts unregistered.
    return ::syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
           ::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

/// The read side of one thread slot, with the owner's per-thread counters beside it.
struct alignas(128) rcu_slot {
    std::atomic<std::uint64_t> readers[2] = {0, 0}; ///< readers inside, by epoch parity
    std::atomic<std::uint64_t> counters[4] = {0, 0, 0, 0}; ///< owner's hit-path counters (summed on demand)
    bool owned = false; ///< one thread only ever writes it (set before any reader)

    /// Adds one to counters[i] (this thread's slot).
    void count(std::size_t i) noexcept {
        if (owned)
            counters[i].store(counters[i].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        else
            counters[i].fetch_add(1, std::memory_order_relaxed);
    }
};

/// The domain: slots, epoch and the writers' retired objects.
class rcu_domain {
public:
    static constexpr std::size_t owned_slots = 32;  ///< one thread each, the first threads to read
    static constexpr std::size_t shared_slots = 8;  ///< shared by every later thread
    static constexpr std::size_t slot_count = owned_slots + shared_slots;
    /// collect_batched() collects once this many objects wait in the current epoch.
    static constexpr std::size_t collect_batch = 64;

    /// A reader's critical section: objects reachable when it began stay alive until it ends.
    class reader {
    public:
        reader(std::atomic<std::uint64_t>* c, bool owned) noexcept : count_(c), owned_(owned) {}
        reader(const reader&) = delete;
        reader& operator=(const reader&) = delete;
        // Release: what the section read happens before a writer that sees the count drop frees it.
        ~reader() {
            if (owned_)
                count_->store(count_->load(std::memory_order_relaxed) - 1, std::memory_order_release);
            else
                count_->fetch_sub(1, std::memory_order_seq_cst);
        }

    private:
        std::atomic<std::uint64_t>* count_;
        bool owned_;
    };

    /// Owned slots enter with a plain store when the heavy fence is available (register_heavy_fence()).
    rcu_domain() : rcu_domain(register_heavy_fence()) {}
    /// `asymmetric`: whether owned slots enter with a plain store (requires register_heavy_fence()
    /// to have returned true); false keeps every reader's read-modify-write (tests run both).
    explicit rcu_domain(bool asymmetric) : asymmetric_(asymmetric) {
        for (std::size_t i = 0; i < owned_slots; ++i) slots_[i].owned = true;
    }
    rcu_domain(const rcu_domain&) = delete;
    rcu_domain& operator=(const rcu_domain&) = delete;
    /// Frees everything retired; no reader may be inside.
    ~rcu_domain() {
        free(previous_);
        free(current_);
    }

    /// This thread's slot, the same in every domain: its own for the first owned_slots threads
    /// that ask, one of the shared ones (round-robin) for the others. An owned slot is never
    /// given to another thread, even once its owner has exited.
    rcu_slot& slot() noexcept {
        static std::atomic<std::uint64_t> next{0};
        static thread_local const std::size_t index = [] {
            const std::uint64_t n = next.fetch_add(1, std::memory_order_relaxed);
            return n < owned_slots ? static_cast<std::size_t>(n)
                                   : owned_slots + static_cast<std::size_t>((n - owned_slots) % shared_slots);
        }();
        return slots_[index];
    }

    /// Enters a read-side critical section on `s` (this thread's slot()).
    [[nodiscard]] reader enter(rcu_slot& s) noexcept {
        // An owned slot, with the writer's heavy fence in use: a plain store; else a read-modify-write.
        const bool plain = s.owned && asymmetric_;
        for (;;) {
            const std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
            auto& count = s.readers[e & 1];
            if (plain) {
                count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                // Keeps the compiler from moving the loads below above the store; the CPU's
                // store-to-load order comes from the writer's heavy fence (see the top).
                std::atomic_signal_fence(std::memory_order_seq_cst);
            } else {
                count.fetch_add(1, std::memory_order_seq_cst);
            }
            if (epoch_.load(std::memory_order_seq_cst) == e) return reader(&count, s.owned);
            // Counted too late to be seen: back out and retry.
            if (plain) count.store(count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
            else count.fetch_sub(1, std::memory_order_seq_cst);
        }
    }

    /// Whether owned slots enter with a plain store (the writer's heavy fence orders them).
    bool asymmetric() const noexcept { return asymmetric_; }

    /// Writer: `p` is unreachable for new readers; delete it once current readers are gone.
    template <class T>
    void retire(const T* p) {
        current_.push_back({const_cast<T*>(p), [](void* q) { delete static_cast<T*>(q); }});
    }

    /// Writer: frees what no reader can hold any more, when that can be known without waiting.
    void collect() {
        if (current_.empty() && previous_.empty()) return;
        // Readers that entered with a plain store: their counts are visible after this, or they
        // see the unlinks and the epoch. Refused (never once registered, but after a fork that
        // could not register again): nothing is freed, as if readers were in the way.
        if (asymmetric_ && !heavy_fence()) return;
        const std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
        const std::size_t old_parity = (e - 1) & 1;
        for (auto& s : slots_)
            if (s.readers[old_parity].load(std::memory_order_seq_cst) != 0) return;
        free(previous_);
        previous_ = std::move(current_);
        current_.clear();
        epoch_.store(e + 1, std::memory_order_seq_cst);
    }

    /// Writer: collect() when it is cheap (readers use read-modify-writes) or once collect_batch
    /// objects wait in the current epoch (it issues the heavy fence): what waits to be freed is
    /// then at most about two batches.
    void collect_batched() {
        if (!asymmetric_ || current_.size() >= collect_batch) collect();
    }

    /// The sum of counters[i] over every slot.
    std::uint64_t sum(std::size_t i) const noexcept {
        std::uint64_t n = 0;
        for (auto& s : slots_) n += s.counters[i].load(std::memory_order_relaxed);
        return n;
    }

    /// Objects retired and not yet freed (for tests).
    std::size_t pending() const noexcept { return current_.size() + previous_.size(); }

private:
    using retired = std::pair<void*, void (*)(void*)>;

    static void free(std::vector<retired>& list) {
        for (auto& [p, del] : list) del(p);
        list.clear();
    }

    std::array<rcu_slot, slot_count> slots_;
    std::atomic<std::uint64_t> epoch_{1};
    const bool asymmetric_;
    std::vector<retired> current_;  // writer-only
    std::vector<retired> previous_; // writer-only
};

}  // namespace pws::detail

#undef PWS_DETAIL_HAS_MEMBARRIER
