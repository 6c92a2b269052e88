// The JavaScript soketi runs on its items, modelled: aws-sdk v2's unmarshall, JSON.parse, String(),
// truthiness, parseInt, parseFloat, Number() and the `boolean` package. Only what soketi's reading
// of an app touches; each function follows the ECMAScript algorithm of the same name.
#include "audit.hpp"

#include <pws/dynamodb/attribute_value.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>

namespace pws_apps::audit::js {

namespace {

using type = value::type;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// DynamoDB JSON from the Scan body nests at most 32 deep (Boost.JSON's default); an item built in
// code might nest deeper, and the recursion here must stay bounded.
constexpr int max_depth = 64;
// JSON.parse nests as deep as it likes; past this the audit says it does not know.
constexpr std::size_t max_json_depth = 256;

// The byte length of the JavaScript white space or line terminator at s[i], 0 if none
// (TAB VT FF SP NBSP ZWNBSP, the Zs category, LF CR LS PS), in UTF-8.
std::size_t space_at(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x09 || c == 0x0a || c == 0x0b || c == 0x0c || c == 0x0d || c == 0x20) return 1;
    auto at = [&](std::string_view seq) { return s.substr(i, seq.size()) == seq; };
    if (at("\xc2\xa0")) return 2;                                          // U+00A0
    if (at("\xe1\x9a\x80") || at("\xe2\x80\xaf") || at("\xe2\x81\x9f") ||  // U+1680 202F 205F
        at("\xe3\x80\x80") || at("\xef\xbb\xbf") ||                        // U+3000 FEFF
        at("\xe2\x80\xa8") || at("\xe2\x80\xa9"))                          // U+2028 2029
        return 3;
    if (at("\xe2\x80") && i + 2 < s.size()) {  // U+2000..U+200A
        const auto d = static_cast<unsigned char>(s[i + 2]);
        if (d >= 0x80 && d <= 0x8a) return 3;
    }
    return 0;
}

std::string_view trim_start(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size())
        if (auto n = space_at(s, i))
            i += n;
        else
            break;
    return s.substr(i);
}

std::string_view trim(std::string_view s) {
    s = trim_start(s);
    // Scanning from the front is simplest with multi-byte spaces: find the last non-space.
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();)
        if (auto n = space_at(s, i))
            i += n;
        else
            end = ++i;
    return s.substr(0, end);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The longest StrDecimalLiteral at the front of `s` (sign, Infinity, digits, '.', exponent):
// its length (0: none) and value.
std::size_t decimal_prefix(std::string_view s, double& out) {
    std::size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    if (s.substr(i, 8) == "Infinity") return out = negative ? -inf : inf, i + 8;
    const std::size_t int_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    std::string text(s.substr(int_start, i - int_start));
    bool digits = i > int_start;
    if (i < s.size() && s[i] == '.') {
        const std::size_t frac_start = ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
        if (i > frac_start) {
            text += "." + std::string(s.substr(frac_start, i - frac_start));
            digits = true;
        } else if (!digits) {
            return 0;  // a lone "."
        }
    }
    if (!digits) return 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        const std::size_t exp_start = j;
        while (j < s.size() && is_digit(s[j])) ++j;
        if (j > exp_start) {
            text += "e" + std::string(s.substr(i + 1, j - i - 1));
            i = j;
        }
    }
    // strtod rounds correctly, and gives HUGE_VAL / 0 past the range, as JavaScript does.
    double v = std::strtod(text.c_str(), nullptr);
    out = negative ? -v : v;
    return i;
}

