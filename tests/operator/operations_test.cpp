// Sans-io tests of dynamodb/operations.hpp: the request bodies pws-apps sends (Scan's are the
// cache's, tested there) and the parsing of what comes back (BatchWriteItem's unprocessed items
// too), above all the schema checker on DescribeTable samples (real dynalite answers and
// hand-made variants of every problem it names). No server.
#define BOOST_TEST_MODULE pws_operator_tests
#include <pws/dynamodb/operations.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace json = boost::json;
namespace ddb = pws::dynamodb;
using ddb::schema_issue;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

// DescribeTable as dynalite answers it for the seed's table (trimmed of ARNs and counters).
const char* good_table = R"({"AttributeDefinitions":[{"AttributeName":"AppId","AttributeType":"S"},
  {"AttributeName":"AppKey","AttributeType":"S"}],"TableName":"apps",
  "KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"}],
  "GlobalSecondaryIndexes":[{"IndexName":"AppKeyIndex","KeySchema":[{"AttributeName":"AppKey","KeyType":"HASH"}],
  "Projection":{"ProjectionType":"ALL"},"IndexStatus":"ACTIVE"}],"TableStatus":"ACTIVE",
  "BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}})";

// ...and for seed.mjs --wrong-schema.
const char* wrong_table = R"({"AttributeDefinitions":[{"AttributeName":"Id","AttributeType":"S"}],
  "TableName":"wrong","KeySchema":[{"AttributeName":"Id","KeyType":"HASH"}],"TableStatus":"ACTIVE"})";

// The good table with `from` replaced by `to` in its JSON text.
json::object variant(std::string_view from, std::string_view to) {
    std::string text = good_table;
    auto pos = text.find(from);
    BOOST_TEST_REQUIRE(pos != std::string::npos, "sample lacks " << from);
    text.replace(pos, from.size(), to);
    return obj(text);
}

std::vector<schema_issue> issues(const std::vector<ddb::schema_problem>& ps) {
    std::vector<schema_issue> out;
    for (auto& p : ps) out.push_back(p.issue);
    return out;
}

std::string messages(const std::vector<ddb::schema_problem>& ps) {
    std::string out;
    for (auto& p : ps) out += p.message + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(requests)

BOOST_AUTO_TEST_CASE(put_create_is_conditioned_on_the_id) {
    auto item = obj(R"({"AppId":{"S":"a"},"AppKey":{"S":"k"}})");
    auto b = obj(ddb::put_item{"apps", item, ddb::put_mode::create}.body());
    BOOST_TEST(b.at("TableName") == "apps");
    BOOST_TEST(b.at("Item") == item);
    BOOST_TEST(b.at("ConditionExpression") == "attribute_not_exists(AppId)");
    BOOST_TEST(!b.contains("ReturnValues"));
}

BOOST_AUTO_TEST_CASE(put_replace_has_no_condition_and_returns_the_old_item) {
    auto b = obj(ddb::put_item{"apps", obj(R"({"AppId":{"S":"a"}})"), ddb::put_mode::replace}.body());
    BOOST_TEST(!b.contains("ConditionExpression"));
    BOOST_TEST(b.at("ReturnValues") == "ALL_OLD");
}

BOOST_AUTO_TEST_CASE(put_item_parse_tells_replacement_from_creation) {
    bool replaced = true;
    std::string diag;
    BOOST_TEST(!ddb::put_item::parse("{}", replaced, diag));
    BOOST_TEST(!replaced);
    BOOST_TEST(!ddb::put_item::parse(R"({"Attributes":{"AppId":{"S":"a"}}})", replaced, diag));
    BOOST_TEST(replaced);
    BOOST_TEST(ddb::put_item::parse("not json", replaced, diag) == pws::error::malformed_response);
}

BOOST_AUTO_TEST_CASE(delete_is_conditioned_on_existence) {
    auto b = obj(ddb::delete_item{"apps", "a\"b"}.body());
    BOOST_TEST(b.at("Key") == obj(R"({"AppId":{"S":"a\"b"}})"));
    BOOST_TEST(b.at("ConditionExpression") == "attribute_exists(AppId)");
}

BOOST_AUTO_TEST_CASE(key_holders_query_passes_the_key_as_a_value_and_projects_only_the_id) {
    const std::string key = "k) OR (AppKey = :x";  // would change the expression if spliced in
    auto b = obj(ddb::key_holders{"apps", "AppKeyIndex", key}.body());
    BOOST_TEST(b.at("IndexName") == "AppKeyIndex");
    BOOST_TEST(b.at("KeyConditionExpression") == "AppKey = :app_key");
    BOOST_TEST(b.at("ExpressionAttributeValues").at(":app_key") == json::value({{"S", key}}));
    BOOST_TEST(b.at("ProjectionExpression") == "AppId");
    BOOST_TEST(b.at("Limit") == 2);
}

