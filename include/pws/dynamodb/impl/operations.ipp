#pragma once

#include <pws/dynamodb/operations.hpp>

#include <pws/detail/json.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/detail/answer_scan.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <utility>

namespace pws::dynamodb {

namespace operations_impl {

inline bool valid_utf8(std::string_view s) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    auto end = p + s.size();
    while (p < end) {
        unsigned c = *p;
        int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (n < 0 || end - p <= n) return false;
        unsigned cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        // Reject overlong forms, surrogates and code points past U+10FFFF.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        p += n + 1;
    }
    return true;
}

// The JSON of one lookup, its request body or its answer, lives in this arena on the caller's
// stack: an item of a few kB with its envelope fits (nothing is allocated for it); a larger one
// goes on in blocks from the heap, freed with the arena. Nothing built from the JSON (the App,
// the diagnostic) refers to it.
struct json_arena {
    alignas(std::max_align_t) unsigned char bytes[8192];
    boost::json::monotonic_resource resource{bytes, sizeof bytes};
    boost::json::storage_ptr storage() noexcept { return boost::json::storage_ptr(&resource); }
};

// `v` as JSON text in `out`, replacing what it held: into its capacity (a recycled buffer costs
// no allocation), as boost::json::serialize does it into a new string.
inline void serialize_into(const boost::json::object& v, std::string& out) {
    boost::json::serializer sr;
    sr.reset(&v);
    out.clear();
    char chunk[512];
    while (!sr.done()) {
        const auto sv = sr.read(chunk, sizeof chunk);
        out.append(sv.data(), sv.size());
    }
}

// The one item of a lookup's answer, checked to be the app asked for (its `check_attr` is
// `expected`) before it is decoded.
inline find_result decode_item(const boost::json::value& v, std::string_view check_attr, std::string_view expected,
                               const AppDefaults& defaults) {
    if (!v.is_object()) return find_result::failure(error::malformed_response, "the item is not a JSON object");
    const auto& item = v.get_object();
    if (detail::s_attribute(item, check_attr) != expected)
        return find_result::failure(error::malformed_response, "the server returned an item whose " +
                                                                   std::string(check_attr) +
                                                                   " is not the one asked for");
    auto app = std::make_shared<App>();
    std::string diag;
    if (auto ec = decode_app(item, *app, diag, defaults)) return find_result::failure(ec, std::move(diag));
    return find_result::of(std::move(app));
}

// The `Table` or `TableDescription` object of a DescribeTable or CreateTable answer.
inline boost::system::error_code table_description(std::string_view body, boost::json::object& table,
                                                   std::string& diagnostic) {
    boost::json::object o;
    if (!detail::parse_json_object(body, o, diagnostic)) return error::malformed_response;
    for (std::string_view member : {"Table", "TableDescription"})
        if (auto* t = o.if_contains(member); t && t->is_object()) {
            table = std::move(t->get_object());
            return {};
        }
    diagnostic = "the response holds no table description";
    return error::malformed_response;
}

}  // namespace operations_impl
}  // namespace pws::dynamodb

namespace pws::detail {

PWS_DECL find_result parse_answer_general(std::string_view body, answer_shape shape, std::string_view expected,
                                          const AppDefaults& defaults) {
    dynamodb::operations_impl::json_arena arena;
    boost::json::object o(arena.storage());
    std::string diag;
    if (!parse_json_object(body, o, diag))
        return find_result::failure(error::malformed_response, std::move(diag));
    if (shape == answer_shape::get_item) {
        const auto* item = o.if_contains("Item");
        if (!item) return find_result::none();
        return dynamodb::operations_impl::decode_item(*item, "AppId", expected, defaults);
    }
    const auto* items = json_array(o, "Items");
    if (!items) return find_result::failure(error::malformed_response, "the Query response has no Items array");
    if (items->empty()) return find_result::none();
    if (items->size() > 1)
        return find_result::failure(error::ambiguous_key, "more than one app in the table has this key");
    return dynamodb::operations_impl::decode_item(items->front(), "AppKey", expected, defaults);
}

}  // namespace pws::detail

