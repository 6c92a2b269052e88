// detail::waiter_list alone, without sockets: one io_context stepped with run_one()/poll(), the
// deadline composition the pool uses, and a thread pool racing notify against cancellation (run
// under ThreadSanitizer as part of cache.tsan). Then the end to end case it exists for: a
// cancelled lookup behind Cached ends at once while the shared miss goes on for the others.
#include "cache_support.hpp"

#include <pws/app_manager.hpp>
#include <pws/detail/waiter_list.hpp>
#include <pws/policies/cached.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

template <class T>
using list_of = pws::detail::waiter_list<T>;

// One waiter's outcome.
struct outcome {
    int calls = 0;
    error_code ec;
    int value = -1;
};

// A callback that records into `o` and its place in `order`.
auto record(outcome& o, std::vector<int>& order, int who) {
    return [&o, &order, who](error_code ec, int v) {
        ++o.calls;
        o.ec = ec;
        o.value = v;
        order.push_back(who);
    };
}

// Counts what goes through it (the handler's associated allocator).
struct counts {
    int allocs = 0, deallocs = 0;
};
template <class U>
struct counting_allocator {
    using value_type = U;
    counts* c;
    explicit counting_allocator(counts* p) noexcept : c(p) {}
    template <class V>
    counting_allocator(const counting_allocator<V>& o) noexcept : c(o.c) {}
    U* allocate(std::size_t n) {
        ++c->allocs;
        return std::allocator<U>().allocate(n);
    }
    void deallocate(U* p, std::size_t n) noexcept {
        ++c->deallocs;
        std::allocator<U>().deallocate(p, n);
    }
    template <class V>
    bool operator==(const counting_allocator<V>& o) const noexcept { return c == o.c; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(waiter_list)

BOOST_AUTO_TEST_CASE(notify_all_completes_every_waiter_in_order_never_inline) {
    asio::io_context ioc;
    list_of<int> list;
    std::array<outcome, 3> o;
    std::vector<int> order;
    for (int i = 0; i < 3; ++i) list.async_wait(asio::bind_executor(ioc, record(o[i], order, i)));
    BOOST_TEST(list.size() == 3u);  // a handler token is enqueued before async_wait returns
    BOOST_TEST(list.notify_all(7) == 3u);
    BOOST_TEST(list.size() == 0u);
    BOOST_TEST(order.empty());  // posted, not run inside notify_all
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(ioc.run_one() == 1u);
        BOOST_TEST_REQUIRE(order.size() == std::size_t(i + 1));
        BOOST_TEST(order.back() == i);
        BOOST_TEST(!o[i].ec);
        BOOST_TEST(o[i].value == 7);
    }
    BOOST_TEST(list.notify_all(8) == 0u);  // nobody left
    ioc.poll();
    for (auto& x : o) BOOST_TEST(x.calls == 1);
}

BOOST_AUTO_TEST_CASE(cancelling_one_of_three_completes_only_it) {
    for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                      asio::cancellation_type::total}) {
        asio::io_context ioc;
        list_of<int> list;
        std::array<outcome, 3> o;
        std::array<asio::cancellation_signal, 3> sig;
        std::vector<int> order;
        for (int i = 0; i < 3; ++i)
            list.async_wait(asio::bind_cancellation_slot(sig[i].slot(), asio::bind_executor(ioc, record(o[i], order, i))));
        sig[1].emit(type);
        BOOST_TEST(order.empty());  // completes through the executor
        BOOST_TEST(list.size() == 2u);
        BOOST_TEST(ioc.run_one() == 1u);
        BOOST_TEST_REQUIRE(order.size() == 1u);
        BOOST_TEST(order[0] == 1);
        BOOST_TEST((o[1].ec == asio::error::operation_aborted));
        BOOST_TEST(o[1].value == 0);  // T{}
        BOOST_TEST(list.cancelled() == 1u);
        BOOST_TEST(list.notify_all(5) == 2u);
        ioc.run();
        BOOST_TEST((order == std::vector<int>{1, 0, 2}));
        BOOST_TEST((!o[0].ec && o[0].value == 5 && !o[2].ec && o[2].value == 5));
        for (auto& x : o) BOOST_TEST(x.calls == 1);
        sig[1].emit(type);  // again, after completion: nothing
        sig[0].emit(type);
        ioc.restart();
        BOOST_TEST(ioc.poll() == 0u);
        BOOST_TEST(list.cancelled() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(notify_one_hands_values_to_the_oldest_and_keeps_what_nobody_took) {
    asio::io_context ioc;
    list_of<std::unique_ptr<int>> list;  // move-only, as the pool's connections
    std::vector<int> got;
    for (int i = 0; i < 3; ++i)
        list.async_wait(asio::bind_executor(ioc, [&got, i](error_code ec, std::unique_ptr<int> v) {
            BOOST_TEST(!ec);
            BOOST_TEST_REQUIRE(v);
            got.push_back(i * 100 + *v);
        }));
    for (int v = 1; v <= 3; ++v) {
        auto p = std::make_unique<int>(v);
        BOOST_TEST(list.notify_one(std::move(p)));
        BOOST_TEST(!p);
        BOOST_TEST(list.size() == std::size_t(3 - v));
    }
    auto kept = std::make_unique<int>(4);
    BOOST_TEST(!list.notify_one(std::move(kept)));
    BOOST_TEST_REQUIRE(kept);  // not moved from: the caller still owns it
    BOOST_TEST(*kept == 4);
    ioc.run();
    BOOST_TEST((got == std::vector<int>{1, 102, 203}));
}

BOOST_AUTO_TEST_CASE(cancellation_after_notify_is_a_no_op) {
    asio::io_context ioc;
    list_of<int> list;
    asio::cancellation_signal sig;
    outcome o;
    std::vector<int> order;
    list.async_wait(asio::bind_cancellation_slot(sig.slot(), asio::bind_executor(ioc, record(o, order, 0))));
    auto b = list.take_all();  // as an owner does under its own lock
    BOOST_TEST(b.size() == 1u);
    sig.emit(asio::cancellation_type::terminal);  // taken already: the value wins
    b.complete(9);
    ioc.run();
    BOOST_TEST(o.calls == 1);
    BOOST_TEST(!o.ec);
    BOOST_TEST(o.value == 9);
    BOOST_TEST(list.cancelled() == 0u);
}

BOOST_AUTO_TEST_CASE(destruction_and_dropped_batches_complete_waiters_with_operation_aborted) {
    asio::io_context ioc;
    std::array<outcome, 3> o;
    std::array<asio::cancellation_signal, 3> sig;
    std::vector<int> order;
    {
        std::optional<list_of<int>> list(std::in_place);
        for (int i = 0; i < 3; ++i)
            list->async_wait(asio::bind_cancellation_slot(sig[i].slot(), asio::bind_executor(ioc, record(o[i], order, i))));
        { auto dropped = list->take_one(); }  // a batch destroyed unused
        list.reset();
    }
    BOOST_TEST(order.empty());
    ioc.run();
    BOOST_TEST((order == std::vector<int>{0, 1, 2}));
    for (auto& x : o) {
        BOOST_TEST(x.calls == 1);
        BOOST_TEST((x.ec == asio::error::operation_aborted));
    }
    for (auto& s : sig) s.emit(asio::cancellation_type::terminal);  // the list is gone: nothing
    ioc.restart();
    BOOST_TEST(ioc.poll() == 0u);
}

BOOST_AUTO_TEST_CASE(a_pending_wait_is_work_and_uses_the_handlers_allocator) {
    asio::io_context ioc;
    list_of<int> list;
    counts c;
    int seen_allocs = -1, seen_deallocs = -1;
    list.async_wait(asio::bind_allocator(counting_allocator<int>(&c),
                                         asio::bind_executor(ioc, [&](error_code, int) {
                                             seen_allocs = c.allocs;
                                             seen_deallocs = c.deallocs;
                                         })));
    BOOST_TEST(c.allocs == 1);  // the node
    ioc.poll();
    BOOST_TEST(!ioc.stopped());  // the wait keeps run() from returning
    list.notify_all(1);
    ioc.run();
    BOOST_TEST(ioc.stopped());
    BOOST_TEST(c.allocs >= 2);            // and the post
    BOOST_TEST(seen_deallocs == seen_allocs);  // everything freed before the handler ran
    BOOST_TEST(c.deallocs == c.allocs);
}

BOOST_AUTO_TEST_CASE(works_with_awaitable_and_coroutine_cancellation) {
    asio::io_context ioc;
    list_of<std::string> list;
    asio::cancellation_signal sig;
    std::vector<std::string> got;
    auto waiter = [&]() -> asio::awaitable<void> {
        auto [ec, v] = co_await list.async_wait(asio::as_tuple(asio::use_awaitable));
        got.push_back(ec ? "aborted" : v);
    };
    asio::co_spawn(ioc, waiter(), asio::bind_cancellation_slot(sig.slot(), asio::detached));
    asio::co_spawn(ioc, waiter(), asio::detached);
    ioc.poll();
    BOOST_TEST(list.size() == 2u);
    sig.emit(asio::cancellation_type::terminal);  // the first coroutine's slot reaches its wait
    ioc.poll();
    BOOST_TEST((got == std::vector<std::string>{"aborted"}));
    list.notify_all("value");
    ioc.run();
    BOOST_TEST((got == std::vector<std::string>{"aborted", "value"}));
}

BOOST_AUTO_TEST_CASE(a_deadline_composed_from_a_timer_never_loses_a_value) {
    // The other composition (Asio 1.86's cancel_after): a timer emits the signal bound to the wait.
    asio::io_context ioc;
    list_of<std::unique_ptr<int>> list;
    asio::cancellation_signal sig;
    asio::steady_timer timer(ioc);
    std::optional<error_code> result;
    timer.expires_after(1ms);
    timer.async_wait([&](error_code ec) {
        if (!ec) sig.emit(asio::cancellation_type::terminal);
    });
    list.async_wait(asio::bind_cancellation_slot(sig.slot(), asio::bind_executor(ioc, [&](error_code ec, auto) {
        result = ec;
        timer.cancel();
    })));
    ioc.run();
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST((*result == asio::error::operation_aborted));  // the deadline passed
    auto conn = std::make_unique<int>(1);
    BOOST_TEST(!list.notify_one(std::move(conn)));
    BOOST_TEST(conn != nullptr);  // nobody took it: still the caller's (the pool keeps it idle)

    // Handed over just before the deadline: the waiter gets it, the expiry does nothing.
    result.reset();
    std::unique_ptr<int> received;
    list.async_wait(asio::bind_cancellation_slot(sig.slot(), asio::bind_executor(ioc, [&](error_code ec, auto v) {
        result = ec;
        received = std::move(v);
    })));
    BOOST_TEST(list.notify_one(std::move(conn)));
    sig.emit(asio::cancellation_type::terminal);  // the timer's emission, one step late
    ioc.restart();
    ioc.run();
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(!*result);
    BOOST_TEST_REQUIRE(received);
    BOOST_TEST(*received == 1);
    BOOST_TEST(list.cancelled() == 1u);
}

BOOST_AUTO_TEST_CASE(a_cancel_handle_ends_its_wait_alone_once_and_outlives_the_list) {
    // The pool's and the credentials' composition: wait_handler() returns the handle a deadline
    // timer calls, while the waiter keeps its own cancellation slot.
    asio::io_context ioc;
    std::optional<list_of<int>> list(std::in_place);
    std::array<outcome, 3> o;
    std::vector<int> order;
    asio::cancellation_signal sig;
    auto h0 = list->wait_handler(asio::bind_executor(ioc, record(o[0], order, 0)));
    auto h1 = list->wait_handler(asio::bind_cancellation_slot(sig.slot(), asio::bind_executor(ioc, record(o[1], order, 1))));
    auto h2 = list->wait_handler(asio::bind_executor(ioc, record(o[2], order, 2)));
    BOOST_TEST(list->size() == 3u);
    BOOST_TEST(h1.cancel());    // the deadline of the middle one
    BOOST_TEST(!h1.cancel());   // once
    sig.emit(asio::cancellation_type::terminal);  // its own slot, after: nothing more
    BOOST_TEST(list->size() == 2u);
    BOOST_TEST(list->notify_one(5));  // the oldest still waiting
    BOOST_TEST(!h0.cancel());   // notified already: the value is delivered
    ioc.poll();
    BOOST_TEST((order == std::vector<int>{1, 0}));
    BOOST_TEST((o[1].ec == asio::error::operation_aborted));
    BOOST_TEST(o[1].value == 0);
    BOOST_TEST(!o[0].ec);
    BOOST_TEST(o[0].value == 5);
    BOOST_TEST(list->cancelled() == 1u);
    list.reset();               // completes the last one with operation_aborted
    BOOST_TEST(!h2.cancel());   // the list is gone: nothing, no crash
    BOOST_TEST(!decltype(h2){}.cancel());
    ioc.poll();
    BOOST_TEST((o[2].ec == asio::error::operation_aborted));
    for (auto& x : o) BOOST_TEST(x.calls == 1);
}

BOOST_AUTO_TEST_CASE(threads_racing_notify_one_and_cancellation_lose_and_duplicate_nothing) {
    // 4 threads; 64 waiters per round, each on its own strand, each cancelled by its own timer
    // after 0-9 ms, while the main thread hands out numbered values one at a time. Every waiter
    // completes exactly once; every value is delivered once or stays with the main thread.
    asio::thread_pool threads(4);
    struct waiter {
        asio::strand<asio::thread_pool::executor_type> strand;
        asio::cancellation_signal signal;
        asio::steady_timer timer{strand};
        std::atomic<int> completions{0};
        std::atomic<int> value{-1};
        std::atomic<bool> aborted{false};
        explicit waiter(asio::thread_pool& t) : strand(asio::make_strand(t)) {}
    };
    for (int round = 0; round < 5; ++round) {
        list_of<int> list;
        std::vector<std::unique_ptr<waiter>> ws;
        for (int i = 0; i < 64; ++i) ws.push_back(std::make_unique<waiter>(threads));
        std::atomic<int> done{0}, started{0};
        for (int i = 0; i < 64; ++i) {
            waiter* w = ws[static_cast<std::size_t>(i)].get();
            asio::post(w->strand, [&list, &done, &started, w, i, round] {
                list.async_wait(asio::bind_cancellation_slot(
                    w->signal.slot(), asio::bind_executor(w->strand, [&done, w](error_code ec, int v) {
                        w->aborted = ec == asio::error::operation_aborted;
                        w->value = v;
                        w->timer.cancel();
                        if (++w->completions == 1) ++done;
                    })));
                w->timer.expires_after(std::chrono::milliseconds((i * 7 + round * 3) % 10));
                w->timer.async_wait([w](error_code ec) {
                    if (!ec) w->signal.emit(asio::cancellation_type::terminal);
                });
                ++started;
            });
        }
        std::vector<int> kept;
        int next = 0;
        const auto give_up = std::chrono::steady_clock::now() + 30s;  // a hang, not a timing
        while (done < 64 && std::chrono::steady_clock::now() < give_up) {
            if (!list.notify_one(int(next))) kept.push_back(next);
            if (++next % 8 == 0) std::this_thread::sleep_for(200us);
        }
        BOOST_TEST_REQUIRE(done == 64);
        BOOST_TEST(started == 64);
        // Every waiter's strand has run its handler; let stray timers finish before `ws` goes.
        for (auto& w : ws) asio::post(w->strand, asio::use_future).get();
        std::set<int> delivered;
        int aborted = 0;
        for (auto& w : ws) {
            BOOST_TEST(w->completions == 1);
            if (w->aborted) ++aborted;
            else BOOST_TEST(delivered.insert(w->value.load()).second);  // no value twice
        }
        for (int v : kept) BOOST_TEST(!delivered.count(v));  // a value kept was never delivered
        BOOST_TEST(delivered.size() + kept.size() == std::size_t(next));  // none lost
        BOOST_TEST(list.cancelled() == std::uint64_t(aborted));
        BOOST_TEST_MESSAGE("round " << round << ": " << aborted << " of 64 waits cancelled, " << next << " values");
    }
    threads.join();
}

BOOST_AUTO_TEST_SUITE_END()

// The end-to-end cases: one miss, lookups of it cancelled while the driver holds its answer.
BOOST_AUTO_TEST_SUITE(cache)

namespace {
// N lookups of app "a" at once on a Cached fake driver that holds its answers, each bound to a
// cancellation signal of its own; started and polled until the driver holds the one request.
template <int N>
struct held_miss {
    using cache_t = pws::Cached<pws::test::fake_policy, pws::test::manual_clock>;
    asio::io_context ioc;
    pws::AppManager<cache_t> apps{[] {
                                      pws::CacheConfig cfg;
                                      cfg.enabled = true;
                                      return cfg;
                                  }(),
                                  ioc.get_executor()};
    pws::test::fake_policy& driver = apps.policy().inner();
    std::array<asio::cancellation_signal, N> sig;
    std::array<std::optional<pws::find_result>, N> got;

    held_miss() {
        driver.put(pws::test::make_app("a", "ka"));
        driver.hold();
        for (int i = 0; i < N; ++i)
            apps.async_find_by_id("a", asio::bind_cancellation_slot(sig[i].slot(), [this, i](pws::find_result r) {
                got[i] = std::move(r);
            }));
        ioc.poll();
    }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_cancelled_coalesced_lookup_ends_at_once_and_the_miss_goes_on, held_miss<3>) {
    BOOST_TEST(driver.calls() == 1);  // one miss led, two joined it
    BOOST_TEST(driver.held_requests() == 1u);

    sig[1].emit(asio::cancellation_type::terminal);
    ioc.poll();  // the driver still holds its answer: the cancelled lookup did not wait for it
    BOOST_TEST_REQUIRE(got[1].has_value());
    BOOST_TEST((got[1]->ec == asio::error::operation_aborted), got[1]->diagnostic);
    BOOST_TEST(!got[0].has_value());
    BOOST_TEST(!got[2].has_value());
    BOOST_TEST(driver.held_requests() == 1u);  // the shared miss was not disturbed

    driver.release();
    ioc.run();
    for (int i : {0, 2}) {
        BOOST_TEST_REQUIRE(got[i].has_value());
        BOOST_TEST_REQUIRE(got[i]->found());
        BOOST_TEST(got[i]->app->id == "a");
    }
    BOOST_TEST(got[0]->app.get() == got[2]->app.get());
    BOOST_TEST(driver.calls() == 1);
    auto s = apps.policy().stats();
    BOOST_TEST(s.misses == 3u);
    BOOST_TEST(s.coalesced == 2u);
    BOOST_TEST(s.requests == 1u);
    BOOST_TEST(apps.policy().try_get_by_id("a").has_value());  // and the answer was cached
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_leading_lookup_ends_at_once_and_its_request_is_cached, held_miss<2>) {
    // The lookup whose miss sent the request is cancelled: it ends at once too, the request goes
    // on for the lookup that joined it, and its answer is cached (the driver is asked once).
    BOOST_TEST(driver.held_requests() == 1u);
    BOOST_TEST(apps.policy().requests_in_flight() == 1u);

    sig[0].emit(asio::cancellation_type::terminal);  // the leader
    ioc.poll();
    BOOST_TEST_REQUIRE(got[0].has_value());
    BOOST_TEST((got[0]->ec == asio::error::operation_aborted), got[0]->diagnostic);
    BOOST_TEST(!got[1].has_value());
    BOOST_TEST(driver.held_requests() == 1u);  // its request goes on

    driver.release();
    ioc.run();
    BOOST_TEST_REQUIRE(got[1].has_value());
    BOOST_TEST_REQUIRE(got[1]->found());
    BOOST_TEST(got[1]->app->id == "a");
    BOOST_TEST(apps.policy().requests_in_flight() == 0u);
    BOOST_TEST(driver.calls() == 1);
    BOOST_TEST(apps.policy().try_get_by_id("a").has_value());  // cached, though its leader left

    // Alone and cancelled: the request still completes and is cached for the next lookup.
    driver.put(pws::test::make_app("b", "kb"));
    driver.hold();
    std::optional<pws::find_result> lone;
    apps.async_find_by_key("kb", asio::bind_cancellation_slot(sig[0].slot(), [&](pws::find_result r) { lone = std::move(r); }));
    ioc.restart();
    ioc.poll();
    sig[0].emit(asio::cancellation_type::terminal);
    ioc.poll();
    BOOST_TEST_REQUIRE(lone.has_value());
    BOOST_TEST((lone->ec == asio::error::operation_aborted));
    driver.release();
    ioc.run();
    BOOST_TEST(apps.policy().try_get_by_key("kb").has_value());
    BOOST_TEST(driver.calls() == 2);
    BOOST_TEST(apps.policy().requests_in_flight() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
