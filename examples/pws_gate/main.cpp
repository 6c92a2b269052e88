// pws-gate — a small Pusher-protocol server that admits connections through pws-app-manager.
//
//   pws-gate --listen 127.0.0.1:6001                 the driver soketi would pick (below)
//   pws-gate --driver dynamodb                       apps from DynamoDB (APP_MANAGER_DYNAMODB_*),
//                                                    cached as soketi does (APP_MANAGER_CACHE_*)
//   pws-gate --driver array [--soketi-config FILE]   soketi's array driver: a soketi config.json's
//                                                    apps, SOKETI_DEFAULT_APP_* over the first
//   pws-gate --static apps.json                      apps from a JSON list of apps
//
// The driver is picked as soketi picks it: --driver, else APP_MANAGER_DRIVER (or
// SOKETI_APP_MANAGER_DRIVER), else the config file's appManager.driver; with none of them, one
// rule of our own: DynamoDB when any APP_MANAGER_DYNAMODB_* variable is set (soketi would still
// use its array driver), else the array driver with soketi's default app (app-id / app-key /
// app-secret, or SOKETI_DEFAULT_APP_*). An app served with soketi's public secret "app-secret"
// is named in a warning at start.
//
// One io_context, one thread, coroutines throughout. With port 0 the OS picks a free port; the
// first line on stdout says which ("pws-gate: listening on 127.0.0.1:PORT ..."). SIGINT/SIGTERM
// close every WebSocket with 4200 (reconnect now) and exit 0. Exit 2 on bad usage or config.
#include "server.hpp"

#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/detail/env.hpp>
#include <pws/redact.hpp>
#include <pws/app_json.hpp>
#include <pws/detail/soketi_options.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/policies/static.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// The DynamoDB lookup path with the cache in front; the cache is off (every connect asks
// DynamoDB) unless APP_MANAGER_CACHE_ENABLED says otherwise, as in soketi.
using dynamodb_apps = pws::AppManager<pws::Cached<pws::DynamoDbPolicy>>;
using static_apps = pws::AppManager<pws::StaticPolicy>;

int usage(const std::string& why) {
    std::cerr << "pws-gate: " << why << "\n"
              << "usage: pws-gate [--listen IP:PORT] [--driver array|dynamodb] [--soketi-config FILE] [--static FILE]\n"
              << "  --listen IP:PORT        where to listen (default 127.0.0.1:6001; port 0 = any free port)\n"
              << "  --driver array|dynamodb where apps come from (default: as soketi picks, see README)\n"
              << "  --soketi-config FILE    a soketi config.json: its driver, apps, DynamoDB settings, limits\n"
              << "  --static FILE           apps from FILE (a JSON list of apps), the array driver\n"
              << "  --max-connections N     TCP connections open at once (default: the descriptor limit - 64)\n"
              << "  --handshake-timeout S   a new connection's first request within S seconds (default 10)\n"
              << "environment (driver): APP_MANAGER_DRIVER; (array) DEFAULT_APP_ID, DEFAULT_APP_KEY,\n"
              << "  DEFAULT_APP_SECRET, DEFAULT_APP_..., limits PRESENCE_MAX_MEMBERS, EVENT_MAX_..., ...\n"
              << "environment (DynamoDB): APP_MANAGER_DYNAMODB_TABLE, APP_MANAGER_DYNAMODB_REGION,\n"
              << "  APP_MANAGER_DYNAMODB_ENDPOINT, APP_MANAGER_DYNAMODB_FAILOVER (global tables),\n"
              << "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
              << "  AWS_SESSION_TOKEN, AWS_CA_BUNDLE\n"
              << "environment (cache): APP_MANAGER_CACHE_ENABLED, APP_MANAGER_CACHE_TTL,\n"
              << "  APP_MANAGER_CACHE_NEGATIVE_TTL, APP_MANAGER_CACHE_MAX_STALE, APP_MANAGER_CACHE_MAX_ENTRIES,\n"
              << "  APP_MANAGER_CACHE_PRELOAD, APP_MANAGER_CACHE_PRELOAD_INTERVAL, APP_MANAGER_CACHE_REFRESH_AFTER\n"
              << "every variable may also be spelled with soketi's prefix (SOKETI_APP_MANAGER_DRIVER, ...)\n";
    return 2;
}

