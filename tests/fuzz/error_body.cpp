// Fuzz target: the error-body parser (parse_error_response) and scrub, as the client runs them
// on every non-2xx response: status, x-amzn-ErrorType and x-amzn-RequestId headers and the body
// all come from the server.
//
// Invariants: a non-2xx is always an error (never success, never "not found"); the code follows
// the documented order (the body's or header's __type, else 503/5xx/429 by status, else
// unexpected_status); the diagnostic starts "DynamoDB ", is bounded whatever the server sends,
// and after scrub holds no control character and none of the secrets planted in the message,
// the type and the request id (AWS-alphabet secrets, as access keys and session tokens are).
#include "fuzz_common.hpp"

#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/dynamodb/detail/retry.hpp>
#include <pws/error.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/src.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>

namespace {

// Secrets in the alphabet of AWS keys and tokens (base64), at least 16 characters.
std::string make_secret(FuzzedDataProvider& in, char tag) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    std::string s = "Q";
    s.push_back(tag);
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(14, 700);
    for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[in.ConsumeIntegralInRange(0, 64)]);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pws::fuzz;
    FuzzedDataProvider in(data, size);
    const unsigned status = in.ConsumeIntegralInRange<unsigned>(100, 999);
    std::string type_header = in.ConsumeRandomLengthString(300);
    std::string request_id = in.ConsumeRandomLengthString(300);
    const bool json_body = in.ConsumeBool();
    const bool plant = in.ConsumeBool();
    const std::string secret = make_secret(in, 'a');
    const std::string token = make_secret(in, 'b');
    std::string body = in.ConsumeRemainingBytesAsString();

    if (plant) {
        // The server echoes our secrets (a session token in a message, say) in every field.
        request_id += token;
        type_header.insert(0, secret);
    }
    if (json_body) {
        // Wrap the bytes as an AWS error body, so the fuzzer need not find the JSON shape first.
        boost::json::object o;
        o["__type"] = boost::json::string_view(type_header);
        o["message"] = plant ? boost::json::string(secret + body + token) : boost::json::string(body);
        body = boost::json::serialize(o);
        // (serialize keeps invalid UTF-8 as is; the parser then refuses the body as JSON.)
    }

    std::string diag;
    const auto ec = pws::detail::parse_error_response(status, body, type_header, request_id, diag);
    PWS_FUZZ_CHECK(ec.failed(), diag);
    PWS_FUZZ_CHECK(ec.category() == pws::error_category() || ec.category() == pws::dynamodb_category(),
                   ec.message());
    if (ec == pws::error::unexpected_status)
        PWS_FUZZ_CHECK(status < 500 && status != 429, diag);
    PWS_FUZZ_CHECK(diag.rfind("DynamoDB ", 0) == 0, diag);
    PWS_FUZZ_CHECK(diag.find("(HTTP " + std::to_string(status) + ")") != std::string::npos, diag);
    // "DynamoDB " + type (128) + " (HTTP nnn)" + ": " + message (512) + " [request id " + 128 + "]"
    PWS_FUZZ_CHECK(diag.size() <= 9 + 128 + 11 + 2 + 512 + 13 + 128 + 1, std::to_string(diag.size()));
    (void)pws::detail::classify_failure(ec, status, diag);

    pws::scrub(diag, secret, token);
    for (char c : diag) PWS_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, diag);
    PWS_FUZZ_CHECK(diag.find(secret) == std::string::npos, diag);
    PWS_FUZZ_CHECK(diag.find(token) == std::string::npos, diag);
    // scrub is idempotent.
    std::string again = diag;
    pws::scrub(again, secret, token);
    PWS_FUZZ_CHECK(again == diag, again);
    return 0;
}
