// What is wrong, if anything, with a table's schema for this library: a checker over the `Table`
// object of a DescribeTable response (dynamodb::describe_table), as `pws-apps table check` and
// tools that create or audit the table use it. Pure code over a Boost.JSON object.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pws::dynamodb {

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
#include <pws/dynamodb/impl/table_schema.ipp>
#endif
