// pws-apps get and list: read apps, print them in soketi's camelCase JSON (or a table).
#include "cli.hpp"

#include <pws/app_json.hpp>
#include <pws/app_manager.hpp>
#include <pws/dynamodb/scan.hpp>
#include <pws/policies/dynamodb.hpp>
#include <pws/redact.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <iostream>
#include <vector>

namespace pws_apps {

namespace {

int print_result(const pws::find_result& r) {
    if (r.failed()) {
        std::string line(r.ec.message());
        if (!r.diagnostic.empty()) line += ": " + r.diagnostic;
        return fail(line);
    }
    if (r.not_found()) {
        std::cerr << "pws-apps: no such app\n";
        return exit_not_found;
    }
    std::cout << boost::json::serialize(pws::app_to_json(*r.app)) << "\n";
    return exit_done;
}

// Control characters in a stored id or key must not drive the operator's terminal.
std::string printable(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

// The human form of `list --table`: one row per app, columns as wide as their widest cell.
void print_table(std::vector<pws::App>& apps, bool show_secrets) {
    std::sort(apps.begin(), apps.end(), [](auto& a, auto& b) { return a.id < b.id; });
    constexpr std::array<std::string_view, 8> header{"ID",          "KEY",       "SECRET",          "ENABLED",
                                                     "CLIENT-MSGS", "USER-AUTH", "MAX-CONNECTIONS", "WEBHOOKS"};
    auto yes_no = [](bool b) { return std::string(b ? "yes" : "no"); };
    auto limit = [](std::int64_t n) { return n < 0 ? std::string("unlimited") : std::to_string(n); };
    std::vector<std::array<std::string, 8>> rows;
    for (auto& a : apps)
        rows.push_back({printable(a.id), printable(a.key),
                        show_secrets ? printable(a.secret) : std::string(masked_secret), yes_no(a.enabled),
                        yes_no(a.enable_client_messages), yes_no(a.enable_user_authentication),
                        limit(a.max_connections), std::to_string(a.webhooks.size())});
    std::array<std::size_t, 8> width{};
    for (std::size_t c = 0; c < 8; ++c) {
        width[c] = header[c].size();
        for (auto& r : rows) width[c] = std::max(width[c], r[c].size());
    }
    auto line = [&](auto const& cells) {
        std::string out;
        for (std::size_t c = 0; c < 8; ++c) {
            std::string_view cell = cells[c];
            out += cell;
            if (c + 1 < 8) out.append(width[c] - cell.size() + 2, ' ');
        }
        std::cout << out << "\n";
    };
    line(header);
    for (auto& r : rows) line(r);
    std::cout << apps.size() << (apps.size() == 1 ? " app\n" : " apps\n");
}

}  // namespace

int cmd_get(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"id", true}, {"key", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    const std::string* id = opts->value("id");
    const std::string* key = opts->value("key");
    if ((id == nullptr) == (key == nullptr)) return usage("get takes exactly one of --id or --key");

    boost::asio::io_context ioc;
    std::optional<pws::AppManager<pws::DynamoDbPolicy>> apps;
    try {
        apps.emplace(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    } catch (const boost::system::system_error& e) {
        return fail(std::string("configuration error: ") + e.what());
    }
    int rc = exit_error;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            pws::find_result r;
            if (id) r = co_await apps->find_by_id(*id);
            else r = co_await apps->find_by_key(*key);
            rc = print_result(r);
        },
        boost::asio::detached);
    ioc.run();
    return rc;
}

int cmd_list(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"show-secrets", false}, {"table", false}, {"page-size", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    std::int64_t page_size = 0;
    if (!page_size_option(*opts, page_size, why)) return usage(why);
    const bool show_secrets = opts->has("show-secrets"), as_table = opts->has("table");

    return run([&](pws::dynamodb::client& client) -> boost::asio::awaitable<int> {
        std::vector<pws::App> apps;  // kept only for --table, which needs every row for its widths
        bool bad_item = false;
        int rc = co_await scan_table(client, page_size, {}, [&](std::string_view, pws::dynamodb::scan_page& page) {
            for (auto& item : page.items) {
                if (!item.ok()) {
                    // One bad item must not hide the others: report it, go on, and exit 2.
                    fail("item " + pws::quote_for_diagnostic(item.id) + ": " + item.diagnostic);
                    bad_item = true;
                } else if (as_table) {
                    apps.push_back(*item.app);
                } else {
                    auto json = pws::app_to_json(*item.app);
                    if (!show_secrets) json["secret"] = masked_secret;
                    std::cout << boost::json::serialize(json) << "\n";
                }
            }
            return exit_done;
        });
        if (rc != exit_done) co_return rc;
        if (as_table) print_table(apps, show_secrets);
        std::cout.flush();
        co_return bad_item ? exit_error : exit_done;
    });
}

}  // namespace pws_apps
