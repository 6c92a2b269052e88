// Rules both HTTP clients apply to a response — the DynamoDB transport and the credentials
// sources' one-off client — so a hostile or misconfigured server is refused the same way by each.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pws::detail {

/// Interim (1xx) responses may precede the answer, even unasked (RFC 9110 §15.2): each is read
/// and dropped, at most this many times.
inline constexpr int max_interim_responses = 8;

/// Why an interim response with `status` ends the exchange after `dropped` others were dropped,
/// or "" to read and drop it. 101 would switch protocols: never asked for.
inline std::string refused_interim(unsigned status, int dropped) {
    if (status == 101) return "the server switched protocols (HTTP 101), which was not asked for";
    if (dropped >= max_interim_responses)
        return "the server sent more than " + std::to_string(max_interim_responses) + " interim (1xx) responses";
    return {};
}

/// Neither client asks for an encoding (no Accept-Encoding), and a body in one it does not
/// decode would be mis-read as plain text. Returns why a response with these headers is refused
/// — a Content-Encoding other than identity, a Transfer-Encoding other than chunked (which Beast
/// decodes), in any of the fields when a header is repeated — or "" when its body is plain. The
/// header's value is quoted only when short and made of token characters.
template <class Fields>
std::string refused_coding(const Fields& headers) {
    namespace http = boost::beast::http;
    auto first_refused = [&](http::field f, std::string_view allowed) -> std::optional<std::string_view> {
        auto [it, end] = headers.equal_range(f);
        for (; it != end; ++it)
            if (!it->value().empty() && !boost::beast::iequals(it->value(), allowed)) return std::string_view(it->value());
        return std::nullopt;
    };
    auto content = first_refused(http::field::content_encoding, "identity");
    auto transfer = content ? std::nullopt : first_refused(http::field::transfer_encoding, "chunked");
    if (!content && !transfer) return {};
    const std::string_view shown = content ? *content : *transfer;
    const bool plain = shown.size() <= 32 && std::all_of(shown.begin(), shown.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ',' || ch == ' ';
                       });
    return std::string("the response has ") + (content ? "Content-Encoding " : "Transfer-Encoding ") +
           (plain ? std::string(shown) : std::string("(not shown)")) +
           ", which this client does not decode (it never asks for one)";
}

/// What reading one answer to a request came to.
struct response_read {
    boost::system::error_code ec;  ///< an I/O or HTTP parse error from Beast, or none
    std::string refused;           ///< else, when not empty: why the server's answer is refused
    int interim = 0;               ///< interim responses read and dropped before it ended
};

/// Reads the answer to a request just written on `stream` into `parser`, holding the server to
/// the rules above: interim (1xx) responses are read and dropped (at most max_interim_responses,
/// a 101 is refused), and a final response in an encoding neither client decodes is refused.
/// `buffer` keeps what was read past the response (the caller decides what that means for the
/// connection). Each response gets a fresh parser with these limits.
template <class Stream>
boost::asio::awaitable<response_read> read_final_response(
    Stream& stream, boost::beast::flat_buffer& buffer,
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>>& parser,
    std::size_t body_limit, std::uint32_t header_limit) {
    namespace asio = boost::asio;
    response_read out;
    for (;; ++out.interim) {
        parser.emplace();
        parser->body_limit(body_limit);
        parser->header_limit(header_limit);
        auto [ec, n] = co_await boost::beast::http::async_read(stream, buffer, *parser,
                                                                asio::as_tuple(asio::use_awaitable));
        if (ec) {
            out.ec = ec;
            co_return out;
        }
        const unsigned status = parser->get().result_int();
        if (status >= 200 || status < 100) break;
        out.refused = refused_interim(status, out.interim);
        if (!out.refused.empty()) co_return out;
    }
    out.refused = refused_coding(parser->get());
    co_return out;
}

}  // namespace pws::detail
