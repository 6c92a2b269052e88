// The call state machine (dynamodb/detail/call_fsm.hpp) driven through every path without a
// socket, a timer or a sleep: the test plays the driver, answering each action with what the
// transport would have reported and moving an injected clock by hand.
#include <pws/dynamodb/detail/call_fsm.hpp>
#include <pws/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using pws::dynamodb_errc;
using pws::error;
using pws::detail::attempt_result;
using pws::detail::call_action;
using pws::detail::call_step;
using steady = std::chrono::steady_clock;
using wall_clock = std::chrono::system_clock;

namespace {

// The backoff jitter's draw: the value the next retry gets (delay = draw % (ceiling + 1), so a
// draw equal to the ceiling gives the whole ceiling: exact delays without a random source).
std::uint64_t next_draw = 0;
std::uint64_t draw() { return next_draw; }

const char* step_name(call_step s) {
    switch (s) {
    case call_step::acquire: return "acquire";
    case call_step::sign: return "sign";
    case call_step::connect: return "connect";
    case call_step::exchange: return "exchange";
    case call_step::release: return "release";
    case call_step::wait: return "wait";
    case call_step::done: return "done";
    }
    return "?";
}

attempt_result answer(unsigned status, std::string body = "{}", bool keep_alive = true) {
    attempt_result r;
    r.status = status;
    r.body = std::move(body);
    r.keep_alive = keep_alive;
    return r;
}

attempt_result dynamodb_error(unsigned status, const std::string& type, const std::string& message) {
    return answer(status, R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" + message +
                              R"("})");
}

attempt_result transport_error(error e, std::string why, bool nothing_received = false) {
    attempt_result r;
    r.ec = e;
    r.diagnostic = std::move(why);
    r.nothing_received = nothing_received;
    return r;
}

