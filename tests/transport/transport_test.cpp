// The client's transport against a fault-injecting front placed before dynalite (both on
// 127.0.0.1): for each fault, the number of attempts the front saw, the outcome, and that the call
// ended within its deadline; then the bounded pool under concurrency on two threads.
#define BOOST_TEST_MODULE pws_transport_tests
#include "transport_support.hpp"

#include <pws/policies/cached.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <pws/detail/http/deadline.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace transport;

BOOST_AUTO_TEST_SUITE(faults)

BOOST_FIXTURE_TEST_CASE(clean_lookup_is_one_request, front_fixture) {
    auto o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 1);
    BOOST_TEST(front.requests() == 1);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(dropped_connections_are_retried, front_fixture) {
    front.push(fault::drop_before_request);
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(front.requests() == 2);
    BOOST_TEST(front.connections() == 2);
    BOOST_TEST(within_deadline(o));

    // On a pooled connection, a drop before any response byte may be a server that closed it
    // while idle: the request is sent again at once on a fresh connection, within the attempt.
    front.push(fault::drop_after_request);
    o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 1);
    BOOST_TEST(front.requests() == 4);
    BOOST_TEST(within_deadline(o));
    auto s = client().stats();
    BOOST_TEST(s.stale_retries == 1u);
    BOOST_TEST(s.retries == 1u);
}

BOOST_FIXTURE_TEST_CASE(drop_after_request_on_a_fresh_connection_is_retried, front_fixture) {
    front.push(fault::drop_after_request);
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(front.requests() == 2);
    BOOST_TEST(client().stats().retries == 1u);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(stall_times_out_the_attempt_then_retries, front_fixture) {
    cfg.attempt_timeout = 300ms;
    front.push(fault::stall);
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(front.requests() == 2);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(endless_stall_ends_at_the_deadline, front_fixture) {
    cfg.attempt_timeout = 300ms;
    cfg.total_timeout = 800ms;
    front.push(fault::stall, 10);
    auto o = lookup();
    BOOST_TEST(o.result.ec == pws::error::timeout, o.result.ec.message() + ": " + o.result.diagnostic);
    BOOST_TEST(o.attempts >= 2);
    BOOST_TEST(front.requests() == o.attempts);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(server_errors_n_times_then_success, front_fixture) {
    for (fault f : {fault::status_500, fault::status_503, fault::throttle}) {
        front.reset();
        front.push(f, 3);
        auto o = lookup();
        BOOST_TEST(o.found(), o.result.diagnostic);
        BOOST_TEST(o.attempts == 4);  // max_attempts: the fourth succeeds
        BOOST_TEST(front.requests() == 4);
        BOOST_TEST(within_deadline(o));
        // Only ProvisionedThroughputExceeded counts as throttled, once per attempt (the client
        // lives across the loop: 5xx before it added none).
        BOOST_TEST(client().stats().throttles == (f == fault::throttle ? 3u : 0u));
    }
}

BOOST_FIXTURE_TEST_CASE(beyond_max_attempts_the_last_cause_is_returned, front_fixture) {
    cfg.max_attempts = 3;
    front.push(fault::throttle);
    front.push(fault::status_500);
    front.push(fault::status_503, 5);
    auto o = lookup();
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::service_unavailable, o.result.ec.message());
    BOOST_TEST(o.result.diagnostic.find("after 3 attempts") != std::string::npos, o.result.diagnostic);
    BOOST_TEST(o.attempts == 3);
    BOOST_TEST(front.requests() == 3);
    BOOST_TEST(within_deadline(o));
    BOOST_TEST(client().stats().throttles == 1u);

    front.reset();
    front.push(fault::throttle, 5);
    o = lookup();
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::provisioned_throughput_exceeded, o.result.ec.message());
    BOOST_TEST(front.requests() == 3);
    BOOST_TEST(client().stats().throttles == 4u);  // the last attempt, not retried, counts too
}

BOOST_FIXTURE_TEST_CASE(corrupt_body_and_bad_crc_are_retried, front_fixture) {
    front.push(fault::corrupt_body);
    front.push(fault::bad_crc);
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 3);
    BOOST_TEST(front.requests() == 3);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(crc_mismatch_is_reported_when_not_retried, front_fixture) {
    cfg.max_attempts = 1;
    front.push(fault::corrupt_body);
    auto o = lookup();
    BOOST_TEST(o.result.ec == pws::error::crc32_mismatch, o.result.ec.message());
    BOOST_TEST(front.requests() == 1);
}

BOOST_FIXTURE_TEST_CASE(validation_is_sent_exactly_once, front_fixture) {
    front.push(fault::validation, 3);
    auto o = lookup();
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::validation, o.result.ec.message());
    BOOST_TEST(o.attempts == 1);
    BOOST_TEST(front.requests() == 1);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(clock_skew_is_learned_and_corrected_at_once, front_fixture) {
    front.set_clock_offset(std::chrono::hours(3));
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);  // rejected, then re-signed with the server's time
    BOOST_TEST(front.requests() == 2);
    auto s = client().stats();
    BOOST_TEST(s.skew_corrections == 1u);
    BOOST_TEST(s.retries == 0u);  // not a backoff retry
    auto rec = front.records();
    BOOST_TEST_REQUIRE(rec.size() == 2u);
    BOOST_TEST(rec[0].amz_date < rec[1].amz_date);  // the second was signed ~3 hours later
    BOOST_TEST(within_deadline(o));

    o = lookup();  // the offset is kept: signed right the first time
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 1);
    BOOST_TEST(front.requests() == 3);

    // The clock behind the server's: same story the other way.
    front.reset();
    front.set_clock_offset(-std::chrono::hours(2));
    o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(front.requests() == 2);
}

