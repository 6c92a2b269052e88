#pragma once

#include <pws/detail/json.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace pws::detail {

PWS_DECL std::string_view json_string(const boost::json::object& o, std::string_view name) noexcept {
    if (auto* v = o.if_contains(name); v && v->is_string()) return v->get_string();
    return {};
}

PWS_DECL const boost::json::array* json_array(const boost::json::object& o, std::string_view name) noexcept {
    if (auto* v = o.if_contains(name)) return v->if_array();
    return nullptr;
}

PWS_DECL const boost::json::object* json_object(const boost::json::object& o, std::string_view name) noexcept {
    if (auto* v = o.if_contains(name)) return v->if_object();
    return nullptr;
}

PWS_DECL std::string_view s_attribute(const boost::json::object& item, std::string_view attr) noexcept {
    if (auto* v = json_object(item, attr)) return json_string(*v, "S");
    return {};
}

PWS_DECL bool parse_json_object(std::string_view body, boost::json::object& out, std::string& diagnostic,
                                std::string_view what) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec, out.storage());
    if (ec || !v.is_object()) {
        diagnostic.assign(what);
        diagnostic += ec ? " is not valid JSON (" + ec.message() + ")" : std::string(" is not a JSON object");
        return false;
    }
    out = std::move(v.get_object());
    return true;
}

PWS_DECL bool parse_int64(std::string_view s, std::int64_t& out) noexcept {
    if (s.empty()) return false;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return false;
    out = v;
    return true;
}

PWS_DECL bool parse_double(std::string_view s, double& out) noexcept {
    // from_chars also takes "inf"/"nan", which no DynamoDB number or soketi limit can be.
    if (s.empty() || !(s.front() == '-' || s.front() == '.' || (s.front() >= '0' && s.front() <= '9')))
        return false;
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return false;
    out = v;
    return true;
}

PWS_DECL bool parse_flag(std::string_view s, bool& out) noexcept {
    // "1"/"0" too: soketi reads flags with the `boolean` package, which takes them, and so
    // does every shell-written env config. Nothing looser ("yes", "TRUE"): a typo must not
    // flip a switch.
    if (s == "true" || s == "1") return out = true, true;
    if (s == "false" || s == "0") return out = false, true;
    return false;
}

PWS_DECL std::string number_text(double d) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

PWS_DECL bool json_int(const boost::json::value& v, std::int64_t& out) noexcept {
    if (auto* i = v.if_int64()) return out = *i, true;
    if (auto* u = v.if_uint64(); u && *u <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return out = std::int64_t(*u), true;
    // An integral double ("100.0", "1e2") is still an integer; the bounds are exact powers of 2.
    if (auto* d = v.if_double();
        d && std::trunc(*d) == *d && *d >= -9223372036854775808.0 && *d < 9223372036854775808.0)
        return out = std::int64_t(*d), true;
    if (auto* s = v.if_string()) return parse_int64(*s, out);
    return false;
}

PWS_DECL bool json_double(const boost::json::value& v, double& out) noexcept {
    if (auto* i = v.if_int64()) return out = double(*i), true;
    if (auto* u = v.if_uint64()) return out = double(*u), true;
    if (auto* d = v.if_double()) return std::isfinite(*d) && (out = *d, true);
    if (auto* s = v.if_string()) return parse_double(*s, out);
    return false;
}

PWS_DECL bool json_flag(const boost::json::value& v, bool& out) noexcept {
    if (auto* b = v.if_bool()) return out = *b, true;
    if (auto* i = v.if_int64(); i && (*i == 0 || *i == 1)) return out = *i == 1, true;
    if (auto* s = v.if_string()) return parse_flag(*s, out);
    return false;
}

PWS_DECL std::string json_describe(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::string: return quote_for_diagnostic(v.get_string());
    case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
    case boost::json::kind::int64: return std::to_string(v.get_int64());
    case boost::json::kind::uint64: return std::to_string(v.get_uint64());
    case boost::json::kind::double_: return number_text(v.get_double());
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
    case boost::json::kind::null: return "null";
    }
    return "an unknown value";
}

PWS_DECL bool json_all_finite(const boost::json::value& v, int depth) noexcept {
    if (depth > 64) return false;
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (auto& e : v.get_array())
            if (!json_all_finite(e, depth + 1)) return false;
        return true;
    case boost::json::kind::object:
        for (auto& m : v.get_object())
            if (!json_all_finite(m.value(), depth + 1)) return false;
        return true;
    default: return true;
    }
}

PWS_DECL bool json_all_finite(const boost::json::object& o) noexcept {
    for (auto& m : o)
        if (!json_all_finite(m.value(), 1)) return false;
    return true;
}

}  // namespace pws::detail
