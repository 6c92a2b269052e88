// Fuzz target: a raw HTTP response as the DynamoDB client receives it. The bytes go through
// Beast's response_parser exactly as dynamodb::client::exchange reads them (same body and
// header limits, same http::read algorithm, the bytes arriving in chunks of a fuzzed size), then
// through what the client and DynamoDbPolicy do with the result: the I/O-error classification,
// the x-amz-crc32 check, the Date header, and parse_get_item / parse_query_by_key for a 2xx or
// parse_error_response + scrub for anything else.
//
// Input: byte 0 picks the read size (0 = everything at once), byte 1 the body cap; the rest is
// the response.
#include "lookup_checks.hpp"

#include <pws/detail/retry.hpp>
#include <pws/dynamodb/client.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <cstdint>

namespace {

namespace http = boost::beast::http;
using boost::system::error_code;

// A SyncReadStream over the fuzz input that hands out at most `chunk` bytes per read, then EOF.
struct chunked_source {
    std::string_view data;
    std::size_t chunk;

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        ec = {};
        if (data.empty()) {
            ec = boost::asio::error::eof;
            return 0;
        }
        const std::size_t n = boost::asio::buffer_copy(
            buffers, boost::asio::buffer(data.data(), std::min(chunk, data.size())));
        data.remove_prefix(n);
        return n;
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
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
    chunked_source source{std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), chunk};

    http::response_parser<http::string_body> parser;
    parser.body_limit(cap);
    parser.header_limit(64 * 1024);
    boost::beast::flat_buffer buffer;
    error_code ec;
    http::read(source, buffer, parser, ec);
    if (ec) {
        classified out;
        pws::dynamodb::client_impl::classify_io_error(out, ec, "reading the response from",
                                                      "127.0.0.1:1", cap);
        PWS_FUZZ_CHECK(out.ec.category() == pws::error_category(), ec.message());
        PWS_FUZZ_CHECK(!out.diagnostic.empty(), ec.message());
        if (ec == http::error::body_limit)
            PWS_FUZZ_CHECK(out.ec == pws::error::response_too_large, out.diagnostic);
        return 0;
    }

    auto& res = parser.get();
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

    if (status >= 200 && status < 300) {
        check_lookup_body(body);
        return 0;
    }
    std::string diag;
    const error_code err = pws::detail::parse_error_response(
        status, body, res["x-amzn-ErrorType"], res["x-amzn-RequestId"], diag);
    PWS_FUZZ_CHECK(err.failed(), diag);  // a non-2xx is never success, nor "not found"
    (void)pws::detail::classify_failure(err, status, diag);
    pws::detail::scrub(diag, canary_secret);
    for (char c : diag) PWS_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, diag);
    return 0;
}
