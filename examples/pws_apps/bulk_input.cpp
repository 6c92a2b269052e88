// pws-apps import's input: read, parsed and checked app by app (see bulk_input.hpp).
#include "bulk_input.hpp"

#include "cli.hpp"

#include <pws/app_json.hpp>
#include <pws/app_fields.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace pws_apps {

namespace {

namespace ddb = pws::dynamodb;
using pws::quote_for_diagnostic;

// Every name app_from_json reads (soketi's three spellings), to refuse the others: a misspelt
// limit must not be dropped without a word.
std::unordered_set<std::string_view> known_fields() {
    std::unordered_set<std::string_view> out{"id", "key", "secret"};
    auto add = [&](const auto& fields) {
        for (auto& f : fields)
            for (auto name : f.names())
                if (!name.empty()) out.insert(name);
    };
    add(pws::app_flags);
    add(pws::app_ints);
    add(pws::app_numbers);
    add(std::array{pws::app_webhooks});
    return out;
}

// DynamoDB's size of an item: attribute names plus values (B counted decoded).
std::size_t item_bytes(const boost::json::object& item) {
    std::size_t n = 0;
    for (auto& [name, attr] : item) {
        n += name.size();
        for (auto& [type, v] : attr.as_object())
            if (auto* s = v.if_string())
                n += type == "B" ? s->size() / 4 * 3 : s->size();
            else
                n += 1;
    }
    return n;
}

// Checks one element of the input; on success appends it to `out`.
void check_element(const boost::json::value& v, std::size_t number, std::string_view kind,
                   const std::unordered_set<std::string_view>& known, std::vector<import_entry>& out,
                   problem_list& problems) {
    std::string where = std::string(kind) + " " + std::to_string(number);
    auto* o = v.if_object();
    if (!o) return problems.add(number, where + ": expected a JSON object (one app)");
    std::string_view secret;
    if (auto* s = o->if_contains("secret"); s && s->is_string()) secret = s->get_string();
    if (auto* id = o->if_contains("id"); id && id->is_string())
        where += " (app " + quote_for_diagnostic(id->get_string()) + ")";
    for (auto& [name, value] : *o)
        if (!known.contains(name))
            return problems.add(
                number,
                where + ": unknown field " + quote_for_diagnostic(name) +
                    " (export prints the known ones; soketi's SQL column names are accepted too)",
                secret);

    import_entry e;
    std::string why;
    if (pws::app_from_json(v, e.app, why)) return problems.add(number, where + ": " + why, secret);
    // `export` without --show-secrets must not come back in as apps whose secret is the mask.
    if (e.app.secret == masked_secret)
        return problems.add(number, where + ": the secret is " + std::string(masked_secret) +
                                        ", the mask export prints (export --show-secrets prints secrets)");
    if (pws::dynamodb::validate_key_value("app id", e.app.id, why) ||
        pws::dynamodb::validate_key_value("app key", e.app.key, why))
        return problems.add(number, where + ": " + why, secret);

    e.item = ddb::encode_app(e.app);
    // A limit the record leaves out is the server's to set (AppDefaults, at read time), so it is
    // not written, as put does.
    pws::for_each_unset_server_wide(*o, [&](const auto& f) { e.item.erase(f.pascal); });
    if (auto n = item_bytes(e.item); n > max_item_bytes)
        return problems.add(number,
                            where + ": the item would be " + std::to_string(n) +
                                " bytes, more than DynamoDB's 400 KB per item",
                            secret);
    e.number = number;
    e.where = std::move(where);
    out.push_back(std::move(e));
}

}  // namespace

void problem_list::add(std::size_t number, std::string message, std::string_view secret) {
    pws::scrub(message, secret);
    all.emplace_back(number, std::move(message));
}

int problem_list::refuse() {
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < all.size() && i < max_problems_shown; ++i) fail(all[i].second);
    if (all.size() > max_problems_shown)
        fail("... and " + std::to_string(all.size() - max_problems_shown) + " more problems");
    return fail(std::to_string(all.size()) + (all.size() == 1 ? " problem" : " problems") +
                " in the input; nothing written");
}

bool read_import_input(const std::string& path, std::string& text, std::string& why) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) {
        why = "cannot open " + path;
        return false;
    }
    std::vector<char> buf(1 << 20);
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        text.append(buf.data(), n);
        if (text.size() > max_import_bytes) break;  // one read past the cap tells
    }
    const bool bad = std::ferror(f);
    if (f != stdin) std::fclose(f);
    if (text.size() > max_import_bytes)
        why = path + ": larger than " + std::to_string(max_import_bytes >> 20) +
              " MiB, the most import reads; split it into several imports";
    else if (bad)
        why = "cannot read " + path;
    else
        return true;
    return false;
}

bool parse_import_input(std::string_view text, const std::string& path, std::vector<import_entry>& out,
                        problem_list& problems, std::string& why) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a byte order mark, as some tools write
    const auto known = known_fields();
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '[') {
        boost::system::error_code ec;
        auto v = boost::json::parse(text, ec);
        if (ec) {
            why = path + ": invalid JSON array (" + ec.message() + ")";
            return false;
        }
        auto& arr = v.as_array();
        for (std::size_t i = 0; i < arr.size(); ++i)
            check_element(arr[i], i + 1, "element", known, out, problems);
    } else {
        std::size_t number = 0;
        while (!text.empty()) {
            auto end = text.find('\n');
            auto line = text.substr(0, end);
            text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
            ++number;
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            boost::system::error_code ec;
            auto v = boost::json::parse(line, ec);
            if (ec)
                problems.add(number,
                             "line " + std::to_string(number) + ": invalid JSON (" + ec.message() + ")");
            else
                check_element(v, number, "line", known, out, problems);
        }
    }
    if (out.empty() && problems.all.empty()) {
        why = path + ": no apps in the input";
        return false;
    }
    return true;
}

void check_unique(const std::vector<import_entry>& entries, problem_list& problems) {
    std::unordered_map<std::string_view, const import_entry*> ids, keys;
    for (auto& e : entries) {
        if (auto [it, fresh] = ids.emplace(e.app.id, &e); !fresh)
            problems.add(e.number, e.where + ": the same id as " + it->second->where, e.app.secret);
        if (auto [it, fresh] = keys.emplace(e.app.key, &e); !fresh)
            problems.add(e.number,
                         e.where + ": key " + quote_for_diagnostic(e.app.key) + " is also the key of " +
                             it->second->where,
                         e.app.secret);
    }
}

}  // namespace pws_apps
