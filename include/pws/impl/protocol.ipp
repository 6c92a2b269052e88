#pragma once

#include <pws/detail/credentials_parse.hpp>
#include <pws/detail/protocol.hpp>
#include <pws/dynamodb/attribute_value.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <unordered_set>
#include <vector>

namespace pws::detail {

namespace protocol_impl {
// Longest server message we pass on; the rest is cut (a hostile server may send megabytes).
inline constexpr std::size_t max_message_chars = 512;

inline bool valid_utf8(std::string_view s) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    auto end = p + s.size();
    while (p < end) {
        unsigned c = *p;
        int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (n < 0 || end - p <= n) return false;
        unsigned cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        // Reject overlong forms, surrogates and code points past U+10FFFF.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        p += n + 1;
    }
    return true;
}

inline std::string_view string_member(const boost::json::object& o, std::string_view name) {
    if (auto* v = o.if_contains(name); v && v->is_string()) return v->get_string();
    return {};
}

// The value of {"S": "..."} at `attr`, or an empty view.
inline std::string_view s_attribute(const boost::json::object& item, std::string_view attr) {
    if (auto* v = item.if_contains(attr); v && v->is_object())
        return string_member(v->get_object(), "S");
    return {};
}

inline find_result decode_item(const boost::json::value& v, std::string_view check_attr, std::string_view expected,
                               const AppDefaults& defaults) {
    if (!v.is_object())
        return find_result::failure(error::malformed_response, "the item is not a JSON object");
    const auto& item = v.get_object();
    if (s_attribute(item, check_attr) != expected)
        return find_result::failure(error::malformed_response,
                                    "the server returned an item whose " + std::string(check_attr) +
                                        " is not the one asked for");
    auto app = std::make_shared<App>();
    std::string diag;
    if (auto ec = dynamodb::decode_app(item, *app, diag, defaults)) return find_result::failure(ec, std::move(diag));
    return find_result::of(std::move(app));
}

inline bool parse_object(std::string_view body, boost::json::value& out, std::string& diag) {
    boost::system::error_code ec;
    out = boost::json::parse(body, ec);
    if (ec) {
        diag = "the response body is not valid JSON (" + ec.message() + ")";
        return false;
    }
    if (!out.is_object()) {
        diag = "the response body is not a JSON object";
        return false;
    }
    return true;
}
}  // namespace protocol_impl

using namespace protocol_impl;

PWS_DECL boost::system::error_code validate_key_value(std::string_view what, std::string_view value,
                                                      std::string& diagnostic) {
    if (value.empty()) {
        diagnostic = std::string(what) + " is empty";
        return error::invalid_argument;
    }
    if (value.size() > max_key_bytes) {
        diagnostic = std::string(what) + " is " + std::to_string(value.size()) +
                     " bytes long; DynamoDB keys hold at most 2048";
        return error::invalid_argument;
    }
    if (!valid_utf8(value)) {
        diagnostic = std::string(what) + " is not valid UTF-8";
        return error::invalid_argument;
    }
    return {};
}

PWS_DECL std::string get_item_body(std::string_view table, std::string_view id) {
    boost::json::object body;
    body["TableName"] = table;
    body["Key"] = {{"AppId", {{"S", id}}}};
    return boost::json::serialize(body);
}

PWS_DECL std::string query_by_key_body(std::string_view table, std::string_view index, std::string_view key) {
    boost::json::object body;
    body["TableName"] = table;
    body["IndexName"] = index;
    body["KeyConditionExpression"] = "AppKey = :app_key";
    body["ExpressionAttributeValues"] = {{":app_key", {{"S", key}}}};
    body["Limit"] = 2;
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code parse_error_response(unsigned status, std::string_view body,
                                                        std::string_view error_type_header,
                                                        std::string_view request_id, std::string& diagnostic,
                                                        std::string_view secret1, std::string_view secret2) {
    std::string_view type = error_type_header.substr(0, error_type_header.find(':'));
    std::string_view message;
    boost::system::error_code jec;
    auto v = boost::json::parse(body, jec);
    if (!jec && v.is_object()) {
        const auto& o = v.get_object();
        if (auto t = string_member(o, "__type"); !t.empty()) type = t;
        message = string_member(o, "message");
        if (message.empty()) message = string_member(o, "Message");
    }
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);

    boost::system::error_code ec;
    if (!type.empty()) {
        ec = dynamodb_errc_from_type(type);
    } else if (status == 503) {
        ec = dynamodb_errc::service_unavailable;
    } else if (status >= 500) {
        ec = dynamodb_errc::internal_server_error;
    } else if (status == 429) {
        ec = dynamodb_errc::throttling;
    } else {
        ec = error::unexpected_status;
    }
    // Each piece the server wrote is scrubbed before it is cut to its limit: a secret cut first
    // would no longer be found whole. Only the limit plus three times the longest secret (its
    // percent-encoded length at most) is scrubbed, so a 4 MB message costs no more than a short one.
    auto piece = [&](std::string_view text, std::size_t limit) {
        std::string p(text.substr(0, limit + 3 * std::max(secret1.size(), secret2.size())));
        scrub(p, secret1, secret2);
        if (p.size() > limit) p.resize(limit);
        return p;
    };
    diagnostic = "DynamoDB ";
    diagnostic += type.empty() ? std::string("error") : piece(type, 128);
    diagnostic += " (HTTP " + std::to_string(status) + ")";
    if (!message.empty()) {
        diagnostic += ": ";
        diagnostic += piece(message, max_message_chars);
    }
    if (!request_id.empty()) {
        diagnostic += " [request id ";
        diagnostic += piece(request_id, 128);
        diagnostic += "]";
    }
    return ec;
}

