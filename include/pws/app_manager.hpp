// pws::AppManager<Policy> — finds apps by id or key through a driver chosen at compile time.
//
//   pws::AppManager<pws::DynamoDbPolicy> apps(ioc.get_executor(), pws::DynamoDbConfig::from_env());
//   pws::find_result r = co_await apps.find_by_key("app-key");
//   if (r.found()) ...; else if (r.not_found()) ...; else log(r.ec.message(), r.diagnostic);
//
// AppManager adds nothing to the policy's lookups but the any-token form: every call is a
// direct, inlinable call into the policy — no dynamic dispatch, no type erasure.
#pragma once

#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>

#include <concepts>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace pws {

/// What a driver must provide: two coroutine lookups that complete with a find_result.
template <class P>
concept AppPolicy = requires(P& p, std::string_view s) {
    { p.find_by_id(s) } -> std::same_as<boost::asio::awaitable<find_result>>;
    { p.find_by_key(s) } -> std::same_as<boost::asio::awaitable<find_result>>;
};

/// The completion signature of async_find_by_id / async_find_by_key.
using find_signature = void(find_result);

/// The app manager: a thin forwarder to `Policy`, which it owns.
template <class Policy>
class AppManager {
    static_assert(AppPolicy<Policy>,
                  "pws::AppManager<P>: P must have `boost::asio::awaitable<pws::find_result> "
                  "find_by_id(std::string_view)` and `... find_by_key(std::string_view)`");

public:
    using policy_type = Policy;

    /// Constructs the policy from `args` (e.g. an executor and a DynamoDbConfig).
    template <class... Args>
    explicit AppManager(Args&&... args) : policy_(std::forward<Args>(args)...) {}

    /// Finds an app by id. `id` must stay valid until the returned awaitable completes.
    boost::asio::awaitable<find_result> find_by_id(std::string_view id) { return policy_.find_by_id(id); }

    /// Finds an app by key. `key` must stay valid until the returned awaitable completes.
    boost::asio::awaitable<find_result> find_by_key(std::string_view key) { return policy_.find_by_key(key); }

    /// find_by_id for any completion token (callback, use_future, deferred, use_awaitable...);
    /// the id is copied. Runs on the handler's associated executor, else the policy's. The
    /// default token, `deferred`, returns an operation to `co_await` or to start later.
    /// Terminal cancellation through the handler's slot ends a DynamoDB lookup that is waiting
    /// or in flight with `operation_aborted` (a cached miss that others wait for runs on).
    template <boost::asio::completion_token_for<find_signature> Token = boost::asio::deferred_t>
    auto async_find_by_id(std::string id, Token&& token = {}) {
        return start(std::move(id), &Policy::find_by_id, std::forward<Token>(token));
    }

    /// find_by_key for any completion token; the key is copied. Default token: `deferred`.
    template <boost::asio::completion_token_for<find_signature> Token = boost::asio::deferred_t>
    auto async_find_by_key(std::string key, Token&& token = {}) {
        return start(std::move(key), &Policy::find_by_key, std::forward<Token>(token));
    }

    /// The policy, for driver-specific operations (stats, invalidation...).
    Policy& policy() noexcept { return policy_; }
    const Policy& policy() const noexcept { return policy_; }

private:
    auto fallback_executor() {
        if constexpr (requires { policy_.get_executor(); }) return policy_.get_executor();
        else return boost::asio::system_executor();
    }

    template <class Member, class Token>
    auto start(std::string arg, Member member, Token&& token) {
        return boost::asio::async_initiate<Token, find_signature>(
            [this, member](auto handler, std::string a) {
                auto ex = boost::asio::get_associated_executor(handler, fallback_executor());
                // The handler's cancellation slot goes to the lookup's coroutine.
                auto slot = boost::asio::get_associated_cancellation_slot(handler);
                boost::asio::co_spawn(
                    ex,
                    [](Policy& p, Member m, std::string s) -> boost::asio::awaitable<find_result> {
                        // A cancellation through the handler's slot ends the lookup with
                        // operation_aborted (the drivers check it), never with an exception.
                        co_await boost::asio::this_coro::throw_if_cancelled(false);
                        co_return co_await (p.*m)(s);  // `s` lives in this frame until completion
                    }(policy_, member, std::move(a)),
                    boost::asio::bind_cancellation_slot(
                        slot, [h = std::move(handler)](std::exception_ptr e, find_result r) mutable {
                            if (e) r = find_result::failure(error::driver_exception, "the lookup threw an exception");
                            std::move(h)(std::move(r));
                        }));
            },
            token, std::move(arg));
    }

    Policy policy_;
};

}  // namespace pws
