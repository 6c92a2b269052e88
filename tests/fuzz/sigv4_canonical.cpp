// Fuzz target: SigV4 canonicalisation and signing of arbitrary requests — method, path, query,
// any number of headers (repeated, any case, any bytes, more than the insertion-sort threshold)
// and any body — checked against an independent, deliberately plain re-implementation of the
// rules in sigv4.hpp and against OpenSSL's one-shot SHA-256/HMAC.
//
// Invariants: the canonical request and SignedHeaders equal the oracle's; they are
// deterministic and do not depend on the order of headers with different names; the canonical
// query is a fixed point (canonicalising it again changes nothing); authorization() throws
// exactly when the date is not of the form 20150830T123600Z, and otherwise equals the oracle's
// value (which holds the access key id, never the secret) whatever the signer signed before:
// its signing-key cache must never hand out a key of another secret, date, region or service
// (including a region and service that join to the same scope, "a/b"+"c" vs "a"+"b/c").
#include "fuzz_common.hpp"

#include <pws/aws/sigv4.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <vector>

namespace {

using pws::aws::header;

std::string hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(digits[p[i] >> 4]);
        s.push_back(digits[p[i] & 15]);
    }
    return s;
}

std::string sha256_hex(std::string_view s) {
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
    return hex(md, len);
}

