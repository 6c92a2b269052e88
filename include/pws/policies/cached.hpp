// pws::Cached<Policy> — an in-process app cache in front of any driver, chosen at compile time.
//
//   pws::CacheConfig cache = pws::CacheConfig::from_env();   // or {.enabled = true, .ttl = 60s}
//   pws::AppManager<pws::Cached<pws::DynamoDbPolicy>> apps(cache, ex, pws::DynamoDbConfig::from_env());
//   pws::find_result r = co_await apps.find_by_key(key);      // memory when it can, DynamoDB when it must
//
// What it adds to the driver (CacheConfig documents each knob):
//  - one entry per app behind two indexes: a hit by id and a hit by key return the same app, and
//    a key that moved to another app is never served paired with the old one;
//  - negative entries ("no such app") with their own, shorter TTL;
//  - single-flight: concurrent misses of one id or key send one driver request, and every waiter
//    gets its result or its error; a lookup cancelled meanwhile (any type, through its
//    coroutine's cancellation state) ends at once with operation_aborted — the one whose miss
//    sent the request too — while the request goes on for the others and its answer is cached;
//  - stale-if-error: when reading an expired app again fails, the last good app is served up
//    to max_stale past its TTL (counted); an error reaches the caller only when there is nothing
//    to serve;
//  - refresh-ahead: a hit on an app read more than refresh_after ago is answered from memory at
//    once and starts one background re-read of that app by id (single-flight with misses); its
//    answer replaces the entry, and on_change() tells the server what changed;
//  - optional preload of the whole table by a paginated Scan, at start and on an interval;
//  - bounded size with CLOCK eviction, invalidate(), clear(), and counters (stats()).
//
// The hit path takes no lock and allocates nothing (the coroutine frame of find_by_* comes from
// Asio's per-thread recycling allocator): see cache/detail/cache_store.hpp and cache/detail/cache_rcu.hpp.
// A hit is answered when find_by_* is called; the awaitable then only hands the app over. A miss,
// and a hit due for a refresh, look up again when the awaitable is awaited.
// Only the one hit that starts a refresh allocates (the refresh's coroutine). Any number of
// threads may run the io_context.
//
// Lifetime: like any driver, the cache must outlive the lookups (and the preload) it runs.
// Driver requests run on their own coroutines (a refresh, and the one request of a miss, which
// may outlive a cancelled lookup): one still in flight when the cache is destroyed holds only
// shared state (cache/detail/cache_refresh.hpp) and ends, when it resumes, without touching the
// cache or calling on_change(). Its driver request must end safely too, and DynamoDbPolicy's
// client must outlive its requests: destroy such a cache when requests_in_flight() is 0, e.g.
// after the io_context ran out of work, or once lookups have stopped and the count dropped to 0.
#pragma once

#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/cache/detail/cache_clock.hpp>
#include <pws/cache/detail/cache_flight.hpp>
#include <pws/cache/detail/cache_preload.hpp>
#include <pws/cache/detail/cache_refresh.hpp>
#include <pws/cache/detail/cache_store.hpp>
#include <pws/dynamodb/scan.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace pws {

/// A driver that can read its whole table one Scan page at a time (DynamoDbPolicy::scan).
template <class P>
concept ScanPolicy = requires(P& p, const boost::json::object* start, int limit) {
    { p.scan(start, limit) } -> std::same_as<boost::asio::awaitable<dynamodb::scan_page>>;
};

/// What one Cached::preload() did.
struct preload_result {
    boost::system::error_code ec; ///< a page failed: the Scan stopped there (what it read stays cached)
    std::string diagnostic;       ///< why
    std::size_t pages = 0;        ///< pages read
    std::size_t apps = 0;         ///< apps cached
    std::size_t malformed = 0;    ///< items that did not decode (left to the driver, which reports them)
    std::size_t ambiguous = 0;    ///< apps sharing a key with another (left to the driver: ambiguous_key)
    std::size_t dropped = 0;      ///< cached apps the completed Scan did not see (deleted), dropped
};

/// An AppPolicy that caches `Policy`'s answers. `Clock` (steady_clock, or a test clock with a
/// static now()) decides expiry.
template <class Policy, class Clock = std::chrono::steady_clock>
class Cached {
    static_assert(AppPolicy<Policy>, "pws::Cached<P>: P must be an AppPolicy (see app_manager.hpp)");
    using index = detail::cache_index;
    using store_type = detail::cache_store<typename Clock::time_point>;

public:
    using inner_type = Policy;
    using clock_type = Clock;

