#pragma once

#include <pws/error.hpp>

#include <array>
#include <string>
#include <utility>

namespace pws {
namespace detail {

class pws_error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pws"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::invalid_argument: return "invalid argument";
        case error::malformed_item: return "malformed item";
        case error::malformed_response: return "malformed response";
        case error::unexpected_status: return "unexpected HTTP status";
        case error::response_too_large: return "response too large";
        case error::crc32_mismatch: return "x-amz-crc32 mismatch";
        case error::no_credentials: return "no AWS credentials";
        case error::invalid_config: return "invalid configuration";
        case error::invalid_endpoint: return "invalid endpoint";
        case error::timeout: return "timed out";
        case error::connection_failed: return "connection failed";
        case error::connection_closed: return "connection closed by peer";
        case error::invalid_static_apps: return "invalid static apps document";
        case error::ambiguous_key: return "app key held by more than one app";
        case error::driver_exception: return "the driver threw an exception";
        }
        return "unknown pws error";
    }
};

// DynamoDB error type names, in dynamodb_errc order (index = value - 1).
inline constexpr std::array<std::pair<std::string_view, dynamodb_errc>, 21> dynamodb_types{{
    {"ResourceNotFoundException", dynamodb_errc::resource_not_found},
    {"ValidationException", dynamodb_errc::validation},
    {"ConditionalCheckFailedException", dynamodb_errc::conditional_check_failed},
    {"ResourceInUseException", dynamodb_errc::resource_in_use},
    {"LimitExceededException", dynamodb_errc::limit_exceeded},
    {"TransactionConflictException", dynamodb_errc::transaction_conflict},
    {"TransactionInProgressException", dynamodb_errc::transaction_in_progress},
    {"AccessDeniedException", dynamodb_errc::access_denied},
    {"UnrecognizedClientException", dynamodb_errc::unrecognized_client},
    {"InvalidSignatureException", dynamodb_errc::invalid_signature},
    {"MissingAuthenticationTokenException", dynamodb_errc::missing_authentication_token},
    {"IncompleteSignatureException", dynamodb_errc::incomplete_signature},
    {"ExpiredTokenException", dynamodb_errc::expired_token},
    {"RequestTimeTooSkewed", dynamodb_errc::request_time_too_skewed},
    {"ProvisionedThroughputExceededException", dynamodb_errc::provisioned_throughput_exceeded},
    {"ThrottlingException", dynamodb_errc::throttling},
    {"RequestLimitExceeded", dynamodb_errc::request_limit_exceeded},
    {"InternalServerError", dynamodb_errc::internal_server_error},
    {"ServiceUnavailable", dynamodb_errc::service_unavailable},
    {"InternalFailure", dynamodb_errc::internal_server_error},
    {"MissingAuthenticationToken", dynamodb_errc::missing_authentication_token},
}};

class dynamodb_error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pws.dynamodb"; }
    std::string message(int ev) const override {
        if (ev == static_cast<int>(dynamodb_errc::unknown)) return "unknown DynamoDB error";
        for (auto& [type, code] : dynamodb_types)
            if (static_cast<int>(code) == ev) return std::string(type);
        return "unknown DynamoDB error";
    }
};

}  // namespace detail

PWS_DECL const boost::system::error_category& error_category() noexcept {
    static const detail::pws_error_category cat;
    return cat;
}

PWS_DECL const boost::system::error_category& dynamodb_category() noexcept {
    static const detail::dynamodb_error_category cat;
    return cat;
}

PWS_DECL dynamodb_errc dynamodb_errc_from_type(std::string_view type) noexcept {
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
    for (auto& [name, code] : detail::dynamodb_types)
        if (name == type) return code;
    return dynamodb_errc::unknown;
}

}  // namespace pws