PWS_DECL bool is_error_body(std::string_view body) {
    // The JSON is parsed only when the key could be there: in a success body, a quote is escaped
    // inside strings, so `"__type"` can only be a member name.
    if (body.find("\"__type\"") == std::string_view::npos) return false;
    boost::system::error_code jec;
    auto v = boost::json::parse(body, jec);
    return !jec && v.is_object() && !string_member(v.get_object(), "__type").empty();
}

PWS_DECL find_result parse_get_item(std::string_view body, std::string_view id, const AppDefaults& defaults) {
    boost::json::value v;
    std::string diag;
    if (!parse_object(body, v, diag)) return find_result::failure(error::malformed_response, std::move(diag));
    const auto* item = v.get_object().if_contains("Item");
    if (!item) return find_result::none();
    return decode_item(*item, "AppId", id, defaults);
}

PWS_DECL find_result parse_query_by_key(std::string_view body, std::string_view key,
                                        const AppDefaults& defaults) {
    boost::json::value v;
    std::string diag;
    if (!parse_object(body, v, diag)) return find_result::failure(error::malformed_response, std::move(diag));
    const auto* items = v.get_object().if_contains("Items");
    if (!items || !items->is_array())
        return find_result::failure(error::malformed_response, "the Query response has no Items array");
    const auto& arr = items->get_array();
    if (arr.empty()) return find_result::none();
    if (arr.size() > 1)
        return find_result::failure(error::ambiguous_key, "more than one app in the table has this key");
    return decode_item(arr.front(), "AppKey", key, defaults);
}

namespace protocol_impl {

// Marks, in `hidden`, every byte of `text` that lies in a run of at least min_secret_piece bytes
// also found in `secret` (the whole secret, when it is shorter than that). Linear in the text:
// each window of min_secret_piece bytes is looked up among the secret's own windows.
inline void mark_secret(std::string_view text, std::string_view secret, std::vector<bool>& hidden) {
    auto mark = [&](std::size_t at, std::size_t n) { std::fill_n(hidden.begin() + static_cast<std::ptrdiff_t>(at), n, true); };
    if (secret.size() < min_secret_piece) {
        for (auto pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1))
            mark(pos, secret.size());
        return;
    }
    if (text.size() < min_secret_piece) return;
    std::unordered_set<std::string_view> windows;
    windows.reserve(secret.size());
    for (std::size_t i = 0; i + min_secret_piece <= secret.size(); ++i) windows.insert(secret.substr(i, min_secret_piece));
    for (std::size_t i = 0; i + min_secret_piece <= text.size(); ++i)
        if (windows.contains(text.substr(i, min_secret_piece))) mark(i, min_secret_piece);
}

// The forms a server may echo a secret in besides its own: percent-encoded (as in a query or a
// form: append_form_encoded, the encoder of the STS request, then the same with lower-case hex)
// and JSON-escaped (with the optional `\/`).
inline std::vector<std::string> secret_forms(std::string_view secret) {
    std::vector<std::string> forms{std::string(secret)};
    std::string url;
    append_form_encoded(url, secret);
    std::string lower = url;
    for (std::size_t at = lower.find('%'); at != std::string::npos; at = lower.find('%', at + 1))
        for (std::size_t i = at + 1; i < at + 3 && i < lower.size(); ++i)
            lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
    forms.push_back(std::move(url));
    forms.push_back(std::move(lower));
    std::string json;
    for (char c : secret) {
        if (c == '/' || c == '"' || c == '\\') json += '\\';
        json += c;
    }
    forms.push_back(std::move(json));
    std::sort(forms.begin(), forms.end());
    forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
    return forms;
}

}  // namespace protocol_impl

PWS_DECL void scrub(std::string& text, std::string_view s1, std::string_view s2, std::string_view s3) {
    std::vector<bool> hidden(text.size(), false);
    for (std::string_view secret : {s1, s2, s3}) {
        if (secret.empty()) continue;
        for (const std::string& form : protocol_impl::secret_forms(secret)) protocol_impl::mark_secret(text, form, hidden);
    }
    // Each hidden run becomes one "***"; control characters become spaces.
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (hidden[i]) {
            if (i == 0 || !hidden[i - 1]) out += "***";
            continue;
        }
        const char c = text[i];
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
    text = std::move(out);
}

}  // namespace pws::detail
