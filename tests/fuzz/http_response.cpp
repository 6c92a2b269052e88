// Fuzz target: a raw HTTP response as the DynamoDB client receives it. The bytes go through
// detail::read_final_response, the very coroutine dynamodb::client::exchange reads with (same
// body, header, buffer and wire limits; interim 1xx responses dropped, encodings refused; the bytes arriving
// in chunks of a fuzzed size), then through what the client and DynamoDbPolicy do with the
// result: the I/O-error classification, the x-amz-crc32 check, the Date header, and
// get_item / query_by_key parse for a 2xx or parse_error_response + scrub for anything else.
//
// Input: byte 0 picks the read size (0 = everything at once), byte 1 the body cap; the rest is
// the response.
#include "lookup_checks.hpp"

#include <pws/detail/http_checks.hpp>
#include <pws/detail/retry.hpp>
#include <pws/dynamodb/client.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

// An AsyncReadStream over the fuzz input that hands out at most `chunk` bytes per read, then
// EOF. Each read completes through a post, as a socket's would, never inline.
struct chunked_source {
    using executor_type = asio::io_context::executor_type;
    executor_type ex;
    std::string_view data;
    std::size_t chunk;

    executor_type get_executor() const { return ex; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& buffers) {
                error_code ec;
                std::size_t n = 0;
                if (data.empty())
                    ec = asio::error::eof;
                else {
                    n = asio::buffer_copy(buffers, asio::buffer(data.data(), std::min(chunk, data.size())));
                    data.remove_prefix(n);
                }
                asio::post(ex, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
            },
            token, buffers);
    }
};

struct classified {
    error_code ec;
    std::string diagnostic;
};

constexpr std::size_t caps[] = {64, 1024, 4 * 1024 * 1024};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pws::fuzz;
    if (size < 2) return 0;
    const std::size_t chunk = data[0] == 0 ? size : data[0];
    const std::size_t cap = caps[data[1] % 3];
    asio::io_context ioc;
    chunked_source source{ioc.get_executor(), std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2),
                          chunk};
    boost::beast::flat_buffer buffer{pws::detail::max_unparsed_bytes};  // as the client's connection
    std::optional<http::response_parser<http::string_body>> parser;
    std::optional<pws::detail::response_read> read;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            read = co_await pws::detail::read_final_response(source, buffer, parser, cap, 64 * 1024);
        },
        asio::detached);
    ioc.run();
    PWS_FUZZ_CHECK(read.has_value(), "the read did not complete");  // no hang, no lost completion
    PWS_FUZZ_CHECK(read->interim <= pws::detail::max_interim_responses, std::to_string(read->interim));
    PWS_FUZZ_CHECK(buffer.size() <= pws::detail::max_unparsed_bytes, std::to_string(buffer.size()));
    const error_code ec = read->ec;
    if (ec) {
        classified out;
        pws::dynamodb::client_impl::classify_io_error(out, ec, "reading the response from",
                                                      "127.0.0.1:1", cap);
        PWS_FUZZ_CHECK(out.ec.category() == pws::error_category(), ec.message());
        PWS_FUZZ_CHECK(!out.diagnostic.empty(), ec.message());
        if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
            PWS_FUZZ_CHECK(out.ec == pws::error::response_too_large, out.diagnostic);
        return 0;
    }
    if (!read->too_large.empty()) return 0;  // past max_wire_bytes(cap): refused, unread
    if (!read->refused.empty()) {
        // Refused: an interim response past the bound or a 101, or an encoding not decoded.
        // The reason is printable and never quotes a long or odd header value.
        for (char c : read->refused) PWS_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, read->refused);
        PWS_FUZZ_CHECK(read->refused.size() < 160, read->refused);
        return 0;
    }
    // Accepted: a final response, in no encoding but identity.
    {
        const auto& h = parser->get();
        PWS_FUZZ_CHECK(h.result_int() >= 200 || h.result_int() < 100, std::to_string(h.result_int()));
        for (const auto& f : h) {  // every field, a repeated header too
            if (f.name() == http::field::content_encoding)
                PWS_FUZZ_CHECK(f.value().empty() || boost::beast::iequals(f.value(), "identity"), f.value());
            if (f.name() == http::field::transfer_encoding)
                PWS_FUZZ_CHECK(f.value().empty() || boost::beast::iequals(f.value(), "chunked"), f.value());
        }
    }

    auto& res = parser->get();
    const std::string& body = res.body();
    PWS_FUZZ_CHECK(body.size() <= cap, std::to_string(body.size()));
    const unsigned status = res.result_int();

    // The client's own checks of the headers.
    (void)pws::detail::parse_http_date(res[http::field::date]);  // any year: UBSan watches
    const bool crc_ok = pws::detail::crc32_matches(body, res["x-amz-crc32"]);
    PWS_FUZZ_CHECK(pws::detail::crc32_matches(body, std::to_string(pws::detail::crc32(body))), body);
    if (!crc_ok) {
        // The client reports crc32_mismatch and never reads this body; carry on to fuzz the
        // parsers all the same.
    }

    if (status >= 200 && status < 300 && !pws::detail::is_error_body(body)) {
        check_lookup_body(body);
        return 0;
    }
    std::string diag;
    const error_code err = pws::detail::parse_error_response(
        status, body, res["x-amzn-ErrorType"], res["x-amzn-RequestId"], diag);
    PWS_FUZZ_CHECK(err.failed(), diag);  // a non-2xx is never success, nor "not found"
    (void)pws::detail::classify_failure(err, status, diag);
    pws::scrub(diag, canary_secret);
    for (char c : diag) PWS_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, diag);
    return 0;
}
