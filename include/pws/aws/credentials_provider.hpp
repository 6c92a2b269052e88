// pws::aws::credentials_provider — the AWS default credentials provider chain.
//
// The sources, in the order every AWS SDK tries them:
//   1. explicit      credentials_provider_config::explicit_credentials (DynamoDbConfig::credentials)
//   2. environment   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   3. web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME], exchanged
//                    at STS (AssumeRoleWithWebIdentity, unsigned) — EKS IRSA
//   4. shared files  AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
//                    (~/.aws/config, [profile x]), AWS_PROFILE; static keys, credential_process,
//                    or role_arn + web_identity_token_file
//   5. container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2) or _FULL_URI
//                    (https, or http to a loopback / ECS / EKS address), with
//                    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on every fetch) or _TOKEN
//   6. instance      EC2 IMDSv2: a session token (PUT, TTL 21600 s), then the role's credentials;
//      metadata      1 s timeouts; AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT
// A source that is not configured is skipped; a configured source that fails ends the search
// (as the Rust and Java SDKs do: falling through to, say, the instance role when the pod's web
// identity is broken would silently sign as someone else). Either way the error lists every
// source with why it was skipped or how it failed. Secrets and tokens never appear in it.
//
// Lazy: constructing the provider reads nothing and starts nothing. The first request resolves
// the chain; the source that worked is remembered and only it is asked again on refresh.
//
// Refresh (credentials with an expiry): more than 15 min left — served from memory; 15 to 10 min
// — served from memory while one background refresh runs; under 10 min — callers wait for the
// refresh. Concurrent callers share one fetch. If a refresh fails, unexpired credentials keep
// being served (and the refresh is retried a minute later); expired instance-metadata credentials
// are extended by 5 to 10 minutes, as the JavaScript SDK v3 does for static stability, because
// IMDS keeps accepting recently expired credentials during an outage.
//
// Threads: network I/O runs on the executor given at construction. Reading files (token files,
// the shared files) and running credential_process block, so they run on one thread owned by the
// provider, started on first use — a server whose credentials come from the environment, the
// container endpoint or IMDS never starts it. Results come back to the caller's executor.
#pragma once

#include <pws/aws/credentials.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pws::aws {

/// How the chain looks for credentials. Every member has a usable default; the environment is
/// read each time a source is asked, never when this struct is built.
struct credentials_provider_config {
    std::optional<credentials> explicit_credentials; ///< when set and not empty, the only source used
    std::string region;       ///< STS region; "" = AWS_REGION, then AWS_DEFAULT_REGION, else global STS
    std::string profile;      ///< shared-files profile; "" = AWS_PROFILE, then "default"
    std::string sts_endpoint; ///< "" = AWS_ENDPOINT_URL_STS, then https://sts.{region}.amazonaws.com
    std::string ca_file;      ///< extra CA bundle for https (STS, an https container endpoint)
    std::chrono::milliseconds metadata_timeout{1000};  ///< each IMDS or container request
    std::chrono::milliseconds sts_timeout{5000};       ///< the STS request
    std::chrono::milliseconds process_timeout{60000};  ///< credential_process, then it is killed
    std::chrono::minutes advisory_refresh{15};  ///< this long before expiry: one background refresh
    std::chrono::minutes mandatory_refresh{10}; ///< this long before expiry: callers wait for it
    std::chrono::seconds failed_refresh_retry{60}; ///< after a failed refresh, serve and retry this late
    /// The wall clock that expiries are compared with; empty = std::chrono::system_clock::now.
    std::function<std::chrono::system_clock::time_point()> clock;
    /// Reads an environment variable (nullopt or "" = unset); empty = the process environment.
    std::function<std::optional<std::string>(std::string_view)> env;
};

/// The outcome of one credentials request: credentials, or an error saying what was tried.
struct credentials_result {
    boost::system::error_code ec; ///< pws::error::no_credentials when no source produced any
    std::string diagnostic;       ///< every source with why it was skipped or failed; never a secret
    std::shared_ptr<const credentials> creds; ///< set when !ec; shared and immutable
    std::optional<std::chrono::system_clock::time_point> expiration; ///< nullopt = never expire
    std::string_view source;      ///< "environment", "container", ... (static storage)
};

/// The completion signature of credentials_provider::async_get.
using credentials_signature = void(credentials_result);

