// Configuration of the DynamoDB driver: a plain struct with documented defaults, and from_env().
#pragma once

#include <pws/aws/credentials.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>

namespace pws {

/// Where and how the DynamoDB driver reads apps. Every member has a usable default.
struct DynamoDbConfig {
    std::string table = "apps";        ///< APP_MANAGER_DYNAMODB_TABLE
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

    /// Reads APP_MANAGER_DYNAMODB_TABLE, APP_MANAGER_DYNAMODB_REGION,
    /// APP_MANAGER_DYNAMODB_ENDPOINT and AWS_CA_BUNDLE; unset or empty variables keep the defaults.
    static DynamoDbConfig from_env() {
        DynamoDbConfig c;
        auto read = [](const char* name, std::string& into) {
            if (const char* v = std::getenv(name); v && *v) into = v;
        };
        read("APP_MANAGER_DYNAMODB_TABLE", c.table);
        read("APP_MANAGER_DYNAMODB_REGION", c.region);
        read("APP_MANAGER_DYNAMODB_ENDPOINT", c.endpoint);
        read("AWS_CA_BUNDLE", c.ca_file);
        return c;
    }
};

}  // namespace pws
