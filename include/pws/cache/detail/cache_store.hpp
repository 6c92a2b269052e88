// The cache's bookkeeping, sans-io: records, their two indexes, expiry, stale-if-error, negative
// entries, eviction. Time is an argument (the caller's clock), so all of it is tested without
// sleeping; no coroutine or executor appears here.
//
// One record per app, reachable from both indexes (its id node and its key node point to the same
// record), so a hit by id and a hit by key return the same app. A record is immutable once
// published: a refresh publishes a new record and unlinks the old one. Publishing an app first
// unlinks every record holding its id or its key, so a key that moved to another app, or an app
// whose key changed, can never be found paired with the wrong app. A negative record ("no app has
// this id" / "... this key") lives in one index only.
//
// Answers come back in any order, so each carries the ticket taken before its request: an answer
// never replaces a record made from a later request (an old read must not undo a newer one), and
// none from a request ticketed before an invalidation is kept at all.
//
// Refresh-ahead: an app record says from when a hit should have it re-read (`refresh_at`, read
// time + refresh_after). That one field is atomic: the first hit at or after it swaps it for
// `refresh_claimed` (a CAS, so exactly one hit of any number, on any threads, wins) and the
// caller starts the re-read. Its answer replaces the record like any other; if none does (an
// error, or an answer refused for its ticket), reopen_refresh() lets a later hit claim it again.
//
// Reads (lookup) take no lock and allocate nothing: an rcu_domain section, a hash, a chain walk, a
// timestamp compare, a shared_ptr copy and a per-thread counter. Writes take `mutex_`; they are
// the miss and refresh paths.
#pragma once

#include <pws/cache/detail/cache_rcu.hpp>
#include <pws/cache/detail/cache_table.hpp>
#include <pws/find_result.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pws::detail {

/// Which index a name is looked up in.
enum class cache_index : unsigned char { id = 0, key = 1 };

/// What lookup() found.
enum class cache_outcome { miss, hit, negative_hit, stale };

/// Durations and limits of a cache_store, in its clock's duration.
template <class Duration>
struct cache_limits {
    Duration ttl;          ///< <= 0: forever
    Duration negative_ttl; ///< <= 0: no negative entries
    Duration max_stale;    ///< <= 0: never serve stale
    Duration stale_retry;  ///< between driver attempts while serving stale, and after a failed refresh
    Duration refresh_after;///< <= 0: no refresh-ahead
    std::size_t max_apps;
    std::size_t max_negative;
};

template <class TimePoint>
class cache_store {
public:
    using time_point = TimePoint;
    using duration = typename TimePoint::duration;
    using rep = typename duration::rep;

    /// `refresh_at` of a record no hit refreshes (negative entries; refresh-ahead off).
    static constexpr rep never_refresh = std::numeric_limits<rep>::max();
    /// `refresh_at` of a record whose refresh a hit has claimed (in flight).
    static constexpr rep refresh_claimed = never_refresh - 1;

    /// One cached answer: an app (both indexes) or a "not found" (one index).
    struct record {
        app_ptr app;              // null: a negative entry
        std::string name;         // negative entry: the id or key that found nothing
        cache_index negative_of{};// negative entry: the index `name` is in
        time_point fresh_until;   // served as is before this
        time_point stale_until;   // an app may be served stale, on driver errors, before this
        time_point retry_at;      // expired and its re-read failed: serve stale without asking before this
        std::uint64_t ticket = 0; // of the request that read it: the later read wins
        mutable std::atomic<bool> referenced{false}; // CLOCK's bit: hits set it, the hand clears it
        // A fresh hit at or after this (time since the clock's epoch) claims the refresh (CAS to
        // refresh_claimed); never_refresh: never.
        mutable std::atomic<rep> refresh_at{never_refresh};
        std::size_t ring_pos = 0; // writer-only: position in its ring

        std::string_view name_in(cache_index i) const noexcept {
            if (!app) return name;
            return i == cache_index::id ? app->id : app->key;
        }
    };

    explicit cache_store(const cache_limits<duration>& l)
        : limits_(l), ids_(l.max_apps + l.max_negative), keys_(l.max_apps + l.max_negative) {}
    cache_store(const cache_store&) = delete;
    cache_store& operator=(const cache_store&) = delete;
    ~cache_store() {
        for (auto* r : apps_) delete r;
        for (auto* r : negatives_) delete r;
    }