// The driver's side: each helper checks that the machine asked for what it answers, answers it,
// and moves on to the next action (in `a`). `trace` is every step asked for, in order.
struct driver {
    pws::detail::call_limits limits;
    std::unique_ptr<pws::detail::retry_quota> quota = std::make_unique<pws::detail::retry_quota>(500);
    pws::detail::clock_skew skew;
    steady::time_point t0 = steady::time_point(1h);
    steady::time_point now = t0;
    wall_clock::time_point wall = wall_clock::time_point(std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}.time_since_epoch());
    std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
    std::optional<pws::detail::call_fsm> fsm;
    call_action a;
    attempt_result held;
    std::vector<std::string> trace;
    std::vector<std::chrono::milliseconds> waits;
    bool cancelled = false;

    driver() {
        limits.max_attempts = 3;
        limits.attempt_timeout = 1000ms;
        limits.retry_base_delay = 100ms;
        limits.throttling_base_delay = 500ms;
        limits.max_backoff = 20000ms;
        next_draw = 0;
    }
    void start(std::chrono::milliseconds total = 10000ms) {
        fsm.emplace(limits, t0 + total, *quota, skew, pws::detail::call_secrets{secret, token}, &draw);
        pws::detail::call_event ev{now, wall};
        resume(ev);
    }
    void resume(pws::detail::call_event& ev) {
        ev.now = now;
        ev.wall = wall;
        ev.cancelled = cancelled;
        a = fsm->resume(ev);
        trace.push_back(step_name(a.step));
        if (a.step == call_step::wait) waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(a.until - now));
    }
    void expect(call_step s) {
        BOOST_REQUIRE_MESSAGE(a.step == s, "expected " << step_name(s) << ", the machine asked for " << step_name(a.step));
    }
    void acquired(bool pooled = false, bool clean = true) {
        expect(call_step::acquire);
        pws::detail::call_event ev;
        ev.has_connection = pooled;
        ev.clean = clean;
        resume(ev);
    }
    // Carries out `s` with nothing to report (sign, a connect that worked, release), or with the
    // transport's result `r` (a failed acquire or connect, any exchange).
    void done(call_step s) {
        expect(s);
        pws::detail::call_event ev;
        resume(ev);
    }
    void done(call_step s, attempt_result r) {
        expect(s);
        held = std::move(r);
        pws::detail::call_event ev;
        ev.result = &held;
        resume(ev);
    }
    void acquire_failed(attempt_result r) { done(call_step::acquire, std::move(r)); }
    void sign() { done(call_step::sign); }
    void connect() { done(call_step::connect); }
    void connect_failed(attempt_result r) { done(call_step::connect, std::move(r)); }
    void exchange(attempt_result r) { done(call_step::exchange, std::move(r)); }
    void release() { done(call_step::release); }
    void wait() {
        expect(call_step::wait);
        now = a.until;
        pws::detail::call_event ev;
        resume(ev);
    }
    // One attempt on a fresh connection answered with `r`, up to the release.
    void fresh_attempt(attempt_result r) {
        acquired();
        sign();
        connect();
        exchange(std::move(r));
    }
    pws::dynamodb::response finish() {
        expect(call_step::done);
        return fsm->take_response();
    }
    std::string steps() const {
        std::string s;
        for (auto& t : trace) s += (s.empty() ? "" : " ") + t;
        return s;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(call_fsm)

BOOST_AUTO_TEST_CASE(a_success_on_a_fresh_connection) {
    driver d;
    d.start();
    d.fresh_attempt(answer(200, R"({"Item":{}})"));
    d.expect(call_step::release);
    BOOST_TEST(d.a.keep);  // a healthy keep-alive connection goes back to the pool
    d.release();
    auto r = d.finish();
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.body == R"({"Item":{}})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(d.steps() == "acquire sign connect exchange release done");
}

BOOST_AUTO_TEST_CASE(the_deadlines_the_actions_carry) {
    driver d;
    d.start(2500ms);
    d.expect(call_step::acquire);
    BOOST_TEST((d.a.until == d.t0 + 2500ms));  // the pool wait: the call's deadline
    d.now += 200ms;                            // the wait for a slot took 200 ms
    d.acquired();
    d.expect(call_step::sign);
    BOOST_TEST(d.a.attempt == 1u);
    d.sign();
    d.expect(call_step::connect);
    BOOST_TEST((d.a.until == d.t0 + 1200ms));  // the attempt's: attempt_timeout from its start
    d.connect();
    BOOST_TEST((d.a.until == d.t0 + 1200ms));  // the exchange shares it with the connect
    // The last attempt is cut by the call's deadline, not given a whole attempt_timeout.
    driver e;
    e.start(700ms);
    e.acquired();
    e.sign();
    BOOST_TEST((e.a.until == e.t0 + 700ms));
}

BOOST_AUTO_TEST_CASE(a_clean_pooled_connection_is_used_without_connecting) {
    driver d;
    d.start();
    d.acquired(true, true);
    d.expect(call_step::sign);
    BOOST_TEST(!d.a.drop_connection);
    d.sign();
    d.exchange(answer(200));
    d.release();
    BOOST_TEST(!d.finish().ec);
    BOOST_TEST(d.steps() == "acquire sign exchange release done");
    BOOST_TEST(d.fsm->counters().idle_discards == 0u);
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_with_bytes_pending_is_dropped_unused) {
    driver d;
    d.start();
    d.acquired(true, false);  // readable bytes or EOF while it sat idle
    d.expect(call_step::sign);
    BOOST_TEST(d.a.drop_connection);
    d.sign();
    d.connect();  // a fresh one, never the poisoned one
    d.exchange(answer(200));
    d.release();
    BOOST_TEST(!d.finish().ec);
    BOOST_TEST(d.steps() == "acquire sign connect exchange release done");
    BOOST_TEST(d.fsm->counters().idle_discards == 1u);
}

BOOST_AUTO_TEST_CASE(a_stale_pooled_connection_is_re_sent_once_on_a_fresh_one) {
    driver d;
    d.start();
    d.acquired(true, true);
    d.sign();
    d.exchange(transport_error(error::connection_closed, "closed by the server", true));
    d.expect(call_step::connect);  // the same signed request, a fresh connection, the same attempt
    BOOST_TEST(d.a.drop_connection);
    d.connect();
    d.exchange(transport_error(error::connection_closed, "closed again", true));
    // A fresh connection failing the same way is a failed attempt: retried after a backoff.
    d.expect(call_step::release);
    BOOST_TEST(!d.a.keep);
    d.release();
    d.expect(call_step::wait);
    BOOST_TEST(d.fsm->counters().stale_retries == 1u);
    d.wait();
    d.fresh_attempt(answer(200));
    d.release();
    auto r = d.finish();
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.attempts == 2);  // the stale re-send is not an attempt
    BOOST_TEST(d.steps() == "acquire sign exchange connect exchange release wait acquire sign connect exchange release done");
}

