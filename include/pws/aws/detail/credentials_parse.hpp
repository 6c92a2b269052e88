// Sans-io pieces of the credentials chain: the documents the sources answer (JSON from the
// container endpoint, IMDS and credential_process; XML from STS), their timestamps, the shared
// files' INI dialect, and where STS is. Pure functions over strings, tested without a server.
//
// Diagnostics name fields, never values: every document parsed here holds a secret.
#pragma once

#include <pws/aws/credentials.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pws::detail {

/// A wall-clock time point (expiries are wall-clock times).
using sys_time = std::chrono::system_clock::time_point;

/// Parses an RFC 3339 time as AWS writes it: "2024-05-01T12:00:00Z", optionally with fractional
/// seconds, and "Z" or a "+hh:mm" / "-hh:mm" offset. False on anything else.
PWS_DECL bool parse_iso8601(std::string_view text, sys_time& out) noexcept;

/// Which JSON credentials document a body must be.
enum class json_credentials_kind {
    container,         ///< {AccessKeyId, SecretAccessKey, Token?, Expiration}
    instance_metadata, ///< the same, plus Code (must be "Success" when present)
    process,           ///< credential_process: {Version: 1, AccessKeyId, SecretAccessKey, SessionToken?, Expiration?}
};

/// Reads a JSON credentials document. error::malformed_response when it is not one.
PWS_DECL boost::system::error_code parse_json_credentials(std::string_view body, json_credentials_kind kind,
                                                          aws::credentials& out,
                                                          std::optional<sys_time>& expiration,
                                                          std::string& diagnostic);

/// Reads the Credentials of an STS AssumeRoleWithWebIdentity response: AccessKeyId,
/// SecretAccessKey, SessionToken and Expiration, each exactly once, entities decoded.
PWS_DECL boost::system::error_code parse_sts_credentials(std::string_view xml, aws::credentials& out,
                                                         sys_time& expiration, std::string& diagnostic);

/// "Code: Message" of an STS ErrorResponse (at most ~300 characters), or "" when it is not one.
PWS_DECL std::string sts_error_summary(std::string_view xml);

/// Appends `value` percent-encoded (RFC 3986 unreserved characters kept) for a form body.
PWS_DECL void append_form_encoded(std::string& out, std::string_view value);

/// The STS URL: `override_url` when not empty; otherwise https://sts.{region}.amazonaws.com
/// (.amazonaws.com.cn in China), or the global https://sts.amazonaws.com without a valid region.
PWS_DECL std::string sts_url(std::string_view override_url, std::string_view region);

/// One profile's properties, by name.
using profile_properties = std::map<std::string, std::string, std::less<>>;

/// The profiles of one file, by name.
using profile_map = std::map<std::string, profile_properties, std::less<>>;

/// Parses a shared credentials file (`is_config` false: sections are profile names) or a config
/// file (`is_config` true: "[profile name]" and "[default]"; other sections are not profiles).
/// Full-line comments start with '#' or ';'; indented lines continue the previous value;
/// a repeated property takes its last value.
PWS_DECL profile_map parse_profile_file(std::string_view text, bool is_config);

/// The profile `name` from both files, the credentials file's values winning; nullopt when
/// neither file has it.
PWS_DECL std::optional<profile_properties> merge_profile(const profile_map& config, const profile_map& credentials,
                                                         std::string_view name);

/// Expands a leading "~/" with `home`.
PWS_DECL std::string expand_home(std::string_view path, std::string_view home);

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_parse.ipp>
#endif
