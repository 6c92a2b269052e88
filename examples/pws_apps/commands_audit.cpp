// pws-apps audit: scans the table as `list` does and prints, per app, where soketi and this
// library would read it differently (audit.hpp does the reading; this file only does I/O).
#include "audit.hpp"
#include "cli.hpp"

#include <pws/dynamodb/scan.hpp>

#include <boost/json/parse.hpp>

#include <iostream>
#include <vector>

namespace pws_apps {

int cmd_audit(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"page-size", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    std::int64_t page_size = 0;
    if (!page_size_option(*opts, page_size, why)) return usage(why);

    return run([&](pws::dynamodb::client& client) -> boost::asio::awaitable<int> {
        const std::string& table = client.config().table;
        const pws::AppDefaults& defaults = client.config().defaults;
        // Every item is needed before printing: the report is sorted, and a key held twice is
        // only known once both holders are seen. A failed Scan prints no partial audit.
        std::vector<audit::item_audit> items;
        int rc = co_await scan_table(client, page_size, {}, [&](std::string_view body, pws::dynamodb::scan_page&) {
            // The page keeps decoded apps only; the audit reads the items as stored. The body
            // parsed once already, with the same (default) limits.
            boost::system::error_code ec;
            auto doc = boost::json::parse(body, ec);
            const auto* root = ec ? nullptr : doc.if_object();
            const auto* stored = root ? root->if_contains("Items") : nullptr;
            if (!stored || !stored->is_array())
                return fail("scanning table " + table + ": the Scan response has no Items array");
            for (std::size_t i = 0; i < stored->get_array().size(); ++i) {
                const auto* item = stored->get_array()[i].if_object();
                if (!item)
                    return fail("scanning table " + table + ": the Scan response's Items[" + std::to_string(i) +
                                "] is not an object");
                items.push_back(audit::audit_item(*item, defaults));
            }
            return exit_done;
        });
        if (rc != exit_done) co_return rc;

        const auto report = audit::make_report(std::move(items));
        for (auto& line : report.lines) std::cout << line << "\n";
        std::cout.flush();
        co_return report.exit_code;
    });
}

}  // namespace pws_apps
