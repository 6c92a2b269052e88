// The DynamoDB operations on soketi's apps table, sans-io: one type per operation, holding what
// the request needs, building its body and interpreting its success body. Pure code over strings
// and Boost.JSON values; send the bodies with dynamodb::client::call (same signer, same transport,
// same retries for every operation). Error responses are the client's business, not these types'.
//
//   dynamodb::get_item op{table, id};
//   auto r = co_await client.call(op.operation_name, op.body());
//   find_result app = r.ec ? find_result::failure(r.ec, r.diagnostic) : op.parse(r.body, defaults);
//
//   dynamodb::put_item put{table, encode_app(app), dynamodb::put_mode::create};
//   auto w = co_await client.call(put.operation_name, put.body());
//   if (w.ec == dynamodb_errc::conditional_check_failed) { /* the id is taken */ }
//
// The lookups: get_item (by id), query_by_key (by key); the Scan: dynamodb/scan.hpp; the writes:
// put_item, batch_write, delete_item, and key_holders (who holds a key, before a write); the
// table: create_table, describe_table, and check_table_schema (dynamodb/table_schema.hpp).
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/dynamodb/scan.hpp>
#include <pws/dynamodb/table_schema.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pws::dynamodb {

/// Largest partition-key value DynamoDB accepts, in bytes.
inline constexpr std::size_t max_key_bytes = 2048;

/// Checks an id or key before any request: not empty, at most max_key_bytes, valid UTF-8.
/// `what` names it in the diagnostic ("app id", "app key"). Returns error::invalid_argument.
PWS_DECL boost::system::error_code validate_key_value(std::string_view what, std::string_view value,
                                                      std::string& diagnostic);

/// GetItem: the app of one id.
struct get_item {
    static constexpr std::string_view operation_name = "GetItem"; ///< the X-Amz-Target operation

    std::string_view table; ///< the apps table
    std::string_view id;    ///< the app id (check it first with validate_key_value)

    /// {"TableName": table, "Key": {"AppId": {"S": id}}}.
    PWS_DECL std::string body() const;
    /// The same, written into `out` (replacing what it held, its capacity kept).
    PWS_DECL void write_body(std::string& out) const;

    /// Interprets a success body: no `Item` = not found; an item whose AppId is not `id` is an
    /// error (a server must never make us return another app). Limits the item leaves out take
    /// `defaults`, as in decode_app.
    PWS_DECL find_result parse(std::string_view body, const AppDefaults& defaults = {}) const;
};

/// Query on the key index: the app of one key.
struct query_by_key {
    static constexpr std::string_view operation_name = "Query"; ///< the X-Amz-Target operation

    std::string_view table; ///< the apps table
    std::string_view index; ///< the global secondary index on AppKey
    std::string_view key;   ///< the app key (check it first with validate_key_value)

    /// The Query body, with the key passed as an expression attribute value (never spliced into
    /// the expression) and Limit 2 so that a duplicated key is seen.
    PWS_DECL std::string body() const;
    /// The same, written into `out` (replacing what it held, its capacity kept).
    PWS_DECL void write_body(std::string& out) const;

    /// Interprets a success body: no items = not found; more than one = error::ambiguous_key; an
    /// item whose AppKey is not `key` is an error. Limits left out take `defaults`.
    PWS_DECL find_result parse(std::string_view body, const AppDefaults& defaults = {}) const;
};

/// Query on the key index for which apps hold a key: only AppId is projected (no secret crosses
/// the wire), Limit 2 so that another holder shows up beside the app itself.
struct key_holders {
    static constexpr std::string_view operation_name = "Query"; ///< the X-Amz-Target operation

    std::string_view table; ///< the apps table
    std::string_view index; ///< the global secondary index on AppKey
    std::string_view key;   ///< the app key

    /// The Query body.
    PWS_DECL std::string body() const;

    /// The AppIds found, in the order returned, into `ids`. Returns error::malformed_response
    /// when the body has no Items array or an item has no string AppId.
    PWS_DECL static boost::system::error_code parse(std::string_view body, std::vector<std::string>& ids,
                                                    std::string& diagnostic);
};

/// What a PutItem does when an item with the same AppId exists.
enum class put_mode {
    create,  ///< refuse: ConditionExpression attribute_not_exists(AppId), checked atomically by DynamoDB
    replace, ///< replace the whole item (attributes not in the new item are gone)
};

/// PutItem: writes one app's item. In put_mode::create a taken id fails with
/// dynamodb_errc::conditional_check_failed; in put_mode::replace the old item is returned
/// (ReturnValues ALL_OLD) so that parse can tell a replacement from a creation.
struct put_item {
    static constexpr std::string_view operation_name = "PutItem"; ///< the X-Amz-Target operation

    std::string_view table;           ///< the apps table
    const boost::json::object& item;  ///< the item in DynamoDB JSON, e.g. from encode_app
    put_mode mode = put_mode::create; ///< refuse or replace an existing item

    /// The PutItem body.
    PWS_DECL std::string body() const;

    /// Interprets a success body: `replaced` is true when an item was overwritten (only known in
    /// put_mode::replace). Returns error::malformed_response if the body is not an object.
    PWS_DECL static boost::system::error_code parse(std::string_view body, bool& replaced, std::string& diagnostic);
};

/// BatchWriteItem: puts up to max_items items at once, one PutRequest each, in order. A put in
/// a batch has no condition: an existing item with the same AppId is replaced.
struct batch_write {
    static constexpr std::string_view operation_name = "BatchWriteItem"; ///< the X-Amz-Target operation

    /// Most items one BatchWriteItem may carry (DynamoDB refuses more).
    static constexpr std::size_t max_items = 25;

