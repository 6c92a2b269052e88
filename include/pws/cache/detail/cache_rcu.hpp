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
// Writers put what they unlink in `current_`. collect() may advance the epoch from E to E + 1 when
// no reader of parity (E - 1) % 2 remains: readers of E - 1 are then gone, so everything retired
// during E - 1 (`previous_`) is freed, and what was retired during E becomes `previous_`, to be
// freed once the readers of E are gone. Nobody ever waits: if readers are in the way, collect()
// does nothing and the next one tries again (the garbage is bounded by two writers' batches).
//
// Every operation is seq_cst on std::atomic (no standalone fences), which ThreadSanitizer models.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pws::detail {

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

    rcu_domain() {
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
        for (;;) {
            const std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
            auto& count = s.readers[e & 1];
            count.fetch_add(1, std::memory_order_seq_cst);
            if (epoch_.load(std::memory_order_seq_cst) == e) return reader(&count, s.owned);
            count.fetch_sub(1, std::memory_order_seq_cst);  // counted too late to be seen: retry
        }
    }

    /// Writer: `p` is unreachable for new readers; delete it once current readers are gone.
    template <class T>
    void retire(const T* p) {
        current_.push_back({const_cast<T*>(p), [](void* q) { delete static_cast<T*>(q); }});
    }

    /// Writer: frees what no reader can hold any more, when that can be known without waiting.
    void collect() {
        if (current_.empty() && previous_.empty()) return;
        const std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
        const std::size_t old_parity = (e - 1) & 1;
        for (auto& s : slots_)
            if (s.readers[old_parity].load(std::memory_order_seq_cst) != 0) return;
        free(previous_);
        previous_ = std::move(current_);
        current_.clear();
        epoch_.store(e + 1, std::memory_order_seq_cst);
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
    std::vector<retired> current_;  // writer-only
    std::vector<retired> previous_; // writer-only
};

}  // namespace pws::detail