BOOST_AUTO_TEST_CASE(key_holders_parse_lists_ids_and_refuses_odd_bodies) {
    std::vector<std::string> ids;
    std::string diag;
    BOOST_TEST(!ddb::key_holders::parse(R"({"Items":[{"AppId":{"S":"a"}},{"AppId":{"S":"b"}}],"Count":2})", ids, diag));
    BOOST_TEST((ids == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(!ddb::key_holders::parse(R"({"Items":[]})", ids, diag));
    BOOST_TEST(ids.empty());
    BOOST_TEST(ddb::key_holders::parse(R"({"Count":0})", ids, diag) == pws::error::malformed_response);
    BOOST_TEST(ddb::key_holders::parse(R"({"Items":[{"AppId":{"N":"1"}}]})", ids, diag) ==
               pws::error::malformed_response);
}

BOOST_AUTO_TEST_CASE(create_table_on_demand_is_the_seed_schema) {
    // seed.mjs's schemaFor(table, false), as DynamoDB JSON.
    auto want = obj(R"({"TableName":"apps",
      "AttributeDefinitions":[{"AttributeName":"AppId","AttributeType":"S"},{"AttributeName":"AppKey","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"}],
      "GlobalSecondaryIndexes":[{"IndexName":"AppKeyIndex","KeySchema":[{"AttributeName":"AppKey","KeyType":"HASH"}],
        "Projection":{"ProjectionType":"ALL"}}],
      "BillingMode":"PAY_PER_REQUEST"})");
    BOOST_TEST(obj(ddb::create_table{"apps", "AppKeyIndex", {}}.body()) == want);
}

BOOST_AUTO_TEST_CASE(create_table_provisioned_gives_table_and_index_their_units) {
    auto b = obj(ddb::create_table{"apps", "AppKeyIndex", {false, 5, 3}}.body());
    auto units = obj(R"({"ReadCapacityUnits":5,"WriteCapacityUnits":3})");
    BOOST_TEST(b.at("BillingMode") == "PROVISIONED");
    BOOST_TEST(b.at("ProvisionedThroughput") == units);
    BOOST_TEST(b.at("GlobalSecondaryIndexes").at(0).at("ProvisionedThroughput") == units);
}

BOOST_AUTO_TEST_CASE(a_table_created_as_asked_passes_the_check_once_active) {
    auto t = obj(ddb::create_table{"apps", "AppKeyIndex", {}}.body());
    t["TableStatus"] = "ACTIVE";
    t["GlobalSecondaryIndexes"].as_array()[0].as_object()["IndexStatus"] = "ACTIVE";
    BOOST_TEST(ddb::check_table_schema(t, "AppKeyIndex").empty());
}

BOOST_AUTO_TEST_CASE(describe_and_its_parse) {
    BOOST_TEST(ddb::describe_table{"apps"}.body() == R"({"TableName":"apps"})");
    json::object t;
    std::string diag;
    BOOST_TEST(!ddb::describe_table::parse(std::string(R"({"Table":)") + good_table + "}", t, diag));
    BOOST_TEST(t.at("TableName") == "apps");
    BOOST_TEST(!ddb::describe_table::parse(R"({"TableDescription":{"TableName":"x"}})", t, diag));
    BOOST_TEST(t.at("TableName") == "x");
    BOOST_TEST(ddb::describe_table::parse(R"({"Tables":[]})", t, diag) == pws::error::malformed_response);
    BOOST_TEST(ddb::describe_table::parse("[", t, diag) == pws::error::malformed_response);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_write)

const ddb::batch_write apps{"apps", {}};  // what the answers below are read for

BOOST_AUTO_TEST_CASE(one_put_request_per_item_in_order) {
    std::vector<json::object> items{obj(R"({"AppId":{"S":"a"},"AppKey":{"S":"k"}})"), obj(R"({"AppId":{"S":"b"}})")};
    auto b = obj(ddb::batch_write{"my-apps", items}.body());
    BOOST_TEST(b == obj(R"({"RequestItems":{"my-apps":[{"PutRequest":{"Item":{"AppId":{"S":"a"},"AppKey":{"S":"k"}}}},
                                                      {"PutRequest":{"Item":{"AppId":{"S":"b"}}}}]}})"));
}