    std::string_view table;                     ///< the apps table
    std::span<const boost::json::object> items; ///< 1 to max_items items (DynamoDB JSON) with distinct AppIds

    /// The BatchWriteItem body.
    PWS_DECL std::string body() const;

    /// Interprets a success body: `unprocessed` receives the items of UnprocessedItems[table]
    /// (each PutRequest's Item), empty when everything was written; send them again, after a
    /// backoff. Returns error::malformed_response if the body is not an object, or
    /// UnprocessedItems is present but not an object, names another table, or holds anything
    /// but PutRequests with an Item object.
    PWS_DECL boost::system::error_code parse(std::string_view body, std::vector<boost::json::object>& unprocessed,
                                             std::string& diagnostic) const;
};

/// DeleteItem of the app `id`, conditioned on attribute_exists(AppId): deleting an app that does
/// not exist fails with dynamodb_errc::conditional_check_failed instead of succeeding silently.
struct delete_item {
    static constexpr std::string_view operation_name = "DeleteItem"; ///< the X-Amz-Target operation

    std::string_view table; ///< the apps table
    std::string_view id;    ///< the app id

    /// The DeleteItem body.
    PWS_DECL std::string body() const;

    /// Checks a success body: DynamoDB answers an object (`{}`: nothing is asked back). Returns
    /// error::malformed_response when it is not one.
    PWS_DECL static boost::system::error_code parse(std::string_view body, std::string& diagnostic);
};

/// How a new table is billed. Provisioned units apply to the table and to its index alike.
struct table_billing {
    bool on_demand = true;               ///< PAY_PER_REQUEST; false = PROVISIONED with the units below
    std::int64_t read_capacity_units = 0;  ///< RCU, provisioned only (>= 1)
    std::int64_t write_capacity_units = 0; ///< WCU, provisioned only (>= 1)
};

/// CreateTable in soketi's schema, exactly as its seed creates it: hash key AppId (S), global
/// secondary index `index` on AppKey (S) projecting ALL.
struct create_table {
    static constexpr std::string_view operation_name = "CreateTable"; ///< the X-Amz-Target operation

    std::string_view table;  ///< the table to create
    std::string_view index;  ///< the key index's name
    table_billing billing{}; ///< on demand unless set

    /// The CreateTable body.
    PWS_DECL std::string body() const;

    /// The `TableDescription` (or `Table`) object of the response, into `description`. Returns
    /// error::malformed_response when the body holds neither.
    PWS_DECL static boost::system::error_code parse(std::string_view body, boost::json::object& description,
                                                    std::string& diagnostic);
};

/// DescribeTable: the table's schema and status, for check_table_schema.
struct describe_table {
    static constexpr std::string_view operation_name = "DescribeTable"; ///< the X-Amz-Target operation

    std::string_view table; ///< the table

    /// {"TableName": table}.
    PWS_DECL std::string body() const;

    /// The `Table` (or `TableDescription`) object of the response, into `description`. Returns
    /// error::malformed_response when the body holds neither.
    PWS_DECL static boost::system::error_code parse(std::string_view body, boost::json::object& description,
                                                    std::string& diagnostic);
};

// The free functions of earlier versions, each the operation type it names above.

/// Most items one BatchWriteItem may carry: batch_write::max_items.
inline constexpr std::size_t max_batch_write_items = batch_write::max_items;

[[deprecated("use put_item{table, item, mode}.body()")]]
inline std::string put_item_body(std::string_view table, const boost::json::object& item, put_mode mode) {
    return put_item{table, item, mode}.body();
}
[[deprecated("use put_item::parse")]]
inline boost::system::error_code parse_put_item(std::string_view body, bool& replaced, std::string& diagnostic) {
    return put_item::parse(body, replaced, diagnostic);
}
[[deprecated("use batch_write{table, items}.body()")]]
inline std::string batch_write_body(std::string_view table, std::span<const boost::json::object> items) {
    return batch_write{table, items}.body();
}
[[deprecated("use batch_write{table, items}.parse(body, unprocessed, diagnostic)")]]
inline boost::system::error_code parse_batch_write(std::string_view body, std::string_view table,
                                                   std::vector<boost::json::object>& unprocessed,
                                                   std::string& diagnostic) {
    return batch_write{table, {}}.parse(body, unprocessed, diagnostic);
}
[[deprecated("use delete_item{table, id}.body()")]]
inline std::string delete_item_body(std::string_view table, std::string_view id) {
    return delete_item{table, id}.body();
}
[[deprecated("use key_holders{table, index, key}.body()")]]
inline std::string key_holders_body(std::string_view table, std::string_view index, std::string_view key) {
    return key_holders{table, index, key}.body();
}
[[deprecated("use key_holders::parse")]]
inline boost::system::error_code parse_key_holders(std::string_view body, std::vector<std::string>& ids,
                                                   std::string& diagnostic) {
    return key_holders::parse(body, ids, diagnostic);
}
[[deprecated("use create_table{table, index, billing}.body()")]]
inline std::string create_table_body(std::string_view table, std::string_view index, const table_billing& billing) {
    return create_table{table, index, billing}.body();
}
[[deprecated("use describe_table{table}.body()")]]
inline std::string describe_table_body(std::string_view table) { return describe_table{table}.body(); }
[[deprecated("use describe_table::parse")]]
inline boost::system::error_code parse_table_description(std::string_view body, boost::json::object& table,
                                                         std::string& diagnostic) {
    return describe_table::parse(body, table, diagnostic);
}

}  // namespace pws::dynamodb

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/operations.ipp>
#endif
