// Fuzz target: a DynamoDB success body (GetItem's {"Item": ...} or Query's {"Items": [...]}) and
// item decoding, without the HTTP framing, so the fuzzer spends its time inside the JSON and the
// item. The input is the body; it is also decoded as a bare item (an object of attributes).
// Invariants: see lookup_checks.hpp.
#include "lookup_checks.hpp"

#include <boost/json/src.hpp>

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pws::fuzz;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check_lookup_body(body);

    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return 0;
    pws::App app;
    std::string diag;
    const auto dec = pws::dynamodb::decode_app(v.get_object(), app, diag);
    if (!dec) {
        PWS_FUZZ_CHECK(!app.id.empty() && !app.key.empty() && !app.secret.empty(), app.id);
        check_round_trip(app);
    } else {
        PWS_FUZZ_CHECK(dec == pws::error::malformed_item, dec.message());
        PWS_FUZZ_CHECK(!diag.empty(), dec.message());
        PWS_FUZZ_CHECK(app == pws::App{}, diag);  // a failed decode leaves `out` untouched
    }
    if (plant_canary(v) != planted::no) {
        pws::App app2;
        std::string diag2;
        const auto dec2 = pws::dynamodb::decode_app(v.get_object(), app2, diag2);
        PWS_FUZZ_CHECK(diag2.find(canary_secret) == std::string::npos, diag2);
        if (!dec2) PWS_FUZZ_CHECK(app2.secret == canary_secret, app2.id);
    }
    return 0;
}
