// pws-apps create-table and check: the table in the seed's schema, and what is wrong with one
// that is not.
#include "cli.hpp"

#include <pws/dynamodb/operations.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

namespace pws_apps {

namespace {

namespace ddb = pws::dynamodb;
using pws::dynamodb_errc;

bool only_not_active(const std::vector<ddb::schema_problem>& problems) {
    return std::all_of(problems.begin(), problems.end(), [](auto& p) {
        return p.issue == ddb::schema_issue::table_not_active || p.issue == ddb::schema_issue::index_not_active;
    });
}

std::string joined(const std::vector<ddb::schema_problem>& problems) {
    std::string out;
    for (auto& p : problems) out += (out.empty() ? "" : "; ") + p.message;
    return out;
}

}  // namespace

int cmd_create_table(int argc, char** argv) {
    static constexpr option_spec spec[] = {
        {"on-demand", false}, {"rcu", true}, {"wcu", true}, {"wait-seconds", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    ddb::table_billing billing;
    const std::string *rcu = opts->value("rcu"), *wcu = opts->value("wcu");
    if (rcu || wcu) {
        if (!rcu || !wcu) return usage("--rcu and --wcu go together");
        if (opts->has("on-demand")) return usage("--on-demand or --rcu/--wcu, not both");
        billing.on_demand = false;
        if (!parse_count("rcu", *rcu, billing.read_capacity_units, why) ||
            !parse_count("wcu", *wcu, billing.write_capacity_units, why))
            return usage(why);
    }
    // Real DynamoDB takes seconds to minutes to build the index; the wait is bounded all the same.
    std::int64_t wait_seconds = 300;
    if (auto* w = opts->value("wait-seconds"); w && !parse_count("wait-seconds", *w, wait_seconds, why))
        return usage(why);

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        const auto& cfg = client.config();
        const std::string name = "table " + cfg.table;
        const ddb::create_table create{cfg.table, cfg.key_index, billing};
        auto r = co_await client.call(create.operation_name, create.body());
        if (r.ec == dynamodb_errc::resource_in_use)
            co_return fail(name + " already exists (pws-apps check tells whether its schema is right)");
        if (r.ec) co_return fail("creating " + name, r);

        using clock = std::chrono::steady_clock;
        const auto start = clock::now(), deadline = start + std::chrono::seconds(wait_seconds);
        auto pause = std::chrono::milliseconds(200);
        std::vector<ddb::schema_problem> problems;
        for (;;) {
            const ddb::describe_table describe{cfg.table};
            auto d = co_await client.call(describe.operation_name, describe.body());
            if (d.ec == dynamodb_errc::resource_not_found) {
                // DescribeTable is eventually consistent: a table just created may not show yet.
                problems = {{ddb::schema_issue::table_not_active, "table is not visible yet"}};
            } else if (d.ec) {
                co_return fail("waiting for " + name + " to become ACTIVE", d);
            } else {
                boost::json::object table;
                if (auto ec = ddb::describe_table::parse(d.body, table, why))
                    co_return fail("describing " + name + ": " + why);
                problems = ddb::check_table_schema(table, cfg.key_index);
            }
            if (problems.empty()) break;
            // Anything but "not ACTIVE yet" means someone else changed the table meanwhile.
            if (!only_not_active(problems)) co_return fail(name + " was created but " + joined(problems));
            const auto now = clock::now();
            if (now >= deadline)
                co_return fail(name + " was created but is not ready after " + std::to_string(wait_seconds) +
                               " s (" + joined(problems) + "); pws-apps check tells when it is");
            // The last look is taken at the deadline itself.
            boost::asio::steady_timer timer(client.get_executor(),
                                            std::min<clock::duration>(pause, deadline - now));
            co_await timer.async_wait(boost::asio::use_awaitable);
            pause = std::min(pause * 2, std::chrono::milliseconds(5000));
        }
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        std::cout << "created " << name << ": hash key AppId (S), index " << cfg.key_index
                  << " on AppKey (S) projecting ALL, "
                  << (billing.on_demand ? std::string("on demand")
                                        : "provisioned " + std::to_string(billing.read_capacity_units) + " RCU / " +
                                              std::to_string(billing.write_capacity_units) + " WCU")
                  << "; ACTIVE after " << took.count() / 1000.0 << " s\n";
        co_return exit_done;
    });
}

int cmd_check(int argc, char** argv) {
    std::string why;
    auto opts = parse_options(argc, argv, 2, {}, why);
    if (!opts) return usage(why);

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        const auto& cfg = client.config();
        const std::string name = "table " + cfg.table;
        const ddb::describe_table describe{cfg.table};
        auto r = co_await client.call(describe.operation_name, describe.body());
        if (r.ec == dynamodb_errc::resource_not_found) {
            std::cout << name << ": does not exist (pws-apps create-table makes it)\n";
            co_return exit_not_found;
        }
        if (r.ec) co_return fail("describing " + name, r);
        boost::json::object table;
        if (auto ec = ddb::describe_table::parse(r.body, table, why)) co_return fail("describing " + name + ": " + why);
        auto problems = ddb::check_table_schema(table, cfg.key_index);
        for (auto& p : problems) std::cout << name << ": " << p.message << "\n";
        if (!problems.empty()) co_return exit_not_found;
        std::cout << name << ": OK (hash key AppId (S), index " << cfg.key_index
                  << " on AppKey (S) projecting ALL, ACTIVE)\n";
        co_return exit_done;
    });
}

}  // namespace pws_apps
