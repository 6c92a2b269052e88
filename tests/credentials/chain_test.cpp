// The chain as a whole — order, laziness, memory of the winner, single-flight, the refresh
// windows on a manual clock, static stability, the no-credentials error — and the DynamoDB
// client signing with what the chain found.
#include "support/fake_http.hpp"
#include "support.hpp"

#include <pws/app_manager.hpp>
#include <pws/aws/credentials_provider.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

using namespace pws::test;
using pws::error;

namespace {

// A container endpoint whose credentials are numbered by fetch: ASIA1, ASIA2, ... each valid for
// an hour from the manual clock's now.
struct numbered_agent {
    manual_clock clock;
    std::atomic<int> n{0};
    std::atomic<bool> down{false};
    std::atomic<int> delay_ms{20};  ///< how long each answer takes
    fake_http server{[this](const seen_request&) {
        if (down) return reply{503, "", "text/plain"};
        int i = ++n;
        return reply{200, metadata_json("ASIA" + std::to_string(i), "SECRET" + std::to_string(i),
                                        "TOKEN" + std::to_string(i), clock.now() + 1h),
                     "application/json", std::chrono::milliseconds(delay_ms.load())};
    }};
    explicit numbered_agent(manual_clock c) : clock(std::move(c)) {}
};

using fixture = provider_fixture;

}  // namespace

BOOST_AUTO_TEST_SUITE(credentials_chain)

BOOST_FIXTURE_TEST_CASE(order_is_the_sdks, fixture) {
    fake_http sts([](const seen_request&) { return reply{200, sts_xml("ASIASTS", "S", "T", t0 + 1h), "text/xml"}; });
    numbered_agent agent(clock);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    dir.write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = S\n");
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "jwt"));
    env.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "S");
    auto expect = [&](std::string_view source, std::string_view key) {
        pws::aws::credentials_provider p(ioc.get_executor(), cfg);
        auto r = get(ioc, p);
        BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
        BOOST_TEST(r.source == source);
        BOOST_TEST(r.creds->access_key_id == key);
        BOOST_TEST(p.source() == source);
    };
    cfg.explicit_credentials = pws::aws::credentials{"AKIDEXPLICIT", "S", ""};
    expect("explicit", "AKIDEXPLICIT");
    cfg.explicit_credentials.reset();
    expect("environment", "AKIDENV");
    env.unset("AWS_ACCESS_KEY_ID");
    expect("web identity", "ASIASTS");
    env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
    expect("shared files", "AKIDFILE");
    BOOST_TEST(agent.server.count() == 0u);  // nothing below the winner was asked
    std::filesystem::remove(dir.path / ".aws/credentials");
    expect("container", "ASIA1");
    BOOST_TEST(sts.count() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_deadline_ends_one_wait_and_the_fetch_goes_on, fixture) {
    // The container answers in 300 ms. Three requests wait for that one fetch: one with a 50 ms
    // deadline ends then with pws::error::timeout, one is cancelled, one (deadline 10 s) gets the
    // credentials when the fetch ends — and its timer does not keep run() going until 10 s.
    numbered_agent agent(clock);
    agent.delay_ms = 300;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    std::vector<std::string> order;
    std::optional<pws::aws::credentials_result> hasty, cancelled, patient;
    boost::asio::cancellation_signal sig;
    const auto t0 = std::chrono::steady_clock::now();
    p.async_get(t0 + 50ms, [&](pws::aws::credentials_result r) {
        hasty = std::move(r);
        order.push_back("hasty");
    });
    p.async_get(t0 + 10s, boost::asio::bind_cancellation_slot(sig.slot(), [&](pws::aws::credentials_result r) {
                    cancelled = std::move(r);
                    order.push_back("cancelled");
                }));
    p.async_get(t0 + 10s, [&](pws::aws::credentials_result r) {
        patient = std::move(r);
        order.push_back("patient");
    });
    boost::asio::steady_timer at(ioc, 100ms);
    at.async_wait([&](boost::system::error_code) { sig.emit(boost::asio::cancellation_type::terminal); });
    ioc.run();
    const auto took = std::chrono::steady_clock::now() - t0;
    BOOST_TEST((order == std::vector<std::string>{"hasty", "cancelled", "patient"}));
    BOOST_TEST_REQUIRE(hasty.has_value());
    BOOST_TEST((hasty->ec == pws::error::timeout), hasty->ec.message() << ": " << hasty->diagnostic);
    BOOST_TEST(!hasty->creds);
    BOOST_TEST_REQUIRE(cancelled.has_value());
    BOOST_TEST((cancelled->ec == boost::asio::error::operation_aborted), cancelled->diagnostic);
    BOOST_TEST_REQUIRE(patient.has_value());
    BOOST_TEST_REQUIRE(!patient->ec, patient->diagnostic);
    BOOST_TEST(patient->creds->access_key_id == "ASIA1");
    BOOST_TEST(agent.server.count() == 1u);  // one fetch for the three
    BOOST_TEST(took < 5s);  // a bound, not a timing: the patient wait's timer was cancelled with it
    BOOST_TEST(p.stats().abandoned_waits == 2u);
    // Held now: a deadline already past still gets them, without waiting.
    auto again = get(ioc, p);
    BOOST_TEST(!again.ec);
    std::optional<pws::aws::credentials_result> late;
    p.async_get(std::chrono::steady_clock::now() - 1s, [&](pws::aws::credentials_result r) { late = std::move(r); });
    ioc.restart();
    ioc.run();
    BOOST_TEST_REQUIRE(late.has_value());
    BOOST_TEST(!late->ec, late->diagnostic);
}

