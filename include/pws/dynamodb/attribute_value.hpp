// An App as an item of soketi's DynamoDB table, in DynamoDB JSON ({"AppId": {"S": "..."}, ...}):
// pure functions over Boost.JSON values, no I/O, so every odd item can be unit-tested.
//
// Attribute names are the PascalCase of App's fields (AppId, AppKey, AppSecret, Enabled,
// EnableClientMessages, EnableUserAuthentication, MaxConnections, ..., MaxEventBatchSize,
// Webhooks). Every attribute but the three keys is also read under soketi's other spellings,
// camelCase and snake_case (maxConnections, max_connections; the table is in
// app_fields.hpp); two spellings with different values are malformed_item naming both.
// What each accepts:
//  - AppId, AppKey, AppSecret: S, required and non-empty;
//  - flags: B holding the bytes "true"/"false"/"1"/"0" (base64 on the wire, as soketi's seed
//    writes them), BOOL, S "true"/"false"/"1"/"0", or N 0/1;
//  - integers: N or S spelling an integer that fits int64 ("-1", "100"; not "1.5" or "1e3");
//  - MaxPresenceMemberSizeInKb, MaxEventPayloadInKb: N or S spelling a finite decimal;
//  - Webhooks: S holding a JSON array (at most pws::max_webhooks_json_size, 1 MiB), or a native L
//    of M items, in soketi's webhook shape (see app_json.hpp).
// A NULL attribute counts as missing; a missing limit takes the server-wide AppDefaults, a missing
// flag or rate App's default; unknown attributes are ignored.
#pragma once

#include <pws/app.hpp>
#include <pws/app_defaults.hpp>
#include <pws/detail/base64.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace pws::dynamodb {

/// Decodes one item (the object of attribute name -> {TYPE: value}) into `out`; the limits the
/// item does not set come from `defaults` (the server-wide settings, app_defaults.hpp).
/// Returns an empty error_code on success; pws::error::malformed_item with `diagnostic` naming
/// the attribute and what is wrong otherwise (the AppSecret's value never appears in it), and
/// then leaves `out` untouched. Never throws on bad input (only std::bad_alloc).
PWS_DECL boost::system::error_code decode_app(const boost::json::object& item, App& out,
                                              std::string& diagnostic,
                                              const AppDefaults& defaults = {});

/// Encodes an app the way existing readers read it back the same: S strings, N numbers,
/// Webhooks as an S holding a JSON array (soketi's field names), EnableClientMessages as B
/// holding the bytes "true"/"false" (base64 on the wire), the other flags as B "true" when on and
/// BOOL false when off (soketi reads any B value of Enabled or EnableUserAuthentication as on).
/// Every attribute is written, defaults included. Precondition: the two *InKb
/// values are finite (DynamoDB numbers cannot hold inf or NaN).
PWS_DECL boost::json::object encode_app(const App& app);

/// The bytes of a B (binary) attribute value, whose payload is their padded standard base64 on
/// the wire. Strict, as DynamoDB's SDKs write it: false (and `bytes` unspecified) on a length
/// that is not a multiple of 4, a character outside the alphabet, misplaced padding or non-zero
/// padding bits.
inline bool decode_binary(std::string_view base64, std::string& bytes) { return detail::base64_decode(base64, bytes); }

/// The payload of a B attribute value holding `bytes`: their padded standard base64.
inline std::string encode_binary(std::string_view bytes) { return detail::base64_encode(bytes); }

}  // namespace pws::dynamodb

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/attribute_value.ipp>
#endif
