// An App as soketi's array driver writes it in JSON (camelCase members: id, key, secret,
// enabled, maxConnections, webhooks, ...), for StaticPolicy documents and for tools.
#pragma once

#include <pws/app.hpp>
#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pws {

/// Largest JSON text accepted for a webhooks list given as a string (DynamoDB's `Webhooks` S,
/// or a `webhooks` string in soketi's env-style config); anything larger is refused unparsed.
inline constexpr std::size_t max_webhooks_json_size = 1024 * 1024;

/// Soketi's JSON for `app`: every field, webhooks as an array of objects whose empty optional
/// members (url, lambda_function, headers, filter, lambda.region, lambda.client_options) are
/// omitted.
PWS_DECL boost::json::object app_to_json(const App& app);

/// Reads an app in soketi's JSON form into `out`: every field but id/key/secret under any of
/// soketi's spellings (maxConnections, MaxConnections, max_connections: app_fields.hpp;
/// two that differ are an error naming both); limits not present take `defaults`, the other
/// fields App's defaults.
/// `id`, `key` and `secret` are required non-empty strings; numbers may be JSON numbers or
/// numeric strings; flags may be booleans, "true"/"false"/"1"/"0" or 0/1; `webhooks` may be an
/// array or a string holding one. Null members count as absent; unknown members are ignored.
/// Returns pws::error::invalid_static_apps with `diagnostic` naming the field on failure (the
/// secret's value never appears in it). Never throws except std::bad_alloc.
PWS_DECL boost::system::error_code app_from_json(const boost::json::value& v, App& out,
                                                 std::string& diagnostic,
                                                 const AppDefaults& defaults = {});

/// Soketi's webhooks array for `hooks` (the `webhooks` member app_to_json writes).
PWS_DECL boost::json::array webhooks_to_json(const std::vector<Webhook>& hooks);

/// Parses a webhooks array in soketi's shape (as app_from_json and dynamodb::decode_app read
/// it); on failure returns false and sets `diagnostic` to the path of the offending member and
/// what was expected (never a value), e.g. "[1].event_types[0]: expected a string".
PWS_DECL bool webhooks_from_json(const boost::json::value& v, std::vector<Webhook>& out,
                                 std::string& diagnostic);

/// How webhooks_from_json_text() ended.
enum class webhooks_text { ok, too_large, not_json, wrong_shape };

/// webhooks_from_json() of JSON text, as DynamoDB's `Webhooks` S and soketi's env-style
/// `webhooks` string carry the array: refused unparsed when longer than max_webhooks_json_size,
/// else parsed and read. On failure `out` is untouched and `diagnostic` is the JSON parser's
/// message (not_json), webhooks_from_json's path and what it expected (wrong_shape), or empty
/// (too_large); each caller words the error in its own terms.
PWS_DECL webhooks_text webhooks_from_json_text(std::string_view text, std::vector<Webhook>& out,
                                               std::string& diagnostic);

}  // namespace pws

#ifdef PWS_HEADER_ONLY
#include <pws/impl/app_json.ipp>
#endif
