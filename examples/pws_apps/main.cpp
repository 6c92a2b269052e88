// pws-apps — the operator's tool for soketi's DynamoDB apps table, configured like the library
// (environment variables, same credentials). See README.md, section `pws-apps`.
//
//   pws-apps get --id ID | --key KEY              print one app as JSON (soketi's camelCase)
//   pws-apps list [--show-secrets] [--table] [--page-size N]
//   pws-apps put --file FILE|- [--force]
//   pws-apps put --id ID --key KEY --secret SECRET [--disabled] [--max-connections N] ... [--force]
//   pws-apps delete --id ID
//   pws-apps create-table [--on-demand | --rcu N --wcu N] [--wait-seconds S]
//   pws-apps check
//   pws-apps audit [--page-size N]                every place soketi and this library read the table differently
//   pws-apps export [--show-secrets] [--page-size N]   every app, one JSON line each (get's shape)
//   pws-apps import --file FILE|- [--dry-run] [--force] JSON lines or an array; all checked first
//
// Exit codes: 0 done, 1 the thing asked for does not exist (or check/audit found problems), 2 error
// (one line on stderr; never a secret).
#include "cli.hpp"

#include <pws/redact.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <exception>
#include <iostream>

namespace pws_apps {

std::optional<options> parse_options(int argc, char** argv, int first, std::span<const option_spec> spec,
                                     std::string& why) {
    options out;
    for (int i = first; i < argc; ++i) {
        std::string_view a = argv[i];
        const option_spec* found = nullptr;
        if (a.starts_with("--"))
            for (auto& s : spec)
                if (a.substr(2) == s.name) found = &s;
        if (!found) {
            // An option name is safe to repeat; a bare word may be a misplaced secret.
            why = a.starts_with("--") ? "unknown option " + std::string(a.substr(0, 64))
                                      : "unexpected argument #" + std::to_string(i) + " (values follow their option)";
            return std::nullopt;
        }
        std::string name(found->name);
        if (out.values.contains(name) || out.switches.contains(name)) {
            why = "--" + name + " given twice";
            return std::nullopt;
        }
        if (!found->takes_value) {
            out.switches.insert(std::move(name));
        } else if (i + 1 < argc) {
            out.values.emplace(std::move(name), argv[++i]);
        } else {
            why = "--" + name + " needs a value";
            return std::nullopt;
        }
    }
    return out;
}

int usage(std::string_view why) {
    std::cerr << "pws-apps: " << why << "\n"
              << "usage: pws-apps get --id ID | --key KEY\n"
              << "       pws-apps list [--show-secrets] [--table] [--page-size N]\n"
              << "       pws-apps put --file FILE|- [--force]\n"
              << "       pws-apps put --id ID --key KEY --secret SECRET [--disabled] [--enable-client-messages]\n"
              << "                    [--enable-user-authentication] [--max-connections N] [--max-...-per-second N]\n"
              << "                    [--max-presence-members-per-channel N] [--max-presence-member-size-in-kb X]\n"
              << "                    [--max-channel-name-length N] [--max-event-channels-at-once N]\n"
              << "                    [--max-event-name-length N] [--max-event-payload-in-kb X]\n"
              << "                    [--max-event-batch-size N] [--webhooks JSON] [--force]\n"
              << "       pws-apps delete --id ID\n"
              << "       pws-apps create-table [--on-demand | --rcu N --wcu N] [--wait-seconds S]\n"
              << "       pws-apps check\n"
              << "       pws-apps audit [--page-size N]   (where soketi would read the table differently)\n"
              << "       pws-apps export [--show-secrets] [--page-size N]\n"
              << "       pws-apps import --file FILE|- [--dry-run] [--force]\n"
              << "exit: 0 done, 1 does not exist / check or audit found problems, 2 error\n"
              << "environment: APP_MANAGER_DYNAMODB_TABLE (apps), APP_MANAGER_DYNAMODB_REGION (us-east-1),\n"
              << "             APP_MANAGER_DYNAMODB_ENDPOINT (the region's AWS endpoint), AWS_ACCESS_KEY_ID,\n"
              << "             AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CA_BUNDLE\n";
    return exit_error;
}

int fail(std::string_view what) {
    std::cerr << "pws-apps: " << what << "\n";
    return exit_error;
}

int fail(std::string_view what, const pws::dynamodb::response& r, std::string_view app_secret) {
    std::string diag = r.diagnostic;
    pws::scrub(diag, app_secret);
    std::string line(what);
    // The client's diagnostics usually name the error already ("DynamoDB ValidationException ...").
    if (diag.find(r.ec.message()) == std::string::npos) line += ": " + r.ec.message();
    if (!diag.empty()) line += ": " + diag;
    return fail(line);
}

bool parse_count(std::string_view name, const std::string& text, std::int64_t& out, std::string& why) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || p != text.data() + text.size() || out < 1) {
        why = "--" + std::string(name) + " takes a positive integer";
        return false;
    }
    return true;
}

