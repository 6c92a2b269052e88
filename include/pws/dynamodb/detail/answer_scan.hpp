// The answer of a lookup in its usual shape, decoded in one pass over the received bytes.
//
// GetItem answers `{"Item":{...}}` and Query `{"Count":1,"Items":[{...}],"ScannedCount":1}`, with
// an item whose attributes are `{"T":"text"}` or `{"BOOL":true}`. scan_answer() reads exactly
// that shape into an App without building a JSON document (no Boost.JSON DOM, no second pass to
// find each attribute; a Webhooks S is parsed as the general decoder parses it). It is a fast
// path, never a second interpretation: it gives up on anything outside that shape — a non-ASCII
// byte, a \u escape or any escape in a name, a nested or unknown kind of value, a duplicated
// name, an envelope member it does not know, native L webhooks, any value the decoder would
// refuse — and then the general path (parse_answer_general: Boost.JSON, then
// decode_app) reads the body and says what it is, errors included. Whatever scan_answer accepts,
// the general path decodes to the same App (tests/unit/decode_test.cpp and the dynamodb_body and
// http_response fuzz targets check it on every input).
#pragma once

#include <pws/app.hpp>
#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/find_result.hpp>

#include <string_view>

namespace pws::detail {

/// Which lookup the answer is for.
enum class answer_shape { get_item, query };

/// Decodes `body` when it is the usual answer (see above) holding one item whose AppId (get_item)
/// or AppKey (query) is `expected`. true: `out` is that app. false: not of that shape, `out` is
/// unspecified, nothing is known — ask parse_answer_general.
PWS_DECL bool scan_answer(std::string_view body, answer_shape shape, std::string_view expected,
                          const AppDefaults& defaults, App& out);

/// The general path of get_item::parse / query_by_key::parse: any body, every error.
PWS_DECL find_result parse_answer_general(std::string_view body, answer_shape shape, std::string_view expected,
                                          const AppDefaults& defaults);

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/answer_scan.ipp>
#endif