    /// Builds the driver from `inner_args` and the cache from `cfg`; starts the preload when
    /// `cfg` asks for it. Throws boost::system::system_error (error::invalid_config) when `cfg`
    /// is unusable (max_entries 0, or preload with a driver that cannot scan).
    template <class... Args>
    explicit Cached(CacheConfig cfg, Args&&... inner_args)
        : inner_(std::forward<Args>(inner_args)...), cfg_(checked(std::move(cfg))), store_(limits(cfg_)),
          shared_(std::make_shared<detail::cache_shared>()) {
        if (cfg_.enabled && cfg_.preload) {
            if constexpr (requires(Cached& c) { c.start_preload(); }) start_preload();
            else throw boost::system::system_error(error::invalid_config,
                                                   "CacheConfig::preload: this driver cannot scan its apps");
        }
    }
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    /// Stops the preload loop (which must not be in the middle of a Scan). Refreshes still in
    /// flight end without touching the cache (see the top of this file for their driver requests);
    /// waits for one that is storing its answer or running on_change() on another thread.
    ~Cached() {
        stop_preload();
        std::lock_guard lock(shared_->mutex);
        shared_->open = false;
    }

    /// The driver's executor, when it has one (AppManager's async_* fall back to it).
    decltype(auto) get_executor() requires requires(Policy& p) { p.get_executor(); } {
        return inner_.get_executor();
    }

    /// Finds an app by id: from memory when fresh, else through the driver (single-flight).
    /// `id` must stay valid until the returned awaitable completes.
    boost::asio::awaitable<find_result> find_by_id(std::string_view id) { return find(index::id, id); }

    /// Finds an app by key; see find_by_id().
    boost::asio::awaitable<find_result> find_by_key(std::string_view key) { return find(index::key, key); }

    /// What memory alone says about `id`: an app it may serve (fresh, or stale while the driver
    /// fails), a fresh negative entry (not found), or nothing (nullopt: call find_by_id). Never
    /// blocks, never allocates, never starts a refresh (find_by_id does).
    std::optional<find_result> try_get_by_id(std::string_view id) noexcept { return try_get(index::id, id); }

    /// try_get_by_id() by key.
    std::optional<find_result> try_get_by_key(std::string_view key) noexcept {
        return try_get(index::key, key);
    }

    /// Drops the app with this id (from both indexes) or the negative entry for it; answers of
    /// driver requests already in flight are not cached either. Returns whether one was held.
    bool invalidate(std::string_view id) { return store_.erase(index::id, id, true); }

    /// invalidate() by key.
    bool invalidate_key(std::string_view key) { return store_.erase(index::key, key, true); }

    /// Drops every entry (and the answers of requests in flight).
    void clear() { store_.clear(); }

    /// Calls `f(before, after)` whenever a refresh's answer differs from the app it re-read:
    /// `before` is the cached app, `after` the driver's answer, found (another key, secret,
    /// `enabled`, limit... — any field) or not found (deleted). Errors and unchanged answers call
    /// nothing. It runs in the refresh, on the executor of the lookup whose hit started it (never
    /// inside that lookup), once per changed answer, and is called even if an invalidation made
    /// the cache drop that answer. Calls are serialized (one at a time per cache), and none runs
    /// once the destructor has returned. `f` should be quick; it may call this cache's members
    /// (lookups, invalidate...) but not on_change() nor the destructor. An exception it throws is
    /// dropped. Set it before lookups start (it may be replaced later; calls see one or the other).
    void on_change(std::function<void(const App& before, const find_result& after)> f) {
        std::lock_guard lock(shared_->mutex);
        shared_->on_change = std::move(f);
    }

    /// Driver requests started and not yet ended (queued, or waiting for the driver): refreshes,
    /// and the request each miss sends. Once lookups have stopped, 0 means no driver request of
    /// this cache is left in flight.
    std::size_t requests_in_flight() const noexcept { return shared_->refreshing.load(); }
    /// requests_in_flight(), under its former name (it counted refreshes alone, before misses
    /// ran their requests on their own).
    std::size_t refreshes_in_flight() const noexcept { return requests_in_flight(); }

