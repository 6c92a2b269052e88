// Fuzz target: a raw HTTP response as the DynamoDB client receives it. The bytes go through
// detail::http::exchange, the very coroutine both HTTP clients exchange with (the DynamoDB
// client's body, header, buffer and wire limits; interim 1xx responses dropped, encodings
// refused; the error classification and its diagnostics; the bytes arriving in chunks of a
// fuzzed size), then through what the client and DynamoDbPolicy do with the result: the
// x-amz-crc32 check, the Date header, and get_item / query_by_key parse for a 2xx or
// parse_error_response + scrub for anything else.
//
// Input: byte 0 picks the read size (0 = everything at once), byte 1 the body cap; the rest is
// the response.
#include "lookup_checks.hpp"

#include <pws/detail/http/exchange.hpp>
#include <pws/dynamodb/detail/retry.hpp>

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
#include <chrono>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

// The stream http::exchange needs, over the fuzz input: each read hands out at most `chunk`
// bytes of it, then EOF; writes take the request whole. Each operation completes through a
// post, as a socket's would, never inline. No descriptor: its deadline is never reached.
struct chunked_source {
    using executor_type = asio::io_context::executor_type;
    executor_type ex;
    std::string_view data;
    std::size_t chunk;
    bool closed = false;

    executor_type get_executor() const { return ex; }
    int native_socket() const { return -1; }
    void close() { closed = true; }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& buffers) {
                asio::post(ex, [h = std::move(handler), n = asio::buffer_size(buffers)]() mutable {
                    std::move(h)(error_code{}, n);
                });
            },
            token, buffers);
    }

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
    namespace ph = pws::detail::http;
    boost::beast::flat_buffer buffer{ph::max_unparsed_bytes};  // as the client's connection
    const ph::limits limits{cap, 64 * 1024, "DynamoDbConfig::max_response_bytes"};  // as the client's
    std::optional<ph::reply> reply;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            reply = co_await ph::exchange(source, buffer, "POST / HTTP/1.1\r\n\r\n", limits,
                                          std::chrono::steady_clock::now() + std::chrono::hours(1));
        },
        asio::detached);
    ioc.run();
    PWS_FUZZ_CHECK(reply.has_value(), "the exchange did not complete");  // no hang, no lost completion
    const ph::reply& r = *reply;
    PWS_FUZZ_CHECK(r.interim <= ph::max_interim_responses, std::to_string(r.interim));
    PWS_FUZZ_CHECK(buffer.size() <= ph::max_unparsed_bytes, std::to_string(buffer.size()));
    PWS_FUZZ_CHECK(!r.sending, r.why);
    PWS_FUZZ_CHECK(source.closed == r.ec.failed(), r.why);  // closed on every error, only then
    if (r.ec) {
        // Classified into the library's codes, with a printable diagnostic; a limit hit is
        // response_too_large and names its value.
        PWS_FUZZ_CHECK(r.ec.category() == pws::error_category(), r.ec.message());
        PWS_FUZZ_CHECK(!r.why.empty(), r.ec.message());
        for (char c : r.why) PWS_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, r.why);
        PWS_FUZZ_CHECK(r.ec != pws::error::timeout, r.why);
        const error_code cause = r.cause;
        if (cause == http::error::body_limit || cause == http::error::buffer_overflow ||
            cause == http::error::header_limit || (r.ec == pws::error::response_too_large && !cause))
            PWS_FUZZ_CHECK(r.ec == pws::error::response_too_large && r.why.find_first_of("0123456789") != std::string::npos,
                           r.why);
        if (r.ec == pws::error::malformed_response && !cause)  // refused: never quotes a long or odd value
            PWS_FUZZ_CHECK(r.why.size() < 160, r.why);
        return 0;
    }
    // Accepted: a final response, in no encoding but identity.
    {
        const auto& h = r.message;
        PWS_FUZZ_CHECK(h.result_int() >= 200 || h.result_int() < 100, std::to_string(h.result_int()));
        PWS_FUZZ_CHECK(r.status == h.result_int(), std::to_string(r.status));
        for (const auto& f : h) {  // every field, a repeated header too
            if (f.name() == http::field::content_encoding)
                PWS_FUZZ_CHECK(f.value().empty() || boost::beast::iequals(f.value(), "identity"), f.value());
            if (f.name() == http::field::transfer_encoding)
                PWS_FUZZ_CHECK(f.value().empty() || boost::beast::iequals(f.value(), "chunked"), f.value());
        }
    }

    auto& res = reply->message;
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
