// Where a request goes: the endpoint URL of a DynamoDB region, or a custom one.
#pragma once

#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace pws::aws {

/// A parsed endpoint: scheme, host and port, and the Host header to send (and sign).
struct endpoint {
    bool tls = true;         ///< https (true) or http (false)
    std::string host;        ///< DNS name or IP literal (IPv6 without brackets)
    std::uint16_t port = 443;///< TCP port
    std::string host_header; ///< "host" or "host:port" when the port is not the scheme's default
};

/// Parses "http[s]://host[:port][/]" (a path other than "/" is refused: DynamoDB signs "/").
PWS_DECL boost::system::error_code parse_endpoint(std::string_view url, endpoint& out, std::string& diagnostic);

/// True when `region` is a well-formed AWS region name ("us-east-1", "cn-north-1", "us-gov-west-1").
PWS_DECL bool is_valid_region(std::string_view region) noexcept;

/// The endpoint for DynamoDB: `custom` when not empty; otherwise the region's AWS endpoint
/// (https://dynamodb.{region}.amazonaws.com, .amazonaws.com.cn for cn-*, dynamodb-fips.{region}
/// when `use_fips` outside GovCloud), and http://localhost:8000 for region "local".
PWS_DECL boost::system::error_code dynamodb_endpoint(std::string_view region, std::string_view custom,
                                                     bool use_fips, endpoint& out, std::string& diagnostic);

}  // namespace pws::aws

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/endpoint.ipp>
#endif