BOOST_FIXTURE_TEST_CASE(retry_quota_exhaustion_stops_retrying, front_fixture) {
    cfg.retry_quota = 5;  // one retry's worth
    front.push(fault::status_500, 3);
    auto o = lookup();
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::internal_server_error, o.result.ec.message());
    BOOST_TEST(o.result.diagnostic.find("retry quota exhausted") != std::string::npos, o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(front.requests() == 2);
    BOOST_TEST(client().stats().quota_refusals == 1u);

    o = lookup();  // the bucket is still empty: the third 500 is returned at once
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::internal_server_error);
    BOOST_TEST(front.requests() == 3);

    o = lookup();  // no fault left
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(front.requests() == 4);
    BOOST_TEST(client().stats().quota_refusals == 2u);
}

BOOST_FIXTURE_TEST_CASE(invocation_id_and_attempt_headers, front_fixture) {
    front.push(fault::status_500, 2);
    auto o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    auto rec = front.records();
    BOOST_TEST_REQUIRE(rec.size() == 4u);
    const std::string& id = rec[0].invocation_id;
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id[14] == '4');  // a v4 UUID
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(rec[i].invocation_id == id);  // one id per lookup, on every attempt
        BOOST_TEST(rec[i].sdk_request == "attempt=" + std::to_string(i + 1) + "; max=4");
    }
    BOOST_TEST(rec[3].invocation_id.size() == 36u);
    BOOST_TEST(rec[3].invocation_id != id);  // the next lookup has its own
    BOOST_TEST(rec[3].sdk_request == "attempt=1; max=4");
}

BOOST_FIXTURE_TEST_CASE(idle_connection_closed_by_the_server_is_replaced, front_fixture) {
    front.close_idle_after(200ms);  // as dynalite does after 5 s, AWS after minutes
    BOOST_TEST_REQUIRE(lookup().found());
    for (int i = 0; i < 300 && front.idle_closes() == 0; ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST_REQUIRE(front.idle_closes() == 1);
    auto o = lookup();  // meets the closed connection in the pool
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 1);  // a fresh connection, not a failed attempt
    auto s = client().stats();
    // Seen closed before the request was written (EOF on the idle socket): nothing to re-send.
    BOOST_TEST(s.idle_discards == 1u);
    BOOST_TEST(s.stale_retries == 0u);
    BOOST_TEST(s.connections_opened == 2u);
    BOOST_TEST(front.requests() == 2);
    BOOST_TEST(within_deadline(o));
}

BOOST_FIXTURE_TEST_CASE(connection_idle_past_idle_timeout_is_not_reused, front_fixture) {
    cfg.idle_timeout = 100ms;  // ours is shorter than the server's: dropped before it can fail
    BOOST_TEST_REQUIRE(lookup().found());
    std::this_thread::sleep_for(250ms);
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    auto s = client().stats();
    BOOST_TEST(s.connections_opened == 2u);
    BOOST_TEST(s.stale_retries == 0u);
    BOOST_TEST(s.open_connections == 1u);
}

// A server whose accept queue is full drops further SYNs: a connect to it never completes (the
// kernel only retransmits), as with a blackholed address, but on loopback.
BOOST_AUTO_TEST_CASE(a_connect_that_never_completes_ends_at_connect_timeout) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor full(ioc, {asio::ip::make_address("127.0.0.1"), 0}, false);
    ::listen(full.native_handle(), 0);  // an accept queue of one...
    asio::ip::tcp::socket queued(ioc);
    queued.connect(full.local_endpoint());  // ...taken, never accepted
    auto cfg = config("http://127.0.0.1:" + std::to_string(full.local_endpoint().port()));
    cfg.connect_timeout = 300ms;
    cfg.attempt_timeout = 2000ms;
    cfg.total_timeout = 5000ms;
    cfg.max_attempts = 2;
    pws::dynamodb::client c(ioc.get_executor(), cfg);
    auto o = lookup(ioc, c);
    BOOST_TEST(o.result.ec == pws::error::timeout, o.result.ec.message() + ": " + o.result.diagnostic);
    BOOST_TEST(o.result.diagnostic.find("connect timed out") != std::string::npos, o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);  // a connect timeout is retried like any attempt timeout
    // Each attempt ends at connect_timeout, not at attempt_timeout: 2 x 300 ms and a backoff.
    BOOST_TEST((o.took < 2 * cfg.connect_timeout + cfg.max_backoff + 100ms), std::chrono::duration<double>(o.took).count());
    BOOST_TEST((o.took >= 2 * cfg.connect_timeout), std::chrono::duration<double>(o.took).count());
    BOOST_TEST(c.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool)

