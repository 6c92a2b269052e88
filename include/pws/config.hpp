// Configuration of the DynamoDB driver: a plain struct with documented defaults, and from_env().
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/aws/credentials.hpp>
#include <pws/detail/env.hpp>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace pws {

/// Where and how the DynamoDB driver reads apps. Every member has a usable default.
struct DynamoDbConfig {
    std::string table = "apps";        ///< APP_MANAGER_DYNAMODB_TABLE (or SOKETI_APP_MANAGER_...)
    std::string region = "us-east-1"; ///< APP_MANAGER_DYNAMODB_REGION; any region of a global table
    std::string endpoint;              ///< APP_MANAGER_DYNAMODB_ENDPOINT; "" = the region's AWS endpoint
    std::string key_index = "AppKeyIndex"; ///< the GSI on AppKey used by find_by_key

    /// Explicit credentials; when empty, the AWS default chain (aws/credentials_provider.hpp):
    /// environment, web identity, shared files, container, instance metadata.
    std::optional<aws::credentials> credentials;

    std::chrono::milliseconds connect_timeout{1000}; ///< TCP (and TLS) connect, per attempt
    std::chrono::milliseconds attempt_timeout{3000}; ///< one request/response exchange
    std::chrono::milliseconds total_timeout{10000};  ///< a whole call: credentials and pool waits, retries, backoff
    std::chrono::milliseconds idle_timeout{4000};    ///< drop pooled connections idle this long
    std::size_t pool_size = 50;                      ///< connections open at once, at most (as the SDKs)
    std::size_t max_idle_connections = 64;           ///< idle keep-alive connections kept (<= pool_size)
    std::size_t max_response_bytes = 4 * 1024 * 1024;///< larger bodies are refused, unread

    unsigned max_attempts = 4;                        ///< attempts per call (1 = no retries)
    std::chrono::milliseconds retry_base_delay{25};   ///< backoff base for transient errors
    std::chrono::milliseconds throttling_base_delay{1000}; ///< backoff base after throttling
    std::chrono::milliseconds max_backoff{20000};     ///< backoff cap
    unsigned retry_quota = 500;                       ///< retry token bucket (cost 5, timeout 10)
    std::string ca_file;                             ///< extra CA bundle (AWS_CA_BUNDLE)
    bool verify_peer = true;                         ///< TLS peer + hostname verification
    bool use_fips = false;                           ///< AWS_USE_FIPS_ENDPOINT: dynamodb-fips.{region}

    /// The limits an item leaves out (soketi's server-wide settings; app_defaults.hpp).
    AppDefaults defaults;

    /// Reads, each unset or empty variable keeping the default above:
    ///
    /// | variable                                  | member   |
    /// |-------------------------------------------|----------|
    /// | APP_MANAGER_DYNAMODB_TABLE                | table    |
    /// | APP_MANAGER_DYNAMODB_REGION               | region   |
    /// | APP_MANAGER_DYNAMODB_ENDPOINT             | endpoint |
    /// | AWS_CA_BUNDLE                             | ca_file  |
    /// | AWS_USE_FIPS_ENDPOINT (true/false)        | use_fips |
    /// | PRESENCE_MAX_MEMBERS, EVENT_MAX_..., ...  | defaults (AppDefaults::from_env) |
    ///
    /// Each APP_MANAGER_* and limit variable may also be spelled with soketi's prefix
    /// (SOKETI_APP_MANAGER_DYNAMODB_TABLE, ...), the only spelling soketi >= 1.0 reads. Throws
    /// boost::system::system_error(error::invalid_config) when both spellings of one variable are
    /// set to different values, or a value cannot be read, naming the variable.
    static DynamoDbConfig from_env() {
        DynamoDbConfig c;
        auto read = [](const char* name, std::string& into) {
            if (auto e = detail::env_either(name)) into = std::move(e->value);
        };
        read("APP_MANAGER_DYNAMODB_TABLE", c.table);
        read("APP_MANAGER_DYNAMODB_REGION", c.region);
        read("APP_MANAGER_DYNAMODB_ENDPOINT", c.endpoint);
        if (const char* v = std::getenv("AWS_CA_BUNDLE"); v && *v) c.ca_file = v;
        if (const char* v = std::getenv("AWS_USE_FIPS_ENDPOINT"); v && *v) {
            std::string f(v);  // the SDKs take any case
            for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (f != "true" && f != "false") detail::env_refuse({v, "AWS_USE_FIPS_ENDPOINT"}, "true or false");
            c.use_fips = f == "true";
        }
        c.defaults = AppDefaults::from_env();
        return c;
    }
};

}  // namespace pws
