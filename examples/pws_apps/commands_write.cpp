// pws-apps put and delete: write apps the way existing readers expect (soketi's item shape).
#include "cli.hpp"

#include <pws/app_json.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

namespace pws_apps {

namespace {

namespace ddb = pws::dynamodb;
using pws::dynamodb_errc;

// The fields of soketi's documented item (and of the seed's): put always writes them. The other
// limits (maxPresenceMembersPerChannel, ..., maxEventBatchSize) are written only when given,
// because soketi falls back to its server-wide settings for an absent one, and writing the
// default would silently pin an app to it.
constexpr std::array<std::string_view, 11> always_written{
    "id", "key", "secret", "enabled", "enableClientMessages", "enableUserAuthentication", "maxConnections",
    "maxBackendEventsPerSecond", "maxClientEventsPerSecond", "maxReadRequestsPerSecond", "webhooks"};

bool always(std::string_view field) {
    return std::find(always_written.begin(), always_written.end(), field) != always_written.end();
}

// soketi's field names, in `get`'s order: the keys of app_to_json, so no list is kept twice.
std::vector<std::string> field_names() {
    std::vector<std::string> out;
    for (auto& [k, v] : pws::app_to_json(pws::App{})) out.emplace_back(k);
    return out;
}

// "maxConnections" -> "max-connections"; "id" stays "id".
std::string option_name(std::string_view field) {
    std::string out;
    for (char c : field) {
        if (c >= 'A' && c <= 'Z') {
            out += '-';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

// "maxConnections" -> "MaxConnections"; id/key/secret are AppId/AppKey/AppSecret.
std::string attribute_name(std::string_view field) {
    if (field == "id" || field == "key" || field == "secret")
        return "App" + std::string(1, static_cast<char>(field[0] - 'a' + 'A')) + std::string(field.substr(1));
    return static_cast<char>(field[0] - 'a' + 'A') + std::string(field.substr(1));
}

// The command-line form, turned into the same JSON object a --file holds, so that both go
// through app_from_json's checks. Numbers stay strings: app_from_json parses numeric strings.
bool object_from_options(const options& opts, boost::json::object& out, std::string& why) {
    for (auto& field : field_names()) {
        if (field == "enabled") {
            if (opts.has("disabled")) out["enabled"] = false;
        } else if (field == "enableClientMessages" || field == "enableUserAuthentication") {
            if (opts.has(option_name(field))) out[field] = true;
        } else if (auto* v = opts.value(option_name(field))) {
            out[field] = *v;
        }
    }
    for (std::string_view required : {"id", "key", "secret"})
        if (!out.contains(required)) {
            why = "put needs --id, --key and --secret (or --file)";
            return false;
        }
    return true;
}

bool read_file(const std::string& path, std::string& text, std::string& why) {
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
        return true;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot open " + path;
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    return true;
}

// The --file form: one JSON object in get's shape. Unknown members are refused rather than
// ignored, so a misspelt limit cannot be dropped without a word. Never quotes the content.
bool object_from_file(const std::string& path, boost::json::object& out, std::string& why) {
    std::string text;
    if (!read_file(path, text, why)) return false;
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        why = path + ": " + (ec ? "invalid JSON (" + ec.message() + ")" : std::string("expected one JSON object"));
        return false;
    }
    const auto known = field_names();
    for (auto& [k, val] : v.get_object())
        if (std::find(known.begin(), known.end(), k) == known.end()) {
            why = path + ": unknown field " + pws::quote_for_diagnostic(k) + " (get prints the known ones)";
            return false;
        }
    out = std::move(v.get_object());
    return true;
}

// Diagnostics of app_from_json start with the camelCase field; in the command-line form, name
// the option the operator typed instead.
std::string with_option_names(std::string diag) {
    for (auto& field : field_names())
        if (diag.starts_with(field + ":") || diag.starts_with(field + "["))
            return "--" + option_name(field) + diag.substr(field.size());
    return diag;
}

}  // namespace

int cmd_put(int argc, char** argv) {
    std::vector<std::string> names;  // option_spec holds views: keep the strings alive
    for (auto& field : field_names())
        if (field != "enabled") names.push_back(option_name(field));
    std::vector<option_spec> spec{{"file", true}, {"force", false}, {"disabled", false}};
    for (auto& n : names)
        spec.push_back({n, n != "enable-client-messages" && n != "enable-user-authentication"});
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);

    boost::json::object given;
    if (auto* file = opts->value("file")) {
        if (opts->values.size() + opts->switches.size() != (opts->has("force") ? 2u : 1u))
            return usage("put --file takes no other option than --force");
        if (!object_from_file(*file, given, why)) return fail(why);
    } else if (!object_from_options(*opts, given, why)) {
        return usage(why);
    }
    auto app = std::make_shared<pws::App>();
    if (auto ec = pws::app_from_json(given, *app, why))
        return fail(opts->value("file") ? *opts->value("file") + ": " + why : with_option_names(why));
    // `list | put --file -` must not replace real secrets by the mask list prints.
    if (app->secret == masked_secret)
        return fail("the secret is " + std::string(masked_secret) + ", the mask list prints (list --show-secrets prints secrets)");
    if (auto ec = ddb::validate_key_value("app id", app->id, why)) return fail(why);
    if (auto ec = ddb::validate_key_value("app key", app->key, why)) return fail(why);

    boost::json::object item = ddb::encode_app(*app);
    for (auto& field : field_names())
        if (auto* v = given.if_contains(field); !always(field) && (!v || v->is_null()))
            item.erase(attribute_name(field));  // null means absent, as in app_from_json
    const auto mode = opts->has("force") ? ddb::put_mode::replace : ddb::put_mode::create;

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        const auto& cfg = client.config();
        // DynamoDB cannot make a non-key attribute unique in one write, so the key is checked by
        // a Query first. This leaves a race: another put of the same key under another id between
        // this Query and the PutItem (or within the index's replication lag, since a GSI cannot be
        // read consistently) succeeds too. Closing it would take a second item per key written in
        // a transaction, which changes the table soketi reads; instead readers report a key held
        // twice as an error (ambiguous_key), never a coin toss, and `list` shows both apps.
        const ddb::key_holders who{cfg.table, cfg.key_index, app->key};
        auto q = co_await client.call(who.operation_name, who.body());
        if (q.ec) co_return fail("checking whether the key is free", q, app->secret);
        std::vector<std::string> holders;
        if (auto ec = ddb::key_holders::parse(q.body, holders, why)) co_return fail("checking the key: " + why);
        for (auto& holder : holders)
            if (holder != app->id)
                co_return fail("key " + pws::quote_for_diagnostic(app->key) + " is already used by app " +
                               pws::quote_for_diagnostic(holder));

        // The id, by contrast, is the table's key: the condition makes DynamoDB refuse atomically.
        const ddb::put_item put{cfg.table, item, mode};
        auto r = co_await client.call(put.operation_name, put.body());
        if (r.ec == dynamodb_errc::conditional_check_failed)
            co_return fail("app " + pws::quote_for_diagnostic(app->id) +
                           " already exists (--force replaces it)");
        if (r.ec) co_return fail("writing the app", r, app->secret);
        bool replaced = false;
        if (auto ec = ddb::put_item::parse(r.body, replaced, why)) co_return fail("writing the app: " + why);
        std::cout << (replaced ? "replaced app " : "created app ") << pws::quote_for_diagnostic(app->id)
                  << "\n";
        co_return exit_done;
    });
}

int cmd_delete(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"id", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    const std::string* id = opts->value("id");
    if (!id) return usage("delete needs --id ID");
    if (auto ec = ddb::validate_key_value("app id", *id, why)) return fail(why);

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        const ddb::delete_item del{client.config().table, *id};
        auto r = co_await client.call(del.operation_name, del.body());
        if (r.ec == dynamodb_errc::conditional_check_failed) {
            std::cerr << "pws-apps: no such app\n";
            co_return exit_not_found;
        }
        if (r.ec) co_return fail("deleting the app", r);
        std::cout << "deleted app " << pws::quote_for_diagnostic(*id) << "\n";
        co_return exit_done;
    });
}

}  // namespace pws_apps