    /// Reader, any thread, no lock, no allocation: what memory says about `name` at `now`. Sets
    /// `app` for hit and stale, and counts the outcome in this thread's slot. With `refresh`, a hit
    /// on an app due for a refresh sets `*refresh` to true: with `claim`, only the one hit that
    /// claims it (one per due record); without, every such hit, which is then a probe: it claims
    /// nothing, sets no `app` and counts nothing (the caller looks up again, claiming).
    cache_outcome lookup(cache_index i, std::string_view name, time_point now, app_ptr& app,
                         bool* refresh = nullptr, bool claim = true) const noexcept {
        rcu_slot& slot = rcu_.slot();
        auto guard = rcu_.enter(slot);
        const cache_table<record>& t = table(i);
        const record* r = t.find(t.hash(name), name);
        if (!r) return cache_outcome::miss;
        cache_outcome o = cache_outcome::miss;
        if (now < r->fresh_until) o = r->app ? cache_outcome::hit : cache_outcome::negative_hit;
        else if (r->app && now < r->retry_at && now < r->stale_until) o = cache_outcome::stale;
        if (o == cache_outcome::miss) return o;
        // Test before set: a hot record's line is only read, not written, by its hits.
        if (!r->referenced.load(std::memory_order_relaxed))
            r->referenced.store(true, std::memory_order_relaxed);
        if (refresh && o == cache_outcome::hit) {
            rep at = r->refresh_at.load(std::memory_order_relaxed);
            if (now.time_since_epoch().count() >= at) {
                if (!claim) {  // a probe: the caller looks up again, claiming (and is counted then)
                    *refresh = true;
                    return o;
                }
                if (r->refresh_at.compare_exchange_strong(at, refresh_claimed, std::memory_order_relaxed))
                    *refresh = true;
            }
        }
        app = r->app;
        slot.count(static_cast<std::size_t>(o));
        return o;
    }

    /// Read-side counts of an outcome (hit, negative_hit, stale), over all threads.
    std::uint64_t count(cache_outcome o) const noexcept { return rcu_.sum(static_cast<int>(o)); }

    /// A ticket for a driver request about to be sent (any thread): orders the answers.
    std::uint64_t ticket() noexcept { return tickets_.fetch_add(1, std::memory_order_acq_rel) + 1; }

    /// Writer: caches `app` (indexed by its own id and key), read by the request of `ticket`,
    /// unless that request predates an invalidation or a record holding that id or key comes from
    /// a later request (then returns false). Every record holding that id or that key is unlinked.
    bool put_app(const app_ptr& app, time_point now, std::uint64_t ticket) {
        std::lock_guard lock(mutex_);
        if (ticket <= invalidated_through_) return false;
        auto* r = new record{};
        r->app = app;
        r->ticket = ticket;
        r->fresh_until = add(now, limits_.ttl);
        r->stale_until = r->fresh_until;
        if (limits_.max_stale > duration::zero()) r->stale_until = add(r->fresh_until, limits_.max_stale);
        r->retry_at = time_point::min();
        r->refresh_at.store(add(now, limits_.refresh_after).time_since_epoch().count(),
                            std::memory_order_relaxed);
        return publish(r, now);
    }

    /// Writer: remembers that nothing answers to `name` in index `i`, as put_app() does (when
    /// negative entries are off, only drops what memory holds for `name`). Unlinks any record
    /// holding that name.
    void put_not_found(cache_index i, std::string_view name, time_point now, std::uint64_t ticket) {
        std::lock_guard lock(mutex_);
        if (ticket <= invalidated_through_) return;
        if (limits_.negative_ttl <= duration::zero() || limits_.max_negative == 0) {
            auto* old = const_cast<record*>(find(i, name));
            if (old && old->ticket <= ticket) unlink(old);  // as publish() would replace it
            rcu_.collect_batched();
            return;
        }
        duration ttl = limits_.negative_ttl;
        if (limits_.ttl > duration::zero()) ttl = std::min(ttl, limits_.ttl);
        auto* r = new record{};
        r->name.assign(name);
        r->negative_of = i;
        r->ticket = ticket;
        r->fresh_until = r->stale_until = add(now, ttl);
        r->retry_at = time_point::min();
        publish(r, now);
    }