bool page_size_option(const options& opts, std::int64_t& out, std::string& why) {
    out = 0;
    if (auto* p = opts.value("page-size"); p && !parse_count("page-size", *p, out, why)) return false;
    if (out > 1'000'000) {
        why = "--page-size takes at most 1000000";
        return false;
    }
    return true;
}

boost::asio::awaitable<int> scan_table(pws::dynamodb::client& client, std::int64_t page_size,
                                       std::string_view projection, page_handler on_page) {
    const std::string& table = client.config().table;
    const std::string what = "scanning table " + table;
    int limit = static_cast<int>(page_size);
    pws::dynamodb::scan_page page;
    pws::dynamodb::scan_progress progress;
    do {
        pws::dynamodb::response r;
        do {
            const pws::dynamodb::scan op{table, &page.last_evaluated_key, limit, projection};
            r = co_await client.call(op.operation_name, op.body());
        } while (pws::dynamodb::scan_progress::retry_smaller(r.ec, limit));
        if (r.ec) co_return fail(what, r);
        page = pws::dynamodb::scan::parse(r.body, client.config().defaults);
        if (!page.ec) page.ec = progress.next(page, page.diagnostic);
        if (page.ec) co_return fail(what + ": " + page.diagnostic);
        if (int rc = on_page(r.body, page); rc != exit_done) co_return rc;
    } while (page.more());
    co_return exit_done;
}

int run(std::function<boost::asio::awaitable<int>(pws::dynamodb::client&)> command) {
    boost::asio::io_context ioc;
    std::optional<pws::dynamodb::client> client;
    try {
        client.emplace(ioc.get_executor(), pws::DynamoDbConfig::from_env());
    } catch (const boost::system::system_error& e) {
        return fail(std::string("configuration error: ") + e.what());
    }
    int rc = exit_error;
    boost::asio::co_spawn(ioc, command(*client), [&](std::exception_ptr e, int result) {
        if (!e) {
            rc = result;
            return;
        }
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            rc = fail(std::string("internal error: ") + x.what());
        }
    });
    ioc.run();
    return rc;
}

}  // namespace pws_apps

int main(int argc, char** argv) {
    using namespace pws_apps;
    if (argc < 2) return usage("no command");
    const std::string_view cmd = argv[1];
    try {
        if (cmd == "get") return cmd_get(argc, argv);
        if (cmd == "list") return cmd_list(argc, argv);
        if (cmd == "put") return cmd_put(argc, argv);
        if (cmd == "delete") return cmd_delete(argc, argv);
        if (cmd == "create-table") return cmd_create_table(argc, argv);
        if (cmd == "check") return cmd_check(argc, argv);
        if (cmd == "audit") return cmd_audit(argc, argv);
        if (cmd == "export") return cmd_export(argc, argv);
        if (cmd == "import") return cmd_import(argc, argv);
    } catch (const std::exception& e) {
        return fail(std::string("internal error: ") + e.what());
    }
    return usage("unknown command " + std::string(cmd.substr(0, 64)));
}