BOOST_FIXTURE_TEST_CASE(lazy_and_remembers_the_winner, fixture) {
    numbered_agent agent(clock);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    ioc.run();
    BOOST_TEST(agent.server.count() == 0u);  // nothing fetched at construction
    BOOST_TEST(p.source() == "");
    BOOST_TEST(!p.try_get());

    auto r = get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "ASIA1");
    // A higher-priority source appears; the refresh still goes to the container only.
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "S");
    clock.advance(55min);
    r = get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "container");
    BOOST_TEST(r.creds->access_key_id == "ASIA2");
    BOOST_TEST(agent.server.count() == 2u);
}

BOOST_FIXTURE_TEST_CASE(concurrent_requests_share_one_fetch, fixture) {
    numbered_agent agent(clock);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    std::vector<pws::aws::credentials_result> results;
    for (int i = 0; i < 32; ++i)
        p.async_get([&](pws::aws::credentials_result r) { results.push_back(std::move(r)); });
    ioc.run();
    BOOST_TEST_REQUIRE(results.size() == 32u);
    BOOST_TEST(agent.server.count() == 1u);
    for (auto& r : results) BOOST_TEST((!r.ec && r.creds == results[0].creds));  // the very same object
    BOOST_TEST(p.stats().fetches == 1u);

    // The same from four threads at once.
    boost::asio::thread_pool threads(4);
    pws::aws::credentials_provider shared(threads.get_executor(), cfg);
    std::mutex m;
    std::set<const pws::aws::credentials*> distinct;
    std::atomic<int> done{0};
    for (int i = 0; i < 64; ++i)
        boost::asio::post(threads, [&] {
            shared.async_get([&](pws::aws::credentials_result r) {
                std::lock_guard lock(m);
                distinct.insert(r.creds.get());
                ++done;
            });
        });
    threads.join();
    BOOST_TEST(done == 64);
    BOOST_TEST(distinct.size() == 1u);
    BOOST_TEST(!distinct.count(nullptr));
    BOOST_TEST(agent.server.count() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_wait_ends_and_the_fetch_goes_on, fixture) {
    // Two waiters for a slow fetch; the first is cancelled after 50 ms. It completes at once with
    // operation_aborted; the other gets the credentials when they come; the fetch is not
    // repeated for the next request; a late cancellation does nothing.
    numbered_agent agent(clock);
    agent.delay_ms = 400;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    boost::asio::cancellation_signal signal;
    std::vector<std::string> order;
    pws::aws::credentials_result cancelled, waited;
    p.async_get(boost::asio::bind_cancellation_slot(signal.slot(), [&](pws::aws::credentials_result r) {
        order.push_back("cancelled");
        cancelled = std::move(r);
    }));
    p.async_get([&](pws::aws::credentials_result r) {
        order.push_back("waited");
        waited = std::move(r);
    });
    boost::asio::steady_timer timer(ioc, 50ms);
    timer.async_wait([&](auto) {
        signal.emit(boost::asio::cancellation_type::terminal);
        BOOST_TEST(order.empty());  // completes through the executor, never inline
    });
    ioc.run();
    BOOST_TEST_REQUIRE(order.size() == 2u);
    BOOST_TEST(order[0] == "cancelled");
    BOOST_TEST((cancelled.ec == boost::asio::error::operation_aborted), cancelled.ec.message());
    BOOST_TEST(!cancelled.creds);
    BOOST_TEST(!waited.ec, waited.diagnostic);
    BOOST_TEST_REQUIRE(waited.creds);
    BOOST_TEST(waited.creds->access_key_id == "ASIA1");
    BOOST_TEST(p.stats().abandoned_waits == 1u);
    BOOST_TEST(p.stats().fetches == 1u);

    signal.emit(boost::asio::cancellation_type::terminal);  // late: the waiter has completed
    ioc.restart();
    ioc.poll();
    BOOST_TEST(order.size() == 2u);
    auto again = get(ioc, p);
    BOOST_TEST((!again.ec && again.creds == waited.creds));
    BOOST_TEST(agent.server.count() == 1u);

    // A cancelled sole waiter: the fetch still completes and fills the cache.
    numbered_agent slow(clock);
    slow.delay_ms = 300;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", slow.server.url("/creds"));
    pws::aws::credentials_provider q(ioc.get_executor(), cfg);
    boost::asio::cancellation_signal signal2;
    pws::aws::credentials_result alone;
    q.async_get(boost::asio::bind_cancellation_slot(signal2.slot(),
                                                    [&](pws::aws::credentials_result r) { alone = std::move(r); }));
    boost::asio::steady_timer timer2(ioc, 20ms);
    timer2.async_wait([&](auto) { signal2.emit(boost::asio::cancellation_type::total); });
    ioc.restart();
    ioc.run();  // runs until the fetch ends: it is work on the io_context
    BOOST_TEST((alone.ec == boost::asio::error::operation_aborted), alone.ec.message());
    BOOST_TEST(q.try_get() != nullptr);
    BOOST_TEST(slow.server.count() == 1u);
}

BOOST_FIXTURE_TEST_CASE(the_middle_of_three_waits_cancelled_partially_ends_alone, fixture) {
    // Three requests share one fetch; the second is cancelled (partial, then total again after it
    // ended) as soon as it waits. It ends first, with operation_aborted; the first and the third
    // get the one fetch's credentials, in their order; the fetch is neither repeated nor stopped.
    numbered_agent agent(clock);
    agent.delay_ms = 200;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    std::array<boost::asio::cancellation_signal, 3> signal;
    std::array<pws::aws::credentials_result, 3> got;
    std::vector<int> order;
    for (int i = 0; i < 3; ++i)
        p.async_get(boost::asio::bind_cancellation_slot(signal[i].slot(), [&, i](pws::aws::credentials_result r) {
            order.push_back(i);
            got[i] = std::move(r);
        }));
    signal[1].emit(boost::asio::cancellation_type::partial);
    BOOST_TEST(order.empty());  // completes through the executor, never inside emit
    ioc.run();
    BOOST_TEST((order == std::vector<int>{1, 0, 2}));
    BOOST_TEST((got[1].ec == boost::asio::error::operation_aborted), got[1].ec.message());
    BOOST_TEST(got[1].diagnostic == "waiting for AWS credentials was cancelled");
    BOOST_TEST(!got[1].creds);
    for (int i : {0, 2}) {
        BOOST_TEST(!got[i].ec, got[i].diagnostic);
        BOOST_TEST_REQUIRE(got[i].creds);
        BOOST_TEST(got[i].creds->access_key_id == "ASIA1");
    }
    BOOST_TEST(got[0].creds == got[2].creds);
    signal[1].emit(boost::asio::cancellation_type::total);  // late: nothing
    signal[0].emit(boost::asio::cancellation_type::terminal);
    ioc.restart();
    BOOST_TEST(ioc.poll() == 0u);
    auto s = p.stats();
    BOOST_TEST(s.abandoned_waits == 1u);
    BOOST_TEST(s.fetches == 1u);
    BOOST_TEST(agent.server.count() == 1u);
}

BOOST_FIXTURE_TEST_CASE(cancellations_racing_the_fetch_complete_each_wait_once, fixture) {
    // 4 threads; 64 waiters, each on a strand of its own, each cancelled after 0-59 ms while
    // the fetches (30 ms each) complete on other threads. Every wait completes exactly once,
    // with the credentials or with operation_aborted (run under ThreadSanitizer in CI).
    numbered_agent agent(clock);
    agent.delay_ms = 30;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    boost::asio::thread_pool threads(4);
    struct waiter {
        boost::asio::strand<boost::asio::thread_pool::executor_type> strand;
        boost::asio::cancellation_signal signal;
        boost::asio::steady_timer timer{strand};
        std::atomic<int> completions{0};
        std::atomic<bool> aborted{false}, other_error{false};
        explicit waiter(boost::asio::thread_pool& t) : strand(boost::asio::make_strand(t)) {}
    };
    std::vector<std::unique_ptr<waiter>> waiters;
    for (int i = 0; i < 64; ++i) waiters.push_back(std::make_unique<waiter>(threads));
    for (int round = 0; round < 3; ++round) {
        // A new provider each round, so every round waits for a fetch.
        pws::aws::credentials_provider p(threads.get_executor(), cfg);
        std::atomic<int> done{0};
        for (int i = 0; i < 64; ++i) {
            waiter* w = waiters[static_cast<std::size_t>(i)].get();
            w->completions = 0;
            boost::asio::post(w->strand, [&p, &done, w, i, round] {
                p.async_get(boost::asio::bind_cancellation_slot(
                    w->signal.slot(), boost::asio::bind_executor(w->strand, [&done, w](pws::aws::credentials_result r) {
                        w->aborted = r.ec == boost::asio::error::operation_aborted;
                        w->other_error = (r.ec && !w->aborted) || (!r.ec && !r.creds);
                        if (++w->completions == 1) ++done;
                    })));
                w->timer.expires_after(std::chrono::milliseconds((i * 7 + round * 13) % 60));
                w->timer.async_wait([w](auto) { w->signal.emit(boost::asio::cancellation_type::terminal); });
            });
        }
        for (int i = 0; i < 1000 && done < 64; ++i) std::this_thread::sleep_for(5ms);
        std::this_thread::sleep_for(100ms);  // room for a second (wrong) completion
        BOOST_TEST(done == 64);
        int aborted = 0;
        for (auto& w : waiters) {
            BOOST_TEST(w->completions == 1);
            BOOST_TEST(!w->other_error);
            aborted += w->aborted ? 1 : 0;
        }
        BOOST_TEST(aborted < 64);  // the fetch (30 ms) beat the later cancellations
        BOOST_TEST(p.stats().abandoned_waits == static_cast<std::uint64_t>(aborted));
        BOOST_TEST_MESSAGE("round " << round << ": " << aborted << " of 64 waits cancelled");
    }
    threads.join();
}

BOOST_FIXTURE_TEST_CASE(advisory_then_mandatory_refresh, fixture) {
    numbered_agent agent(clock);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    BOOST_TEST(get(ioc, p).creds->access_key_id == "ASIA1");
    clock.advance(40min);  // 20 min left: served from memory, no fetch
    BOOST_TEST(get(ioc, p).creds->access_key_id == "ASIA1");
    BOOST_TEST(p.try_get()->access_key_id == "ASIA1");
    BOOST_TEST(agent.server.count() == 1u);

    clock.advance(8min);  // 12 min left: advisory — everyone keeps ASIA1, one background refresh
    std::vector<std::string> seen;
    for (int i = 0; i < 8; ++i)
        p.async_get([&](pws::aws::credentials_result r) { seen.push_back(r.creds->access_key_id); });
    BOOST_TEST(p.try_get()->access_key_id == "ASIA1");
    ioc.restart();
    ioc.run();
    BOOST_TEST(seen == std::vector<std::string>(8, "ASIA1"));
    BOOST_TEST(agent.server.count() == 2u);
    BOOST_TEST(p.stats().background_refreshes == 1u);
    BOOST_TEST(p.try_get()->access_key_id == "ASIA2");  // the refresh landed

    clock.advance(52min);  // 8 min left of ASIA2: mandatory — the caller waits for ASIA3
    BOOST_TEST(!p.try_get());
    auto r = get(ioc, p);
    BOOST_TEST(r.creds->access_key_id == "ASIA3");
    BOOST_TEST((r.expiration && *r.expiration == clock.now() + 1h));
}

BOOST_FIXTURE_TEST_CASE(static_stability_when_imds_is_down, fixture) {
    std::atomic<bool> down{false};
    fake_http imds([&](const seen_request& q) {
        if (down) return reply{0, "", "", 0ms, true};  // hang up
        if (q.method == "PUT") return reply{200, "tok", "text/plain"};
        if (q.target.ends_with("/security-credentials/")) return reply{200, "role", "text/plain"};
        return reply{200, metadata_json("ASIAIMDS", "SECRETIMDS", "TOKIMDS", t0 + 1h)};
    });
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    BOOST_TEST_REQUIRE(!get(ioc, p).ec);
    down = true;

    clock.advance(55min);  // mandatory window, IMDS down: keep signing with what we have
    auto r = get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "ASIAIMDS");
    BOOST_TEST((*r.expiration == t0 + 1h));
    auto calls = imds.count();
    BOOST_TEST(!get(ioc, p).ec);
    BOOST_TEST(imds.count() == calls);  // and do not hammer it: the next try is a minute later

    clock.set(t0 + 1h + 1min);  // expired, IMDS still down: extended by 5 to 10 minutes
    r = get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "ASIAIMDS");
    BOOST_TEST((*r.expiration >= clock.now() + 5min && *r.expiration < clock.now() + 10min));
    BOOST_TEST(p.stats().extensions == 1u);

    down = false;  // back: the next refresh (after 5 min) replaces them
    clock.advance(5min + 1s);
    get(ioc, p);
    BOOST_TEST(p.stats().failed_fetches == 2u);
}

