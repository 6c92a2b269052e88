#pragma once

#include <pws/dynamodb/attribute_value.hpp>

#include <pws/app_fields.hpp>
#include <pws/app_json.hpp>
#include <pws/detail/base64.hpp>
#include <pws/detail/json.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <utility>

namespace pws {
namespace detail {
namespace attribute_value_impl {

// Native L/M webhooks nest; the parser that built the item already capped depth at 32, but an
// item built in code has no such cap, and the recursion below must not overflow the stack.
inline constexpr int max_nesting = 32;

// One attribute value, split into its type key and payload.
struct typed {
    std::string_view type;
    const boost::json::value* value = nullptr;
};

enum class found { missing, present, malformed };

inline bool fail(std::string& diag, std::string_view attr, std::string_view what) {
    diag.assign(attr);
    diag += ": ";
    diag += what;
    return false;
}

// Looks `name` up in the item; NULL counts as missing, as soketi's unmarshall gives null for it.
inline found typed_value(const boost::json::value* v, std::string_view name, typed& out,
                         std::string& diag) {
    if (!v) return found::missing;
    auto* o = v->if_object();
    if (!o || o->size() != 1) {
        fail(diag, name,
             "expected an attribute value (an object with one type key, e.g. {\"S\": ...})");
        return found::malformed;
    }
    auto& member = *o->begin();
    if (member.key() == "NULL") {
        if (auto* b = member.value().if_bool(); b && *b) return found::missing;
        fail(diag, name, "a NULL attribute value must be true");
        return found::malformed;
    }
    out = {member.key(), &member.value()};
    return found::present;
}

inline found find(const boost::json::object& item, std::string_view name, typed& out,
                  std::string& diag) {
    return typed_value(item.if_contains(name), name, out, diag);
}

// The payload of an S, N or B value, which DynamoDB JSON always spells as a JSON string.
inline const boost::json::string* text(const typed& t, std::string_view attr, std::string& diag) {
    auto* s = t.value->if_string();
    if (!s) fail(diag, attr, std::string(t.type) + " value is not a JSON string");
    return s;
}

inline bool wrong_type(std::string& diag, std::string_view attr, std::string_view expected,
                       const typed& t) {
    return fail(diag, attr,
                "expected " + std::string(expected) + ", got type " + quote_for_diagnostic(t.type));
}

inline bool decode_flag(const typed& t, std::string_view attr, bool& out, std::string& diag) {
    if (t.type == "BOOL") {
        if (auto* b = t.value->if_bool()) return out = *b, true;
        return fail(diag, attr, "BOOL value is not a JSON boolean");
    }
    if (t.type != "B" && t.type != "S" && t.type != "N")
        return wrong_type(diag, attr, "B, BOOL, S or N", t);
    auto* s = text(t, attr, diag);
    if (!s) return false;
    if (t.type == "B") {
        // base64("false") is the longest valid flag; a longer value is refused undecoded.
        if (s->size() > 8) return fail(diag, attr, "B value is too long for a flag");
        std::string bytes;
        if (!base64_decode(*s, bytes)) return fail(diag, attr, "B value is not valid base64");
        if (!parse_flag(bytes, out))
            return fail(diag, attr,
                        "B holds " + quote_for_diagnostic(bytes) +
                            "; expected the bytes \"true\", \"false\", \"1\" or \"0\"");
        return true;
    }
    if (t.type == "N") {
        if (*s == "1" || *s == "0") return out = *s == "1", true;
        return fail(diag, attr, "N " + quote_for_diagnostic(*s) + " is not 0 or 1");
    }
    if (!parse_flag(*s, out))
        return fail(
            diag, attr,
            "S " + quote_for_diagnostic(*s) + " is not \"true\", \"false\", \"1\" or \"0\"");
    return true;
}

inline bool decode_int(const typed& t, std::string_view attr, std::int64_t& out,
                       std::string& diag) {
    if (t.type != "N" && t.type != "S") return wrong_type(diag, attr, "N (or S of digits)", t);
    auto* s = text(t, attr, diag);
    if (!s) return false;
    if (!parse_int64(*s, out))
        return fail(diag, attr,
                    std::string(t.type) + " " + quote_for_diagnostic(*s) +
                        " is not an integer in the int64 range");
    return true;
}

inline bool decode_double(const typed& t, std::string_view attr, double& out, std::string& diag) {
    if (t.type != "N" && t.type != "S") return wrong_type(diag, attr, "N (or S of a number)", t);
    auto* s = text(t, attr, diag);
    if (!s) return false;
    if (!parse_double(*s, out))
        return fail(diag, attr,
                    std::string(t.type) + " " + quote_for_diagnostic(*s) +
                        " is not a finite decimal number");
    return true;
}

// Map keys are item data: show plain names as they are, anything else quoted and cut short.
inline std::string member_path(const std::string& path, std::string_view key) {
    bool plain = !key.empty() && key.size() <= 40;
    for (char c : key)
        plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-');
    return plain ? path + "." + std::string(key) : path + "[" + quote_for_diagnostic(key) + "]";
}

// DynamoDB JSON -> plain JSON, as the SDKs' unmarshall does (N becomes a JSON number, B stays
// its base64 text), so native L webhooks can go through the same shape check as the S form.
inline bool unmarshall(const boost::json::value& av, boost::json::value& out, std::string& diag,
                       const std::string& path, int depth);

inline bool unmarshall_typed(std::string_view type, const boost::json::value& v,
                             boost::json::value& out, std::string& diag, const std::string& path,
                             int depth) {
    if (depth > max_nesting) return fail(diag, path, "nested too deeply");
    auto number = [&](const boost::json::value& n, boost::json::value& into) {
        std::int64_t i = 0;
        double d = 0;
        auto* s = n.if_string();
        if (s && parse_int64(*s, i))
            into = i;
        else if (s && parse_double(*s, d))
            into = d;
        else
            return fail(diag, path, "N value is not a number");
        return true;
    };
    if (type == "S" || type == "B") {
        if (!v.is_string())
            return fail(diag, path, std::string(type) + " value is not a JSON string");
        out = v;
    } else if (type == "N") {
        return number(v, out);
    } else if (type == "BOOL") {
        if (!v.is_bool()) return fail(diag, path, "BOOL value is not a JSON boolean");
        out = v;
    } else if (type == "NULL") {
        out = nullptr;
    } else if (type == "M") {
        auto* m = v.if_object();
        if (!m) return fail(diag, path, "M value is not a JSON object");
        auto& obj = out.emplace_object();
        for (auto& [key, member] : *m)
            if (!unmarshall(member, obj[key], diag, member_path(path, key), depth + 1))
                return false;
    } else if (type == "L") {
        auto* l = v.if_array();
        if (!l) return fail(diag, path, "L value is not a JSON array");
        auto& arr = out.emplace_array();
        arr.resize(l->size());
        for (std::size_t i = 0; i < l->size(); ++i)
            if (!unmarshall((*l)[i], arr[i], diag, path + "[" + std::to_string(i) + "]", depth + 1))
                return false;
    } else if (type == "SS" || type == "NS" || type == "BS") {
        auto* l = v.if_array();
        if (!l) return fail(diag, path, std::string(type) + " value is not a JSON array");
        auto& arr = out.emplace_array();
        arr.resize(l->size());
        for (std::size_t i = 0; i < l->size(); ++i) {
            if (type == "NS") {
                if (!number((*l)[i], arr[i])) return false;
            } else if (!(*l)[i].is_string()) {
                return fail(diag, path, std::string(type) + " member is not a JSON string");
            } else {
                arr[i] = (*l)[i];
            }
        }
    } else {
        return fail(diag, path, "unknown attribute type " + quote_for_diagnostic(type));
    }
    return true;
}

inline bool unmarshall(const boost::json::value& av, boost::json::value& out, std::string& diag,
                       const std::string& path, int depth) {
    auto* o = av.if_object();
    if (!o || o->size() != 1)
        return fail(diag, path, "expected an attribute value (an object with one type key)");
    return unmarshall_typed(o->begin()->key(), o->begin()->value(), out, diag, path, depth);
}

inline bool decode_webhooks(const typed& t, std::string_view attr, std::vector<Webhook>& out,
                            std::string& diag) {
    std::string why;
    if (t.type == "S") {
        auto* s = text(t, attr, diag);
        if (!s) return false;
        switch (webhooks_from_json_text(*s, out, why)) {
        case webhooks_text::ok: return true;
        case webhooks_text::too_large:
            return fail(diag, attr,
                        "S is " + std::to_string(s->size()) + " bytes long; at most 1 MiB of JSON is accepted");
        case webhooks_text::not_json: return fail(diag, attr, "S is not valid JSON (" + why + ")");
        case webhooks_text::wrong_shape: break;
        }
    } else if (t.type == "L") {
        boost::json::value plain;
        if (!unmarshall_typed(t.type, *t.value, plain, diag, std::string(attr), 0)) return false;
        if (webhooks_from_json(plain, out, why)) return true;
    } else {
        return wrong_type(diag, attr, "S holding a JSON array (or L of M)", t);
    }
    diag = std::string(attr) + why;
    return false;
}

// AppId, AppKey, AppSecret. The secret's value is never quoted: even a wrongly typed one may
// be the real secret.
inline bool decode_required_string(const boost::json::object& item, std::string_view attr,
                                   std::string& out, std::string& diag) {
    typed t;
    switch (find(item, attr, t, diag)) {
    case found::malformed: return false;
    case found::missing:
        return fail(diag, attr,
                    attr == "AppSecret"
                        ? "missing; an app without a secret cannot sign or verify requests"
                        : "missing");
    case found::present: break;
    }
    if (t.type != "S") {
        // The type key is item data too, and for AppSecret it may be the secret itself.
        if (attr == "AppSecret")
            return fail(diag, attr, "expected S, got another type (not quoted: it may hold the secret)");
        return wrong_type(diag, attr, "S", t);
    }
    auto* s = text(t, attr, diag);
    if (!s) return false;
    if (s->empty()) return fail(diag, attr, "must not be empty");
    out.assign(s->data(), s->size());
    return true;
}

// Every spelling of every optional field, sorted by (length, name) so that one pass over an
// item's attributes finds each one's field by binary search: three spellings must not cost three
// lookups per field on the lookup path.
struct spelling_slot {
    std::string_view name;
    std::uint8_t field = 0;     // flags, then ints, then numbers, then webhooks, in table order
    std::uint8_t spelling = 0;  // index into app_field::names()
};
inline constexpr std::size_t field_count = app_flags.size() + app_ints.size() + app_numbers.size() + 1;

constexpr bool shorter_or_before(const spelling_slot& a, std::string_view b) {
    return a.name.size() != b.size() ? a.name.size() < b.size() : a.name < b;
}

struct spelling_table {
    std::array<spelling_slot, 3 * field_count> slots{};
    std::size_t size = 0;
};

consteval spelling_table make_spelling_table() {
    spelling_table t;
    std::uint8_t field = 0;
    auto add = [&](const auto& f) {
        auto names = f.names();
        for (std::uint8_t i = 0; i < names.size(); ++i)
            if (!names[i].empty()) t.slots[t.size++] = {names[i], field, i};
        ++field;
    };
    for (auto& f : app_flags) add(f);
    for (auto& f : app_ints) add(f);
    for (auto& f : app_numbers) add(f);
    add(app_webhooks);
    std::sort(t.slots.begin(), t.slots.begin() + t.size,
              [](const spelling_slot& a, const spelling_slot& b) { return shorter_or_before(a, b.name); });
    return t;
}
inline constexpr spelling_table spellings = make_spelling_table();

// The item's value under each spelling of each field (nullptr: absent), in one pass.
using spelled_values = std::array<std::array<const boost::json::value*, 3>, field_count>;
inline void collect_spellings(const boost::json::object& item, spelled_values& out) {
    for (auto& row : out) row.fill(nullptr);
    const auto* first = spellings.slots.data();
    const auto* last = first + spellings.size;
    for (auto& m : item) {
        const std::string_view key = m.key();
        auto* it = std::lower_bound(first, last, key, shorter_or_before);
        if (it != last && it->name == key) out[it->field][it->spelling] = &m.value();
    }
}

// Decodes field `f` from whichever of its spellings the item holds (soketi's three, see
// app_fields.hpp; `values` from collect_spellings) into `into`; none keeps `into` (the
// default). Two spellings that decode to different values are an error naming both, the later in
// soketi's order (the one soketi would take) second.
template <class T, class Decode>
bool spelled_attribute(const std::array<const boost::json::value*, 3>& values, const app_field<T>& f,
                       T& into, std::string& diag, Decode&& decode) {
    std::string_view first;
    const auto names = f.names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        typed t;
        switch (typed_value(values[i], names[i], t, diag)) {
        case found::malformed: return false;
        case found::missing: continue;
        case found::present: break;
        }
        T value{};
        if (!decode(t, names[i], value)) return false;
        if (first.empty()) {
            into = std::move(value);
            first = names[i];
        } else if (!(value == into)) {
            diag = conflicting_spellings(first, names[i]);
            return false;
        }
    }
    return true;
}

inline boost::json::object attribute(std::string_view type, std::string_view text) {
    boost::json::object o;
    o.emplace(type, text);
    return o;
}

}  // namespace attribute_value_impl
}  // namespace detail

