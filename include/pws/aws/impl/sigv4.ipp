#pragma once

#include <pws/aws/sigv4.hpp>
#include <pws/aws/detail/crypto.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

// Internals live in pws::detail, not in a pws::aws::detail that would hide pws::detail from
// unqualified lookups in other pws::aws code.
namespace pws::detail::sigv4 {

// Hex SHA-256 of the empty payload: GETs and empty POSTs skip hashing.
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view scope_suffix = "/aws4_request";

// No locale: header names and amz dates are ASCII whatever the process locale says.
constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
constexpr bool is_unreserved(unsigned char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

inline void append_encoded_byte(std::string& out, unsigned char c) {
    static constexpr char digits[] = "0123456789ABCDEF";
    if (is_unreserved(c)) {
        out.push_back(char(c));
    } else {
        const char enc[3] = {'%', digits[c >> 4], digits[c & 0x0f]};
        out.append(enc, 3);
    }
}

inline void append_lower(std::string& out, std::string_view s) {
    const std::size_t at = out.size();
    out.append(s);
    for (std::size_t i = at; i < out.size(); ++i) out[i] = ascii_lower(out[i]);
}

// Case-insensitive (ASCII) order of header names, i.e. the order of their lowercase forms.
inline int compare_names(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<unsigned char>(ascii_lower(a[i]));
        const auto y = static_cast<unsigned char>(ascii_lower(b[i]));
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// "20150830T123600Z": checked because the date part keys the signing key and the scope.
inline bool is_amz_date(std::string_view d) noexcept {
    if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return false;
    for (std::size_t i = 0; i < 15; ++i)
        if (i != 8 && !is_digit(d[i])) return false;
    return true;
}

inline void append_canonical_path(std::string& out, std::string_view path) {
    if (path.empty() || path == "/") {  // DynamoDB's only path: no work
        out.push_back('/');
        return;
    }
    boost::container::small_vector<std::string_view, 16> segments;
    for (std::size_t i = 0; i <= path.size();) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        const std::string_view seg = path.substr(i, j - i);
        if (seg == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        i = j + 1;
    }
    out.push_back('/');
    for (std::size_t k = 0; k < segments.size(); ++k) {
        if (k != 0) out.push_back('/');
        for (char c : segments[k]) append_encoded_byte(out, static_cast<unsigned char>(c));
    }
    if (path.back() == '/' && !segments.empty()) out.push_back('/');
}

// Decodes valid %XX escapes (a stray '%' stays a literal byte) and re-encodes every byte.
inline void append_reencoded(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            c = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        append_encoded_byte(out, c);
    }
}

inline void append_canonical_query(std::string& out, std::string_view query) {
    if (query.empty()) return;
    // Parameters are encoded once into one buffer and sorted as offsets into it: one allocation
    // for the whole query instead of two strings per parameter.
    struct param {
        std::uint32_t key_at, key_size, value_at, value_size;
    };
    std::string encoded;
    encoded.reserve(3 * query.size());
    boost::container::small_vector<param, 8> params;
    for (std::size_t i = 0; i <= query.size();) {
        std::size_t j = query.find('&', i);
        if (j == std::string_view::npos) j = query.size();
        const std::string_view piece = query.substr(i, j - i);
        i = j + 1;
        if (piece.empty()) continue;
        const std::size_t eq = piece.find('=');
        param p{};
        p.key_at = std::uint32_t(encoded.size());
        append_reencoded(encoded, piece.substr(0, eq));
        p.key_size = std::uint32_t(encoded.size() - p.key_at);
        p.value_at = std::uint32_t(encoded.size());
        if (eq != std::string_view::npos) append_reencoded(encoded, piece.substr(eq + 1));
        p.value_size = std::uint32_t(encoded.size() - p.value_at);
        params.push_back(p);
    }
    const std::string_view buf = encoded;
    auto key = [&](const param& p) { return buf.substr(p.key_at, p.key_size); };
    auto value = [&](const param& p) { return buf.substr(p.value_at, p.value_size); };
    std::sort(params.begin(), params.end(), [&](const param& a, const param& b) {
        const int k = key(a).compare(key(b));
        return k != 0 ? k < 0 : value(a) < value(b);
    });
    for (std::size_t k = 0; k < params.size(); ++k) {
        if (k != 0) out.push_back('&');
        out.append(key(params[k])).push_back('=');
        out.append(value(params[k]));
    }
}

// Trimall: no leading/trailing whitespace, inner runs (folded line breaks too) become one space.
// Appends whole words, not characters: a session token is a 300+ byte word.
inline void append_trimmed(std::string& out, std::string_view value) {
    const std::size_t n = value.size();
    std::size_t i = 0;
    for (bool first = true;; first = false) {
        while (i < n && is_space(value[i])) ++i;
        if (i == n) return;
        std::size_t j = i;
        // Eight bytes at a time while none is below 0x21, as every whitespace byte is (the
        // "hasless(w, 0x21)" bit trick: exact for any byte values, UTF-8 included).
        constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
        for (std::uint64_t w; j + 8 <= n; j += 8) {
            std::memcpy(&w, value.data() + j, 8);
            if (((w - 0x21 * ones) & ~w & highs) != 0) break;
        }
        while (j < n && !is_space(value[j])) ++j;
        if (!first) out.push_back(' ');
        out.append(value.data() + i, j - i);
        i = j;
    }
}

inline void append_canonical_headers(std::string& out, std::string& signed_headers,
                                     std::span<const aws::header> headers) {
    boost::container::small_vector<const aws::header*, 16> sorted;
    for (const aws::header& h : headers) sorted.push_back(&h);
    auto less = [](const aws::header* a, const aws::header* b) { return compare_names(a->name, b->name) < 0; };
    // Stable, so that repeated headers keep their order; insertion sort allocates nothing and is
    // the fastest for the handful of headers a request carries.
    if (sorted.size() <= 32) {
        for (std::size_t i = 1; i < sorted.size(); ++i)
            for (std::size_t j = i; j > 0 && less(sorted[j], sorted[j - 1]); --j)
                std::swap(sorted[j], sorted[j - 1]);
    } else {
        std::stable_sort(sorted.begin(), sorted.end(), less);
    }
    for (std::size_t i = 0; i < sorted.size();) {
        const std::string_view name = sorted[i]->name;
        append_lower(out, name);
        out.push_back(':');
        std::size_t j = i;
        for (; j < sorted.size() && compare_names(sorted[j]->name, name) == 0; ++j) {
            if (j != i) out.push_back(',');
            append_trimmed(out, sorted[j]->value);
        }
        out.push_back('\n');
        if (!signed_headers.empty()) signed_headers.push_back(';');
        append_lower(signed_headers, name);
        i = j;
    }
}

inline void build_canonical_request(std::string& out, std::string& signed_headers, const aws::signing_input& req) {
    out.clear();
    signed_headers.clear();
    std::size_t headers_size = 0;
    for (const aws::header& h : req.headers) headers_size += h.name.size() + h.value.size() + 2;
    out.reserve(req.method.size() + 3 * (req.path.size() + req.query.size()) + 2 * headers_size + 80);
    out.append(req.method).push_back('\n');
    append_canonical_path(out, req.path);
    out.push_back('\n');
    append_canonical_query(out, req.query);
    out.push_back('\n');
    append_canonical_headers(out, signed_headers, req.headers);
    out.push_back('\n');
    out.append(signed_headers).push_back('\n');
    if (req.body.empty())
        out.append(empty_payload_sha256);
    else
        append_hex(out, sha256(req.body));
}

inline void build_string_to_sign(std::string& out, std::string_view amz_date, std::string_view scope,
                                 std::string_view canonical_request) {
    out.clear();
    out.reserve(algorithm.size() + amz_date.size() + scope.size() + 3 + 64);
    out.append(algorithm).push_back('\n');
    out.append(amz_date).push_back('\n');
    out.append(scope).push_back('\n');
    append_hex(out, sha256(canonical_request));
}

}  // namespace pws::detail::sigv4

namespace pws::aws {

PWS_DECL std::string format_amz_date(std::chrono::system_clock::time_point t) {
    char buf[16];
    format_amz_date(t, buf);
    return std::string(buf, sizeof buf);
}

PWS_DECL void format_amz_date(std::chrono::system_clock::time_point t, std::span<char, 16> out) noexcept {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    // system_clock spans years 1678..2262 (nanosecond ticks): always four digits.
    const unsigned fields[] = {unsigned(int(ymd.year())) / 100, unsigned(int(ymd.year())) % 100,
                               unsigned(ymd.month()),           unsigned(ymd.day()),
                               unsigned(hms.hours().count()),   unsigned(hms.minutes().count()),
                               unsigned(hms.seconds().count())};
    char* p = out.data();
    for (std::size_t i = 0; i < std::size(fields); ++i) {
        if (i == 4) *p++ = 'T';
        *p++ = char('0' + fields[i] / 10);
        *p++ = char('0' + fields[i] % 10);
    }
    *p = 'Z';
}

PWS_DECL sigv4_signer::key_cache::~key_cache() {
    OPENSSL_cleanse(secret.data(), secret.size());
    OPENSSL_cleanse(key.data(), key.size());
}

PWS_DECL const std::array<unsigned char, 32>& sigv4_signer::signing_key(std::string_view secret,
                                                                        std::string_view region,
                                                                        std::string_view service) {
    // scope_ (built by the caller) is "<date>/<region>/<service>/aws4_request".
    if (cache_.secret == secret && cache_.scope == scope_ && cache_.region_size == region.size())
        return cache_.key;
    const std::string_view date = std::string_view(scope_).substr(0, 8);

    // kSecret = "AWS4" + secret, built in a wiped stack block (HMAC hashes keys over 64 bytes).
    std::array<unsigned char, 64> k_secret{};
    std::span<const unsigned char> k;
    if (4 + secret.size() <= k_secret.size()) {
        std::memcpy(k_secret.data(), "AWS4", 4);
        std::memcpy(k_secret.data() + 4, secret.data(), secret.size());
        k = std::span(k_secret.data(), 4 + secret.size());
    } else {
        auto h = pws::detail::sha256_hasher().update("AWS4").update(secret).finish();
        std::memcpy(k_secret.data(), h.data(), h.size());
        OPENSSL_cleanse(h.data(), h.size());
        k = std::span(k_secret.data(), h.size());
    }
    auto k_date = pws::detail::hmac_sha256(k, date);
    OPENSSL_cleanse(k_secret.data(), k_secret.size());
    auto k_region = pws::detail::hmac_sha256(k_date, region);
    auto k_service = pws::detail::hmac_sha256(k_region, service);
    const auto k_signing = pws::detail::hmac_sha256(k_service, "aws4_request");
    OPENSSL_cleanse(k_date.data(), k_date.size());
    OPENSSL_cleanse(k_region.data(), k_region.size());
    OPENSSL_cleanse(k_service.data(), k_service.size());

    OPENSSL_cleanse(cache_.secret.data(), cache_.secret.size());
    cache_.secret.assign(secret);
    cache_.scope.assign(scope_);
    cache_.region_size = region.size();
    cache_.key = k_signing;
    return cache_.key;
}

PWS_DECL std::string sigv4_signer::authorization(const signing_input& req, const credentials& creds,
                                                 std::string_view region, std::string_view service,
                                                 std::string_view amz_date) {
    std::string out;
    append_authorization(out, req, creds, region, service, amz_date);
    return out;
}

PWS_DECL void sigv4_signer::append_authorization(std::string& out, const signing_input& req,
                                                 const credentials& creds, std::string_view region,
                                                 std::string_view service, std::string_view amz_date) {
    namespace sv = pws::detail::sigv4;
    // The message names the parameter only: nothing of the credentials reaches an exception.
    if (!sv::is_amz_date(amz_date))
        throw std::invalid_argument("pws::aws::sigv4_signer: amz_date is not of the form 20150830T123600Z");

    sv::build_canonical_request(creq_, signed_headers_, req);
    scope_.clear();
    scope_.append(amz_date.substr(0, 8)).append(1, '/').append(region).append(1, '/');
    scope_.append(service).append(sv::scope_suffix);
    sv::build_string_to_sign(sts_, amz_date, scope_, creq_);
    const auto& key = signing_key(creds.secret_access_key, region, service);
    const auto signature = pws::detail::hmac_sha256(key, sts_);

    constexpr std::string_view credential = " Credential=", names = ", SignedHeaders=", sig = ", Signature=";
    out.reserve(out.size() + sv::algorithm.size() + credential.size() + creds.access_key_id.size() + 1 +
                scope_.size() + names.size() + signed_headers_.size() + sig.size() + 2 * signature.size());
    out.append(sv::algorithm).append(credential).append(creds.access_key_id).append(1, '/');
    out.append(scope_).append(names).append(signed_headers_).append(sig);
    pws::detail::append_hex(out, signature);
}

PWS_DECL std::string sigv4_signer::canonical_request(const signing_input& req, std::string* signed_headers) {
    std::string out, names;
    pws::detail::sigv4::build_canonical_request(out, names, req);
    if (signed_headers != nullptr) *signed_headers = std::move(names);
    return out;
}

PWS_DECL std::string sigv4_signer::string_to_sign(std::string_view amz_date, std::string_view scope,
                                                  std::string_view canonical_request) {
    std::string out;
    pws::detail::sigv4::build_string_to_sign(out, amz_date, scope, canonical_request);
    return out;
}

}  // namespace pws::aws
