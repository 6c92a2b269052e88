#pragma once

// Out-of-line bodies of dynamodb/detail/answer_scan.hpp.
#include <pws/dynamodb/detail/answer_scan.hpp>

#include <pws/detail/json.hpp>
#include <pws/dynamodb/attribute_value.hpp>
// The spelling table and the general decoder's helpers (one TU holds both in compiled mode).
#include <pws/dynamodb/impl/attribute_value.ipp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <string>
#include <utility>

namespace pws::detail {

namespace answer_scan_impl {

// One attribute value `{"T":<value>}`: its type key and its value, a string (the text between
// the quotes, unescaped when it held an escape) or the literal true or false.
struct raw_value {
    enum class type_key : unsigned char { S, N, B, BOOL, NUL, other } type = type_key::other;
    enum class kind : unsigned char { string, yes, no } what = kind::string;
    std::string_view text;
};

// A cursor over the body. Every reader returns false on anything outside the shape it reads;
// nothing is reported: the general path reads the body again and says what is wrong.
struct scanner {
    const char* p;
    const char* end;
    // The text of value strings that held an escape, unescaped (node-stable: views into it stay valid).
    std::forward_list<std::string>& unescaped;

    void ws() noexcept {
        while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    }
    bool at_end() noexcept {
        ws();
        return p == end;
    }
    bool take(char c) noexcept {
        ws();
        if (p == end || *p != c) return false;
        ++p;
        return true;
    }
    // A JSON string of printable ASCII: the text between the quotes, which is what the general
    // path's parser would hold (and valid UTF-8 without checking). With `escapes` (value strings:
    // a Webhooks S holds JSON text, quotes escaped), the two-character escapes are unescaped into
    // `unescaped`; a \u escape is left to the general path, as is any escape in a name or type.
    bool string(std::string_view& out, bool escapes = false) {
        if (!take('"')) return false;
        const char* start = p;
        // Eight bytes at a time while they are all plain, then byte by byte to the one that is not.
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if (has_special(w)) break;
            p += 8;
        }
        while (p != end && plain[static_cast<unsigned char>(*p)]) ++p;
        if (p != end && *p == '\\' && escapes) return unescape(start, out);
        if (p == end || *p != '"') return false;  // the end, an escape, a control or non-ASCII byte
        out = std::string_view(start, static_cast<std::size_t>(p - start));
        ++p;
        return true;
    }
    // The rest of a string from its first backslash (at p; the string began at `start`).
    bool unescape(const char* start, std::string_view& out) {
        std::string& text = unescaped.emplace_front(start, p);
        while (p != end) {
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"') {
                ++p;
                out = text;
                return true;
            }
            if (c == '\\') {
                if (end - p < 2) return false;
                char r = 0;
                switch (p[1]) {
                case '"': r = '"'; break;
                case '\\': r = '\\'; break;
                case '/': r = '/'; break;
                case 'b': r = '\b'; break;
                case 'f': r = '\f'; break;
                case 'n': r = '\n'; break;
                case 'r': r = '\r'; break;
                case 't': r = '\t'; break;
                default: return false;  // \u (surrogates, UTF-8 checks) and anything invalid
                }
                text.push_back(r);
                p += 2;
                continue;
            }
            if (c < 0x20 || c >= 0x80) return false;
            text.push_back(static_cast<char>(c));
            ++p;
        }
        return false;
    }
    // Whether any of the eight bytes of `w` is not plain: a quote, a backslash, below 0x20 or
    // from 0x80 (the classic "has a zero byte" test, on w ^ '"' and w ^ '\\' for the two).
    static constexpr bool has_special(std::uint64_t w) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        const auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
        const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;  // bytes < 0x20 (of those < 0x80)
        return ((w & highs) | below_space | zero_byte(w ^ (ones * '"')) | zero_byte(w ^ (ones * '\\'))) != 0;
    }
    // The bytes a string holds as they are: printable ASCII but the quote and the backslash.
    static constexpr std::array<bool, 256> plain = [] {
        std::array<bool, 256> t{};
        for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
        return t;
    }();
    bool literal(std::string_view word) noexcept {
        if (static_cast<std::size_t>(end - p) < word.size() || std::string_view(p, word.size()) != word) return false;
        p += word.size();
        return true;
    }
    // A JSON integer (Count, ScannedCount): its value is not read, only its form checked.
    bool integer() noexcept {
        ws();
        const char* start = p;
        if (p != end && *p == '-') ++p;
        if (p == end || *p < '0' || *p > '9') return false;
        if (*p == '0') ++p;
        else
            while (p != end && *p >= '0' && *p <= '9') ++p;
        return p - start <= 20 && (p == end || (*p != '.' && *p != 'e' && *p != 'E'));
    }
    // `{"T":"text"}`, `{"T":true}` or `{"T":false}`.
    bool value(raw_value& out) {
        std::string_view type;
        if (!take('{') || !string(type) || !take(':')) return false;
        using key = raw_value::type_key;
        out.type = type == "S" ? key::S : type == "N" ? key::N : type == "B" ? key::B
                 : type == "BOOL" ? key::BOOL : type == "NULL" ? key::NUL : key::other;
        ws();
        if (p != end && *p == '"') {
            out.what = raw_value::kind::string;
            if (!string(out.text, true)) return false;
        } else if (literal("true")) {
            out.what = raw_value::kind::yes;
        } else if (literal("false")) {
            out.what = raw_value::kind::no;
        } else {
            return false;
        }
        return take('}');
    }
};

