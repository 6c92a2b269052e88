#pragma once

#include <pws/aws/endpoint.hpp>
#include <pws/aws/detail/credentials_parse.hpp>
#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>

namespace pws::detail {

namespace credentials_parse_impl {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

inline bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    for (std::size_t i = pos; i < pos + n; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    std::from_chars(s.data() + pos, s.data() + pos + n, out);
    return true;
}

// The text of the one element `name` inside `xml` (its attributes skipped). False, with `why`,
// when it is missing or appears twice: a strict reader, since a second AccessKeyId would mean
// we do not understand the document.
inline bool element(std::string_view xml, std::string_view name, std::string_view& content, std::string& why) {
    auto find_open = [&](std::size_t from) -> std::size_t {
        for (auto at = xml.find('<', from); at != std::string_view::npos; at = xml.find('<', at + 1)) {
            auto rest = xml.substr(at + 1);
            if (rest.starts_with(name) && rest.size() > name.size()) {
                char c = rest[name.size()];
                if (c == '>' || c == ' ' || c == '/' || c == '\t' || c == '\r' || c == '\n') return at;
            }
        }
        return std::string_view::npos;
    };
    auto open = find_open(0);
    if (open == std::string_view::npos) {
        why = "no <" + std::string(name) + "> element";
        return false;
    }
    auto gt = xml.find('>', open);
    if (gt == std::string_view::npos) {
        why = "an unterminated <" + std::string(name) + "> tag";
        return false;
    }
    std::size_t after;
    if (xml[gt - 1] == '/') {
        content = {};
        after = gt + 1;
    } else {
        const std::string close = "</" + std::string(name) + ">";
        auto end = xml.find(close, gt + 1);
        if (end == std::string_view::npos) {
            why = "no </" + std::string(name) + ">";
            return false;
        }
        content = xml.substr(gt + 1, end - gt - 1);
        after = end + close.size();
    }
    if (find_open(after) != std::string_view::npos) {
        why = "more than one <" + std::string(name) + "> element";
        return false;
    }
    return true;
}

// Decodes a leaf's text: the five named entities and numeric references; no markup allowed.
inline bool leaf_text(std::string_view raw, std::string& out) {
    raw = trim(raw);
    out.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '<') return false;
        if (c != '&') {
            out += c;
            continue;
        }
        auto semi = raw.find(';', i);
        if (semi == std::string_view::npos) return false;
        auto ent = raw.substr(i + 1, semi - i - 1);
        if (ent == "amp") out += '&';
        else if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else if (ent.starts_with('#')) {
            unsigned cp = 0;
            bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
            auto num = ent.substr(hex ? 2 : 1);
            auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), cp, hex ? 16 : 10);
            if (num.empty() || ec != std::errc() || p != num.data() + num.size() || cp == 0 || cp > 0x10FFFF ||
                (cp >= 0xD800 && cp <= 0xDFFF))
                return false;
            if (cp < 0x80) {
                out += static_cast<char>(cp);
            } else if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (cp >> 18));
                out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            }
        } else {
            return false;
        }
        i = semi;
    }
    return true;
}

}  // namespace credentials_parse_impl

PWS_DECL bool parse_iso8601(std::string_view s, sys_time& out) noexcept {
    using namespace std::chrono;
    using credentials_parse_impl::digits;
    int y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return false;
    std::size_t i = 19;
    nanoseconds frac{0};
    if (s[i] == '.') {
        ++i;
        std::size_t start = i;
        std::int64_t scale = 100000000, value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            value += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) return false;
        frac = nanoseconds(value);
    }
    minutes offset{0};
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
        // UTC
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!digits(s, i + 1, 2, oh) || !digits(s, i + 4, 2, om) || oh > 23 || om > 59) return false;
        offset = hours(oh) + minutes(om);
        if (s[i] == '-') offset = -offset;
    } else {
        return false;
    }
    year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return false;  // 60: a leap second
    // system_clock counts nanoseconds in 64 bits: 1678 to 2262. Nothing AWS issues predates 1970;
    // a far-future expiry (a helper's "9999-12-31T23:59:59Z") means "never" and saturates.
    if (y < 1970) return false;
    if (y > 2200) {
        out = sys_time::max();
        return true;
    }
    auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + frac - offset;
    out = time_point_cast<system_clock::duration>(t);
    return true;
}