    /// Reads the whole table (paginated Scan, following LastEvaluatedKey) into the cache; when the
    /// Scan completes, drops the apps cached before it that it did not cache again (deleted,
    /// broken or sharing a key now). Apps sharing a key and items that do not decode are left
    /// to the driver, which reports them (ambiguous_key, malformed_item) on lookup.
    boost::asio::awaitable<preload_result> preload() requires ScanPolicy<Policy> {
        preload_result out;
        std::uint64_t first_ticket = 0;
        std::unordered_set<std::string> cached_ids, shared_keys;
        std::unordered_map<std::string, std::string> key_owner;  // key -> first id seen with it
        boost::json::object start;
        dynamodb::scan_progress progress;
        int limit = cfg_.preload_page_size;
        for (bool first = true;; first = false) {
            const auto ticket = store_.ticket();
            if (first) first_ticket = ticket;
            dynamodb::scan_page page = co_await inner_.scan(first ? nullptr : &start, limit);
            // A page too large for the client's cap: the same page again, smaller.
            while (dynamodb::scan_progress::retry_smaller(page.ec, limit))
                page = co_await inner_.scan(first ? nullptr : &start, limit);
            if (!page.ec) page.ec = progress.next(page, page.diagnostic);
            if (page.ec) {
                preload_failures_.fetch_add(1, std::memory_order_relaxed);
                preload_malformed_.fetch_add(out.malformed, std::memory_order_relaxed);
                out.ec = page.ec;
                out.diagnostic = std::move(page.diagnostic);
                co_return out;
            }
            ++out.pages;
            const auto now = Clock::now();
            for (auto& item : page.items) {
                if (!item.ok()) {
                    ++out.malformed;
                    continue;
                }
                const App& app = *item.app;
                if (shared_keys.contains(app.key)) {
                    forget(app.id, cached_ids, out);
                    continue;
                }
                if (auto [it, fresh] = key_owner.emplace(app.key, app.id); !fresh && it->second != app.id) {
                    shared_keys.insert(app.key);
                    forget(it->second, cached_ids, out);
                    forget(app.id, cached_ids, out);
                    continue;
                }
                cached_ids.insert(app.id);
                out.apps += store_.put_app(item.app, now, ticket);
            }
            if (!page.more()) break;
            start = std::move(page.last_evaluated_key);
        }
        out.dropped = store_.drop_unseen(
            first_ticket, [&](std::string_view id) { return cached_ids.contains(std::string(id)); });
        preload_runs_.fetch_add(1, std::memory_order_relaxed);
        preload_malformed_.fetch_add(out.malformed, std::memory_order_relaxed);
        co_return out;
    }

    /// Runs preload() now and then every preload_interval, on a strand of the driver's executor
    /// (the constructor does it when CacheConfig::preload is set). Call from one thread at a time.
    void start_preload()
        requires ScanPolicy<Policy> && requires(Policy& p) { boost::asio::any_io_executor(p.get_executor()); }
    {
        stop_preload();
        preload_ = std::make_shared<detail::preload_loop_state>(inner_.get_executor());
        boost::asio::co_spawn(preload_->strand, preload_loop(preload_, cfg_.preload_interval),
                              boost::asio::detached);
    }

    /// Stops the preload loop; a Scan in progress still completes, and must before destruction.
    void stop_preload() noexcept { detail::stop_preload_loop(preload_); }

    /// A snapshot of the counters.
    cache_stats stats() const {
        cache_stats s;
        s.hits = store_.count(detail::cache_outcome::hit);
        s.negative_hits = store_.count(detail::cache_outcome::negative_hit);
        s.stale_served = store_.count(detail::cache_outcome::stale) + stale_served_.load();
        s.misses = misses_.load();
        s.coalesced = coalesced_.load();
        s.requests = requests_.load();
        s.errors = errors_.load();
        s.evictions = store_.evictions();
        s.entries = store_.apps();
        s.negative_entries = store_.negatives();
        s.preload_runs = preload_runs_.load();
        s.preload_failures = preload_failures_.load();
        s.preload_malformed = preload_malformed_.load();
        s.refreshes = refreshes_.load();
        s.refresh_failures = refresh_failures_.load();
        s.refresh_changes = refresh_changes_.load();
        for (std::size_t i = 0; i < s.latency.size(); ++i) s.latency[i] = latency_[i].load();
        return s;
    }