std::optional<tcp::endpoint> parse_listen(std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    auto addr = net::ip::make_address(std::string(s.substr(0, colon)), ec);
    unsigned port = 0;
    auto digits = s.substr(colon + 1);
    auto [p, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec || perr != std::errc{} || p != digits.data() + digits.size() || port > 65535) return std::nullopt;
    return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

// Serves until SIGINT/SIGTERM, then gives connections (and cache refreshes) up to 5 s, or one
// DynamoDB call's total_timeout, to end, and stops.
template <class Apps>
int serve(net::io_context& ioc, Apps& apps, const tcp::endpoint& listen, const gate::server_options& opt,
          const std::string& source) {
    std::optional<gate::server<Apps>> srv;
    try {
        srv.emplace(ioc, apps, listen, opt);
    } catch (const boost::system::system_error& e) {
        std::cerr << "pws-gate: cannot listen on " << listen << ": " << e.code().message() << "\n";
        return 1;
    }
    gate::log_line("pws-gate: listening on " + srv->local_endpoint().address().to_string() + ":" +
                   std::to_string(srv->local_endpoint().port()) + " (apps: " + source + ")");
    net::co_spawn(ioc, srv->run(), net::detached);

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        auto [ec, sig] = co_await signals.async_wait(gate::nothrow);
        gate::log_line(std::string("pws-gate: ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", closing " +
                       std::to_string(srv->live()) + " connection(s)");
        srv->shutdown();
        // The driver's pooled connections and timers would keep run() going: stop explicitly once
        // our own connections are gone, and no cache refresh is still asking DynamoDB. Both wait
        // for DynamoDB requests, which use the client that goes away with `apps` afterwards, so
        // they get one call's total_timeout (plus a second) before giving up.
        auto in_flight = [&]() -> std::size_t {
            std::size_t n = srv->live();
            if constexpr (requires { apps.policy().requests_in_flight(); }) n += apps.policy().requests_in_flight();
            return n;
        };
        auto budget = std::chrono::milliseconds(5000);
        if constexpr (requires { apps.policy().inner().client().config().total_timeout; })
            budget = std::max(budget, apps.policy().inner().client().config().total_timeout + std::chrono::seconds(1));
        const auto give_up = std::chrono::steady_clock::now() + budget;
        net::steady_timer poll(ioc);
        while (in_flight() > 0 && std::chrono::steady_clock::now() < give_up) {
            poll.expires_after(std::chrono::milliseconds(20));
            co_await poll.async_wait(gate::nothrow);
        }
        if (const auto left = in_flight()) {
            // Destroying the driver under requests still in flight would be a use after free:
            // leave without destructors (the log is flushed; the OS closes every socket).
            gate::log_line("pws-gate: stopped, " + std::to_string(left) +
                           " connection(s) or cache refresh(es) still waiting on the driver");
            std::cout.flush();
            std::cerr.flush();
            std::_Exit(0);
        }
        gate::log_line("pws-gate: stopped");
        ioc.stop();
    }, net::detached);

    ioc.run();
    return 0;
}

// Which driver, as soketi picks it (see the top of this file); "" and a message on failure.
std::string pick_driver(const std::optional<std::string>& flag, const boost::json::value& file_options,
                        std::string& why) {
    std::string driver;
    if (flag) {
        driver = *flag;
    } else if (auto e = pws::detail::env_either("APP_MANAGER_DRIVER")) {  // throws on a conflict
        driver = e->value;
    } else if (auto* d = pws::detail::option_get(file_options, "appManager.driver"); d && d->is_string()) {
        driver = std::string(d->get_string());
    } else {
        driver = "array";
        for (const char* v : {"APP_MANAGER_DYNAMODB_TABLE", "APP_MANAGER_DYNAMODB_REGION", "APP_MANAGER_DYNAMODB_ENDPOINT"})
            if (pws::detail::env_either(v)) driver = "dynamodb";
    }
    if (driver != "array" && driver != "dynamodb") {
        why = "driver '" + driver.substr(0, 40) + "' is not one pws-gate has (array, dynamodb)";
        return {};
    }
    return driver;
}

// The config file's `option`, unless variable `var` (either spelling) is set: soketi applies
// the variables over the file.
const boost::json::value* file_option(const boost::json::value& file_options, const char* option, const char* var) {
    auto* v = pws::detail::option_get(file_options, option);
    return v && !pws::detail::env_either(var) ? v : nullptr;
}

