// The sizes an HTTP response may reach with either client, whatever the server sends.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pws::detail::http {

/// The limits one exchange holds a response to (exchange.hpp). Every one, when hit, ends the
/// exchange with error::response_too_large and a diagnostic naming it, and closes the connection.
struct limits {
    std::size_t body = 64 * 1024;        ///< body bytes, after chunked decoding
    std::uint32_t header = 16 * 1024;    ///< the header section: status line and fields
    const char* body_setting = nullptr;  ///< the setting `body` comes from, named in its diagnostic
};

/// Unparsed bytes a response may need at once — a header line, a chunk-size line with its
/// extensions, a trailer section. The read buffer is capped at this, so a line that never ends
/// costs this much memory, not all there is (Beast bounds the header and the body, not chunk
/// lines or trailers): the read then fails with http::error::buffer_overflow.
inline constexpr std::size_t max_unparsed_bytes = 256 * 1024;

/// Bytes a response may take on the wire, headers, chunk framing and interim responses
/// included, for a body cap of `body_limit`: a little above it, so that a server sending 1-byte
/// chunks with long extensions is stopped as soon as it has sent more than a real answer would.
constexpr std::size_t max_wire_bytes(std::size_t body_limit) noexcept {
    return body_limit + body_limit / 8 + 64 * 1024;
}

/// Interim (1xx) responses may precede the answer, even unasked (RFC 9110 §15.2): each is read
/// and dropped, at most this many times.
inline constexpr int max_interim_responses = 8;

}  // namespace pws::detail::http