namespace pws::dynamodb {
namespace operations_impl {

// A lookup's answer: the usual shape in one pass (detail/answer_scan.hpp), anything else, errors
// included, through Boost.JSON and decode_app.
inline find_result parse_answer(std::string_view body, detail::answer_shape shape, std::string_view expected,
                                const AppDefaults& defaults) {
    App app;
    if (detail::scan_answer(body, shape, expected, defaults, app))
        return find_result::of(std::make_shared<const App>(std::move(app)));
    return detail::parse_answer_general(body, shape, expected, defaults);
}

}  // namespace operations_impl

PWS_DECL boost::system::error_code validate_key_value(std::string_view what, std::string_view value,
                                                      std::string& diagnostic) {
    if (value.empty()) {
        diagnostic = std::string(what) + " is empty";
        return error::invalid_argument;
    }
    if (value.size() > max_key_bytes) {
        diagnostic = std::string(what) + " is " + std::to_string(value.size()) +
                     " bytes long; DynamoDB keys hold at most 2048";
        return error::invalid_argument;
    }
    if (!operations_impl::valid_utf8(value)) {
        diagnostic = std::string(what) + " is not valid UTF-8";
        return error::invalid_argument;
    }
    return {};
}

// GetItem

PWS_DECL void get_item::write_body(std::string& out) const {
    operations_impl::json_arena arena;
    boost::json::object body(arena.storage());
    body["TableName"] = table;
    body["Key"] = {{"AppId", {{"S", id}}}};
    operations_impl::serialize_into(body, out);
}

PWS_DECL std::string get_item::body() const {
    std::string out;
    write_body(out);
    return out;
}

PWS_DECL find_result get_item::parse(std::string_view body, const AppDefaults& defaults) const {
    return operations_impl::parse_answer(body, detail::answer_shape::get_item, id, defaults);
}

// Query by key

PWS_DECL std::string query_by_key::body() const {
    std::string out;
    write_body(out);
    return out;
}

PWS_DECL void query_by_key::write_body(std::string& out) const {
    operations_impl::json_arena arena;
    boost::json::object body(arena.storage());
    body["TableName"] = table;
    body["IndexName"] = index;
    body["KeyConditionExpression"] = "AppKey = :app_key";
    body["ExpressionAttributeValues"] = {{":app_key", {{"S", key}}}};
    body["Limit"] = 2;
    operations_impl::serialize_into(body, out);
}

PWS_DECL find_result query_by_key::parse(std::string_view body, const AppDefaults& defaults) const {
    return operations_impl::parse_answer(body, detail::answer_shape::query, key, defaults);
}

// Who holds a key

PWS_DECL std::string key_holders::body() const {
    boost::json::object body;
    body["TableName"] = table;
    body["IndexName"] = index;
    body["KeyConditionExpression"] = "AppKey = :app_key";
    body["ExpressionAttributeValues"] = {{":app_key", {{"S", key}}}};
    body["ProjectionExpression"] = "AppId";
    body["Limit"] = 2;
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code key_holders::parse(std::string_view body, std::vector<std::string>& ids,
                                                      std::string& diagnostic) {
    boost::json::object o;
    if (!detail::parse_json_object(body, o, diagnostic)) return error::malformed_response;
    auto* items = detail::json_array(o, "Items");
    if (!items) {
        diagnostic = "the Query response has no Items array";
        return error::malformed_response;
    }
    ids.clear();
    for (auto& item : *items) {
        auto id = item.is_object() ? detail::s_attribute(item.get_object(), "AppId") : std::string_view{};
        if (id.empty()) {
            diagnostic = "an item on the key index has no string AppId";
            return error::malformed_response;
        }
        ids.emplace_back(id);
    }
    return {};
}

// PutItem

PWS_DECL std::string put_item::body() const {
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

PWS_DECL boost::system::error_code put_item::parse(std::string_view body, bool& replaced, std::string& diagnostic) {
    boost::json::object o;
    if (!detail::parse_json_object(body, o, diagnostic)) return error::malformed_response;
    auto* old = detail::json_object(o, "Attributes");
    replaced = old && !old->empty();
    return {};
}

// BatchWriteItem

PWS_DECL std::string batch_write::body() const {
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

PWS_DECL boost::system::error_code batch_write::parse(std::string_view body,
                                                      std::vector<boost::json::object>& unprocessed,
                                                      std::string& diagnostic) const {
    unprocessed.clear();
    boost::json::object o;
    if (!detail::parse_json_object(body, o, diagnostic)) return error::malformed_response;
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
            auto* put = r.is_object() ? detail::json_object(r.get_object(), "PutRequest") : nullptr;
            auto* item = put ? detail::json_object(*put, "Item") : nullptr;
            if (!item) return fail("holds something other than a PutRequest with an Item");
            unprocessed.push_back(*item);
        }
    }
    return {};
}

// DeleteItem

PWS_DECL std::string delete_item::body() const {
    boost::json::object body;
    body["TableName"] = table;
    body["Key"] = {{"AppId", {{"S", id}}}};
    body["ConditionExpression"] = "attribute_exists(AppId)";
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code delete_item::parse(std::string_view body, std::string& diagnostic) {
    boost::json::object o;
    if (!detail::parse_json_object(body, o, diagnostic)) return error::malformed_response;
    return {};
}

// CreateTable, DescribeTable

PWS_DECL std::string create_table::body() const {
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

PWS_DECL boost::system::error_code create_table::parse(std::string_view body, boost::json::object& description,
                                                       std::string& diagnostic) {
    return operations_impl::table_description(body, description, diagnostic);
}

PWS_DECL std::string describe_table::body() const {
    boost::json::object body;
    body["TableName"] = table;
    return boost::json::serialize(body);
}

PWS_DECL boost::system::error_code describe_table::parse(std::string_view body, boost::json::object& description,
                                                         std::string& diagnostic) {
    return operations_impl::table_description(body, description, diagnostic);
}

}  // namespace pws::dynamodb