BOOST_FIXTURE_TEST_CASE(expired_container_credentials_are_an_error, fixture) {
    numbered_agent agent(clock);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    BOOST_TEST_REQUIRE(!get(ioc, p).ec);
    agent.down = true;
    clock.advance(1h);
    auto r = get(ioc, p);
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(r.diagnostic.find("refreshing AWS credentials from container failed") != std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("HTTP 503") != std::string::npos, r.diagnostic);
    agent.down = false;  // recovers on the next request
    BOOST_TEST(get(ioc, p).creds->access_key_id == "ASIA2");
}

BOOST_FIXTURE_TEST_CASE(no_credentials_lists_every_source_and_no_secret, fixture) {
    env.set("AWS_SECRET_ACCESS_KEY", "SECRET-VALUE-1");  // without an id: skipped, and never quoted
    env.set("AWS_SESSION_TOKEN", "SESSION-TOKEN-1");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "AUTH-TOKEN-1");
    dir.write(".aws/config", "[default]\nregion = eu-west-1\n");
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    auto r = get(ioc, p);
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(!r.creds);
    const std::string& d = r.diagnostic;
    for (auto part : {"no AWS credentials: explicit: skipped, not configured",
                      "environment: skipped, AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                      "web identity: skipped, AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                      "shared files: skipped, profile 'default' has no credentials",
                      "container: skipped, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set",
                      "instance metadata: skipped, AWS_EC2_METADATA_DISABLED is true"})
        BOOST_TEST(d.find(part) != std::string::npos, part << " in " << d);
    for (auto secret : {"SECRET-VALUE-1", "SESSION-TOKEN-1", "AUTH-TOKEN-1"})
        BOOST_TEST(d.find(secret) == std::string::npos);
    BOOST_TEST(p.stats().failed_fetches == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// The DynamoDB client asks the chain before signing (the process environment, as in production).
BOOST_AUTO_TEST_SUITE(credentials_client)

namespace {

// Sets process environment variables for one test and restores them after.
struct scoped_env {
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    void set(const std::string& k, const std::optional<std::string>& v) {
        const char* old = std::getenv(k.c_str());
        saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
        if (v) ::setenv(k.c_str(), v->c_str(), 1);
        else ::unsetenv(k.c_str());
    }
    ~scoped_env() {
        for (auto it = saved.rbegin(); it != saved.rend(); ++it)
            if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
            else ::unsetenv(it->first.c_str());
    }
};

struct client_fixture {
    boost::asio::io_context ioc;
    temp_dir home;
    scoped_env env;
    numbered_agent agent{manual_clock{}};
    fake_http dynamodb{[](const seen_request&) { return reply{200, "{}", "application/x-amz-json-1.0"}; }};
    client_fixture() {
        agent.clock.set(std::chrono::system_clock::now());  // the client uses the real clock
        for (auto var : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                         "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"})
            env.set(var, std::nullopt);
        env.set("HOME", home.path.string());
        env.set("AWS_EC2_METADATA_DISABLED", "true");
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.server.url("/creds"));
    }
    pws::DynamoDbConfig config() const {
        pws::DynamoDbConfig c;
        c.endpoint = dynamodb.url();
        return c;
    }
    // After a first lookup that ended without a request: the next one is sent, signed with the
    // credentials of the chain's first fetch, and fetches no more.
    void next_lookup_signs_with_the_one_fetch(pws::DynamoDbPolicy& policy) {
        auto r = run(ioc, [&] { return policy.find_by_id("app-id"); });
        BOOST_TEST(r.not_found(), r.ec.message() << ": " << r.diagnostic);
        BOOST_TEST_REQUIRE(dynamodb.count() == 1u);
        BOOST_TEST(dynamodb.requests()[0].header("authorization").find("Credential=ASIA1/") != std::string::npos);
        BOOST_TEST(agent.server.count() == 1u);
    }
    // `start(slot, out)` begins a lookup whose handler is bound to `slot` and sets `out`; the
    // lookup is cancelled (terminal) at 100 ms. Runs the context until all is done; returns `out`.
    template <class Start>
    pws::find_result cancelled_at_100ms(Start start) {
        boost::asio::cancellation_signal signal;
        std::optional<pws::find_result> out;
        start(signal.slot(), out);
        boost::asio::steady_timer at(ioc, 100ms);
        at.async_wait([&](boost::system::error_code) { signal.emit(boost::asio::cancellation_type::terminal); });
        ioc.restart();
        ioc.run();
        BOOST_TEST_REQUIRE(out.has_value());
        return std::move(*out);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(signs_with_container_credentials, client_fixture) {
    pws::DynamoDbPolicy policy(ioc.get_executor(), config());
    BOOST_TEST(agent.server.count() == 0u);  // constructing the client fetched nothing
    for (int i = 0; i < 2; ++i) {
        auto r = run(ioc, [&] { return policy.find_by_id("app-id"); });
        BOOST_TEST(r.not_found(), r.ec.message() << ": " << r.diagnostic);
    }
    auto seen = dynamodb.requests();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    for (auto& q : seen) {
        BOOST_TEST(q.header("authorization").find("Credential=ASIA1/") != std::string::npos, q.header("authorization"));
        BOOST_TEST(q.header("x-amz-security-token") == "TOKEN1");
    }
    BOOST_TEST(agent.server.count() == 1u);  // fetched once, then held
}

BOOST_FIXTURE_TEST_CASE(credentials_failure_is_an_error_not_not_found, client_fixture) {
    agent.down = true;
    pws::DynamoDbPolicy policy(ioc.get_executor(), config());
    auto r = run(ioc, [&] { return policy.find_by_id("app-id"); });
    BOOST_TEST(r.failed());
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(r.diagnostic.find("container: FAILED, GET http://127.0.0.1:") != std::string::npos, r.diagnostic);
    BOOST_TEST(dynamodb.count() == 0u);  // nothing unsigned was sent

    // DynamoDbConfig::credentials still wins over the chain.
    auto cfg = config();
    cfg.credentials = pws::aws::credentials{"AKIDCONFIG", "S", ""};
    pws::DynamoDbPolicy explicit_policy(ioc.get_executor(), cfg);
    r = run(ioc, [&] { return explicit_policy.find_by_id("app-id"); });
    BOOST_TEST(r.not_found(), r.diagnostic);
    BOOST_TEST(dynamodb.requests().back().header("authorization").find("Credential=AKIDCONFIG/") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(waiting_for_credentials_is_bounded_by_total_timeout, client_fixture) {
    // The container endpoint answers in 600 ms (within its own 1 s timeout); the lookup's
    // total_timeout is 150 ms. The lookup ends with a timeout (not after the credentials come,
    // not as "not found"); the fetch goes on, and the next lookup signs with its result.
    agent.delay_ms = 600;
    auto cfg = config();
    cfg.total_timeout = 150ms;
    pws::DynamoDbPolicy policy(ioc.get_executor(), cfg);
    std::optional<pws::find_result> first;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            first = co_await policy.find_by_id("app-id");
        },
        boost::asio::detached);
    ioc.run();  // until the fetch ends too
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST((first->ec == error::timeout), first->ec.message() << ": " << first->diagnostic);
    BOOST_TEST(first->diagnostic.find("total_timeout") != std::string::npos, first->diagnostic);
    BOOST_TEST(dynamodb.count() == 0u);

    next_lookup_signs_with_the_one_fetch(policy);
}

BOOST_FIXTURE_TEST_CASE(a_lookup_cancelled_while_waiting_for_credentials_is_aborted, client_fixture) {
    // The container endpoint answers in 600 ms; total_timeout is 5 s; the caller cancels the
    // lookup at 100 ms (as a server does when the connection that asked goes away). The lookup
    // ends then with operation_aborted: not a timeout (the deadline was far), not "not found",
    // not the app once the fetch is done;
    // the fetch goes on, and the next lookup signs with its result without a second fetch.
    agent.delay_ms = 600;
    auto cfg = config();
    cfg.total_timeout = 5s;
    pws::DynamoDbPolicy policy(ioc.get_executor(), cfg);
    auto first = cancelled_at_100ms([&](boost::asio::cancellation_slot slot, std::optional<pws::find_result>& out) {
        boost::asio::co_spawn(ioc, policy.find_by_id("app-id"),
                              boost::asio::bind_cancellation_slot(slot, [&](std::exception_ptr e, pws::find_result r) {
                                  BOOST_TEST(!e, "the cancelled lookup threw");
                                  out = std::move(r);
                              }));
    });  // the context ran until the fetch ended too
    BOOST_TEST((first.ec == boost::asio::error::operation_aborted), first.ec.message() << ": " << first.diagnostic);
    BOOST_TEST(first.diagnostic.find("cancelled") != std::string::npos, first.diagnostic);
    BOOST_TEST(dynamodb.count() == 0u);

    next_lookup_signs_with_the_one_fetch(policy);
}

namespace {
// Credentials held; DynamoDB answers every request in 600 ms; total_timeout 5 s: a lookup
// cancelled at 100 ms is cancelled while its request is in flight.
struct mid_request_fixture : client_fixture {
    fake_http slow{[](const seen_request&) {
        return reply{200, "{}", "application/x-amz-json-1.0", std::chrono::milliseconds(600)};
    }};
    mid_request_fixture() {
        env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
        env.set("AWS_SECRET_ACCESS_KEY", "S");
    }
    pws::DynamoDbConfig slow_config() const {
        auto c = config();
        c.endpoint = slow.url();
        c.total_timeout = 5s;
        return c;
    }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_lookup_cancelled_mid_request_is_aborted, mid_request_fixture) {
    // The awaitable API, the lookup spawned with the caller's slot: operation_aborted, no
    // exception, no retry; the client goes on working.
    pws::DynamoDbPolicy policy(ioc.get_executor(), slow_config());
    auto r = cancelled_at_100ms([&](boost::asio::cancellation_slot slot, std::optional<pws::find_result>& out) {
        boost::asio::co_spawn(ioc, policy.find_by_id("app-id"),
                              boost::asio::bind_cancellation_slot(slot, [&](std::exception_ptr e, pws::find_result r) {
                                  BOOST_TEST(!e, "the cancelled lookup threw");
                                  out = std::move(r);
                              }));
    });
    BOOST_TEST((r.ec == boost::asio::error::operation_aborted), r.ec.message() << ": " << r.diagnostic);
    BOOST_TEST(r.diagnostic.find("cancelled") != std::string::npos, r.diagnostic);
    BOOST_TEST(slow.count() == 1u);  // not retried
    r = run(ioc, [&] { return policy.find_by_id("app-id"); });
    BOOST_TEST(r.not_found(), r.ec.message() << ": " << r.diagnostic);
}

BOOST_FIXTURE_TEST_CASE(async_find_passes_its_handlers_cancellation_slot_on, mid_request_fixture) {
    // The completion-token API: the handler's slot reaches the lookup, which ends with
    // operation_aborted (not driver_exception, not the answer 500 ms later).
    pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), slow_config());
    auto r = cancelled_at_100ms([&](boost::asio::cancellation_slot slot, std::optional<pws::find_result>& out) {
        apps.async_find_by_key("app-key", boost::asio::bind_cancellation_slot(slot, [&](pws::find_result r) {
                                   out = std::move(r);
                               }));
    });
    BOOST_TEST((r.ec == boost::asio::error::operation_aborted), r.ec.message() << ": " << r.diagnostic);
    BOOST_TEST(slow.count() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_cache_miss_leader_ends_at_once_and_its_request_runs_on, mid_request_fixture) {
    // Cached: the first lookup of a name sends the request; a second lookup of the same name
    // waits for it. The first one's caller cancels at 100 ms: it ends then, with
    // operation_aborted, before the answer (600 ms); the request runs to its end, the second
    // lookup gets its answer, and the answer is cached — one request in all.
    pws::CacheConfig cache;
    cache.enabled = true;
    cache.negative_ttl = std::chrono::seconds(60);
    pws::AppManager<pws::Cached<pws::DynamoDbPolicy>> apps(cache, ioc.get_executor(), slow_config());
    std::optional<pws::find_result> second;
    std::vector<int> order;
    auto leader = cancelled_at_100ms([&](boost::asio::cancellation_slot slot, std::optional<pws::find_result>& out) {
        apps.async_find_by_id("app-id", boost::asio::bind_cancellation_slot(slot, [&](pws::find_result r) {
                                  out = std::move(r);
                                  order.push_back(1);
                              }));
        apps.async_find_by_id("app-id", [&](pws::find_result r) {
            second = std::move(r);
            order.push_back(2);
        });
    });
    BOOST_TEST((leader.ec == boost::asio::error::operation_aborted), leader.ec.message() << ": " << leader.diagnostic);
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(second->not_found(), second->ec.message() << ": " << second->diagnostic);
    BOOST_TEST((order == std::vector<int>{1, 2}));  // the cancelled one did not wait for the answer
    BOOST_TEST(slow.count() == 1u);
    auto held = apps.policy().try_get_by_id("app-id");  // the answer was cached
    BOOST_TEST_REQUIRE(held.has_value());
    BOOST_TEST(held->not_found());
    BOOST_TEST(apps.policy().requests_in_flight() == 0u);
}

BOOST_FIXTURE_TEST_CASE(lookups_on_four_threads_share_the_wait_and_its_deadline, client_fixture) {
    // 32 lookups at once on a 4-thread pool, the container endpoint answering in 300 ms. With a
    // 100 ms total_timeout every lookup times out and one fetch goes on; with 5 s, a new client's
    // lookups all wait for its one fetch and sign with it (run under ThreadSanitizer in CI).
    agent.delay_ms = 300;
    boost::asio::thread_pool threads(4);
    auto lookups = [&](pws::DynamoDbPolicy& policy) {
        std::vector<std::future<pws::find_result>> futures;
        for (int i = 0; i < 32; ++i)
            futures.push_back(boost::asio::co_spawn(threads, policy.find_by_id("app-id"), boost::asio::use_future));
        std::vector<pws::find_result> out;
        for (auto& f : futures) out.push_back(f.get());
        return out;
    };
    auto cfg = config();
    cfg.total_timeout = 100ms;
    pws::DynamoDbPolicy impatient(threads.get_executor(), cfg);
    for (auto& r : lookups(impatient))
        BOOST_TEST((r.ec == error::timeout), r.ec.message() << ": " << r.diagnostic);
    BOOST_TEST(dynamodb.count() == 0u);

    cfg.total_timeout = 5s;
    pws::DynamoDbPolicy patient(threads.get_executor(), cfg);
    for (auto& r : lookups(patient)) BOOST_TEST(r.not_found(), r.ec.message() << ": " << r.diagnostic);
    BOOST_TEST(dynamodb.count() == 32u);
    BOOST_TEST(agent.server.count() == 2u);  // one fetch per client
    threads.join();
}

BOOST_AUTO_TEST_SUITE_END()

// STS and an https container endpoint over TLS, with certificates made at test time by
// tests/transport/make_certs.sh (a CA; server.pem for localhost/127.0.0.1, other.pem for
// other.invalid only): the peer is verified by CA and by name, as the DynamoDB transport does.
BOOST_AUTO_TEST_SUITE(credentials_tls)

BOOST_FIXTURE_TEST_CASE(sts_and_container_over_https_verify_the_peer, fixture) {
    const char* tls_dir = std::getenv("PWS_CREDENTIALS_TLS_DIR");
    BOOST_TEST_REQUIRE(tls_dir != nullptr, "PWS_CREDENTIALS_TLS_DIR is not set: run through ctest");
    const std::string d = tls_dir;
    auto server_tls = [&](const std::string& name) {
        auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        ctx->use_certificate_chain_file(d + "/" + name + ".pem");
        ctx->use_private_key_file(d + "/" + name + ".key", boost::asio::ssl::context::pem);
        return ctx;
    };
    auto handler = [](const seen_request& q) {
        if (q.method == "POST") return reply{200, sts_xml("ASIASTS", "S", "T", t0 + 1h), "text/xml"};
        return reply{200, metadata_json("ASIACONT", "S", "T", t0 + 1h)};
    };
    auto good = server_tls("server"), other = server_tls("other");
    fake_http sts(handler, good.get()), wrong_name(handler, other.get());
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "jwt"));
    env.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    cfg.ca_file = d + "/ca.pem";
    auto get_with = [&](const std::string& sts_url) {
        env.set("AWS_ENDPOINT_URL_STS", sts_url);
        pws::aws::credentials_provider p(ioc.get_executor(), cfg);
        return get(ioc, p);
    };
    for (std::string host : {"localhost", "127.0.0.1"}) {
        auto r = get_with("https://" + host + ":" + std::to_string(sts.port()));
        BOOST_TEST(!r.ec, host << ": " << r.diagnostic);
        BOOST_TEST((r.creds && r.creds->access_key_id == "ASIASTS"));
    }
    // A certificate for another name, and a CA we were not told to trust: refused, saying why
    // as the DynamoDB transport does (the one connect of detail/http/).
    auto r = get_with("https://localhost:" + std::to_string(wrong_name.port()));
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(r.diagnostic.find("certificate was rejected (hostname mismatch: it is not valid for 'localhost')") !=
                   std::string::npos,
               r.diagnostic);
    cfg.ca_file.clear();
    r = get_with("https://localhost:" + std::to_string(sts.port()));
    BOOST_TEST(r.diagnostic.find("certificate was rejected (unable to get local issuer certificate") != std::string::npos,
               r.diagnostic);
    BOOST_TEST(r.diagnostic.find("credentials_provider_config::ca_file") != std::string::npos, r.diagnostic);  // the fix
    BOOST_TEST(sts.count() == 2u);

    // https container endpoints may be any host (here: localhost, verified like STS).
    cfg.ca_file = d + "/ca.pem";
    env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://localhost:" + std::to_string(sts.port()) + "/creds");
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    r = get(ioc, p);
    BOOST_TEST(!r.ec, r.diagnostic);
    BOOST_TEST((r.creds && r.creds->access_key_id == "ASIACONT"));
}

BOOST_AUTO_TEST_SUITE_END()
