// What every pws-apps command shares: exit codes, option parsing, error lines, and running one
// coroutine against a DynamoDB client configured from the environment like the library.
#pragma once

#include <pws/config.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/dynamodb/scan.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace pws_apps {

/// Exit codes, the same for every command.
inline constexpr int exit_done = 0;       ///< done (found, written, deleted, schema OK)
inline constexpr int exit_not_found = 1;  ///< the thing asked for does not exist, or check found problems
inline constexpr int exit_error = 2;      ///< anything else; one line on stderr says why

/// What `list` prints in place of a secret: fixed, so that it does not reveal the length either.
inline constexpr std::string_view masked_secret = "********";

/// One option a command accepts: `--name` alone (a switch) or `--name VALUE`.
struct option_spec {
    std::string_view name;  ///< without the leading "--"
    bool takes_value;       ///< true for `--name VALUE`
};

/// A command's options as given.
struct options {
    std::map<std::string, std::string, std::less<>> values; ///< `--name VALUE` options
    std::set<std::string, std::less<>> switches;           ///< `--name` options

    /// The value of `--name`, or nullptr when not given.
    const std::string* value(std::string_view name) const {
        auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    }
    /// Whether the switch `--name` was given.
    bool has(std::string_view name) const { return switches.contains(name); }
};

/// Parses argv[first..] against `spec`. On a usage error returns nothing and sets `why`, which
/// never repeats an option's value (it may be a secret).
std::optional<options> parse_options(int argc, char** argv, int first, std::span<const option_spec> spec,
                                     std::string& why);

/// Prints "pws-apps: <why>" and the usage text on stderr; returns exit_error.
int usage(std::string_view why);

/// Prints "pws-apps: <what>" on stderr; returns exit_error.
int fail(std::string_view what);

/// Prints a failed call as "pws-apps: <what>: <error>: <diagnostic>" (the client scrubs AWS
/// secrets from diagnostics; `app_secret`, when given, is scrubbed too); returns exit_error.
int fail(std::string_view what, const pws::dynamodb::response& r, std::string_view app_secret = {});

/// Parses a positive integer option value; on failure says why in `why` (quoting `name`).
bool parse_count(std::string_view name, const std::string& text, std::int64_t& out, std::string& why);

/// Reads `--page-size N` (1 to 1,000,000) into `out`, which stays 0 (DynamoDB's own 1 MB pages)
/// when the option is absent; on a bad value says why in `why`.
bool page_size_option(const options& opts, std::int64_t& out, std::string& why);

/// Called with each Scan page: the response body as sent and the page as dynamodb::scan::parse read it
/// (with the configuration's server-wide limits). Returns exit_done to go on, anything else to
/// stop the Scan with that exit code.
using page_handler = std::function<int(std::string_view body, pws::dynamodb::scan_page& page)>;

/// Scans the whole table (`page_size` items a page, 0: DynamoDB's 1 MB pages; `projection`, when
/// not empty, as the ProjectionExpression), held to progress by scan_progress; a page too large
/// for the client's response cap is asked for again with a smaller Limit. A failed call or a
/// malformed page prints "pws-apps: scanning table T: ..." and gives exit_error.
boost::asio::awaitable<int> scan_table(pws::dynamodb::client& client, std::int64_t page_size,
                                       std::string_view projection, page_handler on_page);

/// Builds a client from the environment (DynamoDbConfig::from_env()), runs `command` on it to
/// completion and returns its exit code; a configuration error or an exception is exit_error.
int run(std::function<boost::asio::awaitable<int>(pws::dynamodb::client&)> command);

// The commands; each takes the whole argv (argv[1] is the command's name).
int cmd_get(int argc, char** argv);           ///< get --id ID | --key KEY
int cmd_list(int argc, char** argv);          ///< list [--show-secrets] [--table] [--page-size N]
int cmd_put(int argc, char** argv);           ///< put --file FILE | --id --key --secret ... [--force]
int cmd_delete(int argc, char** argv);        ///< delete --id ID
int cmd_create_table(int argc, char** argv);  ///< create-table [--on-demand | --rcu N --wcu N]
int cmd_check(int argc, char** argv);         ///< check
int cmd_audit(int argc, char** argv);         ///< audit [--page-size N]: where soketi reads the table differently
int cmd_export(int argc, char** argv);        ///< export [--show-secrets] [--page-size N]
int cmd_import(int argc, char** argv);        ///< import --file FILE|- [--dry-run] [--force]

}  // namespace pws_apps
