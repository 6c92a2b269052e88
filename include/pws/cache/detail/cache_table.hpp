// One index of the cache (by id, or by key): a fixed array of buckets, each an atomic pointer to
// an immutable chain of nodes. Readers walk it under an rcu_domain::reader without a lock; the
// one writer (serialized by the caller) publishes a new chain head with a release store and
// retires what it replaced. The bucket array never grows: it is sized for the entry limits, so
// there is no rehash to coordinate with readers.
//
// Ids and keys come from clients (a WebSocket URL carries the key), and unknown ones become
// negative entries: a predictable hash would let anyone pile them into one bucket. Names are
// hashed with SipHash-1-3 under a random per-table key, as hash tables facing the network do.
#pragma once

#include <pws/cache/detail/cache_rcu.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

namespace pws::detail {

#if defined(__GNUC__)
#define PWS_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define PWS_DETAIL_ALWAYS_INLINE inline
#endif

/// SipHash's state and its round (forced inline: called five times for a short name, a lambda or
/// a plain function was left out of line by GCC -O2, and the calls cost more than the hash).
struct siphash_state {
    std::uint64_t v0, v1, v2, v3;

    static constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }
    PWS_DETAIL_ALWAYS_INLINE void round() noexcept {
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
    }
    PWS_DETAIL_ALWAYS_INLINE void absorb(std::uint64_t m) noexcept { v3 ^= m, round(), v0 ^= m; }
};

/// The last n % 8 bytes of the n bytes at `s` as the low bytes of a word (little-endian order,
/// as SipHash's final block reads them), read only inside those n bytes. No byte loop: on
/// little-endian machines one or two overlapping word loads, shifted (a loop over up to 7 bytes
/// was a quarter of a cache hit).
PWS_DETAIL_ALWAYS_INLINE std::uint64_t tail_word(const unsigned char* s, std::size_t n) noexcept {
    const std::size_t r = n & 7;
    if constexpr (std::endian::native == std::endian::little) {
        if (r == 0) return 0;
        if (n >= 8) {  // the last 8 bytes, of which the last r are the tail
            std::uint64_t w;
            std::memcpy(&w, s + n - 8, 8);
            return w >> (64 - 8 * r);
        }
        if (n >= 4) {  // bytes 0-3, and bytes n-4 .. n-1 of which 4 .. n-1 are new
            std::uint32_t lo, hi;
            std::memcpy(&lo, s, 4);
            std::memcpy(&hi, s + n - 4, 4);
            return lo | (std::uint64_t(hi) >> (8 * (8 - n))) << 32;
        }
        return std::uint64_t(s[0]) | std::uint64_t(s[n / 2]) << (8 * (n / 2)) | std::uint64_t(s[n - 1]) << (8 * (n - 1));
    } else {
        std::uint64_t b = 0;
        const unsigned char* p = s + (n - r);
        for (std::size_t i = 0; i < r; ++i) b |= std::uint64_t(p[i]) << (8 * i);
        return b;
    }
}

/// SipHash-1-3 of `s` under the key (k0, k1). Forced inline: it is most of a hit's hashing, and
/// the call cost more than the rounds saved by sharing it.
PWS_DETAIL_ALWAYS_INLINE std::uint64_t siphash13(std::uint64_t k0, std::uint64_t k1, std::string_view s) noexcept {
    siphash_state st{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1, 0x6c7967656e657261ULL ^ k0,
                     0x7465646279746573ULL ^ k1};
    const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (const auto *p = begin, *end = begin + (n & ~std::size_t(7)); p != end; p += 8) {
        std::uint64_t m;
        std::memcpy(&m, p, 8);  // native order: the hash only has to be a good one, not portable
        st.absorb(m);
    }
    st.absorb((std::uint64_t(n) << 56) | tail_word(begin, n));
    st.v2 ^= 0xff;
    st.round(), st.round(), st.round();
    return st.v0 ^ st.v1 ^ st.v2 ^ st.v3;
}

/// Whether two names are equal: word compares, inline (names are short; a call to memcmp cost
/// more than comparing them).
inline bool same_name(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(a.data());
    const auto* q = reinterpret_cast<const unsigned char*>(b.data());
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
        std::uint64_t x, y;
        std::memcpy(&x, p + i, 8);
        std::memcpy(&y, q + i, 8);
        if (x != y) return false;
    }
    return tail_word(p, n) == tail_word(q, n);
}