    /// Apps held now.
    std::size_t size() const { return store_.apps(); }

    /// The configuration in use.
    const CacheConfig& config() const noexcept { return cfg_; }

    /// The wrapped driver.
    Policy& inner() noexcept { return inner_; }

private:
    static CacheConfig checked(CacheConfig c) {
        if (c.enabled && c.max_entries == 0)
            throw boost::system::system_error(error::invalid_config,
                                              "CacheConfig::max_entries must be at least 1");
        if (c.preload_page_size < 0) c.preload_page_size = 0;
        return c;
    }

    template <class Rep, class Period>
    static typename Clock::duration to_clock(std::chrono::duration<Rep, Period> d) {
        // A century is as good as forever, and keeps a nanosecond clock from overflowing.
        constexpr std::chrono::hours century(24 * 365 * 100);
        if (d > century) return std::chrono::duration_cast<typename Clock::duration>(century);
        return std::chrono::duration_cast<typename Clock::duration>(d);
    }

    static detail::cache_limits<typename Clock::duration> limits(const CacheConfig& c) {
        return {to_clock(c.ttl),         to_clock(c.negative_ttl),  to_clock(c.max_stale),
                to_clock(c.stale_retry), to_clock(c.refresh_after), c.max_entries,
                c.max_negative_entries};
    }

    // What memory says, its app written into `out` (true: an app to serve, or a fresh negative entry;
    // false: ask the driver). With `refresh`, a fresh hit due for the entry's refresh says so:
    // with `claim`, only the one that claims it (the caller then starts it). The time is
    // hit_clock's: for steady_clock, a coarse upper bound of it (cache/detail/cache_clock.hpp).
    bool answer(index i, std::string_view name, app_ptr& out, bool* refresh = nullptr,
                bool claim = true) noexcept {
        // hit and stale set `out`; a negative hit leaves it empty (not found).
        return cfg_.enabled && store_.lookup(i, name, detail::hit_clock<Clock>::now(), out, refresh, claim) !=
                                   detail::cache_outcome::miss;
    }

    std::optional<find_result> try_get(index i, std::string_view name) noexcept {
        std::optional<find_result> r(std::in_place);
        if (!answer(i, name, r->app)) r.reset();
        return r;
    }

    // A hit is answered here, when find_by_* is called, not in a coroutine: the awaitable it
    // returns only hands the app over (the smallest coroutine Asio allows, one frame from its
    // per-thread cache and one resume, as cache_hit_awaitable_floor measures). A hit due for a
    // refresh claims nothing here (an awaitable may be dropped unawaited, and a claim it took
    // would be lost): it goes, like a miss, to a coroutine that runs when awaited.
    boost::asio::awaitable<find_result> find(index i, std::string_view name) {
        app_ptr app;
        bool due = false;
        if (answer(i, name, app, &due, false) && !due) return hand_over(std::move(app));
        return look_up(i, name);
    }

    // The answer of a hit (an app, or none: a negative hit).
    static boost::asio::awaitable<find_result> hand_over(app_ptr app) {
        co_return find_result::of(std::move(app));
    }

    // A lookup in a coroutine: memory again (the hit that claims a refresh starts it), else the
    // driver through miss().
    boost::asio::awaitable<find_result> look_up(index i, std::string_view name) {
        find_result r;
        bool refresh = false;
        if (answer(i, name, r.app, &refresh)) {
            if (refresh) start_refresh(r.app, co_await boost::asio::this_coro::executor);
            co_return std::move(r);
        }
        co_return co_await miss(i, name);
    }

    boost::asio::awaitable<find_result> miss(index i, std::string_view name) {
        if (!cfg_.enabled) co_return co_await ask(i, name);
        misses_.fetch_add(1, std::memory_order_relaxed);
        auto& flights = shared_->flights;
        bool leader = false;
        auto f = flights.join(i, name, leader);
        if (leader) {
            // The request runs on a coroutine of its own, and this lookup waits for it like any
            // other, so that each of them, this one too, may be cancelled alone (at once, with
            // operation_aborted) while the request goes on for the others and is cached.
            requests_.fetch_add(1, std::memory_order_relaxed);
            const auto ticket = store_.ticket();  // before the request: see cache_store.hpp
            // Built and spawned in statements without a co_await: GCC 12 destroys a temporary
            // argument of a coroutine call inside a co_await expression without moving from it.
            const auto ex = co_await boost::asio::this_coro::executor;
            led l{detail::refresh_hold(shared_), detail::flight_table::guard(flights, f)};
            boost::asio::co_spawn(ex, lead(std::move(l), this, i, ticket), boost::asio::detached);
        } else {
            coalesced_.fetch_add(1, std::memory_order_relaxed);
        }
        co_return co_await flights.wait(std::move(f));
    }