using attribute_value_impl::field_count;
using attribute_value_impl::spellings;

// The item's attributes the decoder reads, by field and spelling (nullptr: absent).
struct item_values {
    std::array<const raw_value*, 3> keys{};  // AppId, AppKey, AppSecret
    std::array<std::array<const raw_value*, 3>, field_count> fields{};
};

// Every name the decoder reads (AppId, AppKey, AppSecret and each spelling of each field) in an
// open-addressing table built at compile time, so that an attribute's name costs a hash of three
// of its bytes and, mostly, one comparison.
struct name_slot {
    std::string_view name;     // empty: a free slot
    std::uint8_t key = 0;      // 1 + index into item_values::keys, or 0
    std::uint8_t field = 0;    // else the field
    std::uint8_t spelling = 0; // and its spelling
};
inline constexpr std::size_t name_table_size = 128;  // a power of two, over twice the names

constexpr std::size_t name_hash(std::string_view n) noexcept {
    const auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(n[i])); };
    return (n.size() * 131 + b(0) * 7 + b(n.size() / 2) * 17 + b(n.size() - 1) * 3) & (name_table_size - 1);
}

consteval std::array<name_slot, name_table_size> make_name_table() {
    std::array<name_slot, name_table_size> t{};
    auto put = [&](name_slot e) {
        std::size_t h = name_hash(e.name);
        while (!t[h].name.empty()) h = (h + 1) & (name_table_size - 1);
        t[h] = e;
    };
    put({"AppId", 1, 0, 0});
    put({"AppKey", 2, 0, 0});
    put({"AppSecret", 3, 0, 0});
    for (std::size_t i = 0; i < spellings.size; ++i)
        put({spellings.slots[i].name, 0, spellings.slots[i].field, spellings.slots[i].spelling});
    return t;
}
inline constexpr std::array<name_slot, name_table_size> name_table = make_name_table();

// Where the decoder wants the value of attribute `name`, or nullptr for a name it does not read.
inline const raw_value** slot_of(std::string_view name, item_values& at) noexcept {
    if (name.empty()) return nullptr;
    for (std::size_t h = name_hash(name);; h = (h + 1) & (name_table_size - 1)) {
        const name_slot& e = name_table[h];
        if (e.name.empty()) return nullptr;
        if (e.name.size() == name.size() && e.name == name)
            return e.key ? &at.keys[e.key - 1u] : &at.fields[e.field][e.spelling];
    }
}

// A slot for each name the decoder reads (a name twice declines), and one that each attribute
// it does not read is scanned into and left behind.
inline constexpr std::size_t max_attributes = 3 + spellings.size + 1;

// Reads one item object, remembering where each known attribute is. Unknown attributes are
// skipped (the general decoder ignores them too) but must be of the same simple shape.
inline bool scan_item(scanner& s, std::array<raw_value, max_attributes>& slots, item_values& at) {
    if (!s.take('{')) return false;
    if (s.take('}')) return true;
    std::size_t used = 0;
    for (;;) {
        std::string_view name;
        if (!s.string(name) || !s.take(':')) return false;
        raw_value& v = slots[used];
        if (!s.value(v)) return false;
        const raw_value** where = slot_of(name, at);
        if (where) {
            if (*where) return false;  // a name twice: which one the general parser keeps is its business
            *where = &v;
            ++used;
        }
        if (s.take(',')) continue;
        return s.take('}');
    }
}

// {"NULL": true} counts as absent, as in the general decoder; any other NULL goes the general way.
enum class presence { absent, present, unknown };
inline presence present(const raw_value* v) noexcept {
    if (!v) return presence::absent;
    if (v->type == raw_value::type_key::NUL) return v->what == raw_value::kind::yes ? presence::absent : presence::unknown;
    return presence::present;
}