// "pws-gate: FILE: OPTION: expected WHAT" on stderr; the exit status of a bad configuration.
int bad_option(const std::string& file, const char* option, const char* expected) {
    std::cerr << "pws-gate: " << file << ": " << option << ": expected " << expected << "\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen_arg = "127.0.0.1:6001";
    std::optional<std::string> static_file, driver_flag;
    std::string soketi_config;
    gate::server_options opt;
    // A positive whole number (at most `max`) for option `name`, or a usage error.
    auto count = [&](std::string_view name, const char* text, std::uint64_t max, auto& into) {
        std::uint64_t v = 0;
        const std::string_view s(text);
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || p != s.data() + s.size() || v == 0 || v > max) return false;
        into = static_cast<std::remove_reference_t<decltype(into)>>(v);
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        std::uint64_t seconds = 0;
        if (a == "--listen" && i + 1 < argc) listen_arg = argv[++i];
        else if (a == "--max-connections" && i + 1 < argc) {
            if (!count(a, argv[++i], 10'000'000, opt.max_connections)) return usage("--max-connections takes a whole number from 1");
        } else if (a == "--handshake-timeout" && i + 1 < argc) {
            if (!count(a, argv[++i], 3600, seconds)) return usage("--handshake-timeout takes whole seconds, 1 to 3600");
            opt.handshake_timeout = std::chrono::seconds(seconds);
        }
        else if (a == "--static" && i + 1 < argc) static_file = argv[++i];
        else if (a == "--driver" && i + 1 < argc) driver_flag = argv[++i];
        else if (a == "--soketi-config" && i + 1 < argc) soketi_config = argv[++i];
        else if (a == "--help" || a == "-h") return usage("a Pusher-protocol server gated by pws-app-manager"), 0;
        else return usage("unexpected argument '" + std::string(a) + "'");
    }
    const auto listen = parse_listen(listen_arg);
    if (!listen) return usage("--listen wants IP:PORT, got '" + listen_arg + "'");

    boost::system::error_code ec;
    std::string why;
    // What the config file itself sets (no soketi defaults), to pick the driver and its settings.
    boost::json::value file_options;
    if (!pws::StaticPolicy::soketi_options(soketi_config, file_options, ec, why, false)) {
        std::cerr << "pws-gate: " << why << "\n";
        return 2;
    }
    std::string driver;
    try {
        driver = static_file ? std::string("array") : pick_driver(driver_flag, file_options, why);
    } catch (const boost::system::system_error& e) {
        why = e.what();
    }
    if (driver.empty()) return usage(why);
    if (static_file && driver_flag && *driver_flag != "array")
        return usage("--static is the array driver; it cannot go with --driver " + driver_flag->substr(0, 40));

    net::io_context ioc(1);
    if (driver == "array") {
        // A --static file's apps take the server-wide limits as the array driver's do: the
        // config file's, then the variables'.
        pws::AppDefaults defaults;
        if (static_file && !pws::StaticPolicy::soketi_defaults(file_options, defaults, ec, why)) {
            std::cerr << "pws-gate: " << why << "\n";
            return 2;
        }
        auto policy = static_file ? pws::StaticPolicy::from_file(*static_file, ec, why, defaults)
                                  : pws::StaticPolicy::from_soketi(soketi_config, ec, why);
        if (ec) {
            std::cerr << "pws-gate: " << why << "\n";
            return 2;
        }
        const std::string source = (static_file   ? "static file " + *static_file
                                    : soketi_config.empty() ? std::string("array driver (environment)")
                                                             : "array driver, soketi config " + soketi_config) +
                                   ", " + std::to_string(policy.size()) + " app(s)";
        // soketi's built-in secret is public: anyone can sign for an app that still has it.
        policy.for_each([](const pws::App& a) {
            if (a.secret == "app-secret")
                gate::log_line("pws-gate: WARNING: app " + pws::quote_for_diagnostic(a.id) +
                               " has soketi's public default secret \"app-secret\"; set DEFAULT_APP_SECRET "
                               "(or the app's secret) before serving real traffic");
        });
        static_apps apps(std::move(policy));
        return serve(ioc, apps, *listen, opt, source);
    }
    std::optional<dynamodb_apps> apps;
    std::string source;
    try {  // from_env() and the driver throw on a value they cannot use; say which and stop
        auto cfg = pws::DynamoDbConfig::from_env();
        // The config file's appManager.dynamodb.* where no variable says otherwise (soketi applies
        // variables over the file).
        for (auto [option, var, member] :
             {std::tuple{"appManager.dynamodb.table", "APP_MANAGER_DYNAMODB_TABLE", &pws::DynamoDbConfig::table},
              std::tuple{"appManager.dynamodb.region", "APP_MANAGER_DYNAMODB_REGION", &pws::DynamoDbConfig::region},
              std::tuple{"appManager.dynamodb.endpoint", "APP_MANAGER_DYNAMODB_ENDPOINT", &pws::DynamoDbConfig::endpoint}})
            if (auto* v = file_option(file_options, option, var)) {
                if (!v->is_string()) return bad_option(soketi_config, option, "a string");
                cfg.*member = std::string(v->get_string());
            }
        if (!pws::StaticPolicy::soketi_defaults(file_options, cfg.defaults, ec, why)) {
            std::cerr << "pws-gate: " << why << "\n";
            return 2;
        }
        auto cache = pws::CacheConfig::from_env();
        // The config file's appManager.cache.enabled / .ttl where no variable says otherwise.
        if (auto* v = file_option(file_options, "appManager.cache.enabled", "APP_MANAGER_CACHE_ENABLED")) {
            if (!v->is_bool()) return bad_option(soketi_config, "appManager.cache.enabled", "true or false");
            cache.enabled = v->get_bool();
        }
        if (auto* v = file_option(file_options, "appManager.cache.ttl", "APP_MANAGER_CACHE_TTL")) {
            if (!v->is_int64() || v->get_int64() < -1)
                return bad_option(soketi_config, "appManager.cache.ttl", "whole seconds, or -1");
            cache.ttl = std::chrono::seconds(v->get_int64());
        }
        source = "DynamoDB table " + cfg.table + " at " + (cfg.endpoint.empty() ? "region " + cfg.region : cfg.endpoint) +
                 (cache.enabled ? ", cached" : ", not cached");
        apps.emplace(cache, ioc.get_executor(), cfg);
    } catch (const boost::system::system_error& e) {
        std::cerr << "pws-gate: " << e.what() << "\n";
        return 2;
    }
    return serve(ioc, *apps, *listen, opt, source);
}