// Buffer.prototype.toString(): UTF-8, each invalid sequence as U+FFFD.
std::string utf8_decode(std::string_view bytes) {
    std::string out;
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = n > 0 && i + n <= bytes.size();
        for (std::size_t k = 1; ok && k < n; ++k)
            ok = (static_cast<unsigned char>(bytes[i + k]) & 0xc0) == 0x80;
        if (ok && n > 1) {  // overlong forms, surrogates and values past U+10FFFF are invalid too
            std::uint32_t cp = c & (0xff >> (n + 1));
            for (std::size_t k = 1; k < n; ++k)
                cp = (cp << 6) | (static_cast<unsigned char>(bytes[i + k]) & 0x3f);
            ok = cp >= (n == 2   ? 0x80u
                        : n == 3 ? 0x800u
                                 : 0x10000u) &&
                 cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
        }
        if (ok) {
            out.append(bytes.substr(i, n));
            i += n;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

value from_json(const boost::json::value& j) {
    switch (j.kind()) {
    case boost::json::kind::null:
        return value::of(type::null);
    case boost::json::kind::bool_:
        return value::of(j.get_bool());
    case boost::json::kind::int64:
        return value::of(static_cast<double>(j.get_int64()));
    case boost::json::kind::uint64:
        return value::of(static_cast<double>(j.get_uint64()));
    case boost::json::kind::double_:
        return value::of(j.get_double());
    case boost::json::kind::string:
        return value::of(std::string(j.get_string()));
    case boost::json::kind::array: {
        value v = value::of(type::array);
        for (auto& e : j.get_array()) v.elements.push_back(from_json(e));
        return v;
    }
    case boost::json::kind::object: {
        // JSON.parse makes every key an own property, "__proto__" included; Boost.JSON, like
        // JSON.parse, keeps the last of duplicate keys.
        value v = value::of(type::object);
        for (auto& m : j.get_object()) v.members.push_back({std::string(m.key()), from_json(m.value())});
        return v;
    }
    }
    return {};
}

value unmarshall_at(const boost::json::value& attribute, int depth) {
    if (depth > max_depth) return value::not_modelled("nested too deeply");
    const auto* o = attribute.if_object();
    if (!o) return value::not_modelled("not an attribute value");
    // Converter.output returns on the first type key it knows.
    for (auto& [type_key, payload] : *o) {
        const auto* s = payload.if_string();
        const auto* a = payload.if_array();
        if (type_key == "S") {
            return s ? value::of(std::string(*s)) : value::not_modelled("S is not a JSON string");
        } else if (type_key == "N") {
            return s ? value::of(string_to_number(*s)) : value::not_modelled("N is not a JSON string");
        } else if (type_key == "B") {
            std::string bytes;
            if (!s || !pws::dynamodb::decode_binary(*s, bytes)) return value::not_modelled("B is not base64");
            return value::of(std::move(bytes), type::buffer);
        } else if (type_key == "BOOL") {
            // `values === 'true' || values === 'TRUE' || values === true`
            return value::of((s && (*s == "true" || *s == "TRUE")) ||
                             (payload.is_bool() && payload.get_bool()));
        } else if (type_key == "NULL") {
            return value::of(type::null);
        } else if (type_key == "M") {
            const auto* m = payload.if_object();
            if (!m) return value::not_modelled("M is not a JSON object");
            value v = value::of(type::object);
            for (auto& [name, member_value] : *m) {
                value converted = unmarshall_at(member_value, depth + 1);
                if (name == "__proto__") {
                    // `map[key] = ...` with key "__proto__" sets the prototype (to an object) or
                    // does nothing (to anything else).
                    if (converted.t == type::object)
                        v.proto = std::make_shared<const value>(std::move(converted));
                    continue;
                }
                v.members.push_back({std::string(name), std::move(converted)});
            }
            return v;
        } else if (type_key == "L" || type_key == "SS" || type_key == "NS" || type_key == "BS") {
            if (!a) return value::not_modelled(std::string(type_key) + " is not a JSON array");
            value v = value::of(type_key == "L" ? type::array : type::set);
            for (auto& e : *a) {
                if (type_key == "L") {
                    v.elements.push_back(unmarshall_at(e, depth + 1));
                    continue;
                }
                const auto* es = e.if_string();
                if (!es) return value::not_modelled(std::string(type_key) + " member is not a JSON string");
                std::string bytes;
                if (type_key == "SS")
                    v.elements.push_back(value::of(std::string(*es)));
                else if (type_key == "NS")
                    v.elements.push_back(value::of(string_to_number(*es)));
                else if (pws::dynamodb::decode_binary(*es, bytes))
                    v.elements.push_back(value::of(std::move(bytes), type::buffer));
                else
                    return value::not_modelled("BS member is not base64");
            }
            return v;
        }
    }
    return {};  // no known type: undefined
}

}  // namespace

value unmarshall(const boost::json::value& attribute) {
    return unmarshall_at(attribute, 0);
}

value unmarshall_item(const boost::json::object& item) {
    boost::json::object m;
    m["M"] = item;
    return unmarshall_at(m, 0);
}

value json_parse(std::string_view text, bool& ok) {
    boost::json::parse_options opts;
    opts.max_depth = max_json_depth;
    opts.allow_invalid_utf8 = true;  // a Buffer's text; JavaScript strings take anything
    boost::system::error_code ec;
    auto j = boost::json::parse(text, ec, {}, opts);
    ok = true;
    if (ec == boost::json::error::too_deep) return value::not_modelled("JSON nested deeper than 256 levels");
    if (ec) {
        ok = false;
        return {};
    }
    return from_json(j);
}

const value* get(const value& obj, std::string_view name) {
    const value* o = &obj;
    for (int depth = 0; o && depth <= max_depth; ++depth) {
        if (o->t != type::object) return nullptr;
        // The last own property of that name: a later duplicate replaced the earlier one.
        for (auto it = o->members.rbegin(); it != o->members.rend(); ++it)
            if (it->name == name) return it->v.t == type::undefined ? nullptr : &it->v;
        o = o->proto.get();
    }
    return nullptr;
}

std::string number_to_string(double d) {
    if (std::isnan(d)) return "NaN";
    if (d == 0) return "0";
    if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
    const std::string sign = d < 0 ? "-" : "";
    // The shortest digits that read back as d, as ECMAScript's Number::toString asks.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
    const std::string_view sci(buf, r.ptr - buf);  // "1.5e+00"
    const auto e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits += c;
    int exp = 0;
    std::string_view et = sci.substr(e + 1);
    if (et.front() == '+') et.remove_prefix(1);
    std::from_chars(et.data(), et.data() + et.size(), exp);
    const int k = static_cast<int>(digits.size()), n = exp + 1;
    if (k <= n && n <= 21) return sign + digits + std::string(n - k, '0');
    if (0 < n && n <= 21) return sign + digits.substr(0, n) + "." + digits.substr(n);
    if (-6 < n && n <= 0) return sign + "0." + std::string(-n, '0') + digits;
    std::string m = digits.substr(0, 1);
    if (k > 1) m += "." + digits.substr(1);
    return sign + m + "e" + (n - 1 >= 0 ? "+" : "-") + std::to_string(std::abs(n - 1));
}

std::string to_string(const value& v) {
    switch (v.t) {
    case type::undefined:
        return "undefined";
    case type::null:
        return "null";
    case type::boolean:
        return v.boolean ? "true" : "false";
    case type::number:
        return number_to_string(v.number);
    case type::string:
        return v.text;
    case type::buffer:
        return utf8_decode(v.text);
    case type::array: {
        // Array.prototype.join: undefined and null elements are empty.
        std::string out;
        for (std::size_t i = 0; i < v.elements.size(); ++i) {
            if (i) out += ',';
            auto& e = v.elements[i];
            if (e.t != type::undefined && e.t != type::null) out += to_string(e);
        }
        return out;
    }
    case type::object:
    case type::set:
        return "[object Object]";  // a DynamoDBSet has no toString of its own
    case type::unknown:
        return {};
    }
    return {};
}

bool truthy(const value& v) {
    switch (v.t) {
    case type::undefined:
    case type::null:
        return false;
    case type::boolean:
        return v.boolean;
    case type::number:
        return !(v.number == 0 || std::isnan(v.number));
    case type::string:
        return !v.text.empty();
    default:
        return true;  // objects, Buffers included, whatever they hold
    }
}

double parse_int(const value& v) {
    const std::string text = to_string(v);
    std::string_view s = trim_start(text);
    double sign = 1;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        if (s.front() == '-') sign = -1;
        s.remove_prefix(1);
    }
    int radix = 10;
    if (s.starts_with("0x") || s.starts_with("0X")) {
        radix = 16;
        s.remove_prefix(2);
    }
    std::size_t n = 0;
    auto digit = [&](char c) {
        if (is_digit(c)) return c - '0';
        if (radix == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (radix == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    while (n < s.size() && digit(s[n]) >= 0) ++n;
    if (n == 0) return nan;
    double mag = 0;
    if (radix == 10) {
        mag = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
    } else {
        for (std::size_t i = 0; i < n; ++i) mag = mag * 16 + digit(s[i]);
    }
    return sign * mag;  // -0 for "-0", as JavaScript
}

double parse_float(const value& v) {
    double out = 0;
    return decimal_prefix(trim_start(to_string(v)), out) ? out : nan;
}

double string_to_number(std::string_view s) {
    s = trim(s);
    if (s.empty()) return 0;
    auto radix_prefix = [&](std::string_view lower, std::string_view upper,
                            int radix) -> std::optional<double> {
        if (!s.starts_with(lower) && !s.starts_with(upper)) return std::nullopt;
        std::string_view d = s.substr(2);
        if (d.empty()) return nan;
        double out = 0;
        for (char c : d) {
            int x = is_digit(c)              ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : 99;
            if (x >= radix) return nan;
            out = out * radix + x;
        }
        return out;
    };
    if (auto r = radix_prefix("0x", "0X", 16)) return *r;
    if (auto r = radix_prefix("0o", "0O", 8)) return *r;
    if (auto r = radix_prefix("0b", "0B", 2)) return *r;
    double out = 0;
    return decimal_prefix(s, out) == s.size() ? out : nan;
}

bool boolean_package(const value& v) {
    switch (v.t) {
    case type::string: {
        // value.trim().toLowerCase(); only ASCII letters can make one of these words.
        std::string s(trim(v.text));
        for (auto& c : s)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        return s == "true" || s == "t" || s == "yes" || s == "y" || s == "on" || s == "1";
    }
    case type::number:
        return v.number == 1;
    case type::boolean:
        return v.boolean;
    default:
        return false;
    }
}

}  // namespace pws_apps::audit::js
