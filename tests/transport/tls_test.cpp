// TLS: the fault front terminates TLS with a CA and server certificates made at test time by
// make_certs.sh (SAN localhost and 127.0.0.1, or other.invalid), before dynalite.
#include "transport_support.hpp"

#include <boost/asio/ssl/context.hpp>

#include <thread>

using namespace transport;

namespace {

struct tls_fixture {
    std::string dir = tls_dir();
    std::unique_ptr<asio::ssl::context> server =
        fault_front::server_tls(dir + "/server.pem", dir + "/server.key");
    asio::io_context ioc;
    fault_front front{"127.0.0.1", dynalite_port(), server.get()};

    pws::DynamoDbConfig config_for(const std::string& host, bool with_ca = true) const {
        auto c = transport::config(front.endpoint(host));
        if (with_ca) c.ca_file = dir + "/ca.pem";
        return c;
    }
};

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_FIXTURE_TEST_CASE(trusted_ca_by_name_and_by_address, tls_fixture) {
    for (std::string host : {"localhost", "127.0.0.1"}) {
        auto cfg = config_for(host);
        pws::dynamodb::client c(ioc.get_executor(), cfg);
        BOOST_TEST(c.endpoint().tls);
        auto o = lookup(ioc, c);
        BOOST_TEST(o.found(), host + ": " + o.result.ec.message() + ": " + o.result.diagnostic);
        o = lookup(ioc, c);
        BOOST_TEST(o.found(), o.result.diagnostic);
        BOOST_TEST(c.stats().connections_opened == 1u);  // kept alive over TLS
        BOOST_TEST(o.took < cfg.total_timeout + grace);
    }
}

BOOST_FIXTURE_TEST_CASE(unknown_ca_is_a_clear_certificate_error, tls_fixture) {
    auto cfg = config_for("localhost", /*with_ca=*/false);  // the system store only
    pws::dynamodb::client c(ioc.get_executor(), cfg);
    auto o = lookup(ioc, c);
    BOOST_TEST(o.result.ec == pws::error::connection_failed, o.result.ec.message());
    const auto& d = o.result.diagnostic;
    BOOST_TEST(contains(d, "certificate"), d);
    BOOST_TEST(contains(d, "unable to get local issuer certificate"), d);
    BOOST_TEST(contains(d, "AWS_CA_BUNDLE"), d);  // says what to do
    BOOST_TEST(o.attempts == 1);                  // retrying cannot help
    BOOST_TEST(front.connections() == 1);
    BOOST_TEST(front.requests() == 0);  // nothing was sent
    BOOST_TEST(o.took < cfg.total_timeout + grace);
}

BOOST_FIXTURE_TEST_CASE(hostname_mismatch_is_refused, tls_fixture) {
    // A certificate from the trusted CA, but for other.invalid only.
    auto other = fault_front::server_tls(dir + "/other.pem", dir + "/other.key");
    fault_front wrong("127.0.0.1", dynalite_port(), other.get());
    for (std::string host : {"localhost", "127.0.0.1"}) {
        auto cfg = transport::config(wrong.endpoint(host));
        cfg.ca_file = dir + "/ca.pem";
        pws::dynamodb::client c(ioc.get_executor(), cfg);
        auto o = lookup(ioc, c);
        BOOST_TEST(o.result.ec == pws::error::connection_failed, o.result.ec.message());
        const auto& d = o.result.diagnostic;
        BOOST_TEST(contains(d, "certificate"), d);
        BOOST_TEST(contains(d, host == "localhost" ? "hostname mismatch" : "IP address mismatch"), d);
        BOOST_TEST(contains(d, "'" + host + "'"), d);
        BOOST_TEST(o.attempts == 1);
    }
    BOOST_TEST(wrong.requests() == 0);
}

BOOST_FIXTURE_TEST_CASE(verification_can_be_turned_off, tls_fixture) {
    auto cfg = config_for("localhost", /*with_ca=*/false);
    cfg.verify_peer = false;
    pws::dynamodb::client c(ioc.get_executor(), cfg);
    auto o = lookup(ioc, c);
    BOOST_TEST(o.found(), o.result.diagnostic);
}

BOOST_FIXTURE_TEST_CASE(unreadable_ca_bundle_is_a_configuration_error, tls_fixture) {
    auto cfg = config_for("localhost");
    cfg.ca_file = dir + "/no-such-ca.pem";
    try {
        pws::dynamodb::client c(ioc.get_executor(), cfg);
        BOOST_FAIL("constructed with an unreadable CA bundle");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == pws::error::invalid_config);
        BOOST_TEST(contains(e.what(), "no-such-ca.pem"), e.what());
    }
}

BOOST_FIXTURE_TEST_CASE(faults_over_tls_are_retried, tls_fixture) {
    auto cfg = config_for("localhost");
    pws::dynamodb::client c(ioc.get_executor(), cfg);
    front.push(fault::drop_after_request);
    front.push(fault::bad_crc);
    auto o = lookup(ioc, c);
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 3);
    BOOST_TEST(front.requests() == 3);
    BOOST_TEST(o.took < cfg.total_timeout + grace);
}

BOOST_FIXTURE_TEST_CASE(idle_tls_connection_closed_by_the_server_is_replaced, tls_fixture) {
    front.close_idle_after(200ms);
    auto cfg = config_for("localhost");
    pws::dynamodb::client c(ioc.get_executor(), cfg);
    BOOST_TEST_REQUIRE(lookup(ioc, c).found());
    for (int i = 0; i < 300 && front.idle_closes() == 0; ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST_REQUIRE(front.idle_closes() == 1);
    auto o = lookup(ioc, c);
    BOOST_TEST(o.found(), o.result.diagnostic);
    BOOST_TEST(o.attempts == 1);
    BOOST_TEST(c.stats().idle_discards == 1u);  // seen closed (close_notify, EOF) before writing
    BOOST_TEST(c.stats().stale_retries == 0u);
    BOOST_TEST(c.stats().connections_opened == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