PWS_DECL boost::system::error_code parse_json_credentials(std::string_view body, json_credentials_kind kind,
                                                          aws::credentials& out,
                                                          std::optional<sys_time>& expiration,
                                                          std::string& diagnostic) {
    const char* what = kind == json_credentials_kind::container           ? "the container credentials document"
                       : kind == json_credentials_kind::instance_metadata ? "the instance metadata credentials document"
                                                                          : "the credential_process output";
    auto fail = [&](std::string why) {
        diagnostic = std::string(what) + " " + why;
        return make_error_code(error::malformed_response);
    };
    boost::system::error_code ec;
    auto doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return fail("is not a JSON object");
    const auto& o = doc.as_object();
    auto str = [&](std::string_view key, bool required, std::string& into) -> bool {
        auto* v = o.if_contains(key);
        if (!v || v->is_null()) return !required;
        if (!v->is_string()) return false;
        into = std::string(v->as_string());
        return !required || !into.empty();
    };
    if (kind == json_credentials_kind::process) {
        auto* v = o.if_contains("Version");
        // Compared as stored: to_number would throw for a uint64 past INT64_MAX.
        if (!v || !((v->is_int64() && v->get_int64() == 1) || (v->is_uint64() && v->get_uint64() == 1)))
            return fail("must have \"Version\": 1");
    }
    if (kind == json_credentials_kind::instance_metadata) {
        std::string code;
        if (!str("Code", false, code)) return fail("has a Code that is not a string");
        if (!code.empty() && code != "Success") {
            // The server's text: scrubbed of the document's own secrets, whole, before the cut.
            std::string secret, token;
            (void)str("SecretAccessKey", false, secret);
            (void)str("Token", false, token);
            pws::scrub(code, secret, token);
            code.resize(std::min<std::size_t>(code.size(), 64));
            return fail("says Code \"" + code + "\", not \"Success\"");
        }
    }
    aws::credentials c;
    const char* token_key = kind == json_credentials_kind::process ? "SessionToken" : "Token";
    if (!str("AccessKeyId", true, c.access_key_id)) return fail("has no AccessKeyId string");
    if (!str("SecretAccessKey", true, c.secret_access_key)) return fail("has no SecretAccessKey string");
    if (!str(token_key, false, c.session_token)) return fail(std::string("has a ") + token_key + " that is not a string");
    std::string exp;
    bool exp_required = kind != json_credentials_kind::process;
    if (!str("Expiration", exp_required, exp)) return fail("has no Expiration string");
    std::optional<sys_time> when;
    if (!exp.empty()) {
        sys_time t;
        if (!parse_iso8601(exp, t)) return fail("has an Expiration that is not an RFC 3339 time");
        when = t;
    }
    out = std::move(c);
    expiration = when;
    return {};
}

