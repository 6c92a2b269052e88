// Sans-io DynamoDB protocol pieces every call shares, whatever its operation: the interpretation
// of error responses and of 2xx bodies that are errors. Pure functions over strings, tested
// without a server. The operations themselves (request bodies, success bodies) are the types of
// dynamodb/operations.hpp; secrets are hidden with pws::scrub (redact.hpp).
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>
#include <pws/redact.hpp>

#include <string>
#include <string_view>

namespace pws::detail {

/// Turns a non-2xx response into an error code and a diagnostic: the `__type` (text after '#',
/// or the x-amzn-ErrorType header), the `message`/`Message`, the status and the request id.
/// The server's text is scrubbed of `secret1`/`secret2` (see pws::scrub) before it is cut short.
PWS_DECL boost::system::error_code parse_error_response(unsigned status, std::string_view body,
                                                        std::string_view error_type_header,
                                                        std::string_view request_id, std::string& diagnostic,
                                                        std::string_view secret1 = {},
                                                        std::string_view secret2 = {});

/// Whether a 2xx body is in fact a DynamoDB error: a JSON object with a string `__type`, as
/// some proxies and DynamoDB-compatible servers answer with status 200. The client then treats
/// it as the error it names (retried or not by its type), never as an empty success.
PWS_DECL bool is_error_body(std::string_view body);

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/protocol.ipp>
#endif

