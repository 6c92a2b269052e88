// The invariants of a lookup's success-body interpretation, shared by the http_response and
// dynamodb_body targets:
//  - found / not found / failed, exactly one; a failure carries a library code and a diagnostic;
//  - a found app is the one asked for (GetItem: its id; Query: its key) — a server must never make
//    us return another app;
//  - the failure codes are the body's own (malformed_response, malformed_item, ambiguous_key):
//    never a transport or DynamoDB code, never "not found" for a broken body;
//  - the item's AppSecret, whatever its type, never reaches a diagnostic (checked by planting a
//    canary in its place, which must not change the outcome);
//  - a decoded app survives encode_app -> decode_app unchanged, as a value and through JSON text.
#pragma once

#include "fuzz_common.hpp"

#include <pws/dynamodb/operations.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/detail/answer_scan.hpp>
#include <pws/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace pws::fuzz {

inline constexpr std::string_view wanted_id = "app-id";
inline constexpr std::string_view wanted_key = "app-key";

inline void check_round_trip(const App& app) {
    PWS_FUZZ_CHECK(all_finite(app), "a decoded app holds a number out of the range of a double");
    const boost::json::object item = dynamodb::encode_app(app);
    App back;
    std::string diag;
    auto ec = dynamodb::decode_app(item, back, diag);
    PWS_FUZZ_CHECK(!ec, diag);
    PWS_FUZZ_CHECK(same_app(back, app), boost::json::serialize(item));

    const std::string text = boost::json::serialize(item);
    boost::system::error_code jec;
    const auto reparsed = boost::json::parse(text, jec);
    PWS_FUZZ_CHECK(!jec && reparsed.is_object(), text);
    App back2;
    ec = dynamodb::decode_app(reparsed.get_object(), back2, diag);
    PWS_FUZZ_CHECK(!ec, diag);
    PWS_FUZZ_CHECK(same_app(back2, app), text);
}

inline void check_failure_code(const find_result& r) {
    if (!r.failed()) return;
    PWS_FUZZ_CHECK(r.ec == error::malformed_response || r.ec == error::malformed_item ||
                       r.ec == error::ambiguous_key,
                   r.ec.message() + ": " + r.diagnostic);
}

inline void check_get_item(const find_result& r) {
    check_outcome_shape(r);
    check_failure_code(r);
    if (r.found()) {
        PWS_FUZZ_CHECK(r.app->id == wanted_id, r.app->id);
        check_round_trip(*r.app);
    }
}

inline void check_query(const find_result& r) {
    check_outcome_shape(r);
    check_failure_code(r);
    if (r.found()) {
        PWS_FUZZ_CHECK(r.app->key == wanted_key, r.app->key);
        check_round_trip(*r.app);
    }
}

enum class planted { no, yes, yes_same_outcome };

// Puts the canary in place of the AppSecret's payload (whatever its type key). The outcome must
// not change when the original payload was a non-empty string too (then only the value differs).
inline planted plant_canary(boost::json::value& item) {
    auto* o = item.if_object();
    if (!o) return planted::no;
    auto* attr = o->if_contains("AppSecret");
    if (!attr) return planted::no;
    auto* av = attr->if_object();
    if (!av || av->size() != 1) return planted::no;
    auto& payload = av->begin()->value();
    if (!payload.is_string()) return planted::no;
    const bool same = !payload.get_string().empty();
    payload = canary_secret;
    return same ? planted::yes_same_outcome : planted::yes;
}

inline void check_no_canary(const find_result& r) {
    PWS_FUZZ_CHECK(r.diagnostic.find(canary_secret) == std::string::npos, r.diagnostic);
}

/// Every invariant above, for one success body.
// parse() reads a usual answer in one pass (detail/answer_scan.hpp): whenever that pass takes the
// body, the general path (Boost.JSON + decode_app) must find the very same app; when it declines,
// parse() is the general path.
inline void check_scan_agrees(std::string_view body, detail::answer_shape shape, std::string_view expected,
                              const find_result& parsed) {
    App fast;
    const bool took = detail::scan_answer(body, shape, expected, {}, fast);
    const find_result general = detail::parse_answer_general(body, shape, expected, {});
    if (took) {
        PWS_FUZZ_CHECK(general.found(), "the scan took a body the general path reads as " + general.ec.message() +
                                            ": " + general.diagnostic);
        PWS_FUZZ_CHECK(same_app(fast, *general.app), "the scan and the general path decode different apps");
        PWS_FUZZ_CHECK(parsed.found() && same_app(*parsed.app, fast), "parse() did not return the scan's app");
    } else {
        PWS_FUZZ_CHECK(parsed.ec == general.ec && parsed.diagnostic == general.diagnostic &&
                           parsed.found() == general.found(),
                       "parse() is not the general path on a declined body");
    }
}

inline void check_lookup_body(std::string_view body) {
    const find_result by_id = dynamodb::get_item{"apps", wanted_id}.parse(body);
    check_get_item(by_id);
    check_scan_agrees(body, detail::answer_shape::get_item, wanted_id, by_id);
    const find_result by_key = dynamodb::query_by_key{"apps", "AppKeyIndex", wanted_key}.parse(body);
    check_query(by_key);
    check_scan_agrees(body, detail::answer_shape::query, wanted_key, by_key);

    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    // (A number past the double range reads as infinity and could not be written back as JSON.)
    if (ec || !v.is_object() || !all_finite(v)) return;
    auto& o = v.get_object();
    planted item = planted::no, items = planted::no;
    if (auto* it = o.if_contains("Item")) item = plant_canary(*it);
    if (auto* its = o.if_contains("Items"); its && its->is_array())
        for (auto& i : its->get_array())
            if (auto p = plant_canary(i); p != planted::no && items != planted::yes) items = p;
    if (item == planted::no && items == planted::no) return;

    const std::string text = boost::json::serialize(v);
    const find_result id2 = dynamodb::get_item{"apps", wanted_id}.parse(text);
    check_get_item(id2);
    check_no_canary(id2);
    if (item == planted::yes_same_outcome) {
        PWS_FUZZ_CHECK(id2.ec == by_id.ec && id2.found() == by_id.found(),
                       by_id.diagnostic + " | " + id2.diagnostic);
        if (id2.found()) PWS_FUZZ_CHECK(id2.app->secret == canary_secret, text);
    }
    const find_result key2 = dynamodb::query_by_key{"apps", "AppKeyIndex", wanted_key}.parse(text);
    check_query(key2);
    check_no_canary(key2);
    if (items == planted::yes_same_outcome) {
        PWS_FUZZ_CHECK(key2.ec == by_key.ec && key2.found() == by_key.found(),
                       by_key.diagnostic + " | " + key2.diagnostic);
        if (key2.found()) PWS_FUZZ_CHECK(key2.app->secret == canary_secret, text);
    }
}

}  // namespace pws::fuzz