PWS_DECL boost::system::error_code parse_sts_credentials(std::string_view xml, aws::credentials& out,
                                                         sys_time& expiration, std::string& diagnostic) {
    using credentials_parse_impl::element;
    using credentials_parse_impl::leaf_text;
    auto fail = [&](std::string why) {
        diagnostic = "the STS response has " + why;
        return make_error_code(error::malformed_response);
    };
    std::string_view result, creds;
    std::string why;
    if (!element(xml, "AssumeRoleWithWebIdentityResult", result, why)) return fail(why);
    if (!element(result, "Credentials", creds, why)) return fail(why);
    aws::credentials c;
    std::string exp;
    struct field {
        const char* name;
        std::string* into;
    } fields[] = {{"AccessKeyId", &c.access_key_id},
                  {"SecretAccessKey", &c.secret_access_key},
                  {"SessionToken", &c.session_token},
                  {"Expiration", &exp}};
    for (auto& f : fields) {
        std::string_view raw;
        if (!element(creds, f.name, raw, why)) return fail(why);
        if (!leaf_text(raw, *f.into)) return fail(std::string("a <") + f.name + "> that is not plain text");
        if (f.into->empty()) return fail(std::string("an empty <") + f.name + ">");
    }
    sys_time t;
    if (!parse_iso8601(exp, t)) return fail("an <Expiration> that is not an RFC 3339 time");
    out = std::move(c);
    expiration = t;
    return {};
}

PWS_DECL std::string sts_error_summary(std::string_view xml) {
    using credentials_parse_impl::element;
    using credentials_parse_impl::leaf_text;
    std::string_view err, raw;
    std::string why, code, message;
    if (!element(xml, "Error", err, why)) return {};
    if (element(err, "Code", raw, why)) leaf_text(raw, code);
    if (element(err, "Message", raw, why)) leaf_text(raw, message);
    if (code.size() > 64) code.resize(64);
    if (message.size() > 240) message.resize(240);
    if (code.empty()) return message;
    return message.empty() ? code : code + ": " + message;
}

PWS_DECL void append_form_encoded(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
}

PWS_DECL std::string sts_url(std::string_view override_url, std::string_view region) {
    if (!override_url.empty()) return std::string(override_url);
    if (!aws::is_valid_region(region)) return "https://sts.amazonaws.com";
    std::string url = "https://sts.";
    url += region;
    url += region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    return url;
}

PWS_DECL profile_map parse_profile_file(std::string_view text, bool is_config) {
    using credentials_parse_impl::trim;
    profile_map out;
    profile_properties* current = nullptr;  // null: outside a profile, properties ignored
    std::string* last_value = nullptr;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        std::string_view t = trim(line);
        if (t.empty() || t.front() == '#' || t.front() == ';') continue;
        if (t.front() == '[') {
            last_value = nullptr;
            current = nullptr;
            auto close = t.find(']');
            if (close == std::string_view::npos) continue;  // a broken header: skip its body
            std::string_view name = trim(t.substr(1, close - 1));
            if (is_config) {
                if (name == "default") {
                    // [default] is the default profile in both files
                } else if (name.starts_with("profile") && name.size() > 7 && (name[7] == ' ' || name[7] == '\t')) {
                    name = trim(name.substr(7));
                } else {
                    continue;  // [sso-session x], [services x], or a name without "profile "
                }
            }
            if (name.empty()) continue;
            current = &out[std::string(name)];
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            // A continuation line (e.g. the sub-properties of "s3 =").
            if (last_value) {
                *last_value += '\n';
                *last_value += t;
            }
            continue;
        }
        auto eq = t.find('=');
        if (eq == std::string_view::npos || !current) {
            last_value = nullptr;
            continue;
        }
        auto key = trim(t.substr(0, eq));
        if (key.empty()) continue;
        last_value = &((*current)[std::string(key)] = std::string(trim(t.substr(eq + 1))));
    }
    return out;
}

PWS_DECL std::optional<profile_properties> merge_profile(const profile_map& config, const profile_map& credentials,
                                                         std::string_view name) {
    auto c = config.find(name);
    auto k = credentials.find(name);
    if (c == config.end() && k == credentials.end()) return std::nullopt;
    profile_properties p;
    if (c != config.end()) p = c->second;
    if (k != credentials.end())
        for (auto& [key, value] : k->second) p[key] = value;
    return p;
}

PWS_DECL std::string expand_home(std::string_view path, std::string_view home) {
    if (path == "~" || path.starts_with("~/")) return std::string(home) + std::string(path.substr(1));
    return std::string(path);
}

}  // namespace pws::detail
