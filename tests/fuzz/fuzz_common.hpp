// Shared by the libFuzzer targets: invariant checks that stop the run with a readable reason,
// and the one-line "lookup outcome" checks every body-parsing target applies.
//
// Each target is one translation unit compiled header-only (the library's bodies and
// Boost.JSON's come in through their headers), so the fuzzer's coverage instrumentation sees
// the parsers themselves, not only the calls into a prebuilt libboost_json.
#pragma once

#include <pws/app.hpp>
#include <pws/find_result.hpp>

#include <boost/json/value.hpp>

#include <cmath>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace pws::fuzz {

/// Stops the run (libFuzzer saves the input as a crash) when an invariant does not hold.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line,
                                          std::string_view detail) {
    std::fprintf(stderr, "\n%s:%d: invariant failed: %s\n  detail: %.*s\n", file, line, what,
                 static_cast<int>(detail.size() > 2000 ? 2000 : detail.size()), detail.data());
    std::abort();
}

#define PWS_FUZZ_CHECK(cond, detail)                                                          \
    do {                                                                                      \
        if (!(cond)) ::pws::fuzz::invariant_failed(#cond, __FILE__, __LINE__, (detail));      \
    } while (0)

/// Exactly one of found / not found / failed; a failure has a code, a diagnostic and no app.
inline void check_outcome_shape(const find_result& r) {
    const int states = int(r.found()) + int(r.not_found()) + int(r.failed());
    PWS_FUZZ_CHECK(states == 1, r.diagnostic);
    if (r.failed()) {
        PWS_FUZZ_CHECK(r.app == nullptr, r.diagnostic);
        PWS_FUZZ_CHECK(!r.diagnostic.empty(), r.ec.message());
    }
    if (r.found()) {
        PWS_FUZZ_CHECK(!r.app->id.empty() && !r.app->key.empty() && !r.app->secret.empty(),
                       r.app->id);
    }
}

/// True when every number in `v` is finite. Boost.JSON 1.81 reads 1e400 as infinity and then
/// writes it as `Infinity`, which no JSON parser reads back: a decoded app must never hold one.
inline bool all_finite(const boost::json::value& v) {
    if (auto* d = v.if_double()) return std::isfinite(*d);
    if (auto* a = v.if_array()) {
        for (auto& e : *a)
            if (!all_finite(e)) return false;
    }
    if (auto* o = v.if_object()) {
        for (auto& [k, e] : *o)
            if (!all_finite(e)) return false;
    }
    return true;
}

inline bool all_finite(const App& app) {
    for (auto& w : app.webhooks)
        if (w.lambda && !all_finite(boost::json::value(w.lambda->client_options))) return false;
    return true;
}

inline double as_double(const boost::json::value& v) {
    if (auto* i = v.if_int64()) return double(*i);
    if (auto* u = v.if_uint64()) return double(*u);
    return v.get_double();
}

/// Equal, numbers compared by value within a few ULPs: Boost.JSON 1.81 does not read every
/// double it wrote back to the same bits (its parser is not correctly rounded), and an N read
/// back from text is an int64 when it can be, a double otherwise.
inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_number() && b.is_number()) {
        const double x = as_double(a), y = as_double(b);
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (auto* x = a.if_array()) {
        auto& y = b.get_array();
        if (x->size() != y.size()) return false;
        for (std::size_t i = 0; i < x->size(); ++i)
            if (!same_json((*x)[i], y[i])) return false;
        return true;
    }
    if (auto* x = a.if_object()) {
        auto& y = b.get_object();
        if (x->size() != y.size()) return false;
        for (auto& [k, e] : *x) {
            auto* f = y.if_contains(k);
            if (!f || !same_json(e, *f)) return false;
        }
        return true;
    }
    return a == b;
}

/// Equal webhooks, their client_options compared with same_json.
inline bool same_hooks(const std::vector<Webhook>& a, const std::vector<Webhook>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = a[i], y = b[i];
        if (x.lambda.has_value() != y.lambda.has_value()) return false;
        if (x.lambda && !same_json(boost::json::value(x.lambda->client_options),
                                   boost::json::value(y.lambda->client_options)))
            return false;
        if (x.lambda) x.lambda->client_options = y.lambda->client_options = {};
        if (!(x == y)) return false;
    }
    return true;
}

/// Equal apps, webhooks compared with same_hooks.
inline bool same_app(App a, App b) {
    if (!same_hooks(a.webhooks, b.webhooks)) return false;
    a.webhooks.clear();
    b.webhooks.clear();
    // The two *InKb doubles go through JSON text too (app_to_json): within a few ULPs.
    for (double App::*d : {&App::max_presence_member_size_in_kb, &App::max_event_payload_in_kb}) {
        if (!same_json(boost::json::value(a.*d), boost::json::value(b.*d))) return false;
        a.*d = b.*d;
    }
    return a == b;
}

/// A secret no input spells by chance: its presence in a diagnostic means the library echoed it.
inline constexpr std::string_view canary_secret = "CANARY-7f3a9c1e-SECRET-b84d02";

}  // namespace pws::fuzz