    // What a miss's request holds: the shared part (counted in requests_in_flight()), and the
    // flight it completes on every path. Members in this order: the flight ends first.
    struct led {
        detail::refresh_hold hold;
        detail::flight_table::guard flight;
    };

    // A miss's one driver request: asks the driver, stores the answer as the store allows and
    // completes the flight with it (or with the app memory may still serve on an error). Like a
    // refresh, it holds `l`, not the cache, across its wait, and touches `self` only under the
    // shared mutex while the cache is open.
    static boost::asio::awaitable<void> lead(led l, Cached* self, index i, std::uint64_t ticket) {
        const std::string_view name = l.flight.name();  // the flight's own copy
        {
            std::lock_guard lock(l.hold->mutex);
            if (!l.hold->open) co_return;  // the guard completes the flight with an error
        }
        const auto t0 = Clock::now();
        find_result r = co_await ask_driver(self->inner_, i, name);
        std::lock_guard lock(l.hold->mutex);
        if (!l.hold->open) {
            l.flight.complete(r);
            co_return;
        }
        self->record_latency(Clock::now() - t0);
        if (r.failed()) self->errors_.fetch_add(1, std::memory_order_relaxed);
        try {
            bool stale = false;
            const std::size_t waiters = l.flight.complete(self->settle(i, name, std::move(r), ticket, stale));
            if (stale) self->stale_served_.fetch_add(waiters, std::memory_order_relaxed);
        } catch (...) {  // out of memory storing the answer: the guard ends the flight with an error
        }
    }

    // Keeps the answer `r` to the request of `ticket` for `name` as the store allows, and returns
    // what to answer with: `r`, or on an error an app memory may still serve (`stale`: expired).
    find_result settle(index i, std::string_view name, find_result r, std::uint64_t ticket, bool& stale) {
        const auto now = Clock::now();
        stale = false;
        if (r.found()) {
            // A driver must answer for the name asked; if one does not, pass it on uncached.
            if ((i == index::id ? r.app->id : r.app->key) == name) store_.put_app(r.app, now, ticket);
        } else if (r.not_found()) {
            store_.put_not_found(i, name, now, ticket);
        } else if (auto app = store_.on_refresh_error(i, name, now, stale)) {
            r = find_result::of(std::move(app));
        }
        return r;
    }

    // One driver request, timed and counted; an exception becomes an error result.
    boost::asio::awaitable<find_result> ask(index i, std::string_view name) {
        requests_.fetch_add(1, std::memory_order_relaxed);
        const auto t0 = Clock::now();
        find_result r = co_await ask_driver(inner_, i, name);
        record_latency(Clock::now() - t0);
        if (r.failed()) errors_.fetch_add(1, std::memory_order_relaxed);
        co_return r;
    }

    // The driver's answer; an exception becomes an error result. Touches nothing but `driver`.
    static boost::asio::awaitable<find_result> ask_driver(Policy& driver, index i, std::string_view name) {
        try {
            // Two statements, not `co_await (c ? a() : b())`: GCC 12 destroys the chosen
            // awaitable temporary twice in that form (a double free of its frame).
            if (i == index::id) co_return co_await driver.find_by_id(name);
            co_return co_await driver.find_by_key(name);
        } catch (...) {
            co_return find_result::failure(error::driver_exception, "the driver threw an exception");
        }
    }

    // The hit that claimed the refresh of `app`: spawns it on the hit's executor, without waiting.
    void start_refresh(const app_ptr& app, const boost::asio::any_io_executor& ex) {
        refreshes_.fetch_add(1, std::memory_order_relaxed);
        try {
            boost::asio::co_spawn(ex, refresh(detail::refresh_hold(shared_), this, app),
                                  boost::asio::detached);
        } catch (...) {  // out of memory: a hit after the back-off tries again
            store_.reopen_refresh(app->id, Clock::now());
        }
    }