    /// What to serve when refreshing `name` failed: an app still within its max-stale age (then
    /// `stale` says whether it had expired; an expired one is not asked for again before
    /// stale_retry), or nullptr when there is nothing to serve.
    app_ptr on_refresh_error(cache_index i, std::string_view name, time_point now, bool& stale) {
        std::lock_guard lock(mutex_);
        stale = false;
        const record* old = find(i, name);
        if (!old || !old->app || now >= old->stale_until) return nullptr;
        if (now < old->fresh_until) return old->app;  // refreshed meanwhile by another lookup
        stale = true;
        auto* r = new record{};
        r->app = old->app;
        r->ticket = old->ticket;
        r->fresh_until = old->fresh_until;
        r->stale_until = old->stale_until;
        r->retry_at = add(now, limits_.stale_retry);
        r->refresh_at.store(old->refresh_at.load(std::memory_order_relaxed), std::memory_order_relaxed);
        publish(r, now);
        return r->app;
    }

    /// Writer: if the app record of `id` is one whose refresh was claimed and that no answer has
    /// replaced (the refresh failed, or its answer was refused), lets a hit claim it again from
    /// `now` + stale_retry.
    void reopen_refresh(std::string_view id, time_point now) {
        std::lock_guard lock(mutex_);
        const record* r = find(cache_index::id, id);
        if (!r || !r->app) return;
        const time_point at = limits_.stale_retry > duration::zero() ? add(now, limits_.stale_retry) : now;
        rep claimed = refresh_claimed;
        r->refresh_at.compare_exchange_strong(claimed, at.time_since_epoch().count(),
                                              std::memory_order_relaxed);
    }

    /// Writer: drops what `name` finds in index `i` (for an app, both its nodes). With
    /// `invalidate`, answers to requests already in flight are not cached either.
    bool erase(cache_index i, std::string_view name, bool invalidate) {
        std::lock_guard lock(mutex_);
        if (invalidate) invalidated_through_ = tickets_.load(std::memory_order_acquire);
        const record* r = find(i, name);
        if (r) unlink(const_cast<record*>(r));
        rcu_.collect_batched();
        return r != nullptr;
    }

    /// Writer: drops everything, and the answers of requests in flight.
    void clear() {
        std::lock_guard lock(mutex_);
        invalidated_through_ = tickets_.load(std::memory_order_acquire);
        ids_.clear(rcu_);
        keys_.clear(rcu_);
        for (auto* ring : {&apps_, &negatives_}) {
            for (auto* r : *ring) rcu_.retire(r);
            ring->clear();
        }
        hand_[0] = hand_[1] = 0;
        rcu_.collect_batched();
    }

    /// Writer: drops the apps read by requests ticketed before `first` for which `seen(id)` is
    /// false (a complete Scan whose first page had ticket `first` did not cache them: deleted, or
    /// broken now). Apps read later may be newer than the Scan and stay. Returns how many.
    template <class Seen>
    std::size_t drop_unseen(std::uint64_t first, Seen&& seen) {
        std::lock_guard lock(mutex_);
        std::vector<record*> gone;
        for (auto* r : apps_)
            if (r->ticket < first && !seen(std::string_view(r->app->id))) gone.push_back(r);
        for (auto* r : gone) unlink(r);
        rcu_.collect_batched();
        return gone.size();
    }

    /// Apps held.
    std::size_t apps() const { std::lock_guard lock(mutex_); return apps_.size(); }
    /// Negative entries held.
    std::size_t negatives() const { std::lock_guard lock(mutex_); return negatives_.size(); }
    /// Entries dropped by eviction.
    std::uint64_t evictions() const { std::lock_guard lock(mutex_); return evictions_; }
    /// Retired objects not yet freed (tests).
    std::size_t pending_reclaim() const { std::lock_guard lock(mutex_); return rcu_.pending(); }

private:
    static time_point add(time_point t, duration d) noexcept {
        if (d <= duration::zero() || t >= time_point::max() - d) return time_point::max();
        return t + d;
    }