namespace {

struct concurrent_result {
    int found = 0;
    std::vector<std::string> failures;
    steady::duration slowest{};
};

// `total` lookups, `in_flight` at a time, on an io_context run by `threads` threads.
concurrent_result run_concurrently(front_fixture& f, int total, int in_flight, int threads) {
    auto& c = f.client();
    std::atomic<int> next{0};
    std::mutex m;
    concurrent_result out;
    for (int w = 0; w < in_flight; ++w)
        asio::co_spawn(
            f.ioc,
            [&]() -> asio::awaitable<void> {
                while (next++ < total) {
                    auto o = co_await get_app(c, "app-id");
                    std::lock_guard lock(m);
                    out.slowest = std::max(out.slowest, o.took);
                    if (o.found())
                        ++out.found;
                    else
                        out.failures.push_back(o.result.ec.message() + ": " + o.result.diagnostic);
                }
            },
            asio::detached);
    f.ioc.restart();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([&] { f.ioc.run(); });
    f.ioc.run();
    for (auto& t : pool) t.join();
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(pool_size_zero_is_refused) {
    asio::io_context ioc;
    auto cfg = config("http://127.0.0.1:9");
    cfg.pool_size = 0;
    BOOST_CHECK_THROW(pws::dynamodb::client(ioc.get_executor(), cfg), boost::system::system_error);
}

BOOST_FIXTURE_TEST_CASE(concurrent_lookups_stay_within_the_pool, front_fixture) {
    cfg.pool_size = 4;
    auto r = run_concurrently(*this, 200, 32, 2);
    BOOST_TEST(r.found == 200);
    BOOST_TEST(r.failures.empty(), (r.failures.empty() ? "" : r.failures.front()));
    BOOST_TEST((r.slowest < cfg.total_timeout + grace));
    auto s = client().stats();
    BOOST_TEST(s.requests == 200u);
    BOOST_TEST(s.peak_connections <= 4u);
    BOOST_TEST(s.connections_opened <= 4u);
    BOOST_TEST(s.pool_waits > 0u);  // 32 in flight for 4 connections: most waited
    BOOST_TEST(s.pool_timeouts == 0u);
    BOOST_TEST(s.open_connections == s.idle_connections);  // every slot came back
    BOOST_TEST(front.requests() == 200);
    BOOST_TEST(front.connections() <= 4);
    BOOST_TEST(front.peak_connections() <= 4);
}

BOOST_FIXTURE_TEST_CASE(concurrent_lookups_through_faults, front_fixture) {
    cfg.pool_size = 3;
    cfg.max_attempts = 10;  // a lookup may meet several of the faults below in a row
    for (int i = 0; i < 5; ++i)
        for (fault f :
             {fault::drop_before_request, fault::drop_after_request, fault::status_500, fault::bad_crc})
            front.push(f);
    auto r = run_concurrently(*this, 100, 16, 2);
    BOOST_TEST(r.found == 100);
    BOOST_TEST(r.failures.empty(), (r.failures.empty() ? "" : r.failures.front()));
    BOOST_TEST((r.slowest < cfg.total_timeout + grace));
    BOOST_TEST(front.pending_faults() == 0u);
    BOOST_TEST(front.requests() == 120);  // every fault took one request, every lookup one more
    auto s = client().stats();
    BOOST_TEST(s.peak_connections <= 3u);
    BOOST_TEST(s.open_connections == s.idle_connections);  // failed attempts gave their slot back
    BOOST_TEST(s.open_connections <= 3u);
}

BOOST_FIXTURE_TEST_CASE(concurrent_calls_rejected_for_skew_each_retry_once, front_fixture) {
    // Several calls signed with the local clock are rejected together; whichever learns the
    // offset first, every one of them must retry with the corrected clock (and only once).
    front.set_clock_offset(std::chrono::hours(3));
    cfg.pool_size = 8;
    auto r = run_concurrently(*this, 8, 8, 2);
    BOOST_TEST(r.found == 8);
    BOOST_TEST(r.failures.empty(), (r.failures.empty() ? "" : r.failures.front()));
    auto s = client().stats();
    BOOST_TEST(s.skew_corrections >= 1u);
    BOOST_TEST(front.requests() == static_cast<int>(8 + s.skew_corrections));
    BOOST_TEST(s.retries == 0u);
}

BOOST_FIXTURE_TEST_CASE(waiters_get_the_connection_in_turn, front_fixture) {
    cfg.pool_size = 1;
    auto r = run_concurrently(*this, 10, 10, 1);
    BOOST_TEST(r.found == 10);
    auto s = client().stats();
    BOOST_TEST(s.connections_opened == 1u);
    BOOST_TEST(s.pool_waits >= 9u);
    BOOST_TEST(front.connections() == 1);
}

BOOST_FIXTURE_TEST_CASE(waiting_for_a_connection_respects_the_deadline, front_fixture) {
    // One connection, held by a stalled lookup until its deadline; six more queue behind it.
    // Each must end in a timeout within its own deadline, whether its wait for the pool ran out
    // ("timed out waiting for a free connection") or the slot came too late to use. Every
    // request stalls: a waiter that started a little later than the first (a slow machine, a
    // sanitizer) gets the freed slot with time left, and its request must time out as well
    // rather than find the app by luck of timing.
    cfg.pool_size = 1;
    cfg.max_attempts = 1;
    cfg.attempt_timeout = cfg.total_timeout = 800ms;
    front.push(fault::stall, 7);
    auto& c = client();
    std::vector<std::future<outcome>> calls;
    for (int i = 0; i < 7; ++i) calls.push_back(asio::co_spawn(ioc, get_app(c, "app-id"), asio::use_future));
    ioc.restart();
    ioc.run();
    for (auto& f : calls) {
        auto o = f.get();
        BOOST_TEST(o.result.ec == pws::error::timeout, o.result.diagnostic);
        BOOST_TEST(within_deadline(o));
        if (o.result.diagnostic.find("free connection") != std::string::npos)
            BOOST_TEST(
                o.result.diagnostic.find("all 1 of DynamoDbConfig::pool_size busy") != std::string::npos,
                o.result.diagnostic);
    }
    auto s = c.stats();
    BOOST_TEST(s.pool_waits == 6u);
    BOOST_TEST_MESSAGE("pool timeouts: " << s.pool_timeouts << " of 6 waiters");
    BOOST_TEST(s.open_connections == s.idle_connections);  // no slot leaked

    front.reset();  // the stalls no waiter reached
    auto o = lookup();  // the pool still works
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(c.stats().open_connections <= 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// Failover across the replicas of a global table (issue 18): two dynalites standing for two
// regions, each behind a fault front that records the region each request was signed for.
BOOST_AUTO_TEST_SUITE(failover)

namespace {

// The second dynalite's port (the fixture transport_dynalite_b, $PWS_DYNALITE_B_STATE).
unsigned short second_dynalite_port() {
    const char* dir = std::getenv("PWS_DYNALITE_B_STATE");
    BOOST_TEST_REQUIRE(dir != nullptr, "PWS_DYNALITE_B_STATE is not set: run through ctest");
    std::ifstream f(std::string(dir) + "/endpoint");
    std::string endpoint;
    std::getline(f, endpoint);
    return static_cast<unsigned short>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

// "20261201/eu-west-1/dynamodb/aws4_request" -> "eu-west-1".
std::string region_of(const pws::test::request_record& r) {
    const auto a = r.scope.find('/'), b = r.scope.find('/', a + 1);
    return a == std::string::npos || b == std::string::npos ? r.scope : r.scope.substr(a + 1, b - a - 1);
}

// Every request `f` received was signed for `region`.
bool all_signed_for(const fault_front& f, const std::string& region) {
    for (auto& r : f.records())
        if (region_of(r) != region) return false;
    return true;
}

struct two_regions {
    asio::io_context ioc;
    std::optional<fault_front> primary{std::in_place, "127.0.0.1", dynalite_port()};
    fault_front replica{"127.0.0.1", second_dynalite_port()};
    unsigned short primary_port = primary->port();
    pws::DynamoDbConfig cfg = [this] {
        auto c = config(primary->endpoint());
        c.region = "us-east-1";
        c.failover = {{"eu-west-1", replica.endpoint()}};
        c.failover_cooldown = 1s;
        c.connect_timeout = 1s;
        c.attempt_timeout = 1s;
        c.max_attempts = 3;
        return c;
    }();
    std::optional<pws::dynamodb::client> client_;

    pws::dynamodb::client& client() {
        if (!client_) client_.emplace(ioc.get_executor(), cfg);
        return *client_;
    }
    outcome lookup() { return transport::lookup(ioc, client()); }
    pws::dynamodb::replica_stats of(std::size_t i) { return client().replicas().at(i); }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_healthy_primary_takes_every_call, two_regions) {
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(lookup().found());
    BOOST_TEST(primary->requests() == 3);
    BOOST_TEST(replica.requests() == 0);
    BOOST_TEST(all_signed_for(*primary, "us-east-1"));
    BOOST_TEST(of(0).calls == 3u);
    BOOST_TEST(of(0).region == "us-east-1");
    BOOST_TEST(of(1).region == "eu-west-1");
    BOOST_TEST(client().stats().failovers == 0u);
}

BOOST_FIXTURE_TEST_CASE(primary_killed_then_back, two_regions) {
    BOOST_TEST_REQUIRE(lookup().found());  // a pooled connection to the primary, now dead
    primary.reset();                       // its connections close, its port refuses

    auto first = lookup();
    BOOST_TEST_REQUIRE(first.found(), first.result.diagnostic);
    BOOST_TEST((first.took < cfg.connect_timeout + grace), std::chrono::duration<double>(first.took).count());
    BOOST_TEST(replica.requests() == 1);
    BOOST_TEST(all_signed_for(replica, "eu-west-1"));
    BOOST_TEST(of(0).cooling_down);
    BOOST_TEST(of(0).failovers == 1u);
    BOOST_TEST(client().stats().failovers == 1u);

    // While the primary cools down, calls go straight to the replica: no connect, no timeout.
    for (int i = 0; i < 5; ++i) {
        auto o = lookup();
        BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
        BOOST_TEST((o.took < grace));
    }
    BOOST_TEST(of(0).calls == 2u);  // the first lookup and the one that failed over; none since
    BOOST_TEST(replica.requests() == 6);

    // Back on its port: after the cool-down, real traffic tries it and stays there.
    primary.emplace("127.0.0.1", dynalite_port(), nullptr, primary_port);
    std::this_thread::sleep_for(cfg.failover_cooldown + 100ms);
    BOOST_TEST(!of(0).cooling_down);
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(lookup().found());
    BOOST_TEST(primary->requests() == 3);
    BOOST_TEST(all_signed_for(*primary, "us-east-1"));
    BOOST_TEST(replica.requests() == 6);
}

BOOST_FIXTURE_TEST_CASE(a_blackholed_primary_costs_one_attempt_timeout, two_regions) {
    primary->push(fault::stall);  // accepts and reads the request, never answers
    auto o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    BOOST_TEST((o.took >= cfg.attempt_timeout));
    BOOST_TEST((o.took < cfg.attempt_timeout + grace), std::chrono::duration<double>(o.took).count());
    BOOST_TEST(primary->requests() == 1);  // not retried in its region: there was a replica
    BOOST_TEST(replica.requests() == 1);
    BOOST_TEST(of(0).failures == 1u);
}

BOOST_FIXTURE_TEST_CASE(errors_that_are_the_same_everywhere_never_fail_over, two_regions) {
    primary->push(fault::validation);
    auto o = lookup();
    BOOST_TEST(o.result.failed());
    BOOST_TEST(o.result.ec == pws::dynamodb_errc::validation, o.result.ec.message());
    BOOST_TEST(replica.requests() == 0);
    BOOST_TEST(!of(0).cooling_down);
    BOOST_TEST(lookup().found());
    BOOST_TEST(primary->requests() == 2);
}

BOOST_FIXTURE_TEST_CASE(server_errors_fail_over_at_once_throttling_after_the_retries, two_regions) {
    primary->push(fault::status_500);
    auto o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    BOOST_TEST(primary->requests() == 1);
    BOOST_TEST(replica.requests() == 1);

    std::this_thread::sleep_for(cfg.failover_cooldown + 100ms);
    primary->reset();
    primary->push(fault::throttle, 3);  // every attempt of the region (max_attempts 3)
    o = lookup();
    BOOST_TEST_REQUIRE(o.found(), o.result.diagnostic);
    BOOST_TEST(primary->requests() == 3);
    BOOST_TEST(replica.requests() == 2);
    BOOST_TEST(client().stats().throttles == 3u);
}

BOOST_FIXTURE_TEST_CASE(every_replica_failing_is_one_error_naming_each, two_regions) {
    cfg.failover_cooldown = 30s;  // both still cooling down at the second call
    primary.reset();
    replica.push(fault::stall, 3);  // the last replica retries in its region, up to max_attempts
    auto o = lookup();
    BOOST_TEST_REQUIRE(o.result.failed());
    BOOST_TEST(o.result.ec == pws::error::timeout, o.result.ec.message());
    BOOST_TEST(o.result.diagnostic.find("failed over from us-east-1") != std::string::npos, o.result.diagnostic);
    BOOST_TEST(o.result.diagnostic.find("then eu-west-1") != std::string::npos, o.result.diagnostic);
    BOOST_TEST((o.took < cfg.attempt_timeout * cfg.max_attempts + grace));
    // Both cooling down: the next call tries them all again, in order, rather than none.
    BOOST_TEST(of(0).cooling_down);
    BOOST_TEST(of(1).cooling_down);
    auto again = lookup();
    BOOST_TEST(again.found(), again.result.diagnostic);
    BOOST_TEST(of(0).calls == 2u);
    BOOST_TEST(of(1).calls == 2u);
    BOOST_TEST(!of(1).cooling_down);  // it answered
}

BOOST_FIXTURE_TEST_CASE(a_replica_cooling_down_is_the_last_resort, two_regions) {
    cfg.failover_cooldown = 30s;  // nothing comes out of its cool-down during the test
    primary->push(fault::status_500);
    replica.push(fault::status_500, 3);  // the last replica retries in its region
    BOOST_TEST(lookup().result.failed());
    BOOST_TEST(of(0).cooling_down);
    BOOST_TEST(of(1).cooling_down);
    primary->reset();
    replica.reset();

    // Both cooling: asked in list order; the primary answers, and is healthy again.
    auto p = lookup();
    BOOST_TEST(p.found(), p.result.diagnostic);
    BOOST_TEST(primary->requests() == 1);
    BOOST_TEST(replica.requests() == 0);
    BOOST_TEST(!of(0).cooling_down);

    // The primary fails: as the only healthy replica it retries first (max_attempts 3); then the
    // replica, still cooling down, is asked as the last resort.
    primary->push(fault::status_500, 3);
    auto q = lookup();
    BOOST_TEST(q.found(), q.result.diagnostic);
    BOOST_TEST(primary->requests() == 4);
    BOOST_TEST(replica.requests() == 1);
    BOOST_TEST(q.attempts == 1);  // the replica's own attempts
}

BOOST_FIXTURE_TEST_CASE(the_last_healthy_replica_retries_before_the_cooling_ones, two_regions) {
    cfg.failover_cooldown = 30s;
    primary.reset();
    BOOST_TEST_REQUIRE(lookup().found());  // fails over; the primary cools down
    replica.reset();
    replica.push(fault::status_500);  // one 500 at the only healthy replica: retried there
    auto o = lookup();
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 2);
    BOOST_TEST(replica.requests() == 2);
    BOOST_TEST(!of(1).cooling_down);
    BOOST_TEST(of(0).calls == 1u);  // the dead primary was not asked again
}

BOOST_FIXTURE_TEST_CASE(one_call_probes_a_replica_whose_cool_down_ended, two_regions) {
    primary->push(fault::status_500);
    BOOST_TEST_REQUIRE(lookup().found());  // the primary cools down (1 s)
    std::this_thread::sleep_for(cfg.failover_cooldown + 100ms);
    primary->reset();
    replica.reset();
    primary->push(fault::stall, 8);  // still broken: accepts, never answers
    std::vector<std::future<outcome>> calls;
    for (int i = 0; i < 8; ++i) calls.push_back(asio::co_spawn(ioc, get_app(client(), "app-id"), asio::use_future));
    ioc.restart();
    ioc.run();
    int slow = 0;
    for (auto& f : calls) {
        auto o = f.get();
        BOOST_TEST(o.found(), o.result.diagnostic);
        slow += o.took >= cfg.attempt_timeout;
    }
    BOOST_TEST(primary->requests() == 1);  // the one probe; the 7 others went to the replica
    BOOST_TEST(replica.requests() == 8);
    BOOST_TEST(slow == 1);
    BOOST_TEST(of(0).cooling_down);
}

BOOST_FIXTURE_TEST_CASE(a_full_pool_is_not_a_regional_fault, two_regions) {
    cfg.pool_size = 1;  // two calls, one connection: the second waits for it until its deadline
    cfg.attempt_timeout = 2s;
    cfg.total_timeout = 800ms;
    primary->push(fault::stall, 2);  // whichever request reaches the primary gets no answer
    auto call = [this]() -> asio::awaitable<pws::dynamodb::response> {
        co_return co_await client().call("GetItem", pws::dynamodb::get_item{cfg.table, "app-id"}.body());
    };
    auto a = asio::co_spawn(ioc, call(), asio::use_future);
    auto b = asio::co_spawn(ioc, call(), asio::use_future);
    ioc.restart();
    ioc.run();
    auto ra = a.get(), rb = b.get();
    BOOST_TEST(ra.ec == pws::error::timeout, ra.diagnostic);
    BOOST_TEST(rb.ec == pws::error::timeout, rb.diagnostic);
    const bool a_waited = ra.diagnostic.find("free connection") != std::string::npos;
    const bool b_waited = rb.diagnostic.find("free connection") != std::string::npos;
    BOOST_TEST(!(a_waited && b_waited), ra.diagnostic << " | " << rb.diagnostic);  // one held the connection
    if (a_waited != b_waited) {
        const auto& waited = a_waited ? ra : rb;
        const auto& stalled = a_waited ? rb : ra;
        BOOST_TEST(!waited.regional);  // our own pool was full: says nothing about the region
        BOOST_TEST(stalled.regional);  // no answer within the deadline: the region's
    } else {
        // The connection came free at the first call's deadline a moment before the second's, and
        // the second got it with no time left: its own attempt (connect or answer) timed out, an
        // attempt without an answer like any other.
        BOOST_TEST_MESSAGE("the waiter got the connection as its deadline passed: " << ra.diagnostic << " | "
                                                                                   << rb.diagnostic);
        BOOST_TEST(ra.regional);
        BOOST_TEST(rb.regional);
    }
    BOOST_TEST(replica.requests() == 0);  // no time was left to fail over
}

BOOST_FIXTURE_TEST_CASE(the_cache_preload_scan_fails_over_too, two_regions) {
    primary.reset();
    pws::CacheConfig cc;
    cc.enabled = true;
    pws::Cached<pws::DynamoDbPolicy> cache(cc, ioc.get_executor(), cfg);
    auto fut = asio::co_spawn(ioc, cache.preload(), asio::use_future);
    ioc.restart();
    ioc.run();
    const pws::preload_result r = fut.get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.apps >= 1u);  // the fixture's seed
    BOOST_TEST(replica.requests() >= 1);
    BOOST_TEST(all_signed_for(replica, "eu-west-1"));
    BOOST_TEST(cache.inner().client().stats().failovers == 1u);
}

BOOST_AUTO_TEST_CASE(configuration) {
    std::vector<pws::DynamoDbReplica> r;
    std::string why;
    BOOST_TEST(pws::DynamoDbConfig::parse_failover(
        "eu-west-1, ap-southeast-2=https://dynamodb.ap-southeast-2.amazonaws.com", r, why));
    BOOST_TEST_REQUIRE(r.size() == 2u);
    BOOST_TEST(r[0].region == "eu-west-1");
    BOOST_TEST(r[0].endpoint.empty());
    BOOST_TEST(r[1].region == "ap-southeast-2");
    BOOST_TEST(r[1].endpoint == "https://dynamodb.ap-southeast-2.amazonaws.com");
    for (const char* bad : {"", "eu-west-1,", ",eu-west-1", "eu-west-1=", "=http://x"})
        BOOST_TEST(!pws::DynamoDbConfig::parse_failover(bad, r, why), bad);

    ::setenv("SOKETI_APP_MANAGER_DYNAMODB_FAILOVER", "eu-west-1=http://127.0.0.1:1", 1);
    ::setenv("APP_MANAGER_DYNAMODB_FAILOVER_COOLDOWN", "3", 1);
    auto c = pws::DynamoDbConfig::from_env();
    ::unsetenv("SOKETI_APP_MANAGER_DYNAMODB_FAILOVER");
    ::unsetenv("APP_MANAGER_DYNAMODB_FAILOVER_COOLDOWN");
    BOOST_TEST_REQUIRE(c.failover.size() == 1u);
    BOOST_TEST(c.failover[0].endpoint == "http://127.0.0.1:1");
    BOOST_TEST((c.failover_cooldown == 3s));

    ::setenv("APP_MANAGER_DYNAMODB_FAILOVER", "eu-west-1,,x", 1);
    try {
        (void)pws::DynamoDbConfig::from_env();
        BOOST_TEST(false, "a malformed list was accepted");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("APP_MANAGER_DYNAMODB_FAILOVER") != std::string::npos, e.what());
    }
    ::unsetenv("APP_MANAGER_DYNAMODB_FAILOVER");

    // A replica's region is checked as the primary's is, and named.
    asio::io_context ioc;
    auto bad = config("http://127.0.0.1:1");
    bad.failover = {{"not a region", ""}};
    try {
        pws::dynamodb::client client(ioc.get_executor(), bad);
        BOOST_TEST(false, "a replica with a bad region was accepted");
    } catch (const boost::system::system_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("failover replica 1 (not a region)") != std::string::npos, what);
        BOOST_TEST(what.find("invalid region") == what.rfind("invalid region"), what);  // said once
        BOOST_TEST(what.find(e.code().message()) == what.rfind(e.code().message()), what);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// The deadline watch (detail/http/deadline.hpp) on its own, over socket pairs: no server. Each
// guarded read waits for bytes that never come; only the deadline can end it (the watch's thread
// shuts the socket down). Bounds of seconds only catch a deadline that never fires.
BOOST_AUTO_TEST_SUITE(deadline)

namespace {

namespace asio = boost::asio;
using local_socket = asio::local::stream_protocol::socket;
using steady = std::chrono::steady_clock;

struct guarded_read {
    bool fired = false;
    boost::system::error_code ec;
    steady::duration took{};
};

// Reads one byte from `s` under a deadline `after` from now.
asio::awaitable<void> read_under_deadline(local_socket& s, steady::duration after, guarded_read& out) {
    const auto start = steady::now();
    {
        const pws::detail::http::deadline_guard guard(s.get_executor(), s.native_handle(), start + after);
        char byte;
        auto [ec, n] = co_await s.async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
        out.ec = ec;
        out.fired = guard.fired();
    }
    out.took = steady::now() - start;
}

// The same on a socket pair of its own, which lives in this coroutine's frame.
asio::awaitable<void> own_a_pair_and_read(asio::any_io_executor ex, steady::duration after, guarded_read& out) {
    local_socket a(ex), b(ex);
    asio::local::connect_pair(a, b);
    co_await read_under_deadline(a, after, out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_read_that_gets_nothing_ends_at_its_deadline_not_before) {
    asio::io_context ctx;
    local_socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    guarded_read r;
    asio::co_spawn(ctx, read_under_deadline(a, std::chrono::milliseconds(150), r), asio::detached);
    ctx.run();
    BOOST_TEST(r.fired);
    BOOST_TEST(r.ec.failed());
    BOOST_TEST((r.took >= std::chrono::milliseconds(150)));
    BOOST_TEST((r.took < std::chrono::seconds(20)));
}

BOOST_AUTO_TEST_CASE(an_earlier_deadline_after_a_later_one_still_fires_on_time) {
    // The watch sleeps until the earliest deadline it knows: a later one first, then an earlier
    // one, which must wake it.
    asio::io_context ctx;
    local_socket a(ctx), a_peer(ctx), b(ctx), b_peer(ctx);
    asio::local::connect_pair(a, a_peer);
    asio::local::connect_pair(b, b_peer);
    guarded_read late, early;
    asio::co_spawn(ctx, read_under_deadline(a, std::chrono::seconds(60), late), asio::detached);
    ctx.poll();  // the 60 s deadline is registered, its read pending
    asio::co_spawn(ctx, read_under_deadline(b, std::chrono::milliseconds(100), early), asio::detached);
    while (early.took == steady::duration{} && ctx.run_one()) {
    }
    BOOST_TEST(early.fired);
    BOOST_TEST((early.took >= std::chrono::milliseconds(100)));
    BOOST_TEST((early.took < std::chrono::seconds(20)));
    a.cancel();  // ends the 60 s read before its deadline
    ctx.run();
    BOOST_TEST(!late.fired);
    BOOST_TEST(late.ec == asio::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(a_watched_deadline_does_not_keep_run_from_returning) {
    // A read answered at once under a deadline of a minute: run() returns when the work is done,
    // not when the deadline passes (the watch is not an Asio operation).
    asio::io_context ctx;
    local_socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    guarded_read r;
    asio::write(b, asio::buffer("x", 1));
    asio::co_spawn(ctx, read_under_deadline(a, std::chrono::seconds(60), r), asio::detached);
    const auto start = steady::now();
    ctx.run();
    BOOST_TEST(!r.fired);
    BOOST_TEST(!r.ec.failed());
    BOOST_TEST((steady::now() - start < std::chrono::seconds(20)));
}

BOOST_AUTO_TEST_CASE(many_deadlines_in_any_order_on_two_threads_each_fire_once_at_its_time) {
    // 64 reads with deadlines from 50 to 450 ms, registered in a shuffled order, on a context run
    // by two threads; 16 more are answered and must not fire.
    asio::io_context ctx;
    constexpr int n = 80, answered = 16;
    std::vector<std::unique_ptr<local_socket>> ours, peers;
    std::vector<guarded_read> reads(n);
    std::vector<std::chrono::milliseconds> after(n);
    for (int i = 0; i < n; ++i) {
        ours.push_back(std::make_unique<local_socket>(ctx));
        peers.push_back(std::make_unique<local_socket>(ctx));
        asio::local::connect_pair(*ours.back(), *peers.back());
        after[i] = std::chrono::milliseconds(i < answered ? 60'000 : 50 + (i * 37) % 400);
        if (i < answered) asio::write(*peers.back(), asio::buffer("x", 1));
    }
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = (i * 29) % n;  // 29 is prime to 80: a permutation
    for (int i : order) asio::co_spawn(ctx, read_under_deadline(*ours[i], after[i], reads[i]), asio::detached);
    std::thread other([&] { ctx.run(); });
    ctx.run();
    other.join();
    for (int i = 0; i < n; ++i) {
        BOOST_TEST_CONTEXT("read " << i << " with a deadline of " << after[i].count() << " ms") {
            BOOST_TEST(reads[i].fired == (i >= answered));
            BOOST_TEST(reads[i].ec.failed() == (i >= answered));
            if (i >= answered) BOOST_TEST((reads[i].took >= after[i]));
            BOOST_TEST((reads[i].took < std::chrono::seconds(20)));
        }
    }
}

BOOST_AUTO_TEST_CASE(release_says_whether_the_socket_was_shut_down_even_with_nothing_pending) {
    // The watch's thread does not wait for an operation to fail: a deadline that passes just after
    // one succeeded shuts the socket down all the same, and release() is how the caller learns it
    // must not use that socket again. Released in time, a socket is never touched afterwards.
    asio::io_context ctx;
    local_socket a(ctx), a_peer(ctx), b(ctx), b_peer(ctx);
    asio::local::connect_pair(a, a_peer);
    asio::local::connect_pair(b, b_peer);
    pws::detail::http::deadline_guard passed(ctx.get_executor(), a.native_handle(),
                                             steady::now() + std::chrono::milliseconds(20));
    pws::detail::http::deadline_guard in_time(ctx.get_executor(), b.native_handle(),
                                              steady::now() + std::chrono::milliseconds(40));
    BOOST_TEST(!in_time.release());
    const auto until = steady::now() + std::chrono::seconds(20);
    while (!passed.fired() && steady::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // past the released one's deadline too
    BOOST_TEST(passed.release());
    BOOST_TEST(passed.release());  // asked again: the same answer, no second lookup
    BOOST_TEST(passed.fired());    // and fired() keeps it once released
    BOOST_TEST(!in_time.fired());
    boost::system::error_code ec;
    asio::write(a, asio::buffer("x", 1), ec);
    BOOST_TEST(ec == asio::error::broken_pipe, ec.message());  // shut down
    asio::write(b, asio::buffer("x", 1), ec);
    BOOST_TEST(!ec.failed(), ec.message());  // untouched
}

BOOST_AUTO_TEST_CASE(a_context_destroyed_with_deadlines_pending_stops_the_watch) {
    // Each coroutine owns its socket pair, as a server's would. The context goes with one of them
    // still waiting under a minute's deadline: its watch stops (the thread is joined) before the
    // frames are destroyed, each guard before its socket; nothing touches either afterwards
    // (ASan, TSan).
    guarded_read waiting, ended;
    {
        asio::io_context ctx;
        asio::co_spawn(ctx, own_a_pair_and_read(ctx.get_executor(), std::chrono::seconds(60), waiting), asio::detached);
        asio::co_spawn(ctx, own_a_pair_and_read(ctx.get_executor(), std::chrono::milliseconds(1), ended), asio::detached);
        while (ended.took == steady::duration{} && ctx.run_one()) {
        }
        BOOST_TEST(ended.fired);
    }
    BOOST_TEST(!waiting.fired);
    BOOST_TEST((waiting.took == steady::duration{}));  // never ended: destroyed with the context
}

BOOST_AUTO_TEST_SUITE_END()
