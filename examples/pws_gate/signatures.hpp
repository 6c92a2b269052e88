// The two signatures of the Pusher protocol, as pure functions (no I/O, the clock passed in):
//
//  - channel auth: a client subscribing to private-/presence- sends "key:hex(HMAC-SHA256(secret,
//    socket_id ':' channel [':' channel_data]))", which the app's own auth endpoint produced;
//  - HTTP API: every call carries auth_key, auth_timestamp, auth_version=1.0, body_md5 and
//    auth_signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH "\n" sorted_query)).
//
// Every comparison with an expected signature is constant-time (CRYPTO_memcmp), so a client
// learns nothing from how long a wrong guess took.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gate {

/// Lowercase hex of `n` bytes.
inline std::string to_hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(2 * n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    return out;
}

// Both digests are checked: under an OpenSSL configuration that cannot compute them (FIPS-only
// properties without the FIPS provider, say) they give nothing, and every check that needs them
// refuses. An unchecked failure would make the expected signature "", which an empty
// auth_signature matches: a signature check failing open.

/// hex(HMAC-SHA256(key, data)), or nothing when OpenSSL cannot compute it.
inline std::optional<std::string> hmac_sha256_hex(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        !HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n) ||
        n != 32)
        return std::nullopt;
    return to_hex(mac, n);
}

/// hex(MD5(data)): the HTTP API's body_md5 (a checksum, not a security measure); nothing when
/// OpenSSL cannot compute it.
inline std::optional<std::string> md5_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr) != 1 || n != 16) return std::nullopt;
    return to_hex(md, n);
}

/// Equal contents, in a time that depends only on the lengths.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// The `auth` a subscription to a private channel (channel_data empty) or a presence channel
/// must carry; nothing when OpenSSL cannot compute it.
inline std::optional<std::string> channel_auth(std::string_view key, std::string_view secret,
                                               std::string_view socket_id, std::string_view channel,
                                               std::string_view channel_data = {}) {
    std::string to_sign;
    to_sign.append(socket_id).append(":").append(channel);
    if (!channel_data.empty()) to_sign.append(":").append(channel_data);
    auto mac = hmac_sha256_hex(secret, to_sign);
    if (!mac) return std::nullopt;
    return std::string(key) + ":" + *mac;
}

/// What a subscription's `auth` is worth.
enum class channel_auth_check { ok, refused, crypto_failed };

/// Whether `auth` is channel_auth(...) for these values; crypto_failed (a refusal too) when the
/// signature cannot be computed.
inline channel_auth_check check_channel_auth(std::string_view auth, std::string_view key, std::string_view secret,
                                             std::string_view socket_id, std::string_view channel,
                                             std::string_view channel_data = {}) {
    const auto expected = channel_auth(key, secret, socket_id, channel, channel_data);
    if (!expected) return channel_auth_check::crypto_failed;
    return constant_time_equal(auth, *expected) ? channel_auth_check::ok : channel_auth_check::refused;
}

/// check_channel_auth(...) == ok.
inline bool channel_auth_ok(std::string_view auth, std::string_view key, std::string_view secret,
                            std::string_view socket_id, std::string_view channel,
                            std::string_view channel_data = {}) {
    return check_channel_auth(auth, key, secret, socket_id, channel, channel_data) == channel_auth_check::ok;
}

/// One decoded query parameter.
using query_param = std::pair<std::string, std::string>;

/// Percent-decodes `s` ('+' is a space, as in a form); a malformed escape stays as it is.
inline std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') out += ' ';
        else if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc{} && p == s.data() + i + 3) { out += static_cast<char>(v); i += 2; }
            else out += '%';
        } else out += s[i];
    }
    return out;
}

/// Splits a raw query string ("a=1&b=2", no '?') into decoded pairs, in order.
inline std::vector<query_param> parse_query(std::string_view q) {
    std::vector<query_param> out;
    while (!q.empty()) {
        auto amp = q.find('&');
        std::string_view part = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        out.emplace_back(url_decode(part.substr(0, eq)),
                         eq == std::string_view::npos ? std::string{} : url_decode(part.substr(eq + 1)));
    }
    return out;
}

/// The first value of `name` in `params`, or nullptr.
inline const std::string* find_param(const std::vector<query_param>& params, std::string_view name) {
    for (auto& [k, v] : params)
        if (k == name) return &v;
    return nullptr;
}
// The result points into `params`: asking a temporary would dangle, so it does not compile.
inline const std::string* find_param(std::vector<query_param>&& params, std::string_view name) = delete;

/// Why an HTTP API request's signature was refused (ok = accepted).
enum class api_auth { ok, missing_param, wrong_key, bad_version, bad_timestamp, bad_body_md5, bad_signature, crypto_failed };

/// A one-line reason for the 401 body (never echoes what the signature should have been).
inline const char* to_string(api_auth a) {
    switch (a) {
    case api_auth::ok: return "ok";
    case api_auth::missing_param: return "auth_key, auth_timestamp, auth_version and auth_signature are required";
    case api_auth::wrong_key: return "auth_key is not this app's key";
    case api_auth::bad_version: return "auth_version must be 1.0";
    case api_auth::bad_timestamp: return "auth_timestamp is more than 600 s from the server's time";
    case api_auth::bad_body_md5: return "body_md5 does not match the body";
    case api_auth::bad_signature: return "invalid auth_signature";
    case api_auth::crypto_failed: return "the server cannot check signatures now";
    }
    return "?";
}

/// The string an HTTP API request signs: METHOD\nPATH\nk1=v1&k2=v2... over every parameter but
/// auth_signature, with lowercased keys sorted (values as sent, decoded).
inline std::string api_string_to_sign(std::string_view method, std::string_view path,
                                      std::vector<query_param> params) {
    std::erase_if(params, [](const query_param& p) { return p.first == "auth_signature"; });
    for (auto& [k, v] : params)
        std::ranges::transform(k, k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::ranges::sort(params);
    std::string s;
    s.append(method).append("\n").append(path).append("\n");
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (i) s += '&';
        s.append(params[i].first).append("=").append(params[i].second);
    }
    return s;
}

/// Checks an HTTP API request against the app's key and secret at Unix time `now`.
inline api_auth check_api_signature(std::string_view method, std::string_view path,
                                    const std::vector<query_param>& params, std::string_view body,
                                    std::string_view app_key, std::string_view app_secret,
                                    std::int64_t now) {
    const std::string* key = find_param(params, "auth_key");
    const std::string* ts = find_param(params, "auth_timestamp");
    const std::string* version = find_param(params, "auth_version");
    const std::string* signature = find_param(params, "auth_signature");
    if (!key || !ts || !version || !signature) return api_auth::missing_param;
    if (*key != app_key) return api_auth::wrong_key;
    if (*version != "1.0") return api_auth::bad_version;
    std::int64_t t = 0;
    auto [p, ec] = std::from_chars(ts->data(), ts->data() + ts->size(), t);
    if (ec != std::errc{} || p != ts->data() + ts->size() || t < now - 600 || t > now + 600)
        return api_auth::bad_timestamp;
    const std::string* md5 = find_param(params, "body_md5");
    if (!body.empty() || md5) {
        const auto actual = md5_hex(body);
        if (!actual) return api_auth::crypto_failed;
        if (!md5 || !constant_time_equal(*md5, *actual)) return api_auth::bad_body_md5;
    }
    const auto expected = hmac_sha256_hex(app_secret, api_string_to_sign(method, path, params));
    if (!expected) return api_auth::crypto_failed;
    return constant_time_equal(*signature, *expected) ? api_auth::ok : api_auth::bad_signature;
}

}  // namespace gate