/// SipHash-1-3 under a key drawn at construction, for names that come from clients.
class keyed_hash {
public:
    keyed_hash() {
        try {
            std::random_device rd;
            k0_ = (std::uint64_t(rd()) << 32) ^ rd();
            k1_ = (std::uint64_t(rd()) << 32) ^ rd();
        } catch (...) {  // no entropy: a per-instance, per-run key still defeats precomputed collisions
            k0_ = reinterpret_cast<std::uintptr_t>(this);
            k1_ = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        }
    }
    /// The hash of `s` (forced inline into the lookup, as siphash13 is into it).
    PWS_DETAIL_ALWAYS_INLINE std::uint64_t operator()(std::string_view s) const noexcept {
        return siphash13(k0_, k1_, s);
    }

private:
    std::uint64_t k0_ = 0, k1_ = 0;
};

/// A link of a bucket's chain. Immutable once published; `name` views memory of `rec`.
template <class Record>
struct cache_node {
    std::uint64_t hash;
    std::string_view name;
    const Record* rec;
    const cache_node* next;
};

/// One index: name -> record.
template <class Record>
class cache_table {
public:
    using node = cache_node<Record>;

    /// At least `min_buckets` buckets (rounded up to a power of two).
    explicit cache_table(std::size_t min_buckets) {
        std::size_t n = 16;
        while (n < min_buckets && n < (std::size_t(1) << 30)) n <<= 1;
        buckets_ = std::make_unique<std::atomic<const node*>[]>(n);
        mask_ = n - 1;
    }
    cache_table(const cache_table&) = delete;
    cache_table& operator=(const cache_table&) = delete;
    /// Frees the nodes still linked; no reader may be inside.
    ~cache_table() {
        for (std::size_t i = 0; i <= mask_; ++i)
            for (const node* n = buckets_[i].load(std::memory_order_relaxed); n;)
                delete std::exchange(n, n->next);
    }

    /// The keyed hash of `name`.
    PWS_DETAIL_ALWAYS_INLINE std::uint64_t hash(std::string_view name) const noexcept { return hash_(name); }

    /// The record named `name`, or nullptr. Readers: inside an rcu_domain::reader.
    const Record* find(std::uint64_t h, std::string_view name) const noexcept {
        for (const node* n = bucket(h).load(std::memory_order_acquire); n; n = n->next)
            if (n->hash == h && same_name(n->name, name)) return n->rec;
        return nullptr;
    }

    /// Writer: links `rec` under `name` in front of any older node of that name, so that readers
    /// see the new record at once and never a gap while the old one is being unlinked.
    void push_front(std::uint64_t h, std::string_view name, const Record* rec) {
        auto& b = bucket(h);
        b.store(new node{h, name, rec, b.load(std::memory_order_relaxed)}, std::memory_order_release);
    }

    /// Writer: unlinks the node of `rec` named `name`. Nodes are immutable, so the nodes before
    /// it are copied onto its successor and the chain head swapped; the old ones go to `rcu`.
    void erase(std::uint64_t h, std::string_view name, const Record* rec, rcu_domain& rcu) {
        auto& b = bucket(h);
        const node* head = b.load(std::memory_order_relaxed);
        prefix_.clear();
        const node* target = head;
        for (; target && !(target->rec == rec && target->name == name); target = target->next)
            prefix_.push_back(target);
        if (!target) return;
        const node* rebuilt = target->next;
        for (auto it = prefix_.rbegin(); it != prefix_.rend(); ++it)
            rebuilt = new node{(*it)->hash, (*it)->name, (*it)->rec, rebuilt};
        b.store(rebuilt, std::memory_order_release);
        for (const node* n : prefix_) rcu.retire(n);
        rcu.retire(target);
    }

    /// Writer: unlinks every node; they go to `rcu`.
    void clear(rcu_domain& rcu) {
        for (std::size_t i = 0; i <= mask_; ++i)
            for (const node* n = buckets_[i].exchange(nullptr, std::memory_order_release); n; n = n->next)
                rcu.retire(n);
    }

private:
    std::atomic<const node*>& bucket(std::uint64_t h) const noexcept { return buckets_[h & mask_]; }

    std::unique_ptr<std::atomic<const node*>[]> buckets_;
    std::size_t mask_ = 0;
    keyed_hash hash_;
    std::vector<const node*> prefix_;  // writer scratch, kept to avoid reallocating
};

}  // namespace pws::detail

#undef PWS_DETAIL_ALWAYS_INLINE