/// Counters of what the provider did (a plain snapshot).
struct credentials_provider_stats {
    std::uint64_t fetches = 0;             ///< chain resolutions and refreshes started
    std::uint64_t failed_fetches = 0;      ///< of which failed
    std::uint64_t background_refreshes = 0;///< refreshes started while serving cached credentials
    std::uint64_t extensions = 0;          ///< expired instance-metadata credentials extended
    std::uint64_t served_stale = 0;        ///< requests answered with old credentials after a failed refresh
    std::uint64_t abandoned_waits = 0;     ///< waits cancelled before the fetch ended (it went on)
};

}  // namespace pws::aws

namespace pws::detail {
struct chain_state;
/// Starts or joins the fetch `h` needs, or completes it from memory; either way on `ex` (the
/// handler's associated executor), never inline.
/// A wait for a fetch ends at `deadline` with pws::error::timeout (time_point::max(): no deadline).
PWS_DECL void chain_get(const std::shared_ptr<chain_state>& st, boost::asio::any_io_executor ex,
                        boost::asio::any_completion_handler<aws::credentials_signature> h,
                        std::chrono::steady_clock::time_point deadline);
/// The credentials usable right now without waiting, or nullptr.
PWS_DECL std::shared_ptr<const aws::credentials> chain_try_get(const std::shared_ptr<chain_state>& st);
}  // namespace pws::detail

namespace pws::aws {

/// The default credentials provider chain. Safe to share between coroutines and threads.
class credentials_provider {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Builds the chain; reads nothing and fetches nothing until the first request.
    PWS_DECL explicit credentials_provider(executor_type ex, credentials_provider_config cfg = {});
    PWS_DECL ~credentials_provider();
    credentials_provider(credentials_provider&&) noexcept = default;            ///< the moved-from provider is unusable
    credentials_provider& operator=(credentials_provider&&) noexcept = default; ///< ditto
    credentials_provider(const credentials_provider&) = delete;
    credentials_provider& operator=(const credentials_provider&) = delete;

    /// The executor fetches run on.
    PWS_DECL executor_type get_executor() const noexcept;

    /// Credentials to sign with, for any completion token (default: `deferred`). Completes on the
    /// handler's associated executor (never inline) with signature void(credentials_result).
    /// A wait for a fetch supports cancellation (every type) through the handler's cancellation
    /// slot: it then completes with `asio::error::operation_aborted`, and the fetch goes on.
    template <boost::asio::completion_token_for<credentials_signature> Token = boost::asio::deferred_t>
    auto async_get(Token&& token = {}) {
        return boost::asio::async_initiate<Token, credentials_signature>(
            [](auto handler, std::shared_ptr<detail::chain_state> st, executor_type fallback) {
                executor_type ex = boost::asio::get_associated_executor(handler, fallback);
                detail::chain_get(st, std::move(ex), std::move(handler), std::chrono::steady_clock::time_point::max());
            },
            token, state_, get_executor());
    }

    /// async_get(), waiting at most until `deadline` for a fetch: past it, this request completes
    /// with pws::error::timeout and the fetch goes on for later requests (a source may take
    /// longer than a caller can wait: credential_process may run for a minute). Credentials
    /// held already are served whatever the deadline.
    template <boost::asio::completion_token_for<credentials_signature> Token = boost::asio::deferred_t>
    auto async_get(std::chrono::steady_clock::time_point deadline, Token&& token = {}) {
        return boost::asio::async_initiate<Token, credentials_signature>(
            [](auto handler, std::shared_ptr<detail::chain_state> st, executor_type fallback,
               std::chrono::steady_clock::time_point until) {
                executor_type ex = boost::asio::get_associated_executor(handler, fallback);
                detail::chain_get(st, std::move(ex), std::move(handler), until);
            },
            token, state_, get_executor(), deadline);
    }

    /// async_get as a coroutine.
    boost::asio::awaitable<credentials_result> get() { return async_get(boost::asio::use_awaitable); }

    /// The credentials usable right now without waiting (more than the mandatory window left, or
    /// still valid after a failed refresh), else nullptr: then call async_get. Never blocks; in
    /// the advisory window it starts the one background refresh.
    std::shared_ptr<const credentials> try_get() { return detail::chain_try_get(state_); }

    /// The source that produced the current credentials ("" until one has).
    PWS_DECL std::string_view source() const;

    /// A snapshot of the counters.
    PWS_DECL credentials_provider_stats stats() const;

private:
    // Shared with fetches in flight, so that a background refresh may outlive the provider.
    std::shared_ptr<detail::chain_state> state_;
};

}  // namespace pws::aws

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_provider.ipp>
#endif
