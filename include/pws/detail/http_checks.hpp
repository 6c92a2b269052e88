// Rules both HTTP clients apply to a response — the DynamoDB transport and the credentials
// sources' one-off client — so a hostile or misconfigured server is refused the same way by each.
#pragma once

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cctype>
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
/// decodes) — or "" when its body is plain. The header's value is quoted only when short and
/// made of token characters.
template <class Fields>
std::string refused_coding(const Fields& headers) {
    namespace http = boost::beast::http;
    const std::string_view coding = headers[http::field::content_encoding];
    const std::string_view transfer = headers[http::field::transfer_encoding];
    const bool content = !coding.empty() && !boost::beast::iequals(coding, "identity");
    if (!content && (transfer.empty() || boost::beast::iequals(transfer, "chunked"))) return {};
    const std::string_view shown = content ? coding : transfer;
    const bool plain = shown.size() <= 32 && std::all_of(shown.begin(), shown.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ',' || ch == ' ';
                       });
    return std::string("the response has ") + (content ? "Content-Encoding " : "Transfer-Encoding ") +
           (plain ? std::string(shown) : std::string("(not shown)")) +
           ", which this client does not decode (it never asks for one)";
}

}  // namespace pws::detail