std::string hmac(std::string_view key, std::string_view msg) {
    unsigned char md[32];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &len);
    return std::string(reinterpret_cast<char*>(md), len);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string trimall(std::string_view v) {
    std::string out;
    std::size_t i = 0;
    while (i < v.size()) {
        while (i < v.size() && space(v[i])) ++i;
        std::size_t j = i;
        while (j < v.size() && !space(v[j])) ++j;
        if (j > i) {
            if (!out.empty()) out.push_back(' ');
            out.append(v.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

std::string uri_encode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            out.push_back(char(c));
        } else {
            static constexpr char digits[] = "0123456789ABCDEF";
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out.push_back(char(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (;;) {
        std::size_t j = s.find(sep, i);
        out.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) return out;
        i = j + 1;
    }
}

std::string oracle_path(std::string_view path) {
    if (path.empty() || path == "/") return "/";
    std::vector<std::string> kept;
    for (auto& seg : split(path, '/')) {
        if (seg == "..") {
            if (!kept.empty()) kept.pop_back();
        } else if (!seg.empty() && seg != ".") {
            kept.push_back(seg);
        }
    }
    std::string out = "/";
    for (std::size_t i = 0; i < kept.size(); ++i) out += (i ? "/" : "") + uri_encode(kept[i]);
    if (path.back() == '/' && !kept.empty()) out += '/';
    return out;
}

std::string oracle_query(std::string_view query) {
    if (query.empty()) return "";
    std::vector<std::pair<std::string, std::string>> params;
    for (auto& piece : split(query, '&')) {
        if (piece.empty()) continue;
        auto eq = piece.find('=');
        std::string k = piece.substr(0, eq), v = eq == std::string::npos ? "" : piece.substr(eq + 1);
        params.emplace_back(uri_encode(percent_decode(k)), uri_encode(percent_decode(v)));
    }
    std::sort(params.begin(), params.end());
    std::string out;
    for (std::size_t i = 0; i < params.size(); ++i)
        out += (i ? "&" : "") + params[i].first + "=" + params[i].second;
    return out;
}

// std::map orders by unsigned bytes, as the signer orders lowercase names.
std::string oracle_canonical(const pws::aws::signing_input& in, std::string& signed_headers) {
    std::map<std::string, std::vector<std::string>> groups;
    for (auto& h : in.headers) groups[lower(h.name)].push_back(trimall(h.value));
    std::string headers;
    signed_headers.clear();
    for (auto& [name, values] : groups) {
        headers += name + ":";
        for (std::size_t i = 0; i < values.size(); ++i) headers += (i ? "," : "") + values[i];
        headers += "\n";
        signed_headers += (signed_headers.empty() ? "" : ";") + name;
    }
    return std::string(in.method) + "\n" + oracle_path(in.path) + "\n" + oracle_query(in.query) +
           "\n" + headers + "\n" + signed_headers + "\n" + sha256_hex(in.body);
}

std::string oracle_authorization(const std::string& canonical, const std::string& signed_headers,
                                 const pws::aws::credentials& c, std::string_view region,
                                 std::string_view service, std::string_view amz_date) {
    const std::string date(amz_date.substr(0, 8));
    const std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
    const std::string sts =
        "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" + sha256_hex(canonical);
    std::string k = hmac("AWS4" + c.secret_access_key, date);
    k = hmac(k, region);
    k = hmac(k, service);
    k = hmac(k, "aws4_request");
    const std::string sig = hmac(k, sts);
    return "AWS4-HMAC-SHA256 Credential=" + c.access_key_id + "/" + scope +
           ", SignedHeaders=" + signed_headers + ", Signature=" +
           hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

bool is_amz_date(std::string_view d) {
    if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return false;
    for (std::size_t i = 0; i < 15; ++i)
        if (i != 8 && !(d[i] >= '0' && d[i] <= '9')) return false;
    return true;
}

constexpr std::string_view common_names[] = {
    "host", "x-amz-date", "x-amz-target", "content-type", "x-amz-security-token",
    "X-Amz-Date", "HOST", "Content-Length", "amz-sdk-invocation-id", "x-amz-meta-a",
    "X-AMZ-META-A", "my-header", "a", "A", "b"};

std::string fuzz_name(FuzzedDataProvider& in) {
    if (in.ConsumeBool()) return in.ConsumeRandomLengthString(24);
    std::string n(common_names[in.ConsumeIntegralInRange<std::size_t>(0, std::size(common_names) - 1)]);
    for (auto& c : n)
        if (in.ConsumeBool() && c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    return n;
}

std::string fuzz_date(FuzzedDataProvider& in) {
    if (in.ConsumeIntegralInRange(0, 7) == 0) return in.ConsumeRandomLengthString(20);
    std::string d = "20150830T123600Z";
    for (std::size_t i : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 10u, 11u, 12u, 13u, 14u})
        d[i] = char('0' + in.ConsumeIntegralInRange(0, 9));
    return d;
}

// The signer under test lives across inputs, so its key cache sees arbitrary sequences.
pws::aws::sigv4_signer& long_lived_signer() {
    static pws::aws::sigv4_signer s;
    return s;
}

void check_sign(pws::aws::sigv4_signer& signer, const pws::aws::signing_input& in,
                const std::string& canonical, const std::string& signed_headers,
                const pws::aws::credentials& c, const std::string& region, const std::string& service,
                const std::string& date) {
    std::string got;
    bool threw = false;
    try {
        got = signer.authorization(in, c, region, service, date);
    } catch (const std::invalid_argument& e) {
        threw = true;
        // A fixed message: nothing of the request or the credentials reaches an exception.
        PWS_FUZZ_CHECK(std::string_view(e.what()) ==
                           "pws::aws::sigv4_signer: amz_date is not of the form 20150830T123600Z",
                       e.what());
    }
    PWS_FUZZ_CHECK(threw == !is_amz_date(date), date);
    if (threw) return;
    const std::string want = oracle_authorization(canonical, signed_headers, c, region, service, date);
    PWS_FUZZ_CHECK(got == want, got + "\n!=\n" + want);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string method = in.ConsumeRandomLengthString(12);
    const std::string path = in.ConsumeRandomLengthString(200);
    const std::string query = in.ConsumeRandomLengthString(200);
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 40);
    std::vector<std::string> names, values;
    for (std::size_t i = 0; i < n; ++i) {
        names.push_back(fuzz_name(in));
        values.push_back(in.ConsumeRandomLengthString(in.ConsumeBool() ? 40 : 1200));
    }
    pws::aws::credentials creds{in.ConsumeRandomLengthString(30), in.ConsumeRandomLengthString(100), ""};
    const std::string region = in.ConsumeRandomLengthString(20);
    const std::string service = in.ConsumeRandomLengthString(20);
    const std::string date = fuzz_date(in);
    const std::uint64_t shuffle_seed = in.ConsumeIntegral<std::uint64_t>();
    const std::string body = in.ConsumeRemainingBytesAsString();

    std::vector<header> headers;
    for (std::size_t i = 0; i < n; ++i) headers.push_back({names[i], values[i]});
    pws::aws::signing_input req{method, path, query, headers, body};

    std::string signed_headers;
    const std::string canonical = pws::aws::sigv4_signer::canonical_request(req, &signed_headers);
    std::string want_signed;
    const std::string want = oracle_canonical(req, want_signed);
    PWS_FUZZ_CHECK(canonical == want, canonical + "\n---- expected ----\n" + want);
    PWS_FUZZ_CHECK(signed_headers == want_signed, signed_headers);

    // Deterministic.
    std::string signed2;
    PWS_FUZZ_CHECK(pws::aws::sigv4_signer::canonical_request(req, &signed2) == canonical && signed2 == signed_headers,
                   canonical);

    // Independent of the order of differently named headers: shuffle, then put each name's
    // headers back in their original relative order on the positions that name now holds.
    if (n > 1) {
        std::vector<header> shuffled = headers;
        std::uint64_t x = shuffle_seed | 1;
        for (std::size_t i = shuffled.size() - 1; i > 0; --i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            std::swap(shuffled[i], shuffled[x % (i + 1)]);
        }
        std::map<std::string, std::vector<header>> by_name;
        for (auto& h : headers) by_name[lower(h.name)].push_back(h);
        std::map<std::string, std::size_t> used;
        for (auto& h : shuffled) {
            const std::string k = lower(h.name);
            h = by_name[k][used[k]++];
        }
        pws::aws::signing_input req2 = req;
        req2.headers = shuffled;
        PWS_FUZZ_CHECK(pws::aws::sigv4_signer::canonical_request(req2) == canonical, canonical);
    }

    // The canonical query is a fixed point.
    const std::string cq = oracle_query(query);
    pws::aws::signing_input req3{method, path, cq, headers, body};
    std::string c3 = pws::aws::sigv4_signer::canonical_request(req3);
    PWS_FUZZ_CHECK(c3 == canonical, c3);

    // Signing: a fresh signer, the long-lived one, and a sequence that puts another secret and a
    // scope-colliding region/service split in the cache before signing again.
    pws::aws::sigv4_signer fresh;
    check_sign(fresh, req, canonical, signed_headers, creds, region, service, date);
    auto& signer = long_lived_signer();
    check_sign(signer, req, canonical, signed_headers, creds, region, service, date);
    pws::aws::credentials other = creds;
    other.secret_access_key += "x";
    check_sign(signer, req, canonical, signed_headers, other, region, service, date);
    // A region and service that join to the same scope text ("a/b"+"c" vs "a"+"b/c"): split the
    // joined text at its other slashes.
    const std::string joined = region + "/" + service;
    for (std::size_t p : {joined.find('/'), joined.rfind('/')}) {
        if (p == std::string::npos || p == region.size()) continue;
        check_sign(signer, req, canonical, signed_headers, creds, joined.substr(0, p), joined.substr(p + 1), date);
    }
    check_sign(signer, req, canonical, signed_headers, creds, region, service, date);
    return 0;
}