inline bool flag(const raw_value& v, bool& out) {
    using kind = raw_value::kind;
    using key = raw_value::type_key;
    if (v.type == key::BOOL) {
        if (v.what == kind::string) return false;
        out = v.what == kind::yes;
        return true;
    }
    if (v.what != kind::string) return false;
    if (v.type == key::B) {
        // The general decoder's base64 is strict (one spelling per byte string), so these four
        // are the only B values that decode to "true", "false", "1" or "0".
        if (v.text == "dHJ1ZQ==" || v.text == "MQ==") return out = true, true;
        if (v.text == "ZmFsc2U=" || v.text == "MA==") return out = false, true;
        return false;
    }
    if (v.type == key::N) {
        if (v.text.size() != 1 || (v.text[0] != '1' && v.text[0] != '0')) return false;
        out = v.text[0] == '1';
        return true;
    }
    return v.type == key::S && parse_flag(v.text, out);
}

inline bool integer(const raw_value& v, std::int64_t& out) noexcept {
    return v.what == raw_value::kind::string && (v.type == raw_value::type_key::N || v.type == raw_value::type_key::S) &&
           parse_int64(v.text, out);
}

inline bool number(const raw_value& v, double& out) noexcept {
    return v.what == raw_value::kind::string && (v.type == raw_value::type_key::N || v.type == raw_value::type_key::S) &&
           parse_double(v.text, out);
}

// An S of JSON text, as the general decoder reads it (the same parse, the same shape check); a
// native L goes the general way.
inline bool webhooks(const raw_value& v, std::vector<Webhook>& out) {
    if (v.what != raw_value::kind::string || v.type != raw_value::type_key::S) return false;
    std::string why;
    return webhooks_from_json_text(v.text, out, why) == webhooks_text::ok;
}

// One field from its spellings, in soketi's order: the first present one sets it, a later one
// that decodes to another value is a conflict (the general decoder's error, so: give up).
template <class T, class Decode>
bool spelled(const std::array<const raw_value*, 3>& values, T& into, Decode decode) {
    bool seen = false;
    for (const raw_value* v : values) {
        switch (present(v)) {
        case presence::absent: continue;
        case presence::unknown: return false;
        case presence::present: break;
        }
        T value{};
        if (!decode(*v, value)) return false;
        if (!seen) {
            into = std::move(value);
            seen = true;
        } else if (!(value == into)) {
            return false;
        }
    }
    return true;
}

// The app of the item, whose key `check` (0: AppId, 1: AppKey) must be `expected`.
inline bool decode(const item_values& at, std::size_t check, std::string_view expected, const AppDefaults& defaults,
                   App& out) {
    App app = defaults.app();
    std::string* keys[3] = {&app.id, &app.key, &app.secret};
    for (std::size_t i = 0; i < 3; ++i) {
        const raw_value* v = at.keys[i];
        if (!v || v->type != raw_value::type_key::S || v->what != raw_value::kind::string || v->text.empty()) return false;
        if (i == check && v->text != expected) return false;
        keys[i]->assign(v->text.data(), v->text.size());
    }
    std::size_t field = 0;
    for (const auto& f : app_flags)
        if (!spelled(at.fields[field++], app.*f.member, flag)) return false;
    for (const auto& f : app_ints)
        if (!spelled(at.fields[field++], app.*f.member, integer)) return false;
    for (const auto& f : app_numbers)
        if (!spelled(at.fields[field++], app.*f.member, number)) return false;
    if (!spelled(at.fields[field], app.webhooks, webhooks)) return false;
    out = std::move(app);
    return true;
}

}  // namespace answer_scan_impl

PWS_DECL bool scan_answer(std::string_view body, answer_shape shape, std::string_view expected,
                          const AppDefaults& defaults, App& out) {
    using namespace answer_scan_impl;
    std::forward_list<std::string> unescaped;
    scanner s{body.data(), body.data() + body.size(), unescaped};
    std::array<raw_value, max_attributes> slots;
    item_values at;
    bool item = false, count = false, scanned = false;
    if (!s.take('{')) return false;
    for (;;) {
        std::string_view name;
        if (!s.string(name) || !s.take(':')) return false;
        if (shape == answer_shape::get_item && name == "Item" && !item) {
            if (!scan_item(s, slots, at)) return false;
            item = true;
        } else if (shape == answer_shape::query && name == "Items" && !item) {
            // Exactly one item: none is "not found" and two are an error, both the general path's.
            if (!s.take('[') || !scan_item(s, slots, at) || !s.take(']')) return false;
            item = true;
        } else if (shape == answer_shape::query && name == "Count" && !count) {
            if (!s.integer()) return false;
            count = true;
        } else if (shape == answer_shape::query && name == "ScannedCount" && !scanned) {
            if (!s.integer()) return false;
            scanned = true;
        } else {
            return false;
        }
        if (s.take(',')) continue;
        if (!s.take('}') || !s.at_end()) return false;
        break;
    }
    return item && decode(at, shape == answer_shape::get_item ? 0 : 1, expected, defaults, out);
}

}  // namespace pws::detail
