// Shared by the transport tests: where the fixture's dynalite and TLS material are, a config with
// short backoffs, and one-shot lookups that report their outcome, attempts and duration.
#pragma once

#include "support/fault_front.hpp"
#include "support/test_support.hpp"

#include <pws/dynamodb/operations.hpp>
#include <pws/policies/dynamodb.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

namespace transport {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using pws::test::fault;
using pws::test::fault_front;
using pws::test::dynalite_port;

/// Scheduling slack allowed past a call's deadline (the deadline is what is asserted, not speed).
inline constexpr auto grace = 500ms;


/// The directory make_certs.sh filled ($PWS_TLS_DIR).
inline std::string tls_dir() {
    const char* dir = std::getenv("PWS_TLS_DIR");
    BOOST_TEST_REQUIRE(dir != nullptr, "PWS_TLS_DIR is not set: run through ctest");
    return dir;
}

/// A config for `endpoint` with dummy credentials and backoffs short enough for tests.
inline pws::DynamoDbConfig config(std::string endpoint) {
    pws::DynamoDbConfig c;
    c.endpoint = std::move(endpoint);
    c.credentials = pws::aws::credentials{"AKIDEXAMPLE", "transport-test-secret-key", ""};
    c.retry_base_delay = 5ms;
    c.throttling_base_delay = 10ms;
    c.max_backoff = 50ms;
    c.attempt_timeout = 2s;
    c.total_timeout = 5s;
    return c;
}

/// One GetItem through the client: its outcome as the policy would give it, plus the attempts.
struct outcome {
    pws::find_result result;
    int attempts = 0;
    steady::duration took{};
    bool found() const { return result.found(); }
};

inline asio::awaitable<outcome> get_app(pws::dynamodb::client& c, std::string id) {
    auto t0 = steady::now();
    const pws::dynamodb::get_item op{c.config().table, id};
    auto r = co_await c.call(op.operation_name, op.body());
    outcome o;
    o.attempts = r.attempts;
    o.result = r.ec ? pws::find_result::failure(r.ec, std::move(r.diagnostic)) : op.parse(r.body);
    o.took = steady::now() - t0;
    co_return o;
}

/// Runs one lookup to completion on `ioc` (one thread).
inline outcome lookup(asio::io_context& ioc, pws::dynamodb::client& c, std::string id = "app-id") {
    auto fut = asio::co_spawn(ioc, get_app(c, std::move(id)), asio::use_future);
    ioc.restart();
    ioc.run();
    return fut.get();
}

/// A front before dynalite and a client to it, made per test (config first adjustable).
struct front_fixture {
    asio::io_context ioc;
    fault_front front{"127.0.0.1", dynalite_port()};
    pws::DynamoDbConfig cfg = config(front.endpoint());
    std::optional<pws::dynamodb::client> client_;

    pws::dynamodb::client& client() {
        if (!client_) client_.emplace(ioc.get_executor(), cfg);
        return *client_;
    }
    outcome lookup(std::string id = "app-id") { return transport::lookup(ioc, client(), std::move(id)); }
    /// The call ended within its deadline (plus scheduling slack).
    bool within_deadline(const outcome& o) const { return o.took < cfg.total_timeout + grace; }
};

}  // namespace transport
