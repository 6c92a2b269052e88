// SHA-256, HMAC-SHA256 and lowercase hex: the three primitives SigV4 needs, over OpenSSL.
//
// Why not the one-shot SHA256() / HMAC() / EVP_Q_mac()? In OpenSSL 3 each of them looks the
// algorithm up in the provider registry ("fetch") and allocates a context on every call, which
// costs more than hashing a DynamoDB request. Measured on OpenSSL 3.0 (300-byte input):
// SHA256() 700 ns, HMAC() 2000 ns, EVP_Q_mac() 1960 ns; with an EVP_MD fetched once and one
// EVP_MD_CTX reused per thread: SHA-256 280 ns, HMAC (RFC 2104 over that context) 510 ns.
//
// Even a reused EVP_MD_CTX allocates: OpenSSL 3.0's EVP_DigestInit_ex2 frees and re-creates the
// provider's context on every init (3 allocations per signature). So by default the hashing is
// OpenSSL's SHA256_Init/Update/Final over a SHA256_CTX on the stack: the same assembly, no
// provider dispatch, no allocation. Those functions are deprecated in OpenSSL 3 (not removed);
// an OpenSSL built without them (OPENSSL_NO_DEPRECATED_3_0), or a build defining PWS_SHA256_EVP
// (e.g. to hash through the FIPS provider), uses the EVP path instead. Both are always
// compiled and tested against each other (tests/unit/sigv4_test.cpp).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslconf.h>

#if !defined(PWS_SHA256_EVP) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define PWS_DETAIL_SHA256_LOW_LEVEL 1
#include <openssl/sha.h>
#endif

#include <array>
#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pws::detail {

/// A SHA-256 digest (also an HMAC-SHA256 value).
using sha256_digest = std::array<unsigned char, 32>;

[[noreturn]] inline void throw_sha256_failure() {
    // Only reachable when OpenSSL has no SHA-256 provider or runs out of memory.
    throw std::runtime_error("pws: OpenSSL SHA-256 unavailable");
}

/// SHA-256 fetched once per process. Never freed on purpose: thread_local contexts that use it
/// may be destroyed after static destructors run.
inline const EVP_MD* sha256_md() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) throw_sha256_failure();
    return md;
}

/// This thread's reusable digest context (freed at thread exit).
inline EVP_MD_CTX* thread_sha256_ctx() {
    struct holder {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        holder() = default;
        holder(const holder&) = delete;
        holder& operator=(const holder&) = delete;
        ~holder() { EVP_MD_CTX_free(ctx); }
    };
    thread_local holder h;
    if (h.ctx == nullptr) throw_sha256_failure();
    return h.ctx;
}

/// Incremental SHA-256 through EVP over this thread's context. Not re-entrant: finish one
/// hasher before constructing the next on the same thread (they share the context).
class evp_sha256_hasher {
public:
    evp_sha256_hasher() : ctx_(thread_sha256_ctx()) {
        if (EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) throw_sha256_failure();
    }
    evp_sha256_hasher(const evp_sha256_hasher&) = delete;
    evp_sha256_hasher& operator=(const evp_sha256_hasher&) = delete;

    evp_sha256_hasher& update(const void* data, std::size_t size) {
        if (size != 0 && EVP_DigestUpdate(ctx_, data, size) != 1) throw_sha256_failure();
        return *this;
    }
    evp_sha256_hasher& update(std::string_view s) { return update(s.data(), s.size()); }
    evp_sha256_hasher& update(std::span<const unsigned char> b) { return update(b.data(), b.size()); }

    sha256_digest finish() {
        sha256_digest out;
        unsigned int n = 0;
        if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1 || n != out.size()) throw_sha256_failure();
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

#ifdef PWS_DETAIL_SHA256_LOW_LEVEL
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
/// Incremental SHA-256 over a SHA256_CTX of its own: no allocation, re-entrant. The state is
/// wiped when the hasher goes (it may hold key material: HMAC pads, "AWS4" + secret).
class low_level_sha256_hasher {
public:
    low_level_sha256_hasher() {
        if (SHA256_Init(&ctx_) != 1) throw_sha256_failure();
    }
    low_level_sha256_hasher(const low_level_sha256_hasher&) = delete;
    low_level_sha256_hasher& operator=(const low_level_sha256_hasher&) = delete;
    ~low_level_sha256_hasher() { OPENSSL_cleanse(&ctx_, sizeof ctx_); }

    low_level_sha256_hasher& update(const void* data, std::size_t size) {
        if (size != 0 && SHA256_Update(&ctx_, data, size) != 1) throw_sha256_failure();
        return *this;
    }
    low_level_sha256_hasher& update(std::string_view s) { return update(s.data(), s.size()); }
    low_level_sha256_hasher& update(std::span<const unsigned char> b) { return update(b.data(), b.size()); }

    sha256_digest finish() {
        sha256_digest out;
        if (SHA256_Final(out.data(), &ctx_) != 1) throw_sha256_failure();
        return out;
    }

private:
    SHA256_CTX ctx_;
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// The hasher the signer uses (see the top of this file).
using sha256_hasher = low_level_sha256_hasher;
#else
using sha256_hasher = evp_sha256_hasher;
#endif

/// SHA-256 of `data`.
inline sha256_digest sha256(std::string_view data) { return sha256_hasher().update(data).finish(); }

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`, over `Hasher`. The padded key block is wiped
/// before returning.
template <class Hasher>
sha256_digest basic_hmac_sha256(std::span<const unsigned char> key, std::string_view msg) {
    constexpr std::size_t block = 64;
    std::array<unsigned char, block> pad{};
    if (key.size() > block) {
        auto k = Hasher().update(key).finish();  // RFC 2104: long keys are hashed first
        std::memcpy(pad.data(), k.data(), k.size());
        OPENSSL_cleanse(k.data(), k.size());
    } else if (!key.empty()) {
        std::memcpy(pad.data(), key.data(), key.size());
    }
    for (auto& b : pad) b ^= 0x36;
    const auto inner = Hasher().update(pad).update(msg).finish();
    for (auto& b : pad) b ^= 0x36 ^ 0x5c;
    auto out = Hasher().update(pad).update(inner).finish();
    OPENSSL_cleanse(pad.data(), pad.size());
    return out;
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
inline sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view msg) {
    return basic_hmac_sha256<sha256_hasher>(key, msg);
}

/// Appends `bytes` as lowercase hex (two characters per byte).
inline void append_hex(std::string& out, std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    const std::size_t at = out.size();
    out.resize(at + 2 * bytes.size());
    char* p = out.data() + at;
    for (unsigned char b : bytes) {
        *p++ = digits[b >> 4];
        *p++ = digits[b & 0x0f];
    }
}

/// `bytes` as lowercase hex.
inline std::string to_hex(std::span<const unsigned char> bytes) {
    std::string out;
    append_hex(out, bytes);
    return out;
}

}  // namespace pws::detail