BOOST_AUTO_TEST_CASE(a_full_batch_keeps_every_item) {
    std::vector<json::object> items;
    for (std::size_t i = 0; i < ddb::batch_write::max_items; ++i)
        items.push_back({{"AppId", {{"S", "app-" + std::to_string(i)}}}});
    auto b = obj(ddb::batch_write{"apps", items}.body());
    auto& requests = b.at("RequestItems").at("apps").as_array();
    BOOST_TEST_REQUIRE(requests.size() == 25u);
    BOOST_TEST(requests[24].at("PutRequest").at("Item") == items[24]);
}

BOOST_AUTO_TEST_CASE(everything_written) {
    std::vector<json::object> unprocessed{obj("{}")};  // cleared on success
    std::string diag;
    BOOST_TEST(!apps.parse(R"({"UnprocessedItems":{}})", unprocessed, diag));
    BOOST_TEST(unprocessed.empty());
    unprocessed.push_back(obj("{}"));
    BOOST_TEST(!apps.parse("{}", unprocessed, diag));
    BOOST_TEST(unprocessed.empty());
    BOOST_TEST(!apps.parse(R"({"UnprocessedItems":null})", unprocessed, diag));
    BOOST_TEST(!apps.parse(R"({"UnprocessedItems":{"apps":[]}})", unprocessed, diag));
    BOOST_TEST(unprocessed.empty());
}

BOOST_AUTO_TEST_CASE(unprocessed_items_come_back_in_order) {
    std::vector<json::object> unprocessed;
    std::string diag;
    BOOST_TEST(!apps.parse(R"({"UnprocessedItems":{"apps":[{"PutRequest":{"Item":{"AppId":{"S":"b"}}}},
        {"PutRequest":{"Item":{"AppId":{"S":"a"}}}}]},"ConsumedCapacity":[]})",
                           unprocessed, diag));
    BOOST_TEST_REQUIRE(unprocessed.size() == 2u);
    BOOST_TEST(unprocessed[0] == obj(R"({"AppId":{"S":"b"}})"));
    BOOST_TEST(unprocessed[1] == obj(R"({"AppId":{"S":"a"}})"));
}

