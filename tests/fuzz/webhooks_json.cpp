// Fuzz target: Webhooks JSON (app_json.hpp's webhooks_from_json / webhooks_to_json, through the
// DynamoDB item's `Webhooks` attribute in both its forms) and soketi's app JSON (app_from_json),
// from arbitrary text.
//
// Invariants: the `Webhooks` S decode agrees with webhooks_from_json on the parsed text, and with
// the native L form of the same document (marshalled as the AWS SDKs do): same success, same
// webhooks; decoded webhooks survive to_json -> from_json (as values and as text); a failure is
// malformed_item / invalid_static_apps with a diagnostic naming the attribute; the app's secret
// (a canary) never reaches a diagnostic; a decoded app survives app_to_json -> app_from_json.
#include "fuzz_common.hpp"

#include <pws/app_json.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/src.hpp>

#include <cstdint>

namespace {

namespace json = boost::json;

// Plain JSON -> DynamoDB JSON, as the SDKs' marshall does.
json::value marshall(const json::value& v) {
    json::object o;
    switch (v.kind()) {
    case json::kind::string: o["S"] = v; break;
    case json::kind::bool_: o["BOOL"] = v; break;
    case json::kind::null: o["NULL"] = true; break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: o["N"] = json::serialize(v); break;
    case json::kind::array: {
        auto& l = o["L"].emplace_array();
        for (auto& e : v.get_array()) l.push_back(marshall(e));
        break;
    }
    case json::kind::object: {
        auto& m = o["M"].emplace_object();
        for (auto& [k, e] : v.get_object()) m[k] = marshall(e);
        break;
    }
    }
    return o;
}

int depth(const json::value& v) {
    int d = 0;
    if (auto* a = v.if_array())
        for (auto& e : *a) d = std::max(d, depth(e));
    if (auto* o = v.if_object())
        for (auto& [k, e] : *o) d = std::max(d, depth(e));
    return d + 1;
}

json::object item_with(json::value webhooks) {
    json::object item;
    item["AppId"] = {{"S", "app-id"}};
    item["AppKey"] = {{"S", "app-key"}};
    item["AppSecret"] = {{"S", pws::fuzz::canary_secret}};
    item["Webhooks"] = std::move(webhooks);
    return item;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pws::fuzz;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // The S form: the text as DynamoDB stores it.
    pws::App by_s;
    std::string diag_s;
    const auto ec_s = pws::dynamodb::decode_app(item_with(json::object{{"S", text}}), by_s, diag_s);
    if (ec_s) {
        PWS_FUZZ_CHECK(ec_s == pws::error::malformed_item, ec_s.message());
        PWS_FUZZ_CHECK(diag_s.rfind("Webhooks", 0) == 0, diag_s);
        PWS_FUZZ_CHECK(diag_s.find(canary_secret) == std::string::npos, diag_s);
    }

    boost::system::error_code jec;
    const json::value v = json::parse(text, jec);
    if (jec) {
        PWS_FUZZ_CHECK(ec_s, text);
        return 0;
    }

    std::vector<pws::Webhook> hooks;
    std::string diag;
    const bool ok = pws::webhooks_from_json(v, hooks, diag);
    PWS_FUZZ_CHECK(ok == !ec_s, diag_s + " | " + diag);
    if (ok) {
        PWS_FUZZ_CHECK(hooks == by_s.webhooks, text);
        const json::array again = pws::webhooks_to_json(hooks);
        std::vector<pws::Webhook> back;
        PWS_FUZZ_CHECK(pws::webhooks_from_json(again, back, diag) && back == hooks, diag);
        const std::string again_text = json::serialize(again);
        back.clear();
        PWS_FUZZ_CHECK(all_finite(by_s), text);
        PWS_FUZZ_CHECK(pws::webhooks_from_json(json::parse(again_text), back, diag) &&
                               same_hooks(back, hooks),
                           again_text);
    } else {
        PWS_FUZZ_CHECK(!diag.empty(), text);
    }

    // The native L form of the same document.
    // (A native N cannot hold infinity, so a document with 1e400 where it is ignored has no
    // native twin that decodes alike.)
    if (v.is_array() && depth(v) <= 24 && all_finite(v)) {
        pws::App by_l;
        std::string diag_l;
        const auto ec_l = pws::dynamodb::decode_app(item_with(marshall(v)), by_l, diag_l);
        PWS_FUZZ_CHECK(!ec_l == !ec_s, diag_s + " | " + diag_l);
        if (!ec_l) PWS_FUZZ_CHECK(same_hooks(by_l.webhooks, by_s.webhooks), text);
        PWS_FUZZ_CHECK(diag_l.find(canary_secret) == std::string::npos, diag_l);
    }

    // soketi's app JSON, with the canary as the secret when there is a string there.
    if (v.is_object()) {
        json::value app_v = v;
        if (auto* s = app_v.get_object().if_contains("secret"); s && s->is_string()) *s = canary_secret;
        pws::App app;
        std::string diag_app;
        const auto ec = pws::app_from_json(app_v, app, diag_app);
        PWS_FUZZ_CHECK(diag_app.find(canary_secret) == std::string::npos, diag_app);
        if (ec) {
            PWS_FUZZ_CHECK(ec == pws::error::invalid_static_apps && !diag_app.empty(), ec.message());
        } else {
            pws::App back;
            PWS_FUZZ_CHECK(!pws::app_from_json(pws::app_to_json(app), back, diag_app) && back == app, diag_app);
            const std::string t = json::serialize(pws::app_to_json(app));
            pws::App back2;
            PWS_FUZZ_CHECK(all_finite(app), t);
            PWS_FUZZ_CHECK(!pws::app_from_json(json::parse(t), back2, diag_app) && same_app(back2, app), t);
        }
    }
    return 0;
}