BOOST_AUTO_TEST_CASE(a_stale_connection_after_bytes_of_an_answer_is_not_re_sent) {
    driver d;
    d.start();
    d.acquired(true, true);
    d.sign();
    d.exchange(transport_error(error::connection_closed, "closed mid-answer", false));
    d.expect(call_step::release);
    d.release();
    d.expect(call_step::wait);
    BOOST_TEST(d.fsm->counters().stale_retries == 0u);
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_with_exponential_backoff_then_given_up) {
    driver d;
    d.start();
    next_draw = 100;  // the whole first ceiling: base 100 ms
    d.fresh_attempt(dynamodb_error(500, "InternalServerError", "boom"));
    d.release();
    next_draw = 200;  // the second: 200 ms
    d.wait();
    d.fresh_attempt(answer(503, "", false));
    d.expect(call_step::release);
    BOOST_TEST(!d.a.keep);
    d.release();
    d.wait();
    d.fresh_attempt(dynamodb_error(500, "InternalServerError", "boom"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::internal_server_error);
    BOOST_TEST(r.attempts == 3);
    BOOST_TEST(r.regional);
    BOOST_TEST(r.diagnostic.find("(after 3 attempts)") != std::string::npos, r.diagnostic);
    BOOST_REQUIRE(d.waits.size() == 2u);
    BOOST_TEST(d.waits[0].count() == 100);
    BOOST_TEST(d.waits[1].count() == 200);
    BOOST_TEST(d.fsm->counters().retries == 2u);
    BOOST_TEST(d.quota->available() == 490u);  // two retries at 5 tokens, not given back on failure
}

BOOST_AUTO_TEST_CASE(the_backoff_is_capped_and_jittered) {
    driver d;
    d.limits.max_attempts = 5;
    d.limits.max_backoff = 300ms;
    d.start(60000ms);
    const std::uint64_t draws[] = {100, 200, 1000, 7};
    const long expected[] = {100, 200, 1000 % 301, 7};  // ceilings 100, 200, 300 (capped), 300
    for (int i = 0; i < 4; ++i) {
        next_draw = draws[i];
        d.fresh_attempt(answer(500, ""));
        d.release();
        d.wait();
    }
    d.fresh_attempt(answer(200));
    d.release();
    BOOST_TEST(!d.finish().ec);
    BOOST_REQUIRE(d.waits.size() == 4u);
    for (int i = 0; i < 4; ++i) BOOST_TEST(d.waits[i].count() == expected[i]);
}

BOOST_AUTO_TEST_CASE(throttling_waits_longer_and_counts) {
    driver d;
    d.start();
    next_draw = 500;
    d.fresh_attempt(dynamodb_error(400, "ProvisionedThroughputExceededException", "slow down"));
    d.release();
    BOOST_TEST(d.waits.at(0).count() == 500);  // throttling_base_delay, not retry_base_delay
    d.wait();
    d.fresh_attempt(answer(200));
    d.release();
    auto r = d.finish();
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.attempts == 2);
    BOOST_TEST(d.fsm->counters().throttles == 1u);
    BOOST_TEST(d.quota->available() == 500u);  // a success gives its retries' tokens back
}

