// Configuration of the DynamoDB driver: a plain struct with documented defaults, and from_env().
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/aws/credentials.hpp>
#include <pws/detail/env.hpp>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws {

/// One more replica of a global table: the region it is signed for and, optionally, an endpoint.
struct DynamoDbReplica {
    std::string region;
    std::string endpoint; ///< "" = the region's AWS endpoint
};

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

    /// Further replicas of a global table, in the order they are tried when the region above (and
    /// then each one before) fails with a regional fault: see "Failover" in dynamodb/client.hpp.
    std::vector<DynamoDbReplica> failover;
    /// A replica that failed is skipped this long, then tried again by real traffic.
    std::chrono::milliseconds failover_cooldown{10000};

    /// Reads, each unset or empty variable keeping the default above:
    ///
    /// | variable                                  | member   |
    /// |-------------------------------------------|----------|
    /// | APP_MANAGER_DYNAMODB_TABLE                | table    |
    /// | APP_MANAGER_DYNAMODB_REGION               | region   |
    /// | APP_MANAGER_DYNAMODB_ENDPOINT             | endpoint |
    /// | AWS_CA_BUNDLE                             | ca_file  |
    /// | AWS_USE_FIPS_ENDPOINT (true/false)        | use_fips |
    /// | APP_MANAGER_DYNAMODB_FAILOVER             | failover: `REGION` or `REGION=ENDPOINT`, comma-separated |
    /// | APP_MANAGER_DYNAMODB_FAILOVER_COOLDOWN    | failover_cooldown, whole seconds |
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
        if (auto e = detail::env_either("APP_MANAGER_DYNAMODB_FAILOVER")) {
            std::string why;
            if (!parse_failover(e->value, c.failover, why)) detail::env_refuse(*e, why);
        }
        std::int64_t cooldown = 0;
        if (detail::env_int("APP_MANAGER_DYNAMODB_FAILOVER_COOLDOWN", cooldown, 0, "whole seconds"))
            c.failover_cooldown = std::chrono::seconds(cooldown);
        return c;
    }

    /// Parses "eu-west-1,ap-southeast-2=https://host" (spaces around entries ignored) into `out`;
    /// false and `why` for an empty entry, region or endpoint. The regions and endpoints are
    /// checked when the client is built, as the primary's are.
    static bool parse_failover(std::string_view text, std::vector<DynamoDbReplica>& out, std::string& why) {
        out.clear();
        auto trim = [](std::string_view s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
            while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
            return s;
        };
        for (;;) {
            const auto comma = text.find(',');
            const std::string_view entry = trim(text.substr(0, comma));
            const auto eq = entry.find('=');
            DynamoDbReplica r{std::string(trim(entry.substr(0, eq))),
                              eq == std::string_view::npos ? std::string() : std::string(trim(entry.substr(eq + 1)))};
            if (r.region.empty() || (eq != std::string_view::npos && r.endpoint.empty())) {
                why = "REGION or REGION=ENDPOINT, comma-separated";
                return false;
            }
            out.push_back(std::move(r));
            if (comma == std::string_view::npos) return true;
            text.remove_prefix(comma + 1);
        }
    }
};

}  // namespace pws
