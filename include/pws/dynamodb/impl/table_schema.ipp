#pragma once

#include <pws/dynamodb/table_schema.hpp>

#include <pws/detail/json.hpp>

namespace pws::dynamodb {

namespace table_schema_impl {

using detail::json_array;
using detail::json_object;
using detail::json_string;

// Name and KeyType of each element of a KeySchema.
struct key_element {
    std::string_view name, type;
};

inline std::vector<key_element> key_schema(const boost::json::object& o) {
    std::vector<key_element> out;
    if (auto* ks = json_array(o, "KeySchema"))
        for (auto& k : *ks)
            if (auto* e = k.if_object()) out.push_back({json_string(*e, "AttributeName"), json_string(*e, "KeyType")});
    return out;
}

// "S", "N", "B", or "" when the attribute is not defined.
inline std::string_view attribute_type(const boost::json::object& table, std::string_view name) {
    if (auto* defs = json_array(table, "AttributeDefinitions"))
        for (auto& d : *defs)
            if (auto* e = d.if_object(); e && json_string(*e, "AttributeName") == name) return json_string(*e, "AttributeType");
    return {};
}

inline std::string quoted_or(std::string_view s, std::string_view missing) {
    return s.empty() ? std::string(missing) : std::string(s);
}

// Checks one key schema (the table's or the index's) for a single HASH key `want` of type S.
// `owner` names it in messages ("table", "index AppKeyIndex").
inline void check_keys(const boost::json::object& table, const boost::json::object& holder, std::string_view owner,
                       std::string_view want, schema_issue wrong_key, std::vector<schema_problem>& out) {
    std::string_view hash;
    for (auto& k : key_schema(holder)) {
        if (k.type == "HASH") hash = k.name;
        else
            out.push_back({schema_issue::unexpected_range_key,
                           std::string(owner) + " has a range key " + std::string(k.name) + " (" +
                               quoted_or(attribute_type(table, k.name), "?") + "); it must be keyed on " +
                               std::string(want) + " alone"});
    }
    if (hash.empty()) {
        out.push_back({wrong_key, std::string(owner) + " has no hash key; expected " + std::string(want) + " (S)"});
        return;
    }
    auto type = attribute_type(table, hash);
    if (hash != want) {
        out.push_back({wrong_key, std::string(owner) + "'s hash key is " + std::string(hash) + " (" +
                                      quoted_or(type, "?") + "); expected " + std::string(want) + " (S)"});
        return;
    }
    if (type != "S")
        out.push_back({schema_issue::wrong_key_type,
                       std::string(owner) + "'s hash key " + std::string(want) + " is of type " +
                           quoted_or(type, "(undefined)") + "; it must be S (string)"});
}

}  // namespace table_schema_impl

PWS_DECL std::vector<schema_problem> check_table_schema(const boost::json::object& table, std::string_view index) {
    using namespace table_schema_impl;  // the helpers above, and the JSON readers they name
    std::vector<schema_problem> out;
    if (auto status = json_string(table, "TableStatus"); status != "ACTIVE")
        out.push_back({schema_issue::table_not_active,
                       "table is " + quoted_or(status, "of unknown status") + ", not ACTIVE"});
    check_keys(table, table, "table", "AppId", schema_issue::wrong_hash_key, out);

    const boost::json::object* gsi = nullptr;
    std::vector<std::string_view> on_app_key;  // other GSIs keyed on AppKey, to hint at a rename
    if (auto* gsis = json_array(table, "GlobalSecondaryIndexes"))
        for (auto& v : *gsis) {
            auto* g = v.if_object();
            if (!g) continue;
            if (json_string(*g, "IndexName") == index) gsi = g;
            else if (auto ks = key_schema(*g); !ks.empty() && ks.front().name == "AppKey")
                on_app_key.push_back(json_string(*g, "IndexName"));
        }
    if (!gsi) {
        std::string m = "no global secondary index " + std::string(index) + " (on AppKey, projection ALL)";
        if (auto* lsis = json_array(table, "LocalSecondaryIndexes"))
            for (auto& v : *lsis)
                if (auto* l = v.if_object(); l && json_string(*l, "IndexName") == index)
                    m += "; " + std::string(index) + " is a local secondary index, which cannot be keyed on AppKey";
        for (auto name : on_app_key)
            m += "; index " + std::string(name) + " is on AppKey but lookups query " + std::string(index);
        out.push_back({schema_issue::missing_index, std::move(m)});
        return out;
    }

    const std::string owner = "index " + std::string(index);
    check_keys(table, *gsi, owner, "AppKey", schema_issue::wrong_index_key, out);
    std::string_view projection;
    if (auto* p = json_object(*gsi, "Projection")) projection = json_string(*p, "ProjectionType");
    if (projection != "ALL")
        out.push_back({schema_issue::wrong_projection,
                       owner + " projects " + quoted_or(projection, "nothing known") +
                           "; lookups by key read whole items from it, so it must project ALL"});
    if (auto status = json_string(*gsi, "IndexStatus"); status != "ACTIVE")
        out.push_back({schema_issue::index_not_active, owner + " is " + quoted_or(status, "of unknown status") + ", not ACTIVE"});
    else if (auto* b = gsi->if_contains("Backfilling"); b && b->is_bool() && b->get_bool())
        out.push_back({schema_issue::index_not_active, owner + " is still backfilling"});
    return out;
}

}  // namespace pws::dynamodb
