#pragma once

#include <pws/dynamodb/operations.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace pws::dynamodb {

namespace operations_impl {

inline std::string_view str(const boost::json::object& o, std::string_view name) {
    if (auto* v = o.if_contains(name); v && v->is_string()) return v->get_string();
    return {};
}

inline const boost::json::array* arr(const boost::json::object& o, std::string_view name) {
    if (auto* v = o.if_contains(name)) return v->if_array();
    return nullptr;
}

inline bool parse_body(std::string_view body, boost::json::object& out, std::string& diag) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) {
        diag = ec ? "the response body is not valid JSON (" + ec.message() + ")"
                  : "the response body is not a JSON object";
        return false;
    }
    out = std::move(v.get_object());
    return true;
}

// Name and KeyType of each element of a KeySchema.
struct key_element {
    std::string_view name, type;
};

inline std::vector<key_element> key_schema(const boost::json::object& o) {
    std::vector<key_element> out;
    if (auto* ks = arr(o, "KeySchema"))
        for (auto& k : *ks)
            if (auto* e = k.if_object()) out.push_back({str(*e, "AttributeName"), str(*e, "KeyType")});
    return out;
}

// "S", "N", "B", or "" when the attribute is not defined.
inline std::string_view attribute_type(const boost::json::object& table, std::string_view name) {
    if (auto* defs = arr(table, "AttributeDefinitions"))
        for (auto& d : *defs)
            if (auto* e = d.if_object(); e && str(*e, "AttributeName") == name) return str(*e, "AttributeType");
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

}  // namespace operations_impl

using namespace operations_impl;