BOOST_AUTO_TEST_CASE(odd_bodies_are_malformed_responses) {
    std::vector<json::object> unprocessed;
    std::string diag;
    for (std::string_view body : {
             R"(not json)", R"([])", R"("x")",                                             // not an object
             R"({"UnprocessedItems":[]})", R"({"UnprocessedItems":"apps"})",               // not an object
             R"({"UnprocessedItems":{"other":[]}})",                                       // another table
             R"({"UnprocessedItems":{"apps":{}}})",                                        // not an array
             R"({"UnprocessedItems":{"apps":[1]}})",                                       // not a request
             R"({"UnprocessedItems":{"apps":[{"DeleteRequest":{"Key":{"AppId":{"S":"a"}}}}]}})",
             R"({"UnprocessedItems":{"apps":[{"PutRequest":{}}]}})",                       // no Item
             R"({"UnprocessedItems":{"apps":[{"PutRequest":{"Item":[]}}]}})",              // Item not an object
         }) {
        unprocessed.assign(1, obj("{}"));
        diag.clear();
        BOOST_TEST(apps.parse(body, unprocessed, diag) == pws::error::malformed_response, body);
        BOOST_TEST(!diag.empty(), body);
        BOOST_TEST(unprocessed.empty(), body);
    }
    // An odd item after a good one: nothing is half-returned.
    BOOST_TEST(apps.parse(R"({"UnprocessedItems":{"apps":[{"PutRequest":{"Item":{"AppId":{"S":"a"}}}},7]}})",
                          unprocessed, diag) == pws::error::malformed_response);
    BOOST_TEST(unprocessed.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schema_check)

BOOST_AUTO_TEST_CASE(the_seed_table_is_fine) {
    BOOST_TEST(ddb::check_table_schema(obj(good_table), "AppKeyIndex").empty());
}

BOOST_AUTO_TEST_CASE(the_wrong_schema_names_the_key_and_the_missing_index) {
    auto ps = ddb::check_table_schema(obj(wrong_table), "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::wrong_hash_key, schema_issue::missing_index}),
               messages(ps));
    BOOST_TEST(ps[0].message == "table's hash key is Id (S); expected AppId (S)");
    BOOST_TEST(ps[1].message == "no global secondary index AppKeyIndex (on AppKey, projection ALL)");
}

BOOST_AUTO_TEST_CASE(a_numeric_app_id_is_a_wrong_key_type) {
    auto ps = ddb::check_table_schema(variant(R"("AppId","AttributeType":"S")", R"("AppId","AttributeType":"N")"),
                                      "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::wrong_key_type}), messages(ps));
    BOOST_TEST(ps[0].message == "table's hash key AppId is of type N; it must be S (string)");
}

BOOST_AUTO_TEST_CASE(a_binary_app_key_is_a_wrong_key_type_of_the_index) {
    auto ps = ddb::check_table_schema(variant(R"("AppKey","AttributeType":"S")", R"("AppKey","AttributeType":"B")"),
                                      "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::wrong_key_type}), messages(ps));
    BOOST_TEST(ps[0].message == "index AppKeyIndex's hash key AppKey is of type B; it must be S (string)");
}

BOOST_AUTO_TEST_CASE(a_range_key_is_named) {
    auto ps = ddb::check_table_schema(
        variant(R"("KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"}])",
                R"("KeySchema":[{"AttributeName":"AppId","KeyType":"HASH"},{"AttributeName":"V","KeyType":"RANGE"}])"),
        "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::unexpected_range_key}), messages(ps));
    BOOST_TEST(ps[0].message == "table has a range key V (?); it must be keyed on AppId alone");
}

BOOST_AUTO_TEST_CASE(projections_other_than_all_are_refused) {
    for (std::string_view p : {"KEYS_ONLY", "INCLUDE"}) {
        auto ps = ddb::check_table_schema(variant(R"("ProjectionType":"ALL")",
                                                  R"("ProjectionType":")" + std::string(p) + "\""),
                                          "AppKeyIndex");
        BOOST_TEST((issues(ps) == std::vector{schema_issue::wrong_projection}), messages(ps));
        BOOST_TEST(ps[0].message == "index AppKeyIndex projects " + std::string(p) +
                                        "; lookups by key read whole items from it, so it must project ALL");
    }
}

BOOST_AUTO_TEST_CASE(an_index_being_built_is_not_active) {
    auto ps = ddb::check_table_schema(variant(R"("IndexStatus":"ACTIVE")", R"("IndexStatus":"CREATING")"),
                                      "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::index_not_active}), messages(ps));
    BOOST_TEST(ps[0].message == "index AppKeyIndex is CREATING, not ACTIVE");
    ps = ddb::check_table_schema(
        variant(R"("IndexStatus":"ACTIVE")", R"("IndexStatus":"ACTIVE","Backfilling":true)"), "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::index_not_active}), messages(ps));
}

BOOST_AUTO_TEST_CASE(a_table_being_created_is_not_active) {
    auto ps = ddb::check_table_schema(variant(R"("TableStatus":"ACTIVE")", R"("TableStatus":"CREATING")"),
                                      "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::table_not_active}), messages(ps));
    BOOST_TEST(ps[0].message == "table is CREATING, not ACTIVE");
}

BOOST_AUTO_TEST_CASE(an_index_on_another_attribute_is_named) {
    auto ps = ddb::check_table_schema(
        variant(R"("KeySchema":[{"AttributeName":"AppKey","KeyType":"HASH"}])",
                R"("KeySchema":[{"AttributeName":"AppSecret","KeyType":"HASH"}])"),
        "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::wrong_index_key}), messages(ps));
    BOOST_TEST(ps[0].message == "index AppKeyIndex's hash key is AppSecret (?); expected AppKey (S)");
}

BOOST_AUTO_TEST_CASE(an_index_on_app_key_under_another_name_is_hinted) {
    auto ps = ddb::check_table_schema(variant(R"("IndexName":"AppKeyIndex")", R"("IndexName":"ByKey")"),
                                      "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::missing_index}), messages(ps));
    BOOST_TEST(ps[0].message == "no global secondary index AppKeyIndex (on AppKey, projection ALL); index ByKey "
                                "is on AppKey but lookups query AppKeyIndex");
}

BOOST_AUTO_TEST_CASE(the_configured_index_name_is_the_one_checked) {
    BOOST_TEST(ddb::check_table_schema(obj(good_table), "Other").size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_empty_description_is_all_problems_and_no_crash) {
    auto ps = ddb::check_table_schema(json::object{}, "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::table_not_active, schema_issue::wrong_hash_key,
                                          schema_issue::missing_index}),
               messages(ps));
    // Members of the wrong JSON types are tolerated the same way.
    auto odd = obj(R"({"TableStatus":1,"KeySchema":"x","AttributeDefinitions":[1],"GlobalSecondaryIndexes":[null,
      {"IndexName":"AppKeyIndex","KeySchema":[7],"Projection":"ALL"}]})");
    ps = ddb::check_table_schema(odd, "AppKeyIndex");
    BOOST_TEST((issues(ps) == std::vector{schema_issue::table_not_active, schema_issue::wrong_hash_key,
                                          schema_issue::wrong_index_key, schema_issue::wrong_projection,
                                          schema_issue::index_not_active}),
               messages(ps));
}

BOOST_AUTO_TEST_SUITE_END()
