// The write and table operations on soketi's apps table, sans-io: request bodies for PutItem,
// BatchWriteItem, DeleteItem, CreateTable and DescribeTable, and the interpretation of their
// responses, including a checker that says what is wrong with a table's schema. Pure functions
// over strings and Boost.JSON values; send the bodies with dynamodb::client::call (same signer,
// same transport, same retries as the lookups). Scan pages are in detail/scan.hpp, shared with
// the cache.
//
//   auto r = co_await client.call("PutItem", put_item_body(table, encode_app(app), put_mode::create));
//   if (r.ec == dynamodb_errc::conditional_check_failed) { /* the id is taken */ }
#pragma once

#include <pws/detail/config.hpp>
#include <pws/error.hpp>

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pws::dynamodb {

/// What a PutItem does when an item with the same AppId exists.
enum class put_mode {
    create,  ///< refuse: ConditionExpression attribute_not_exists(AppId), checked atomically by DynamoDB
    replace, ///< replace the whole item (attributes not in the new item are gone)
};

/// The PutItem body writing `item` (DynamoDB JSON, e.g. from encode_app) into `table`. In
/// put_mode::create a taken id fails with dynamodb_errc::conditional_check_failed; in
/// put_mode::replace the old item is returned (ReturnValues ALL_OLD) so parse_put_item can tell
/// a replacement from a creation.
PWS_DECL std::string put_item_body(std::string_view table, const boost::json::object& item, put_mode mode);

/// Interprets a PutItem success body: `replaced` is true when an item was overwritten (only
/// known in put_mode::replace). Returns error::malformed_response if the body is not an object.
PWS_DECL boost::system::error_code parse_put_item(std::string_view body, bool& replaced, std::string& diagnostic);

/// Most items one BatchWriteItem may carry (DynamoDB refuses more).
inline constexpr std::size_t max_batch_write_items = 25;

/// The BatchWriteItem body putting `items` (DynamoDB JSON, e.g. from encode_app) into `table`,
/// one PutRequest each, in order. Preconditions: 1 to max_batch_write_items items, with distinct
/// AppIds (DynamoDB refuses a batch naming one key twice). A put in a batch has no condition:
/// an existing item with the same AppId is replaced.
PWS_DECL std::string batch_write_body(std::string_view table, std::span<const boost::json::object> items);

/// Interprets a BatchWriteItem success body: `unprocessed` receives the items of
/// UnprocessedItems[table] (each PutRequest's Item), empty when everything was written; send
/// them again, after a backoff. Returns error::malformed_response if the body is not an object,
/// or UnprocessedItems is present but not an object, names another table, or holds anything but
/// PutRequests with an Item object.
PWS_DECL boost::system::error_code parse_batch_write(std::string_view body, std::string_view table,
                                                     std::vector<boost::json::object>& unprocessed,
                                                     std::string& diagnostic);

/// The DeleteItem body for the app `id`, conditioned on attribute_exists(AppId): deleting an app
/// that does not exist fails with dynamodb_errc::conditional_check_failed instead of succeeding
/// silently.
PWS_DECL std::string delete_item_body(std::string_view table, std::string_view id);

/// The Query body listing which apps hold `key` on the key index: only AppId is projected (no
/// secret crosses the wire), Limit 2 so that another holder shows up beside the app itself.
PWS_DECL std::string key_holders_body(std::string_view table, std::string_view index, std::string_view key);

/// Interprets a key_holders_body response: the AppIds found, in the order returned.
PWS_DECL boost::system::error_code parse_key_holders(std::string_view body, std::vector<std::string>& ids,
                                                     std::string& diagnostic);

/// How a new table is billed. Provisioned units apply to the table and to its index alike.
struct table_billing {
    bool on_demand = true;               ///< PAY_PER_REQUEST; false = PROVISIONED with the units below
    std::int64_t read_capacity_units = 0;  ///< RCU, provisioned only (>= 1)
    std::int64_t write_capacity_units = 0; ///< WCU, provisioned only (>= 1)
};

/// The CreateTable body for soketi's schema, exactly as the seed creates it: hash key AppId (S),
/// global secondary index `index` on AppKey (S) projecting ALL.
PWS_DECL std::string create_table_body(std::string_view table, std::string_view index,
                                       const table_billing& billing);

/// The DescribeTable body for `table`.
PWS_DECL std::string describe_table_body(std::string_view table);

/// Extracts the `Table` object of a DescribeTable (or CreateTable: `TableDescription`) response.
/// Returns error::malformed_response when the body holds neither.
PWS_DECL boost::system::error_code parse_table_description(std::string_view body, boost::json::object& table,
                                                           std::string& diagnostic);

/// One way a table differs from what the library reads.
enum class schema_issue {
    table_not_active,     ///< TableStatus is not ACTIVE (CREATING, UPDATING, DELETING, ...)
    wrong_hash_key,       ///< the hash key is not AppId
    unexpected_range_key, ///< the table or the index has a range (sort) key
    wrong_key_type,       ///< AppId or AppKey is not a string (S) attribute
    missing_index,        ///< no global secondary index of the expected name
    wrong_index_key,      ///< the index's hash key is not AppKey
    wrong_projection,     ///< the index does not project ALL attributes
    index_not_active,     ///< the index's IndexStatus is not ACTIVE (or it is still backfilling)
};

/// A problem found by check_table_schema: what, and a sentence saying it precisely.
struct schema_problem {
    schema_issue issue;  ///< the kind of problem
    std::string message; ///< e.g. "index AppKeyIndex projects KEYS_ONLY; lookups by key need ALL"
};

/// Compares a DescribeTable `Table` object with the schema the lookups need (hash key AppId S,
/// global secondary index `index` on AppKey S, projection ALL, everything ACTIVE). Returns every
/// problem found, empty when the table is usable. Tolerates missing members (they are problems,
/// not crashes).
PWS_DECL std::vector<schema_problem> check_table_schema(const boost::json::object& table, std::string_view index);

}  // namespace pws::dynamodb

#ifdef PWS_HEADER_ONLY
#include <pws/impl/operations.ipp>
#endif
