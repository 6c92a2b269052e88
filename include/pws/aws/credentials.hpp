// AWS credentials: the value the signer needs.
//
// Where they come from — explicit values, the environment, web identity, the shared files, the
// container endpoint, EC2 instance metadata — is the default provider chain in
// <pws/aws/credentials_provider.hpp>, which the DynamoDB client asks before signing.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace pws::aws {

/// A set of AWS credentials. Never printed by this library.
struct credentials {
    std::string access_key_id;     ///< e.g. AKIA...
    std::string secret_access_key; ///< the secret; stays out of logs and error text
    std::string session_token;     ///< temporary credentials' token, or empty

    /// True when there is nothing to sign with.
    bool empty() const noexcept { return access_key_id.empty() || secret_access_key.empty(); }

    /// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; nullopt when the
    /// first two are not both set.
    static std::optional<credentials> from_env() {
        auto get = [](const char* n) -> std::string {
            const char* v = std::getenv(n);
            return v ? std::string(v) : std::string();
        };
        credentials c{get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"), get("AWS_SESSION_TOKEN")};
        if (c.empty()) return std::nullopt;
        return c;
    }
};

}  // namespace pws::aws
