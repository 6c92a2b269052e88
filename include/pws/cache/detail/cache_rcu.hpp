// Epoch-based reclamation for the cache's read path: readers never lock and never allocate,
// writers (serialized by the caller) retire what they unlink and free it once no reader can hold it.
//
// Readers announce themselves in one of `slot_count` per-thread-ish slots, each on its own cache
// line, so that threads do not write to a shared line on every hit. A slot has a reader count per
// epoch parity. A reader reads the epoch E, increments count[E % 2] of its slot, and re-reads the
// epoch; if it moved, it backs out and retries (it might have been counted too late to be seen).
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
};

/// The domain: slots, epoch and the writers' retired objects.
class rcu_domain {
public:
    static constexpr std::size_t slot_count = 32;

    /// A reader's critical section: objects reachable when it began stay alive until it ends.
    class reader {
    public:
        explicit reader(std::atomic<std::uint64_t>* c) noexcept : count_(c) {}
        reader(const reader&) = delete;
        reader& operator=(const reader&) = delete;
        ~reader() { count_->fetch_sub(1, std::memory_order_seq_cst); }

    private:
        std::atomic<std::uint64_t>* count_;
    };

    rcu_domain() = default;
    rcu_domain(const rcu_domain&) = delete;
    rcu_domain& operator=(const rcu_domain&) = delete;
    /// Frees everything retired; no reader may be inside.
    ~rcu_domain() {
        free(previous_);
        free(current_);
    }

    /// This thread's slot (threads are spread over the slots round-robin, once).
    rcu_slot& slot() noexcept {
        static std::atomic<unsigned> next{0};
        static thread_local const unsigned index = next.fetch_add(1, std::memory_order_relaxed) % slot_count;
        return slots_[index];
    }

    /// Enters a read-side critical section on `s` (this thread's slot()).
    [[nodiscard]] reader enter(rcu_slot& s) noexcept {
        for (;;) {
            const std::uint64_t e = epoch_.load(std::memory_order_seq_cst);
            auto& count = s.readers[e & 1];
            count.fetch_add(1, std::memory_order_seq_cst);
            if (epoch_.load(std::memory_order_seq_cst) == e) return reader(&count);
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