PWS_DECL std::string put_item_body(std::string_view table, const boost::json::object& item, put_mode mode) {
    boost::json::object body;
    body["TableName"] = table;
    body["Item"] = item;
    if (mode == put_mode::create) {
        // Checked by DynamoDB in the same write: two operators creating the same id at once
        // cannot both succeed, which a read-then-write could not promise.
        body["ConditionExpression"] = "attribute_not_exists(AppId)";
    } else {
        body["ReturnValues"] = "ALL_OLD";
    }
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code parse_put_item(std::string_view body, bool& replaced, std::string& diagnostic) {
    boost::json::object o;
    if (!parse_body(body, o, diagnostic)) return error::malformed_response;
    auto* old = o.if_contains("Attributes");
    replaced = old && old->is_object() && !old->get_object().empty();
    return {};
}

PWS_DECL std::string batch_write_body(std::string_view table, std::span<const boost::json::object> items) {
    boost::json::array requests;
    requests.reserve(items.size());
    for (auto& item : items) {
        boost::json::object put;
        put["Item"] = item;
        boost::json::object request;
        request["PutRequest"] = std::move(put);
        requests.emplace_back(std::move(request));
    }
    boost::json::object body;
    body["RequestItems"].emplace_object()[table] = std::move(requests);
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code parse_batch_write(std::string_view body, std::string_view table,
                                                     std::vector<boost::json::object>& unprocessed,
                                                     std::string& diagnostic) {
    unprocessed.clear();
    boost::json::object o;
    if (!parse_body(body, o, diagnostic)) return error::malformed_response;
    auto* u = o.if_contains("UnprocessedItems");
    if (!u || u->is_null()) return {};
    auto fail = [&](std::string why) {
        unprocessed.clear();
        diagnostic = "the BatchWriteItem response's UnprocessedItems " + why;
        return error::malformed_response;
    };
    if (!u->is_object()) return fail("is not an object");
    for (auto& [name, requests] : u->get_object()) {
        // Only `table` was written to: anything else is a server answering another request.
        if (name != table) return fail("names a table not written to");
        if (!requests.is_array()) return fail("of the table is not an array");
        for (auto& r : requests.get_array()) {
            auto* put = r.is_object() ? r.get_object().if_contains("PutRequest") : nullptr;
            auto* item = put && put->is_object() ? put->get_object().if_contains("Item") : nullptr;
            if (!item || !item->is_object()) return fail("holds something other than a PutRequest with an Item");
            unprocessed.push_back(item->get_object());
        }
    }
    return {};
}

PWS_DECL std::string delete_item_body(std::string_view table, std::string_view id) {
    boost::json::object body;
    body["TableName"] = table;
    body["Key"] = {{"AppId", {{"S", id}}}};
    body["ConditionExpression"] = "attribute_exists(AppId)";
    return boost::json::serialize(body);
}

PWS_DECL std::string key_holders_body(std::string_view table, std::string_view index, std::string_view key) {
    boost::json::object body;
    body["TableName"] = table;
    body["IndexName"] = index;
    body["KeyConditionExpression"] = "AppKey = :app_key";
    body["ExpressionAttributeValues"] = {{":app_key", {{"S", key}}}};
    body["ProjectionExpression"] = "AppId";
    body["Limit"] = 2;
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code parse_key_holders(std::string_view body, std::vector<std::string>& ids,
                                                     std::string& diagnostic) {
    boost::json::object o;
    if (!parse_body(body, o, diagnostic)) return error::malformed_response;
    auto* items = arr(o, "Items");
    if (!items) {
        diagnostic = "the Query response has no Items array";
        return error::malformed_response;
    }
    ids.clear();
    for (auto& item : *items) {
        auto* id = item.is_object() ? item.get_object().if_contains("AppId") : nullptr;
        auto s = id && id->is_object() ? str(id->get_object(), "S") : std::string_view{};
        if (s.empty()) {
            diagnostic = "an item on the key index has no string AppId";
            return error::malformed_response;
        }
        ids.emplace_back(s);
    }
    return {};
}

PWS_DECL std::string create_table_body(std::string_view table, std::string_view index,
                                       const table_billing& billing) {
    boost::json::object body;
    body["TableName"] = table;
    body["AttributeDefinitions"] = {{{"AttributeName", "AppId"}, {"AttributeType", "S"}},
                                    {{"AttributeName", "AppKey"}, {"AttributeType", "S"}}};
    body["KeySchema"] = {{{"AttributeName", "AppId"}, {"KeyType", "HASH"}}};
    boost::json::object gsi;
    gsi["IndexName"] = index;
    gsi["KeySchema"] = {{{"AttributeName", "AppKey"}, {"KeyType", "HASH"}}};
    gsi["Projection"] = {{"ProjectionType", "ALL"}};
    if (billing.on_demand) {
        body["BillingMode"] = "PAY_PER_REQUEST";
    } else {
        boost::json::object units{{"ReadCapacityUnits", billing.read_capacity_units},
                                  {"WriteCapacityUnits", billing.write_capacity_units}};
        body["BillingMode"] = "PROVISIONED";
        body["ProvisionedThroughput"] = units;
        gsi["ProvisionedThroughput"] = units;
    }
    body["GlobalSecondaryIndexes"] = {std::move(gsi)};
    return boost::json::serialize(body);
}

PWS_DECL std::string describe_table_body(std::string_view table) {
    boost::json::object body;
    body["TableName"] = table;
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code parse_table_description(std::string_view body, boost::json::object& table,
                                                           std::string& diagnostic) {
    boost::json::object o;
    if (!parse_body(body, o, diagnostic)) return error::malformed_response;
    for (std::string_view member : {"Table", "TableDescription"})
        if (auto* t = o.if_contains(member); t && t->is_object()) {
            table = std::move(t->get_object());
            return {};
        }
    diagnostic = "the response holds no table description";
    return error::malformed_response;
}

PWS_DECL std::vector<schema_problem> check_table_schema(const boost::json::object& table, std::string_view index) {
    std::vector<schema_problem> out;
    if (auto status = str(table, "TableStatus"); status != "ACTIVE")
        out.push_back({schema_issue::table_not_active,
                       "table is " + quoted_or(status, "of unknown status") + ", not ACTIVE"});
    check_keys(table, table, "table", "AppId", schema_issue::wrong_hash_key, out);

    const boost::json::object* gsi = nullptr;
    std::vector<std::string_view> on_app_key;  // other GSIs keyed on AppKey, to hint at a rename
    if (auto* gsis = arr(table, "GlobalSecondaryIndexes"))
        for (auto& v : *gsis) {
            auto* g = v.if_object();
            if (!g) continue;
            if (str(*g, "IndexName") == index) gsi = g;
            else if (auto ks = key_schema(*g); !ks.empty() && ks.front().name == "AppKey")
                on_app_key.push_back(str(*g, "IndexName"));
        }
    if (!gsi) {
        std::string m = "no global secondary index " + std::string(index) + " (on AppKey, projection ALL)";
        if (auto* lsis = arr(table, "LocalSecondaryIndexes"))
            for (auto& v : *lsis)
                if (auto* l = v.if_object(); l && str(*l, "IndexName") == index)
                    m += "; " + std::string(index) + " is a local secondary index, which cannot be keyed on AppKey";
        for (auto name : on_app_key)
            m += "; index " + std::string(name) + " is on AppKey but lookups query " + std::string(index);
        out.push_back({schema_issue::missing_index, std::move(m)});
        return out;
    }

    const std::string owner = "index " + std::string(index);
    check_keys(table, *gsi, owner, "AppKey", schema_issue::wrong_index_key, out);
    std::string_view projection;
    if (auto* p = gsi->if_contains("Projection"); p && p->is_object()) projection = str(p->get_object(), "ProjectionType");
    if (projection != "ALL")
        out.push_back({schema_issue::wrong_projection,
                       owner + " projects " + quoted_or(projection, "nothing known") +
                           "; lookups by key read whole items from it, so it must project ALL"});
    if (auto status = str(*gsi, "IndexStatus"); status != "ACTIVE")
        out.push_back({schema_issue::index_not_active, owner + " is " + quoted_or(status, "of unknown status") +
                                                           ", not ACTIVE"});
    else if (auto* b = gsi->if_contains("Backfilling"); b && b->is_bool() && b->get_bool())
        out.push_back({schema_issue::index_not_active, owner + " is still backfilling"});
    return out;
}

}  // namespace pws::dynamodb
