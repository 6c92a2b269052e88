// Error codes of pws-app-manager, as boost::system::error_code values in two categories:
//
//  - pws::error          ("pws"): what this library found wrong — bad input, a malformed item
//                         or response, a transport failure it classified, a config problem;
//  - pws::dynamodb_errc  ("pws.dynamodb"): the error DynamoDB itself answered (its `__type`).
//
// "App not found" is not an error: a lookup that found nothing completes with no error and no
// app (see find_result.hpp). Anything that went wrong is one of the codes below.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/system/error_code.hpp>

#include <ostream>
#include <string_view>
#include <type_traits>

namespace pws {

/// Errors detected by the library itself.
enum class error {
    invalid_argument = 1, ///< an id or key that DynamoDB cannot hold (empty, over 2048 bytes, not UTF-8)
    malformed_item,       ///< an item attribute has the wrong type or value (diagnostic names it)
    malformed_response,   ///< the body is not JSON, or not the shape the operation returns
    unexpected_status,    ///< an HTTP status with no DynamoDB error body
    response_too_large,   ///< the response exceeded the configured size cap
    crc32_mismatch,       ///< the body does not match its x-amz-crc32 header
    no_credentials,       ///< no AWS credentials could be found
    invalid_config,       ///< a configuration value is unusable (diagnostic says which)
    invalid_endpoint,     ///< the endpoint URL cannot be parsed
    timeout,              ///< the operation did not finish before its deadline
    connection_failed,    ///< resolving or connecting to the endpoint failed
    connection_closed,    ///< the server closed the connection mid-exchange
    invalid_static_apps,  ///< a StaticPolicy JSON document is malformed
    ambiguous_key,        ///< more than one app holds the key asked for
    driver_exception,     ///< a driver threw instead of completing (a bug, or out of memory)
};

/// Errors answered by DynamoDB (the text after `#` in the body's `__type`).
enum class dynamodb_errc {
    resource_not_found = 1,          ///< ResourceNotFoundException (no such table or index)
    validation,                      ///< ValidationException
    conditional_check_failed,        ///< ConditionalCheckFailedException
    resource_in_use,                 ///< ResourceInUseException
    limit_exceeded,                  ///< LimitExceededException
    transaction_conflict,            ///< TransactionConflictException
    transaction_in_progress,         ///< TransactionInProgressException
    access_denied,                   ///< AccessDeniedException
    unrecognized_client,             ///< UnrecognizedClientException (unknown access key)
    invalid_signature,               ///< InvalidSignatureException
    missing_authentication_token,    ///< MissingAuthenticationTokenException
    incomplete_signature,            ///< IncompleteSignatureException
    expired_token,                   ///< ExpiredTokenException
    request_time_too_skewed,         ///< RequestTimeTooSkewed
    provisioned_throughput_exceeded, ///< ProvisionedThroughputExceededException
    throttling,                      ///< ThrottlingException
    request_limit_exceeded,          ///< RequestLimitExceeded
    internal_server_error,           ///< InternalServerError / InternalFailure
    service_unavailable,             ///< ServiceUnavailable (or a bare 503)
    unknown,                         ///< any other `__type`; the diagnostic carries it
};

/// The category of pws::error ("pws").
PWS_DECL const boost::system::error_category& error_category() noexcept;

/// The category of pws::dynamodb_errc ("pws.dynamodb").
PWS_DECL const boost::system::error_category& dynamodb_category() noexcept;

/// Makes `error_code ec = pws::error::timeout;` work.
inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// Makes `error_code ec = pws::dynamodb_errc::validation;` work.
inline boost::system::error_code make_error_code(dynamodb_errc e) noexcept {
    return {static_cast<int>(e), dynamodb_category()};
}

/// Prints the code's message (for logs and test output).
inline std::ostream& operator<<(std::ostream& os, error e) { return os << make_error_code(e).message(); }

/// Prints the DynamoDB error type name.
inline std::ostream& operator<<(std::ostream& os, dynamodb_errc e) { return os << make_error_code(e).message(); }

/// Maps a DynamoDB `__type` (with or without its `prefix#`) to a code; unknown types map to
/// dynamodb_errc::unknown.
PWS_DECL dynamodb_errc dynamodb_errc_from_type(std::string_view type) noexcept;

}  // namespace pws

namespace boost::system {
template <> struct is_error_code_enum<pws::error> : std::true_type {};
template <> struct is_error_code_enum<pws::dynamodb_errc> : std::true_type {};
}  // namespace boost::system

#ifdef PWS_HEADER_ONLY
#include <pws/impl/error.ipp>
#endif
