// The transport's retry decisions, backoff, quota, CRC and clock-skew learning, without I/O.
#include <pws/dynamodb/detail/pool.hpp>
#include <pws/dynamodb/detail/retry.hpp>

#include <boost/crc.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using pws::detail::failure_kind;
using pws::dynamodb_errc;
using pws::error;

BOOST_AUTO_TEST_SUITE(retry)

BOOST_AUTO_TEST_CASE(classification_follows_the_sdks) {
    using pws::detail::classify_failure;
    BOOST_TEST((classify_failure(dynamodb_errc::provisioned_throughput_exceeded, 400, "") == failure_kind::throttling));
    BOOST_TEST((classify_failure(dynamodb_errc::throttling, 400, "") == failure_kind::throttling));
    BOOST_TEST((classify_failure(dynamodb_errc::request_limit_exceeded, 400, "") == failure_kind::throttling));
    BOOST_TEST((classify_failure(dynamodb_errc::internal_server_error, 500, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(dynamodb_errc::service_unavailable, 503, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(dynamodb_errc::transaction_in_progress, 400, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(dynamodb_errc::unknown, 502, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(dynamodb_errc::unknown, 429, "") == failure_kind::throttling));
    BOOST_TEST((classify_failure(error::unexpected_status, 504, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(error::connection_closed, 0, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(error::connection_failed, 0, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(error::crc32_mismatch, 200, "") == failure_kind::transient));
    BOOST_TEST((classify_failure(error::timeout, 0, "") == failure_kind::timeout));
    BOOST_TEST((classify_failure(dynamodb_errc::request_time_too_skewed, 400, "") == failure_kind::clock_skew));
    BOOST_TEST((classify_failure(dynamodb_errc::invalid_signature, 400,
                                 "Signature expired: 20150830T123600Z is now earlier than ...") == failure_kind::clock_skew));
    BOOST_TEST((classify_failure(dynamodb_errc::invalid_signature, 400, "Signature not yet current: ...") ==
                failure_kind::clock_skew));
    // Never retried: validation, auth, not found, malformed data.
    BOOST_TEST((classify_failure(dynamodb_errc::invalid_signature, 400, "The request signature we calculated does not match") ==
                failure_kind::fatal));
    for (auto e : {dynamodb_errc::validation, dynamodb_errc::resource_not_found, dynamodb_errc::access_denied,
                   dynamodb_errc::unrecognized_client, dynamodb_errc::expired_token, dynamodb_errc::unknown})
        BOOST_TEST((classify_failure(e, 400, "") == failure_kind::fatal));
    for (auto e : {error::malformed_item, error::malformed_response, error::invalid_argument, error::no_credentials,
                   error::response_too_large, error::ambiguous_key})
        BOOST_TEST((classify_failure(e, 200, "") == failure_kind::fatal));
    BOOST_TEST((classify_failure(std::make_error_code(std::errc::io_error), 0, "") == failure_kind::fatal));
}

BOOST_AUTO_TEST_CASE(backoff_is_full_jitter_capped) {
    using pws::detail::backoff_delay;
    // The ceiling doubles per retry: with the largest random draw we hit it exactly.
    auto top = [](std::uint64_t ceiling) { return ceiling; };  // random % (ceiling+1) == ceiling
    BOOST_TEST(backoff_delay(0, 25ms, 20000ms, top(25)).count() == 25);
    BOOST_TEST(backoff_delay(1, 25ms, 20000ms, top(50)).count() == 50);
    BOOST_TEST(backoff_delay(3, 25ms, 20000ms, top(200)).count() == 200);
    BOOST_TEST(backoff_delay(30, 1000ms, 20000ms, 20000).count() == 20000); // capped, no overflow
    BOOST_TEST(backoff_delay(60, 25ms, 20000ms, ~0ull).count() <= 20000);
    BOOST_TEST(backoff_delay(2, 25ms, 20000ms, 0).count() == 0);             // full jitter reaches 0
    BOOST_TEST(backoff_delay(2, 0ms, 20000ms, 12345).count() == 0);
}

BOOST_AUTO_TEST_CASE(quota_limits_retries_in_an_outage) {
    pws::detail::retry_quota q(500, 5, 10);
    int granted = 0;
    while (q.acquire(failure_kind::transient)) ++granted;
    BOOST_TEST(granted == 100);
    BOOST_TEST(q.available() == 0u);
    BOOST_TEST(q.acquire(failure_kind::timeout) == 0u);
    q.release(5);  // a success after one retry refunds it
    BOOST_TEST(q.available() == 5u);
    BOOST_TEST(q.acquire(failure_kind::timeout) == 0u); // 10 needed
    q.release(0);  // a success without retries gives one token
    q.release(0);
    q.release(0);
    q.release(0);
    q.release(0);
    BOOST_TEST(q.acquire(failure_kind::timeout) == 10u);
    pws::detail::retry_quota full;
    full.release(0);
    BOOST_TEST(full.available() == 500u); // never above capacity
}

BOOST_AUTO_TEST_CASE(crc32_of_bodies) {
    using pws::detail::crc32_matches;
    BOOST_TEST(pws::detail::crc32("123456789") == 0xCBF43926u); // the CRC-32 check value
    BOOST_TEST(pws::detail::crc32("{}") == 2745614147u);        // DynamoDB's x-amz-crc32 for "{}"
    BOOST_TEST(crc32_matches("{}", "2745614147"));
    BOOST_TEST(!crc32_matches("{} ", "2745614147"));
    BOOST_TEST(crc32_matches("{}", ""));
    BOOST_TEST(!crc32_matches("{}", "abc"));
    BOOST_TEST(!crc32_matches("{}", "99999999999999999999"));
}

BOOST_AUTO_TEST_CASE(crc32_agrees_with_boost_crc_at_every_length_and_alignment) {
    // The eight-bytes-at-a-time loop against Boost.CRC's byte-at-a-time one: every length up to
    // three strides past a few hundred bytes, at each of the eight alignments, then 1 MiB.
    std::mt19937 rng(16);
    std::string data(1 << 20, '\0');
    for (auto& ch : data) ch = static_cast<char>(rng());
    auto reference = [](std::string_view d) {
        boost::crc_32_type crc;
        crc.process_bytes(d.data(), d.size());
        return crc.checksum();
    };
    int wrong = 0;
    for (std::size_t offset = 0; offset < 8; ++offset)
        for (std::size_t len = 0; len <= 300; ++len) {
            const std::string_view d(data.data() + offset, len);
            if (pws::detail::crc32(d) != reference(d)) ++wrong;
        }
    BOOST_TEST(wrong == 0);
    BOOST_TEST(pws::detail::crc32(data) == reference(data));
    BOOST_TEST(pws::detail::crc32(std::string(1000, '\xff')) == reference(std::string(1000, '\xff')));
}

BOOST_AUTO_TEST_CASE(http_dates) {
    using pws::detail::parse_http_date;
    auto t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT");
    BOOST_TEST_REQUIRE(t.has_value());
    BOOST_TEST(std::chrono::system_clock::to_time_t(*t) == 1440938160);
    for (const char* bad : {"", "Sun, 30 Aug 2015 12:36:00 UTC", "Sun, 31 Feb 2015 12:36:00 GMT",
                            "Sun, 30 Foo 2015 12:36:00 GMT", "Sun, 30 Aug 2015 25:36:00 GMT", "garbage garbage garbage xx",
                            "Sun, 30 Aug 3988 12:36:00 GMT"})
        BOOST_TEST(!parse_http_date(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(clock_skew_is_learned_from_four_minutes) {
    pws::detail::clock_skew skew;
    auto now = std::chrono::system_clock::time_point(std::chrono::hours(400000));
    BOOST_TEST(!skew.observe(now + 3min, now));
    BOOST_TEST(skew.offset().count() == 0);
    BOOST_TEST(skew.observe(now + 2h, now));
    BOOST_TEST((skew.corrected(now) == now + 2h));
    BOOST_TEST(!skew.observe(now + 2h + 1s, now));  // nothing new: no second immediate retry
    BOOST_TEST(skew.observe(now - 5h, now));
    BOOST_TEST((skew.corrected(now) == now - 5h));
    BOOST_TEST(!skew.observe(now + 10s, now));      // clocks agree again: correction dropped
    BOOST_TEST(skew.offset().count() == 0);
}

BOOST_AUTO_TEST_CASE(a_skew_error_is_retried_when_the_clock_we_sign_with_changed) {
    using std::chrono::system_clock;
    pws::detail::clock_skew skew;
    auto now = system_clock::time_point(std::chrono::hours(400000));
    const auto signed_with = skew.offset();  // zero: signed with the local clock
    // Another call learned the offset first: observe() reports nothing new to this one, yet its
    // request was signed with the old clock, so its retry is still worthwhile.
    BOOST_TEST(skew.observe(now + 3h, now));
    BOOST_TEST(!skew.observe(now + 3h, now));
    BOOST_TEST(skew.corrects(signed_with));
    BOOST_TEST(!skew.corrects(skew.offset()));          // signed with the corrected clock already
    BOOST_TEST(!skew.corrects(skew.offset() - 1min));   // a small change is no reason to retry
    BOOST_TEST(skew.corrects(skew.offset() - 4min));
}

namespace {
struct fake_conn {
    int id;
};
using book = pws::detail::pool_book<fake_conn>;
using grant = book::grant;
using steady = std::chrono::steady_clock;
}  // namespace

BOOST_AUTO_TEST_CASE(pool_is_bounded_first_come_first_served_and_reuses_the_latest) {
    book b(2, 2, 4s);
    steady::time_point t0{};
    std::unique_ptr<fake_conn> c;
    std::vector<std::unique_ptr<fake_conn>> expired;
    BOOST_TEST((b.acquire(t0, c, expired) == grant::open));
    BOOST_TEST((b.acquire(t0, c, expired) == grant::open));
    BOOST_TEST((b.acquire(t0, c, expired) == grant::wait));  // bounded
    BOOST_TEST(b.open() == 2u);

    std::unique_ptr<fake_conn> dropped;
    b.release(nullptr, t0, dropped);  // a closed connection frees its slot...
    BOOST_TEST(b.open() == 1u);
    // ...which a newcomer does not take while others wait for one (they are handed slots first).
    BOOST_TEST((b.acquire(t0, c, expired, [] { return true; }) == grant::wait));
    BOOST_TEST((b.acquire(t0, c, expired) == grant::open));

    b.release(std::make_unique<fake_conn>(fake_conn{7}), t0, dropped);
    b.release(std::make_unique<fake_conn>(fake_conn{8}), t0 + 1s, dropped);
    BOOST_TEST(b.idle() == 2u);
    BOOST_TEST(b.open() == 2u);
    BOOST_TEST((b.acquire(t0 + 2s, c, expired) == grant::idle));
    BOOST_TEST(c->id == 8);  // the most recently used
    BOOST_TEST((b.acquire(t0 + 2s, c, expired) == grant::idle));
    BOOST_TEST(c->id == 7);
    BOOST_TEST(b.peak() == 2u);
}

BOOST_AUTO_TEST_CASE(pool_expires_idle_connections_and_drops_beyond_max_idle) {
    book b(1, 1, 4s);
    steady::time_point t0{};
    std::unique_ptr<fake_conn> c, dropped;
    std::vector<std::unique_ptr<fake_conn>> expired;
    BOOST_TEST((b.acquire(t0, c, expired) == grant::open));
    b.release(std::make_unique<fake_conn>(fake_conn{1}), t0, dropped);
    BOOST_TEST((dropped == nullptr));

    // Idle for the idle timeout: closed (handed back to destroy), its slot free again.
    BOOST_TEST((b.acquire(t0 + 4s, c, expired) == grant::open));
    BOOST_TEST(expired.size() == 1u);
    BOOST_TEST(b.open() == 1u);
    // max_idle: a healthy connection beyond it is dropped, not pooled.
    book none(3, 0, 4s);
    BOOST_TEST((none.acquire(t0, c, expired) == grant::open));
    none.release(std::make_unique<fake_conn>(fake_conn{2}), t0, dropped);
    BOOST_TEST((dropped != nullptr));
    BOOST_TEST(none.idle() == 0u);
    BOOST_TEST(none.open() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
