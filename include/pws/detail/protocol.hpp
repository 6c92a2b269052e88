// Sans-io DynamoDB protocol pieces of the lookup path: request bodies, and the interpretation of
// response bodies and error bodies. Pure functions over strings, tested without a server.
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <string>
#include <string_view>

namespace pws::detail {

/// Largest partition-key value DynamoDB accepts, in bytes.
inline constexpr std::size_t max_key_bytes = 2048;

/// Checks an id or key before any request: not empty, at most 2048 bytes, valid UTF-8.
/// `what` names it in the diagnostic ("app id", "app key").
PWS_DECL boost::system::error_code validate_key_value(std::string_view what, std::string_view value,
                                                      std::string& diagnostic);

/// The GetItem body for an app id: {"TableName":..,"Key":{"AppId":{"S":id}}}.
PWS_DECL std::string get_item_body(std::string_view table, std::string_view id);

/// The Query body for an app key on the key index, with the key passed as an expression
/// attribute value (never spliced into the expression). Limit 2 so a duplicated key is seen.
PWS_DECL std::string query_by_key_body(std::string_view table, std::string_view index, std::string_view key);

/// Turns a non-2xx response into an error code and a diagnostic: the `__type` (text after '#',
/// or the x-amzn-ErrorType header), the `message`/`Message`, the status and the request id.
/// The server's text is scrubbed of `secret1`/`secret2` (see scrub) before it is cut short.
PWS_DECL boost::system::error_code parse_error_response(unsigned status, std::string_view body,
                                                        std::string_view error_type_header,
                                                        std::string_view request_id, std::string& diagnostic,
                                                        std::string_view secret1 = {},
                                                        std::string_view secret2 = {});

/// Whether a 2xx body is in fact a DynamoDB error: a JSON object with a string `__type`, as
/// some proxies and DynamoDB-compatible servers answer with status 200. The client then treats
/// it as the error it names (retried or not by its type), never as an empty success.
PWS_DECL bool is_error_body(std::string_view body);

/// Interprets a GetItem success body: no `Item` = not found; an item whose AppId is not `id` is
/// an error (a server must never make us return another app). Limits the item leaves out take
/// `defaults`, as in dynamodb::decode_app (and in the next one and parse_scan_page).
PWS_DECL find_result parse_get_item(std::string_view body, std::string_view id,
                                    const AppDefaults& defaults = {});

/// Interprets a Query success body on the key index: no items = not found; more than one =
/// error::ambiguous_key; an item whose AppKey is not `key` is an error.
PWS_DECL find_result parse_query_by_key(std::string_view body, std::string_view key,
                                        const AppDefaults& defaults = {});

/// Pieces of a secret this long or longer are hidden wherever they appear (shorter secrets only
/// whole): a server echoing half a session token must not get that half quoted.
inline constexpr std::size_t min_secret_piece = 16;

/// Replaces, in `text`, every run that is a piece of min_secret_piece or more bytes of a
/// non-empty secret — as written, percent-encoded (either case) or JSON-escaped — by "***", and
/// control characters by spaces, so server-provided text can be shown safely.
PWS_DECL void scrub(std::string& text, std::string_view secret1, std::string_view secret2 = {},
                    std::string_view secret3 = {});

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/impl/protocol.ipp>
#endif