    const cache_table<record>& table(cache_index i) const noexcept {
        return i == cache_index::id ? ids_ : keys_;
    }
    cache_table<record>& table(cache_index i) noexcept { return i == cache_index::id ? ids_ : keys_; }

    const record* find(cache_index i, std::string_view name) const noexcept {
        const auto& t = table(i);
        return t.find(t.hash(name), name);  // writer: under mutex_, nothing it finds can be freed
    }

    std::vector<record*>& ring_of(const record* r) noexcept { return r->app ? apps_ : negatives_; }

    // Links `r` in front of the records it replaces, then unlinks those: readers see either the
    // old record or the new one, never neither. Refuses (and frees) `r` if one of them was read
    // by a later request.
    bool publish(record* r, time_point now) {
        record* old[2] = {nullptr, nullptr};
        if (r->app) {
            old[0] = const_cast<record*>(find(cache_index::id, r->app->id));
            old[1] = const_cast<record*>(find(cache_index::key, r->app->key));
            if (old[1] == old[0]) old[1] = nullptr;
        } else {
            old[0] = const_cast<record*>(find(r->negative_of, r->name));
        }
        for (auto* o : old)
            if (o && o->ticket > r->ticket) {
                delete r;
                return false;
            }
        auto& ring = ring_of(r);
        const std::size_t cap = r->app ? limits_.max_apps : limits_.max_negative;
        std::size_t replaced = 0;
        for (auto* o : old) replaced += o && &ring_of(o) == &ring;
        while (ring.size() - replaced >= cap && evict_one(ring, now, old)) {}
        for (cache_index i : {cache_index::id, cache_index::key}) {
            if (!r->app && i != r->negative_of) continue;
            auto& t = table(i);
            t.push_front(t.hash(r->name_in(i)), r->name_in(i), r);
        }
        r->ring_pos = ring.size();
        ring.push_back(r);
        for (auto* o : old)
            if (o) unlink(o);
        rcu_.collect_batched();
        return true;
    }

    // Unlinks `r` from its indexes and its ring; it is freed once no reader can hold it.
    void unlink(record* r) {
        for (cache_index i : {cache_index::id, cache_index::key}) {
            if (!r->app && i != r->negative_of) continue;
            auto& t = table(i);
            t.erase(t.hash(r->name_in(i)), r->name_in(i), r, rcu_);
        }
        auto& ring = ring_of(r);
        const std::size_t pos = r->ring_pos;
        ring[pos] = ring.back();
        ring[pos]->ring_pos = pos;
        ring.pop_back();
        rcu_.retire(r);
    }

    // CLOCK: the hand skips (and clears) referenced records and evicts the first that is not, or
    // one past any use (expired beyond its stale age). `keep` are spared (they are about to be
    // replaced anyway); false when nothing else is left.
    bool evict_one(std::vector<record*>& ring, time_point now, record* const (&keep)[2]) {
        std::size_t& hand = hand_[&ring == &apps_ ? 0 : 1];
        for (std::size_t step = 0; step < 2 * ring.size() + 2; ++step) {
            if (hand >= ring.size()) hand = 0;
            record* r = ring[hand];
            if (r == keep[0] || r == keep[1]) {
                ++hand;
                continue;
            }
            const bool useless = now >= r->stale_until;  // stale_until >= fresh_until
            // After one full turn every bit was cleared once; if hits keep setting them, evict anyway.
            const bool second_turn = step >= ring.size();
            if (useless || second_turn || !r->referenced.exchange(false, std::memory_order_relaxed)) {
                unlink(r);  // the last record moves to `hand`: it is looked at next
                ++evictions_;
                return true;
            }
            ++hand;
        }
        return false;
    }

    cache_limits<duration> limits_;
    mutable std::mutex mutex_;  // serializes writers; readers never take it
    mutable rcu_domain rcu_;
    cache_table<record> ids_;
    cache_table<record> keys_;
    std::vector<record*> apps_;      // CLOCK ring of app records
    std::vector<record*> negatives_; // CLOCK ring of negative records
    std::size_t hand_[2] = {0, 0};
    std::uint64_t evictions_ = 0;
    std::atomic<std::uint64_t> tickets_{0};  // the last ticket handed out
    std::uint64_t invalidated_through_ = 0;  // under mutex_: tickets up to it predate an invalidation
};

}  // namespace pws::detail
