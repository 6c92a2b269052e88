// Standard base64 (RFC 4648 §4, the alphabet with '+' and '/', '=' padding), as DynamoDB puts
// binary (B) attribute values on the wire.
//
// The decoder is strict on purpose: an item with a sloppy B value was not written by a
// DynamoDB SDK, so we would rather report it than guess what its writer meant.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pws::detail {

// 0..63 for alphabet characters, 64 for '=', 255 for anything else.
inline constexpr std::array<std::uint8_t, 256> base64_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 255;
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    t[static_cast<unsigned char>('=')] = 64;
    return t;
}();

/// Decodes padded standard base64 into `out`; returns false (and leaves `out` unspecified) on a
/// length that is not a multiple of 4, a character outside the alphabet, misplaced padding or
/// non-zero padding bits. Never throws except std::bad_alloc.
inline bool base64_decode(std::string_view in, std::string& out) {
    out.clear();
    if (in.size() % 4 != 0) return false;
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        std::uint8_t v[4];
        for (int j = 0; j < 4; ++j) v[j] = base64_table[static_cast<unsigned char>(in[i + j])];
        const bool last = i + 4 == in.size();
        // '=' may only end the final quantum: "xx==" or "xxx=".
        int pad = 0;
        if (last && v[3] == 64) pad = (v[2] == 64) ? 2 : 1;
        for (int j = 0; j < 4 - pad; ++j)
            if (v[j] > 63) return false;
        const std::uint32_t n = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) |
                                (std::uint32_t(pad < 2 ? v[2] : 0) << 6) |
                                std::uint32_t(pad < 1 ? v[3] : 0);
        // Non-zero bits under the padding mean a second encoding of the same bytes: reject it so
        // that each byte string has exactly one accepted spelling.
        if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) return false;
        out.push_back(static_cast<char>((n >> 16) & 0xFF));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
    }
    return true;
}

/// Encodes `in` as padded standard base64.
inline std::string base64_encode(std::string_view in) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t n = (std::uint32_t(static_cast<unsigned char>(in[i])) << 16) |
                                (std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8) |
                                std::uint32_t(static_cast<unsigned char>(in[i + 2]));
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(alphabet[(n >> 6) & 63]);
        out.push_back(alphabet[n & 63]);
    }
    if (const std::size_t rest = in.size() - i; rest > 0) {
        std::uint32_t n = std::uint32_t(static_cast<unsigned char>(in[i])) << 16;
        if (rest == 2) n |= std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(rest == 2 ? alphabet[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

}  // namespace pws::detail