    // A refresh: re-reads `before` by id, through the flights (a miss of that id meanwhile joins
    // it; it joins a request already in flight for that id), stores the answer as a miss would,
    // reopens the claim when no answer replaced the entry, and reports a change. It holds `sh`, not
    // the cache, across its waits, and touches `self` only under sh->mutex while sh->open.
    static boost::asio::awaitable<void> refresh(detail::refresh_hold sh, Cached* self, app_ptr before) {
        // Queued, not run inline: the hit that started it returns first.
        co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
        const std::string_view id = before->id;  // `before` holds it
        bool leader = false;
        std::shared_ptr<detail::flight_table::flight> f;
        std::uint64_t ticket = 0;
        {
            std::lock_guard lock(sh->mutex);
            if (!sh->open) co_return;
            f = sh->flights.join(index::id, id, leader);
            if (leader) {
                ticket = self->store_.ticket();
                self->requests_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        find_result r;
        const auto t0 = Clock::now();
        std::optional<detail::flight_table::guard> flight;  // completes the flight on every path
        if (leader) {
            flight.emplace(sh->flights, f);
            r = co_await ask_driver(self->inner_, index::id, id);
        } else {
            r = co_await sh->flights.wait(f);
        }
        std::lock_guard lock(sh->mutex);
        if (!sh->open) {
            if (flight) flight->complete(r);
            co_return;
        }
        if (flight) {
            self->record_latency(Clock::now() - t0);
            if (r.failed()) self->errors_.fetch_add(1, std::memory_order_relaxed);
            if (r.found() && *r.app == *before) r.app = before;  // unchanged: keep the cached object
            bool stale = false;
            try {
                const std::size_t waiters = flight->complete(self->settle(index::id, id, r, ticket, stale));
                if (stale) self->stale_served_.fetch_add(waiters, std::memory_order_relaxed);
            } catch (...) {  // out of memory storing the answer: the guard ends the flight, and the
            }                // claim is reopened below, so that a later hit tries again
        }
        if (r.failed()) self->refresh_failures_.fetch_add(1, std::memory_order_relaxed);
        self->store_.reopen_refresh(id, Clock::now());  // no-op when an answer replaced the entry
        if (!detail::app_changed(*before, r)) co_return;
        self->refresh_changes_.fetch_add(1, std::memory_order_relaxed);
        if (sh->on_change) {
            try {
                sh->on_change(*before, r);
            } catch (...) {  // documented: dropped
            }
        }
    }

    // A preloaded app found sharing its key: neither it nor its twin is served from memory.
    void forget(const std::string& id, std::unordered_set<std::string>& cached_ids, preload_result& out) {
        if (cached_ids.erase(id)) --out.apps;
        store_.erase(index::id, id, false);
        ++out.ambiguous;
    }

    // Holds `st` (not the cache) across its waits: stopped, it returns without touching `this`.
    boost::asio::awaitable<void> preload_loop(std::shared_ptr<detail::preload_loop_state> st,
                                              std::chrono::seconds every) {
        for (;;) {
            if (st->stopped.load()) co_return;
            co_await preload();
            if (st->stopped.load() || every <= std::chrono::seconds::zero()) co_return;
            st->timer.expires_after(every);
            co_await st->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
    }

    void record_latency(typename Clock::duration d) noexcept {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        std::size_t b = 0;
        while (b < cache_stats::latency_bounds_us.size() && us >= cache_stats::latency_bounds_us[b]) ++b;
        latency_[b].fetch_add(1, std::memory_order_relaxed);
    }

    Policy inner_;
    CacheConfig cfg_;
    store_type store_;
    std::shared_ptr<detail::cache_shared> shared_;  // flights, the hook, and what refreshes hold
    std::shared_ptr<detail::preload_loop_state> preload_;
    // Miss-path counters (the hit path counts per thread, in store_).
    std::atomic<std::uint64_t> misses_{0}, coalesced_{0}, requests_{0}, errors_{0}, stale_served_{0};
    std::atomic<std::uint64_t> preload_runs_{0}, preload_failures_{0}, preload_malformed_{0};
    std::atomic<std::uint64_t> refreshes_{0}, refresh_failures_{0}, refresh_changes_{0};
    std::array<std::atomic<std::uint64_t>, cache_stats::latency_bounds_us.size() + 1> latency_{};
};

}  // namespace pws
