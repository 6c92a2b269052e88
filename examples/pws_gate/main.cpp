// pws-gate — a small Pusher-protocol server that admits connections through pws-app-manager.
//
//   pws-gate --listen 127.0.0.1:6001                 apps from DynamoDB (APP_MANAGER_DYNAMODB_*),
//                                                    cached as soketi does (APP_MANAGER_CACHE_*)
//   pws-gate --listen 127.0.0.1:6001 --static apps.json    apps from a soketi array-driver file
//
// One io_context, one thread, coroutines throughout. With port 0 the OS picks a free port; the
// first line on stdout says which ("pws-gate: listening on 127.0.0.1:PORT ..."). SIGINT/SIGTERM
// close every WebSocket with 4200 (reconnect now) and exit 0. Exit 2 on bad usage or config.
#include "server.hpp"

#include <pws/app_manager.hpp>
#include <pws/cache_config.hpp>
#include <pws/policies/cached.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/policies/static.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// The DynamoDB lookup path with the cache in front; the cache is off (every connect asks
// DynamoDB) unless APP_MANAGER_CACHE_ENABLED says otherwise, as in soketi.
using dynamodb_apps = pws::AppManager<pws::Cached<pws::DynamoDbPolicy>>;
using static_apps = pws::AppManager<pws::StaticPolicy>;

int usage(const std::string& why) {
    std::cerr << "pws-gate: " << why << "\n"
              << "usage: pws-gate [--listen IP:PORT] [--static FILE]\n"
              << "  --listen IP:PORT  where to listen (default 127.0.0.1:6001; port 0 = any free port)\n"
              << "  --static FILE     apps from FILE (soketi's array-driver JSON) instead of DynamoDB\n"
              << "environment (DynamoDB): APP_MANAGER_DYNAMODB_TABLE, APP_MANAGER_DYNAMODB_REGION,\n"
              << "  APP_MANAGER_DYNAMODB_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
              << "  AWS_SESSION_TOKEN, AWS_CA_BUNDLE\n"
              << "environment (cache): APP_MANAGER_CACHE_ENABLED, APP_MANAGER_CACHE_TTL,\n"
              << "  APP_MANAGER_CACHE_NEGATIVE_TTL, APP_MANAGER_CACHE_MAX_STALE, APP_MANAGER_CACHE_MAX_ENTRIES,\n"
              << "  APP_MANAGER_CACHE_PRELOAD, APP_MANAGER_CACHE_PRELOAD_INTERVAL (or SOKETI_APP_MANAGER_CACHE_*)\n";
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

// Serves until SIGINT/SIGTERM, then gives connections up to 5 s to close and stops.
template <class Apps>
int serve(net::io_context& ioc, Apps& apps, const tcp::endpoint& listen, const std::string& source) {
    std::optional<gate::server<Apps>> srv;
    try {
        srv.emplace(ioc, apps, listen);
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
        // our own connections are gone (or after a grace period).
        net::steady_timer poll(ioc);
        for (int i = 0; i < 250 && srv->live() > 0; ++i) {
            poll.expires_after(std::chrono::milliseconds(20));
            co_await poll.async_wait(gate::nothrow);
        }
        gate::log_line("pws-gate: stopped");
        ioc.stop();
    }, net::detached);

    ioc.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen_arg = "127.0.0.1:6001";
    std::optional<std::string> static_file;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--listen" && i + 1 < argc) listen_arg = argv[++i];
        else if (a == "--static" && i + 1 < argc) static_file = argv[++i];
        else if (a == "--help" || a == "-h") return usage("a Pusher-protocol server gated by pws-app-manager"), 0;
        else return usage("unexpected argument '" + std::string(a) + "'");
    }
    const auto listen = parse_listen(listen_arg);
    if (!listen) return usage("--listen wants IP:PORT, got '" + listen_arg + "'");

    net::io_context ioc(1);
    if (static_file) {
        boost::system::error_code ec;
        std::string why;
        auto policy = pws::StaticPolicy::from_file(*static_file, ec, why);
        if (ec) {
            std::cerr << "pws-gate: " << why << "\n";
            return 2;
        }
        const std::string source = "static file " + *static_file + ", " + std::to_string(policy.size()) + " app(s)";
        static_apps apps(std::move(policy));
        return serve(ioc, apps, *listen, source);
    }
    std::optional<dynamodb_apps> apps;
    std::string source;
    try {  // from_env() and the driver throw on a value they cannot use; say which and stop
        const auto cfg = pws::DynamoDbConfig::from_env();
        const auto cache = pws::CacheConfig::from_env();
        source = "DynamoDB table " + cfg.table + " at " + (cfg.endpoint.empty() ? "region " + cfg.region : cfg.endpoint) +
                 (cache.enabled ? ", cached" : ", not cached");
        apps.emplace(cache, ioc.get_executor(), cfg);
    } catch (const boost::system::system_error& e) {
        std::cerr << "pws-gate: " << e.what() << "\n";
        return 2;
    }
    return serve(ioc, *apps, *listen, source);
}