namespace dynamodb {

namespace decode_impl {
inline boost::system::error_code decode_app_unchecked(const boost::json::object& item, App& out,
                                                      std::string& diagnostic,
                                                      const AppDefaults& defaults) {
    using namespace detail::attribute_value_impl;
    using namespace detail;
    App app = defaults.app();
    for (const auto& f : app_keys)
        if (!decode_required_string(item, f.pascal, app.*f.member, diagnostic)) return error::malformed_item;

    spelled_values at;
    collect_spellings(item, at);
    std::size_t field = 0;
    for (const auto& f : app_flags)
        if (!spelled_attribute(at[field++], f, app.*f.member, diagnostic,
                               [&](const typed& v, std::string_view a, bool& into) {
                                   return decode_flag(v, a, into, diagnostic);
                               }))
            return error::malformed_item;
    for (const auto& f : app_ints)
        if (!spelled_attribute(at[field++], f, app.*f.member, diagnostic,
                               [&](const typed& v, std::string_view a, std::int64_t& into) {
                                   return decode_int(v, a, into, diagnostic);
                               }))
            return error::malformed_item;
    for (const auto& f : app_numbers)
        if (!spelled_attribute(at[field++], f, app.*f.member, diagnostic,
                               [&](const typed& v, std::string_view a, double& into) {
                                   return decode_double(v, a, into, diagnostic);
                               }))
            return error::malformed_item;
    if (!spelled_attribute(at[field], app_webhooks, app.webhooks, diagnostic,
                           [&](const typed& v, std::string_view a, std::vector<Webhook>& into) {
                               return decode_webhooks(v, a, into, diagnostic);
                           }))
        return error::malformed_item;

    out = std::move(app);
    return {};
}
}  // namespace decode_impl

PWS_DECL boost::system::error_code decode_app(const boost::json::object& item, App& out,
                                              std::string& diagnostic, const AppDefaults& defaults) {
    auto ec = decode_impl::decode_app_unchecked(item, out, diagnostic, defaults);
    if (ec) {
        const auto* v = item.if_contains("AppSecret");
        const auto* o = v ? v->if_object() : nullptr;
        if (o && o->size() == 1)
            if (const auto* s = o->begin()->value().if_string()) withhold_secret(diagnostic, *s);
    }
    return ec;
}


PWS_DECL boost::json::object encode_app(const App& app) {
    using namespace detail::attribute_value_impl;
    boost::json::object item;
    for (auto& f : app_keys) item.emplace(f.pascal, attribute("S", app.*f.member));
    // Flags as soketi reads them back the same. Its seed stores B "true"/"false", but its reader
    // turns only EnableClientMessages' bytes into a boolean: any other B value stays a Buffer,
    // which is truthy, so a false Enabled or EnableUserAuthentication must be BOOL false there
    // (B "false" would read as on). True stays the seed's B "true".
    for (auto& f : app_flags) {
        const bool on = app.*f.member;
        if (on || f.member == &App::enable_client_messages)
            item.emplace(f.pascal, attribute("B", encode_binary(on ? "true" : "false")));
        else
            item.emplace(f.pascal, boost::json::object{{"BOOL", false}});
    }
    for (auto& f : app_ints)
        item.emplace(f.pascal, attribute("N", std::to_string(app.*f.member)));
    for (auto& f : app_numbers)
        item.emplace(f.pascal, attribute("N", detail::number_text(app.*f.member)));
    item.emplace(app_webhooks.pascal, attribute("S", boost::json::serialize(webhooks_to_json(app.webhooks))));
    return item;
}

}  // namespace dynamodb
}  // namespace pws
