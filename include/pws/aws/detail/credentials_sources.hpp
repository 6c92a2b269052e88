// The six sources of the default chain, as plain structs in a fixed sequence (a std::variant
// per slot, so the remembered winner is an index and every call is resolved at compile time), and the state they and
// the chain share. Each source's fetch() reads the environment when called, never before.
// Internal: include <pws/aws/credentials_provider.hpp>, which brings this in the right order.
#pragma once

#include <pws/aws/credentials_provider.hpp>
#include <pws/detail/config.hpp>
#include <pws/aws/detail/credentials_cache.hpp>
#include <pws/aws/detail/credentials_parse.hpp>
#include <pws/detail/waiter_list.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pws::detail {

struct chain_state;

/// What one source said.
struct source_outcome {
    enum class kind {
        ok,      ///< credentials
        skipped, ///< not configured: the chain goes on
        failed,  ///< configured, but it did not work: the chain stops
    };
    kind what = kind::skipped;
    aws::credentials creds;            ///< when ok
    std::optional<sys_time> expiration;///< when ok; nullopt = never
    std::string reason;                ///< when skipped or failed; never a secret

    /// A skipped outcome.
    static source_outcome skip(std::string why) { return {kind::skipped, {}, {}, std::move(why)}; }
    /// A failed outcome.
    static source_outcome fail(std::string why) { return {kind::failed, {}, {}, std::move(why)}; }
    /// Credentials.
    static source_outcome of(aws::credentials c, std::optional<sys_time> exp) {
        return {kind::ok, std::move(c), exp, {}};
    }
};

/// 1. credentials_provider_config::explicit_credentials.
struct explicit_source {
    static constexpr std::string_view name = "explicit";
    static constexpr bool static_stability = false;
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// 2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
struct environment_source {
    static constexpr std::string_view name = "environment";
    static constexpr bool static_stability = false;
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// 3. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, exchanged at STS.
struct web_identity_source {
    static constexpr std::string_view name = "web identity";
    static constexpr bool static_stability = false;
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// 4. ~/.aws/credentials and ~/.aws/config.
struct profile_source {
    static constexpr std::string_view name = "shared files";
    static constexpr bool static_stability = false;
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// 5. The ECS / EKS container credentials endpoint.
struct container_source {
    static constexpr std::string_view name = "container";
    static constexpr bool static_stability = false;
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// 6. EC2 instance metadata (IMDSv2).
struct instance_metadata_source {
    static constexpr std::string_view name = "instance metadata";
    static constexpr bool static_stability = true;  // IMDS accepts recently expired credentials
    PWS_DECL boost::asio::awaitable<source_outcome> fetch(chain_state& st);
};

/// One slot of the chain.
using any_source = std::variant<explicit_source, environment_source, web_identity_source, profile_source,
                                container_source, instance_metadata_source>;

/// The chain's order, the SDKs' order.
inline constexpr std::size_t source_count = std::variant_size_v<any_source>;

/// Exchanges a web identity token (read from `token_file`) for credentials at STS; shared by
/// the environment's and a profile's web identity. `origin` names where the settings came from.
PWS_DECL boost::asio::awaitable<source_outcome> assume_role_with_web_identity(chain_state& st, std::string token_file,
                                                                              std::string role_arn,
                                                                              std::string session_name,
                                                                              std::string origin);

/// Everything the chain and its sources share. Lives as long as the provider or a fetch in flight.
struct chain_state {
    /// Holds `cfg`; starts nothing.
    PWS_DECL chain_state(boost::asio::any_io_executor ex, aws::credentials_provider_config cfg);
    PWS_DECL ~chain_state();
    chain_state(const chain_state&) = delete;
    chain_state& operator=(const chain_state&) = delete;

    const boost::asio::any_io_executor ex;        ///< where fetches run
    const aws::credentials_provider_config cfg;   ///< immutable after construction
    std::array<any_source, source_count> sources; ///< in the chain's order (set by the constructor)

    /// An environment variable (through cfg.env when set); nullopt when unset or empty.
    PWS_DECL std::optional<std::string> env(std::string_view name) const;
    /// The configured wall clock.
    PWS_DECL sys_time now() const;
    /// The thread for blocking work, started on first use.
    PWS_DECL boost::asio::thread_pool& pool();
    /// The TLS context for https requests, built on first use; nullptr (and `diag`) on failure.
    PWS_DECL boost::asio::ssl::context* tls(std::string& diag);
    /// The refresh windows from cfg.
    PWS_DECL refresh_policy policy() const;

    std::mutex mutex; ///< guards everything below
    credentials_entry entry;
    int winner = -1;  ///< index of the source that worked, -1 until one has
    bool fetching = false;
    /// Requests waiting for the fetch in flight. Its own lock, taken inside `mutex` (enqueued and
    /// taken out under it), never the other way round; cancelled waits leave it on their own.
    waiter_list<aws::credentials_result> waiters;
    aws::credentials_provider_stats stats;
    std::minstd_rand rng;  ///< static stability's jitter

private:
    std::mutex lazy_mutex_;
    std::optional<boost::asio::thread_pool> pool_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_sources.ipp>
#include <pws/aws/impl/credentials_remote.ipp>
#endif