BOOST_AUTO_TEST_CASE(throttling_to_the_end_is_regional) {
    driver d;
    d.limits.max_attempts = 2;
    d.start();
    d.fresh_attempt(answer(429, ""));
    d.release();
    d.wait();
    d.fresh_attempt(dynamodb_error(400, "ThrottlingException", "rate"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::throttling);
    BOOST_TEST(r.regional);
    BOOST_TEST(d.fsm->counters().throttles == 2u);
}

BOOST_AUTO_TEST_CASE(validation_is_never_retried_nor_regional) {
    driver d;
    d.start();
    d.fresh_attempt(dynamodb_error(400, "ValidationException", "One or more parameter values were invalid"));
    d.expect(call_step::release);
    BOOST_TEST(d.a.keep);  // the connection is fine: the request was not
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::validation);
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(!r.regional);
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.diagnostic.find("after") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_2xx_whose_body_is_an_error_is_that_error) {
    driver d;
    d.start();
    d.fresh_attempt(dynamodb_error(200, "ResourceNotFoundException", "Requested resource not found"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::resource_not_found);  // never an empty success ("not found")
    BOOST_TEST(r.body.empty());
    BOOST_TEST(r.attempts == 1);
    // ...and retried when its type is worth it.
    driver e;
    e.start();
    e.fresh_attempt(dynamodb_error(200, "ProvisionedThroughputExceededException", "hot"));
    e.release();
    e.expect(call_step::wait);
}

BOOST_AUTO_TEST_CASE(resets_timeouts_and_bad_crcs_are_retried) {
    const attempt_result faults[] = {
        transport_error(error::connection_closed, "reset by peer"),
        transport_error(error::connection_failed, "connection refused"),
        transport_error(error::timeout, "the attempt's deadline passed"),
        transport_error(error::crc32_mismatch, "the body does not match its x-amz-crc32 header"),
    };
    for (const auto& f : faults) {
        BOOST_TEST_CONTEXT(f.diagnostic) {
            driver d;
            d.start();
            d.fresh_attempt(f);
            d.expect(call_step::release);
            BOOST_TEST(!d.a.keep);
            d.release();
            d.wait();
            d.fresh_attempt(answer(200));
            d.release();
            auto r = d.finish();
            BOOST_TEST(!r.ec);
            BOOST_TEST(r.attempts == 2);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_connect_failure_ends_the_attempt_without_an_exchange) {
    driver d;
    d.limits.max_attempts = 2;
    d.start();
    d.acquired();
    d.sign();
    d.connect_failed(transport_error(error::connection_failed, "cannot connect to h:1: refused"));
    d.expect(call_step::release);
    BOOST_TEST(!d.a.keep);
    d.release();
    d.wait();
    d.acquired();
    d.sign();
    d.connect_failed(transport_error(error::connection_failed, "cannot connect to h:1: refused"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == error::connection_failed);
    BOOST_TEST(r.regional);
    BOOST_TEST(d.steps() == "acquire sign connect release wait acquire sign connect release done");
}

BOOST_AUTO_TEST_CASE(a_timeout_at_the_call_deadline_is_the_end) {
    driver d;
    d.start(1000ms);
    d.acquired();
    d.sign();
    d.connect();
    d.now = d.t0 + 1000ms;  // the exchange ran to the call's deadline
    d.exchange(transport_error(error::timeout, "reading the response: the attempt's deadline passed"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == error::timeout);
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(r.regional);
}

BOOST_AUTO_TEST_CASE(a_backoff_that_would_pass_the_deadline_is_not_waited) {
    driver d;
    d.start(1000ms);
    next_draw = 100;
    d.now = d.t0 + 950ms;
    d.fresh_attempt(answer(500, ""));
    d.release();
    auto r = d.finish();  // 950 + 100 ms >= 1000 ms: no wait, the failure now
    BOOST_TEST(r.ec == dynamodb_errc::internal_server_error);  // a bare 500
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(d.waits.empty());
    BOOST_TEST(d.fsm->counters().retries == 0u);
}

BOOST_AUTO_TEST_CASE(a_full_pool_until_the_deadline_is_ours_not_the_regions) {
    driver d;
    d.start(800ms);
    d.now = d.t0 + 800ms;
    auto full = transport_error(error::timeout, "timed out waiting for a free connection");
    full.local = true;
    d.acquire_failed(full);
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == error::timeout);
    BOOST_TEST(!r.regional);  // another replica would not help: our own pool is full
    BOOST_TEST(d.steps() == "acquire release done");
}

BOOST_AUTO_TEST_CASE(a_clock_skew_is_corrected_once_at_once) {
    driver d;
    d.start();
    d.fresh_attempt([&] {
        auto r = dynamodb_error(400, "InvalidSignatureException", "Signature expired: 20261201T000000Z is now earlier than ...");
        r.server_date = d.wall + 15min;  // the server is 15 minutes ahead
        return r;
    }());
    d.release();
    d.expect(call_step::acquire);  // no backoff
    d.acquired();
    d.expect(call_step::sign);
    BOOST_TEST(d.a.attempt == 2u);
    BOOST_TEST((d.a.signing_offset == std::chrono::system_clock::duration(15min)));
    d.sign();
    d.connect();
    auto again = dynamodb_error(400, "InvalidSignatureException", "Signature expired: again");
    again.server_date = d.wall + 40min;  // a server whose clock keeps moving...
    d.exchange(again);
    d.release();
    auto r = d.finish();  // ...gets one correction, not one per answer
    BOOST_TEST(r.ec == dynamodb_errc::invalid_signature);
    BOOST_TEST(r.attempts == 2);
    BOOST_TEST(d.fsm->counters().skew_corrections == 1u);
    BOOST_TEST(d.waits.empty());
    BOOST_TEST(!r.regional);
}

BOOST_AUTO_TEST_CASE(a_skew_error_without_a_better_clock_is_not_retried) {
    driver d;
    d.start();
    d.fresh_attempt(dynamodb_error(400, "InvalidSignatureException", "Signature expired: no Date header"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::invalid_signature);
    BOOST_TEST(r.attempts == 1);
}

BOOST_AUTO_TEST_CASE(an_exhausted_retry_quota_returns_the_failure) {
    driver d;
    d.quota = std::make_unique<pws::detail::retry_quota>(12);  // two retries at 5, then no more
    d.limits.max_attempts = 10;
    d.start(60000ms);
    for (int i = 0; i < 2; ++i) {
        d.fresh_attempt(answer(500, ""));
        d.release();
        d.wait();
    }
    d.fresh_attempt(answer(500, ""));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.attempts == 3);
    BOOST_TEST(r.diagnostic.find("(not retried: retry quota exhausted)") != std::string::npos, r.diagnostic);
    BOOST_TEST(d.fsm->counters().quota_refusals == 1u);
    BOOST_TEST(d.quota->available() == 2u);
    // A timeout costs 10 tokens: 2 left cannot pay for it either.
    driver e;
    e.quota = std::make_unique<pws::detail::retry_quota>(9);
    e.start();
    e.fresh_attempt(transport_error(error::timeout, "deadline"));
    e.release();
    BOOST_TEST(e.finish().diagnostic.find("retry quota exhausted") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fail_fast_leaves_at_the_first_regional_fault_but_retries_throttling) {
    for (auto f : {transport_error(error::connection_failed, "refused"), transport_error(error::timeout, "deadline"),
                   answer(503, "")}) {
        driver d;
        d.limits.fail_fast = true;
        d.start();
        d.fresh_attempt(f);
        d.release();
        auto r = d.finish();
        BOOST_TEST(r.attempts == 1);
        BOOST_TEST(r.regional);
    }
    driver d;
    d.limits.fail_fast = true;
    d.start();
    d.fresh_attempt(answer(429, ""));
    d.release();
    d.expect(call_step::wait);  // often one hot key, not the region: retried here first
    // Our own limit (out of descriptors) is not the region's: not left for it.
    driver e;
    e.limits.fail_fast = true;
    e.start();
    e.acquired();
    e.sign();
    auto emfile = transport_error(error::connection_failed, "Too many open files");
    emfile.local = true;
    e.connect_failed(emfile);
    e.release();
    e.expect(call_step::wait);
}

BOOST_AUTO_TEST_CASE(a_rejected_certificate_is_permanent) {
    driver d;
    d.start();
    d.acquired();
    d.sign();
    auto rejected = transport_error(error::connection_failed, "the server's TLS certificate was rejected");
    rejected.permanent = true;
    d.connect_failed(rejected);
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(!r.regional);
}

BOOST_AUTO_TEST_CASE(cancellation_at_each_wait) {
    const auto aborted = boost::system::error_code(boost::asio::error::operation_aborted);
    {  // waiting for a free connection
        driver d;
        d.start();
        d.cancelled = true;
        d.acquire_failed(transport_error(error::timeout, "cancelled while waiting for a free connection"));
        d.release();
        auto r = d.finish();
        BOOST_TEST(r.ec == aborted);
        BOOST_TEST(r.diagnostic == "the call was cancelled while it waited for a free connection");
        BOOST_TEST(!r.regional);
    }
    {  // connecting
        driver d;
        d.start();
        d.acquired();
        d.sign();
        d.cancelled = true;
        d.connect_failed(transport_error(error::connection_failed, "Operation canceled"));
        d.release();
        auto r = d.finish();
        BOOST_TEST(r.ec == aborted);
        BOOST_TEST(r.diagnostic == "the call was cancelled during its request");
    }
    {  // during the exchange, even on a pooled connection that looks stale: no re-send
        driver d;
        d.start();
        d.acquired(true, true);
        d.sign();
        d.cancelled = true;
        d.exchange(transport_error(error::connection_closed, "Operation canceled", true));
        d.expect(call_step::release);
        BOOST_TEST(!d.a.keep);
        d.release();
        BOOST_TEST(d.finish().ec == aborted);
        BOOST_TEST(d.fsm->counters().stale_retries == 0u);
    }
    {  // an answer that came all the same is returned
        driver d;
        d.start();
        d.acquired();
        d.sign();
        d.connect();
        d.cancelled = true;
        d.exchange(answer(200, R"({"Item":{}})"));
        d.release();
        auto r = d.finish();
        BOOST_TEST(!r.ec);
        BOOST_TEST(r.body == R"({"Item":{}})");
    }
    {  // waiting to retry
        driver d;
        d.start();
        d.fresh_attempt(answer(500, ""));
        d.release();
        d.cancelled = true;
        d.wait();
        auto r = d.finish();
        BOOST_TEST(r.ec == aborted);
        BOOST_TEST(r.diagnostic == "the call was cancelled while it waited to retry");
        BOOST_TEST(r.attempts == 1);
        BOOST_TEST(!r.regional);
    }
}

BOOST_AUTO_TEST_CASE(secrets_in_the_servers_text_are_never_quoted) {
    driver d;
    d.limits.max_attempts = 1;
    d.start();
    d.fresh_attempt(dynamodb_error(400, "UnrecognizedClientException",
                                   "The security token " + d.token.substr(0, 20) + " or key " + d.secret + " is invalid"));
    d.release();
    auto r = d.finish();
    BOOST_TEST(r.ec == dynamodb_errc::unrecognized_client);
    BOOST_TEST(r.diagnostic.find(d.secret) == std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find(d.token.substr(0, 20)) == std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("***") != std::string::npos, r.diagnostic);
    // ...nor in a transport's diagnostic.
    driver e;
    e.limits.max_attempts = 1;
    e.start();
    e.fresh_attempt(transport_error(error::malformed_response, "echoed " + e.secret));
    e.release();
    BOOST_TEST(e.finish().diagnostic.find(e.secret) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
