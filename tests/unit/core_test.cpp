// Unit tests of the lookup path's own pieces: error codes, endpoints, the sans-io protocol, and
// AppManager's forwarding and completion-token support (with an in-test policy).
#include <pws/app_manager.hpp>
#include <pws/aws/endpoint.hpp>
#include <pws/config.hpp>
#include <pws/detail/http/error.hpp>
#include <pws/detail/http/exchange.hpp>
#include <pws/app_fields.hpp>
#include <pws/app_json.hpp>
#include <pws/detail/json.hpp>
#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/redact.hpp>
#include <pws/error.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include "sample_apps.hpp"

#include <cstdlib>
#include <optional>

namespace asio = boost::asio;
using pws::error;
using pws::dynamodb_errc;

namespace {

const char* seed_item = R"({"AppId":{"S":"app-id"},"AppKey":{"S":"app-key"},"AppSecret":{"S":"app-secret"},
 "MaxConnections":{"N":"-1"},"EnableClientMessages":{"B":"ZmFsc2U="},"Enabled":{"B":"dHJ1ZQ=="},
 "MaxBackendEventsPerSecond":{"N":"-1"},"MaxClientEventsPerSecond":{"N":"-1"},
 "MaxReadRequestsPerSecond":{"N":"-1"},"Webhooks":{"S":"[]"},"EnableUserAuthentication":{"B":"ZmFsc2U="}})";

// A policy that answers from two fixed apps; counts calls.
struct fake_policy {
    int calls = 0;
    asio::awaitable<pws::find_result> find_by_id(std::string_view id) {
        ++calls;
        if (id == "boom") co_return pws::find_result::failure(error::timeout, "slow");
        if (id != "app-id") co_return pws::find_result::none();
        auto app = std::make_shared<pws::App>();
        app->id = "app-id";
        app->key = "app-key";
        co_return pws::find_result::of(app);
    }
    asio::awaitable<pws::find_result> find_by_key(std::string_view key) {
        ++calls;
        if (key != "app-key") co_return pws::find_result::none();
        co_return co_await find_by_id("app-id");
    }
};

struct not_a_policy {
    pws::find_result find_by_id(std::string_view) { return {}; }
};

// A scripted peer for detail::http::exchange, without a socket: reads hand out `script`, then
// EOF; writes take everything, or fail with `write_error`. Each completion is posted.
struct scripted_stream {
    using executor_type = asio::io_context::executor_type;
    executor_type ex;
    std::string script;
    boost::system::error_code write_error;
    std::string written;
    bool closed = false;

    executor_type get_executor() const { return ex; }
    int native_socket() const { return -1; }  // no descriptor: the deadline is never reached
    void close() { closed = true; }

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                const std::size_t n = asio::buffer_copy(b, asio::buffer(script));
                script.erase(0, n);
                boost::system::error_code ec = n == 0 ? asio::error::eof : boost::system::error_code{};
                asio::post(ex, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
            },
            token, buffers);
    }
    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                std::size_t n = 0;
                if (!write_error) {
                    n = asio::buffer_size(b);
                    const std::size_t at = written.size();
                    written.resize(at + n);
                    asio::buffer_copy(asio::buffer(written.data() + at, n), b);
                }
                asio::post(ex, [h = std::move(handler), ec = write_error, n]() mutable { std::move(h)(ec, n); });
            },
            token, buffers);
    }
};

// One exchange against `script`, with `l`'s limits.
pws::detail::http::reply exchange_with(std::string script, const pws::detail::http::limits& l = {},
                                       boost::system::error_code write_error = {}, bool* closed = nullptr,
                                       std::size_t* left_over = nullptr) {
    asio::io_context ioc;
    scripted_stream s{ioc.get_executor(), std::move(script), write_error};
    boost::beast::flat_buffer buffer(pws::detail::http::max_unparsed_bytes);
    std::optional<pws::detail::http::reply> r;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            r = co_await pws::detail::http::exchange(s, buffer, "GET / HTTP/1.1\r\n\r\n", l,
                                                     std::chrono::steady_clock::now() + std::chrono::hours(1));
        },
        asio::detached);
    ioc.run();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST((s.written == (write_error ? "" : "GET / HTTP/1.1\r\n\r\n")));
    if (closed) *closed = s.closed;
    if (left_over) *left_over = buffer.size();
    return std::move(*r);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core)

BOOST_AUTO_TEST_CASE(http_errors_are_classified_once_for_both_clients) {
    namespace ph = pws::detail::http;
    namespace bhttp = boost::beast::http;
    BOOST_TEST((ph::classify(boost::beast::error::timeout) == error::timeout));
    for (auto e : {bhttp::error::body_limit, bhttp::error::header_limit, bhttp::error::buffer_overflow})
        BOOST_TEST((ph::classify(e) == error::response_too_large));
    // A message cut short is a closed connection, whichever client meets it.
    for (boost::system::error_code e : {boost::system::error_code(asio::error::eof), boost::system::error_code(asio::error::connection_reset),
                                        boost::system::error_code(asio::error::broken_pipe),
                                        boost::system::error_code(bhttp::error::end_of_stream),
                                        boost::system::error_code(bhttp::error::partial_message),
                                        boost::system::error_code(asio::ssl::error::stream_truncated)})
        BOOST_TEST((ph::classify(e) == error::connection_closed), e.message());
    BOOST_TEST((ph::classify(bhttp::error::bad_chunk) == error::malformed_response));
    BOOST_TEST((ph::classify(asio::error::connection_refused) == error::connection_failed));
    BOOST_TEST(ph::is_local_shortage(asio::error::no_descriptors));
    BOOST_TEST(!ph::is_local_shortage(asio::error::connection_refused));

    const ph::limits l{1000, 2000, "Config::cap"};
    BOOST_TEST(ph::describe(bhttp::error::body_limit, l) == "the response is larger than the 1000-byte cap (Config::cap)");
    BOOST_TEST(ph::describe(bhttp::error::header_limit, l) == "the response's header section is longer than 2000 bytes");
    BOOST_TEST(ph::describe(bhttp::error::buffer_overflow, l).find("longer than 262144 bytes") != std::string::npos);
    BOOST_TEST(ph::describe(bhttp::error::body_limit, ph::limits{1000, 2000, nullptr}) ==
               "the response is larger than the 1000-byte cap");
}

BOOST_AUTO_TEST_CASE(http_exchange_reports_the_answer_and_whether_the_connection_may_carry_another) {
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    bool closed = true;
    std::size_t left = 1;
    auto r = exchange_with(ok, {}, {}, &closed, &left);
    BOOST_TEST(!r.ec, r.why);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.message.body() == "{}");
    BOOST_TEST(r.keep_alive);
    BOOST_TEST(!closed);
    BOOST_TEST(left == 0u);

    // Bytes after the answer were never asked for: kept in the buffer, and the connection is not
    // to be reused. Nor is one the server closes.
    r = exchange_with(ok + "HTTP/1.1 408 Request Timeout\r\n\r\n", {}, {}, &closed, &left);
    BOOST_TEST(!r.ec, r.why);
    BOOST_TEST(!r.keep_alive);
    BOOST_TEST(left > 0u);
    r = exchange_with("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
    BOOST_TEST(!r.ec, r.why);
    BOOST_TEST(!r.keep_alive);

    // Interim responses are dropped and counted.
    r = exchange_with("HTTP/1.1 100 Continue\r\n\r\n" + ok);
    BOOST_TEST(!r.ec, r.why);
    BOOST_TEST(r.interim == 1);
    BOOST_TEST(r.status == 200u);
}

BOOST_AUTO_TEST_CASE(http_exchange_errors_close_the_connection_and_say_what_was_received) {
    bool closed = false;
    // Closed before any byte of an answer: the request may be sent again.
    auto r = exchange_with("", {}, {}, &closed);
    BOOST_TEST((r.ec == error::connection_closed), r.why);
    BOOST_TEST(r.nothing_received);
    BOOST_TEST(!r.sending);
    BOOST_TEST(closed);
    // Cut short mid-body: closed too, but something was received.
    r = exchange_with("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", {}, {}, &closed);
    BOOST_TEST((r.ec == error::connection_closed), r.why);
    BOOST_TEST(!r.nothing_received);
    BOOST_TEST(closed);
    // The request could not be written: nothing was received.
    r = exchange_with("", {}, asio::error::broken_pipe, &closed);
    BOOST_TEST((r.ec == error::connection_closed), r.why);
    BOOST_TEST(r.sending);
    BOOST_TEST(r.nothing_received);
    BOOST_TEST(closed);
    // Each limit by name; a refused answer keeps its status.
    r = exchange_with("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"a\":\"bcd\"}", {10, 1024, "X::cap"}, {}, &closed);
    BOOST_TEST((r.ec == error::response_too_large));
    BOOST_TEST(r.why == "the response is larger than the 10-byte cap (X::cap)");
    BOOST_TEST(closed);
    r = exchange_with("HTTP/1.1 200 OK\r\nX-Long: " + std::string(2000, 'h') + "\r\nContent-Length: 2\r\n\r\n{}",
                      {64, 1024, nullptr});
    BOOST_TEST((r.ec == error::response_too_large));
    BOOST_TEST(r.why == "the response's header section is longer than 1024 bytes");
    r = exchange_with("HTTP/1.1 503 Service Unavailable\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", {},
                      {}, &closed);
    BOOST_TEST((r.ec == error::malformed_response));
    BOOST_TEST(!r.cause);
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.why.find("Content-Encoding gzip") != std::string::npos, r.why);
    BOOST_TEST(closed);
}

BOOST_AUTO_TEST_CASE(error_codes_have_names_and_messages) {
    boost::system::error_code ec = error::malformed_item;
    BOOST_TEST(std::string(ec.category().name()) == "pws");
    BOOST_TEST(ec.message() == "malformed item");
    ec = dynamodb_errc::resource_not_found;
    BOOST_TEST(std::string(ec.category().name()) == "pws.dynamodb");
    BOOST_TEST(ec.message() == "ResourceNotFoundException");
    BOOST_TEST(pws::dynamodb_errc_from_type("com.amazonaws.dynamodb.v20120810#ThrottlingException") ==
               dynamodb_errc::throttling);
    BOOST_TEST(pws::dynamodb_errc_from_type("NoSuchThing") == dynamodb_errc::unknown);
}

BOOST_AUTO_TEST_CASE(endpoints) {
    pws::aws::endpoint ep;
    std::string diag;
    BOOST_TEST(!pws::aws::dynamodb_endpoint("eu-west-1", "", false, ep, diag));
    BOOST_TEST(ep.tls);
    BOOST_TEST(ep.host == "dynamodb.eu-west-1.amazonaws.com");
    BOOST_TEST(ep.port == 443);
    BOOST_TEST(ep.host_header == "dynamodb.eu-west-1.amazonaws.com");
    BOOST_TEST(!pws::aws::dynamodb_endpoint("cn-north-1", "", false, ep, diag));
    BOOST_TEST(ep.host == "dynamodb.cn-north-1.amazonaws.com.cn");
    BOOST_TEST(!pws::aws::dynamodb_endpoint("us-east-2", "", true, ep, diag));
    BOOST_TEST(ep.host == "dynamodb-fips.us-east-2.amazonaws.com");
    BOOST_TEST(!pws::aws::dynamodb_endpoint("us-gov-west-1", "", true, ep, diag));
    BOOST_TEST(ep.host == "dynamodb.us-gov-west-1.amazonaws.com");
    BOOST_TEST(!pws::aws::dynamodb_endpoint("local", "", false, ep, diag));
    BOOST_TEST((!ep.tls && ep.host == "localhost" && ep.port == 8000 && ep.host_header == "localhost:8000"));
    BOOST_TEST(!pws::aws::dynamodb_endpoint("us-east-1", "http://127.0.0.1:4567", false, ep, diag));
    BOOST_TEST((!ep.tls && ep.host == "127.0.0.1" && ep.port == 4567 && ep.host_header == "127.0.0.1:4567"));
    BOOST_TEST(!pws::aws::parse_endpoint("https://[::1]:8443/", ep, diag));
    BOOST_TEST((ep.host == "::1" && ep.port == 8443 && ep.host_header == "[::1]:8443"));
    BOOST_TEST(!pws::aws::parse_endpoint("http://example.com:80", ep, diag));
    BOOST_TEST(ep.host_header == "example.com");

    for (const char* bad : {"ftp://x", "http://", "http://h:0", "http://h:70000", "http://h:x", "http://h/path",
                            "http://u@h", "http://h h", "127.0.0.1:8000"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(pws::aws::parse_endpoint(bad, ep, diag) == error::invalid_endpoint);
            BOOST_TEST(!diag.empty());
        }
    }
    // User info is refused without being shown, wherever the refusal comes from.
    for (const char* bad : {"http://AKID:s3cr3t-value@127.0.0.1:1", "http://AKID:s3cr3t-value@h/path",
                            "https://AKID:s3cr3t-value@[::1"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(pws::aws::parse_endpoint(bad, ep, diag) == error::invalid_endpoint);
            BOOST_TEST(diag.find("s3cr3t") == std::string::npos, diag);
            BOOST_TEST(diag.find("***@") != std::string::npos, diag);
        }
    }
    BOOST_TEST(pws::aws::dynamodb_endpoint("US_EAST_1", "", false, ep, diag) == error::invalid_config);
    BOOST_TEST(diag.find("invalid region") != std::string::npos);
    for (const char* r : {"us-east-1", "ap-southeast-4", "us-gov-west-1", "cn-northwest-1", "eu-central-2"})
        BOOST_TEST(pws::aws::is_valid_region(r), r);
    for (const char* r : {"", "us", "us-east", "us-east-", "-us-east-1", "us--east-1", "useast1", "us-east-1a", "us.east.1"})
        BOOST_TEST(!pws::aws::is_valid_region(r), r);
}

BOOST_AUTO_TEST_CASE(config_from_env) {
    ::setenv("APP_MANAGER_DYNAMODB_TABLE", "my-apps", 1);
    ::setenv("APP_MANAGER_DYNAMODB_REGION", "eu-north-1", 1);
    ::setenv("APP_MANAGER_DYNAMODB_ENDPOINT", "", 1);
    auto c = pws::DynamoDbConfig::from_env();
    BOOST_TEST(c.table == "my-apps");
    BOOST_TEST(c.region == "eu-north-1");
    BOOST_TEST(c.endpoint.empty());
    ::unsetenv("APP_MANAGER_DYNAMODB_TABLE");
    ::unsetenv("APP_MANAGER_DYNAMODB_REGION");
    ::unsetenv("APP_MANAGER_DYNAMODB_ENDPOINT");
    c = pws::DynamoDbConfig::from_env();
    BOOST_TEST(c.table == "apps");
    BOOST_TEST(c.region == "us-east-1");
    BOOST_TEST(c.key_index == "AppKeyIndex");
}

BOOST_AUTO_TEST_CASE(request_bodies_escape_input) {
    auto get = boost::json::parse(pws::dynamodb::get_item{"apps", "a\"b\\c"}.body());
    BOOST_TEST(get.at("TableName").as_string() == "apps");
    BOOST_TEST(get.at("Key").at("AppId").at("S").as_string() == "a\"b\\c");
    auto q = boost::json::parse(pws::dynamodb::query_by_key{"apps", "AppKeyIndex", ":app_key } OR 1=1"}.body());
    BOOST_TEST(q.at("IndexName").as_string() == "AppKeyIndex");
    BOOST_TEST(q.at("KeyConditionExpression").as_string() == "AppKey = :app_key");
    BOOST_TEST(q.at("ExpressionAttributeValues").at(":app_key").at("S").as_string() == ":app_key } OR 1=1");
}

// The policies write a lookup's body into the call's recycled buffer: what was there goes, and
// a body longer than the serializer's 512-byte chunks (a 2,048-byte id of quotes, escaped) is whole.
BOOST_AUTO_TEST_CASE(request_bodies_written_into_a_buffer_replace_it) {
    std::string out(3000, 'x');
    const std::string long_id(2048, '"');
    const pws::dynamodb::get_item get{"apps", long_id};
    get.write_body(out);
    BOOST_TEST(out == get.body());
    BOOST_TEST(boost::json::parse(out).at("Key").at("AppId").at("S").as_string() == long_id);
    const pws::dynamodb::query_by_key q{"apps", "AppKeyIndex", "k"};
    q.write_body(out);
    BOOST_TEST(out == q.body());
    BOOST_TEST(boost::json::parse(out).at("ExpressionAttributeValues").at(":app_key").at("S").as_string() == "k");
}

BOOST_AUTO_TEST_CASE(key_values_are_validated) {
    std::string diag;
    BOOST_TEST(!pws::dynamodb::validate_key_value("app id", "app-id", diag));
    BOOST_TEST(!pws::dynamodb::validate_key_value("app id", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", diag));
    BOOST_TEST(pws::dynamodb::validate_key_value("app id", "", diag) == error::invalid_argument);
    BOOST_TEST(diag == "app id is empty");
    BOOST_TEST(!pws::dynamodb::validate_key_value("app key", std::string(2048, 'k'), diag));
    BOOST_TEST(pws::dynamodb::validate_key_value("app key", std::string(2049, 'k'), diag) == error::invalid_argument);
    for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
        BOOST_TEST(pws::dynamodb::validate_key_value("app key", bad, diag) == error::invalid_argument);
}

BOOST_AUTO_TEST_CASE(error_bodies_in_a_2xx) {
    using pws::detail::is_error_body;
    BOOST_TEST(is_error_body(R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"})"));
    BOOST_TEST(is_error_body(R"( {"message":"m", "__type" : "x#ThrottlingException"} )"));
    // Success bodies, whatever they hold: an attribute or a string value called __type, an empty
    // or non-string __type, JSON that is not an object, no JSON at all.
    BOOST_TEST(!is_error_body(R"({"Item":{"AppId":{"S":"a"},"__type":{"S":"x#E"}}})"));
    BOOST_TEST(!is_error_body(R"({"Item":{"AppId":{"S":"\"__type\""}}})"));
    BOOST_TEST(!is_error_body(R"({"__type":""})"));
    BOOST_TEST(!is_error_body(R"({"__type":7})"));
    BOOST_TEST(!is_error_body(R"(["__type"])"));
    BOOST_TEST(!is_error_body(R"({"__type":"x#E")"));
    BOOST_TEST(!is_error_body(""));
    BOOST_TEST(!is_error_body("{}"));
}

BOOST_AUTO_TEST_CASE(error_responses) {
    std::string diag;
    auto ec = pws::detail::parse_error_response(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"})",
        "", "RID1", diag);
    BOOST_TEST(ec == dynamodb_errc::resource_not_found);
    BOOST_TEST(diag == "DynamoDB ResourceNotFoundException (HTTP 400): Requested resource not found [request id RID1]");
    ec = pws::detail::parse_error_response(400, R"({"__type":"x#ValidationException","Message":"bad"})", "", "", diag);
    BOOST_TEST(ec == dynamodb_errc::validation);
    BOOST_TEST(diag == "DynamoDB ValidationException (HTTP 400): bad");
    ec = pws::detail::parse_error_response(400, "not json", "ThrottlingException:http://internal", "", diag);
    BOOST_TEST(ec == dynamodb_errc::throttling);
    BOOST_TEST(pws::detail::parse_error_response(503, "", "", "", diag) == dynamodb_errc::service_unavailable);
    BOOST_TEST(pws::detail::parse_error_response(500, "<html>", "", "", diag) == dynamodb_errc::internal_server_error);
    BOOST_TEST(pws::detail::parse_error_response(429, "", "", "", diag) == dynamodb_errc::throttling);
    BOOST_TEST(pws::detail::parse_error_response(404, "", "", "", diag) == error::unexpected_status);
    BOOST_TEST(diag == "DynamoDB error (HTTP 404)");
    // A huge message is cut.
    std::string big = R"({"__type":"A#B","message":")" + std::string(100000, 'm') + "\"}";
    BOOST_TEST(pws::detail::parse_error_response(400, big, "", "", diag) == dynamodb_errc::unknown);
    BOOST_TEST(diag.size() < 1000);
    // Secrets are scrubbed before the server's text is cut: a long echoed token cut at 512
    // bytes would no longer be found whole.
    const std::string token(900, 'T'), key = "wJalrXUtnFEMI/K7MDENG";
    std::string echoed = R"({"__type":"A#B","message":"prefix )" + token + " " + key + R"("})";
    BOOST_TEST(pws::detail::parse_error_response(400, echoed, "", "rid-" + token, diag, key, token) ==
               dynamodb_errc::unknown);
    BOOST_TEST(diag.find("TTTTTTTT") == std::string::npos, diag);
    BOOST_TEST(diag.find(key) == std::string::npos, diag);
    BOOST_TEST(diag == "DynamoDB B (HTTP 400): prefix *** *** [request id rid-***]");
}

BOOST_AUTO_TEST_CASE(get_item_responses) {
    const pws::dynamodb::get_item op{"apps", "app-id"};
    auto r = op.parse(std::string(R"({"Item":)") + seed_item + "}");
    BOOST_TEST_REQUIRE(r.found());
    BOOST_TEST(r.app->key == "app-key");
    BOOST_TEST(r.app->secret == "app-secret");
    BOOST_TEST(r.app->enabled);
    BOOST_TEST(!r.app->enable_client_messages);
    BOOST_TEST(op.parse("{}").not_found());
    // Another app than the one asked for is refused, never returned.
    const pws::dynamodb::get_item other_op{"apps", "other-id"};
    auto other = other_op.parse(std::string(R"({"Item":)") + seed_item + "}");
    BOOST_TEST(other.ec == error::malformed_response);
    BOOST_TEST(!other.app);
    BOOST_TEST(op.parse("").ec == error::malformed_response);
    BOOST_TEST(op.parse("[1]").ec == error::malformed_response);
    BOOST_TEST(op.parse(R"({"Item":5})").ec == error::malformed_response);
    auto bad = op.parse(
        R"({"Item":{"AppId":{"S":"app-id"},"AppKey":{"S":"k"},"AppSecret":{"S":"s"},"Enabled":{"B":"eWVz"}}})");
    BOOST_TEST(bad.ec == error::malformed_item);
    BOOST_TEST(bad.diagnostic.find("Enabled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(query_responses) {
    const pws::dynamodb::query_by_key op{"apps", "AppKeyIndex", "app-key"};
    auto r = op.parse(std::string(R"({"Count":1,"Items":[)") + seed_item + "]}");
    BOOST_TEST_REQUIRE(r.found());
    BOOST_TEST(r.app->id == "app-id");
    BOOST_TEST(op.parse(R"({"Count":0,"Items":[]})").not_found());
    BOOST_TEST(op.parse(R"({"Count":0})").ec == error::malformed_response);
    auto two = op.parse(std::string(R"({"Items":[)") + seed_item + "," + seed_item + "]}");
    BOOST_TEST(two.ec == error::ambiguous_key);
    const pws::dynamodb::query_by_key other{"apps", "AppKeyIndex", "other"};
    BOOST_TEST(other.parse(std::string(R"({"Items":[)") + seed_item + "]}").ec == error::malformed_response);
}

BOOST_AUTO_TEST_CASE(scrub_removes_secrets_and_control_characters) {
    std::string s = "token=SECRETTOKEN and key SECRETKEY again SECRETKEY\r\nend";
    pws::scrub(s, "SECRETKEY", "SECRETTOKEN");
    BOOST_TEST(s == "token=*** and key *** again ***  end");
}

BOOST_AUTO_TEST_CASE(scrub_hides_pieces_and_encodings_of_secrets) {
    const std::string key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";  // 40 bytes, with / and +
    const std::string token = "IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+0123456789abcdefghijklmnop";
    auto scrubbed = [&](std::string text) {
        pws::scrub(text, key, token);
        return text;
    };
    // Half a secret, or any 16-byte piece of one, is hidden; 15 bytes are not a piece.
    BOOST_TEST(scrubbed("half: " + token.substr(0, token.size() / 2) + ".") == "half: ***.");
    BOOST_TEST(scrubbed("mid " + key.substr(10, 16) + " end") == "mid *** end");
    BOOST_TEST(scrubbed("short " + key.substr(10, 15)) == "short " + key.substr(10, 15));
    // Two pieces side by side, or overlapping, are one hidden run.
    BOOST_TEST(scrubbed(key.substr(0, 20) + token.substr(5, 20)) == "***");
    // Percent-encoded (either case) and JSON-escaped, whole or in part.
    BOOST_TEST(scrubbed("q=wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY&x=1") == "q=***&x=1");
    BOOST_TEST(scrubbed("q=wJalrXUtnFEMI%2fK7MDENG%2bbP&x=1") == "q=***&x=1");
    BOOST_TEST(scrubbed(R"({"m":"wJalrXUtnFEMI\/K7MDENG+bPxRfiCY"})") == R"({"m":"***"})");
    // A secret shorter than a piece is hidden whole only.
    std::string t = "pw=abc123, not abc12";
    pws::scrub(t, "abc123");
    BOOST_TEST(t == "pw=***, not abc12");
    // A long text costs one pass: no quadratic work on a 4 MB echo.
    std::string big(4 << 20, 'x');
    big.replace(3 << 20, key.size(), key);
    pws::scrub(big, key, token);
    BOOST_TEST(big.size() == (4u << 20) - key.size() + 3);
    BOOST_TEST(big.find("***") == (3u << 20));
}

BOOST_AUTO_TEST_CASE(app_manager_forwards_and_supports_tokens) {
    static_assert(pws::AppPolicy<fake_policy>);
    static_assert(!pws::AppPolicy<not_a_policy>);
    asio::io_context ioc;
    pws::AppManager<fake_policy> apps;

    // Awaitable form.
    int done = 0;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await apps.find_by_id("app-id");
        BOOST_TEST(r.found());
        r = co_await apps.find_by_key("nope");
        BOOST_TEST(r.not_found());
        r = co_await apps.find_by_id("boom");
        BOOST_TEST(r.failed());
        BOOST_TEST(r.ec == error::timeout);
        // Any-token form, awaited.
        r = co_await apps.async_find_by_key("app-key", asio::use_awaitable);
        BOOST_TEST(r.found());
        r = co_await apps.async_find_by_id("x", asio::deferred);
        BOOST_TEST(r.not_found());
        r = co_await apps.async_find_by_key("app-key");  // the default token
        BOOST_TEST(r.found());
        ++done;
    }, asio::detached);

    // Callback form, on the handler's executor (bound to the io_context).
    apps.async_find_by_id("app-id", asio::bind_executor(ioc, [&](pws::find_result r) {
        BOOST_TEST(r.found());
        BOOST_TEST(r.app->key == "app-key");
        ++done;
    }));
    ioc.run();
    BOOST_TEST(done == 2);
    BOOST_TEST(apps.policy().calls == 9);

    // use_future with a plain callback executor (the policy has none: the system executor runs it).
    auto fut = apps.async_find_by_key("app-key", asio::use_future);
    BOOST_TEST(fut.get().found());
}

BOOST_AUTO_TEST_SUITE_END()

// The operation types of dynamodb/operations.hpp and dynamodb/scan.hpp: each one's body, read back
// as the server reads it, and its parser fed the answer a server gives to that very body (built
// from the body, not written out by hand), so that a builder and its parser cannot drift apart.
BOOST_AUTO_TEST_SUITE(operations)

namespace ddb = pws::dynamodb;
namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

BOOST_AUTO_TEST_CASE(each_type_names_its_operation) {
    BOOST_TEST(ddb::get_item::operation_name == "GetItem");
    BOOST_TEST(ddb::query_by_key::operation_name == "Query");
    BOOST_TEST(ddb::key_holders::operation_name == "Query");
    BOOST_TEST(ddb::scan::operation_name == "Scan");
    BOOST_TEST(ddb::put_item::operation_name == "PutItem");
    BOOST_TEST(ddb::batch_write::operation_name == "BatchWriteItem");
    BOOST_TEST(ddb::delete_item::operation_name == "DeleteItem");
    BOOST_TEST(ddb::create_table::operation_name == "CreateTable");
    BOOST_TEST(ddb::describe_table::operation_name == "DescribeTable");
    BOOST_TEST(ddb::batch_write::max_items == 25u);
}

BOOST_AUTO_TEST_CASE(put_then_get_gives_the_app_back) {
    const pws::App app = pws_test::full_app();
    const json::object item = ddb::encode_app(app);
    const ddb::put_item put{"apps", item, ddb::put_mode::replace};
    auto stored = obj(put.body());
    BOOST_TEST(stored.at("TableName").as_string() == "apps");
    BOOST_TEST(stored.at("ReturnValues").as_string() == "ALL_OLD");
    BOOST_TEST(!stored.contains("ConditionExpression"));
    // What was put is what GetItem answers: the item, under "Item".
    const ddb::get_item get{"apps", app.id};
    BOOST_TEST(obj(get.body()).at("Key").at("AppId").at("S").as_string() == app.id);
    json::object answer{{"Item", stored.at("Item")}};
    auto r = get.parse(json::serialize(answer));
    BOOST_TEST_REQUIRE(r.found(), r.diagnostic);
    BOOST_TEST((*r.app == app));
    // ...and PutItem's own answer, the old item, says a replacement happened.
    bool replaced = false;
    std::string diag;
    BOOST_TEST(!ddb::put_item::parse(json::serialize(json::object{{"Attributes", item}}), replaced, diag));
    BOOST_TEST(replaced);
    BOOST_TEST(!ddb::put_item::parse("{}", replaced, diag));
    BOOST_TEST(!replaced);
    const ddb::put_item create{"apps", item};  // put_mode::create unless told
    BOOST_TEST(obj(create.body()).at("ConditionExpression").as_string() == "attribute_not_exists(AppId)");
}

BOOST_AUTO_TEST_CASE(query_by_key_reads_the_item_of_its_key) {
    const pws::App app = pws_test::full_app();
    const ddb::query_by_key q{"apps", "AppKeyIndex", app.key};
    auto body = obj(q.body());
    BOOST_TEST(body.at("IndexName").as_string() == "AppKeyIndex");
    BOOST_TEST(body.at("Limit").as_int64() == 2);
    BOOST_TEST(!body.contains("ProjectionExpression"));  // whole items: the app is decoded from them
    BOOST_TEST(body.at("ExpressionAttributeValues").at(":app_key").at("S").as_string() == app.key);
    json::object answer{{"Items", json::array{ddb::encode_app(app)}}, {"Count", 1}};
    auto r = q.parse(json::serialize(answer));
    BOOST_TEST_REQUIRE(r.found(), r.diagnostic);
    BOOST_TEST((*r.app == app));
    // The key_holders Query on the same index projects the id alone, and reads ids back.
    const ddb::key_holders who{"apps", "AppKeyIndex", app.key};
    auto wbody = obj(who.body());
    BOOST_TEST(wbody.at("ProjectionExpression").as_string() == "AppId");
    BOOST_TEST(wbody.at("KeyConditionExpression") == body.at("KeyConditionExpression"));
    std::vector<std::string> ids;
    std::string diag;
    BOOST_TEST(!ddb::key_holders::parse(json::serialize(answer), ids, diag));
    BOOST_TEST_REQUIRE(ids.size() == 1u);
    BOOST_TEST(ids[0] == app.id);
}

BOOST_AUTO_TEST_CASE(scan_pages_chain_by_their_last_key) {
    const pws::App a = pws_test::full_app();
    pws::App b = pws_test::ids("b", "b-key", "b-secret");
    const ddb::scan first{"apps", nullptr, 1};
    BOOST_TEST(json::serialize(obj(first.body())) == R"({"TableName":"apps","Limit":1})");
    json::object lek{{"AppId", {{"S", a.id}}}};
    json::object page1{{"Items", json::array{ddb::encode_app(a)}}, {"LastEvaluatedKey", lek}};
    auto p1 = ddb::scan::parse(json::serialize(page1));
    BOOST_TEST_REQUIRE(!p1.ec, p1.diagnostic);
    BOOST_TEST(p1.more());
    BOOST_TEST_REQUIRE(p1.items.size() == 1u);
    BOOST_TEST(p1.items[0].ok());
    BOOST_TEST(p1.items[0].id == a.id);
    BOOST_TEST((*p1.items[0].app == a));
    // The next page starts where the server said, as it said it.
    const ddb::scan next{"apps", &p1.last_evaluated_key, 1, "AppId, AppKey"};
    auto nbody = obj(next.body());
    BOOST_TEST(nbody.at("ExclusiveStartKey").as_object() == lek);
    BOOST_TEST(nbody.at("ProjectionExpression").as_string() == "AppId, AppKey");
    json::object page2{{"Items", json::array{ddb::encode_app(b)}}};
    auto p2 = ddb::scan::parse(json::serialize(page2));
    BOOST_TEST(!p2.more());
    BOOST_TEST_REQUIRE(p2.items.size() == 1u);
    BOOST_TEST(p2.items[0].app->id == "b");
    ddb::scan_progress progress;
    std::string diag;
    BOOST_TEST(!progress.next(p1, diag));
    BOOST_TEST(!progress.next(p2, diag));
    BOOST_TEST(progress.pages() == 2u);
    // A call that failed is a page with its error and nothing else.
    auto failed = ddb::scan_page::failed(error::timeout, "slow");
    BOOST_TEST(failed.ec == error::timeout);
    BOOST_TEST(failed.diagnostic == "slow");
    BOOST_TEST(failed.items.empty());
    BOOST_TEST(!failed.more());
}

BOOST_AUTO_TEST_CASE(batch_write_reads_back_what_it_sent) {
    std::vector<json::object> items{ddb::encode_app(pws_test::full_app()),
                                    ddb::encode_app(pws_test::ids("b", "b-key", "b-secret"))};
    const ddb::batch_write op{"apps", items};
    auto body = obj(op.body());
    // A server that processed nothing answers the request's own RequestItems as UnprocessedItems.
    json::object answer{{"UnprocessedItems", body.at("RequestItems")}};
    std::vector<json::object> unprocessed;
    std::string diag;
    BOOST_TEST(!op.parse(json::serialize(answer), unprocessed, diag), diag);
    BOOST_TEST((unprocessed == items));
    // The same answer read for another table is another server's: refused.
    const ddb::batch_write other{"other", items};
    BOOST_TEST(other.parse(json::serialize(answer), unprocessed, diag) == error::malformed_response);
    BOOST_TEST(unprocessed.empty());
}

BOOST_AUTO_TEST_CASE(delete_item_is_conditioned_and_reads_an_object) {
    const ddb::delete_item op{"apps", "a\"b"};
    auto body = obj(op.body());
    BOOST_TEST(body.at("Key").at("AppId").at("S").as_string() == "a\"b");
    BOOST_TEST(body.at("ConditionExpression").as_string() == "attribute_exists(AppId)");
    std::string diag;
    BOOST_TEST(!ddb::delete_item::parse("{}", diag));
    BOOST_TEST(ddb::delete_item::parse("[]", diag) == error::malformed_response);
    BOOST_TEST(diag == "the response body is not a JSON object");
    BOOST_TEST(ddb::delete_item::parse("{", diag) == error::malformed_response);
    BOOST_TEST(diag.find("is not valid JSON") != std::string::npos, diag);
}

BOOST_AUTO_TEST_CASE(create_table_then_describe_table) {
    const ddb::create_table create{"apps", "AppKeyIndex", {}};
    auto created = obj(create.body());
    // The table as DynamoDB describes it once the creation is done: the request's schema, ACTIVE.
    json::object table = created;
    table["TableStatus"] = "ACTIVE";
    table["GlobalSecondaryIndexes"].as_array()[0].as_object()["IndexStatus"] = "ACTIVE";
    json::object description;
    std::string diag;
    BOOST_TEST(!ddb::create_table::parse(json::serialize(json::object{{"TableDescription", table}}), description, diag));
    BOOST_TEST(description == table);
    BOOST_TEST(obj(ddb::describe_table{"apps"}.body()) == obj(R"({"TableName":"apps"})"));
    description = {};
    BOOST_TEST(!ddb::describe_table::parse(json::serialize(json::object{{"Table", table}}), description, diag));
    BOOST_TEST(ddb::check_table_schema(description, "AppKeyIndex").empty());
    BOOST_TEST(ddb::describe_table::parse("{}", description, diag) == error::malformed_response);
}

BOOST_AUTO_TEST_CASE(json_readers) {
    using namespace pws::detail;
    auto o = obj(R"({"s":"x","n":1,"a":[1],"o":{"S":"y"},"AppId":{"S":"id"},"AppKey":{"N":"1"}})");
    BOOST_TEST(json_string(o, "s") == "x");
    BOOST_TEST(json_string(o, "n").empty());
    BOOST_TEST(json_string(o, "missing").empty());
    BOOST_TEST(json_array(o, "a") != nullptr);
    BOOST_TEST(json_array(o, "s") == nullptr);
    BOOST_TEST(json_object(o, "o") != nullptr);
    BOOST_TEST(json_object(o, "a") == nullptr);
    BOOST_TEST(s_attribute(o, "AppId") == "id");
    BOOST_TEST(s_attribute(o, "AppKey").empty());  // an N is not an S
    BOOST_TEST(s_attribute(o, "s").empty());
    json::object out;
    std::string diag;
    BOOST_TEST(parse_json_object(R"({"k":1})", out, diag));
    BOOST_TEST(out.at("k").as_int64() == 1);
    BOOST_TEST(!parse_json_object("[1]", out, diag, "the Scan response"));
    BOOST_TEST(diag == "the Scan response is not a JSON object");
    BOOST_TEST(!parse_json_object("nope", out, diag));
    BOOST_TEST(diag.rfind("the response body is not valid JSON (", 0) == 0, diag);
    std::int64_t i = 0;
    BOOST_TEST((json_int(json::value(100.0), i) && i == 100));
    BOOST_TEST(!json_int(json::value(1.5), i));
    BOOST_TEST((json_int(json::value("-7"), i) && i == -7));
    double d = 0;
    BOOST_TEST((json_double(json::value("0.5"), d) && d == 0.5));
    BOOST_TEST(!json_double(json::value("inf"), d));
    bool f = false;
    BOOST_TEST((json_flag(json::value(1), f) && f));
    BOOST_TEST(!json_flag(json::value("yes"), f));
    BOOST_TEST(number_text(2.0) == "2");
    BOOST_TEST(number_text(0.5) == "0.5");
    BOOST_TEST(json_describe(json::value(0.5)) == "0.5");
    BOOST_TEST(json_describe(json::value("q")) == "\"q\"");
}

BOOST_AUTO_TEST_CASE(one_field_table_for_both_codecs) {
    // Every field of the table is what encode_app writes (pascal) and app_to_json writes (camel),
    // and nothing else is written: the codecs have no names of their own.
    const pws::App app = pws_test::full_app();
    const json::object item = ddb::encode_app(app);
    const json::object as_json = pws::app_to_json(app);
    std::size_t fields = 0;
    auto check = [&](const auto& f) {
        ++fields;
        BOOST_TEST(item.contains(f.pascal), f.pascal);
        BOOST_TEST(as_json.contains(f.camel), f.camel);
    };
    for (auto& f : pws::app_keys) check(f);
    for (auto& f : pws::app_flags) check(f);
    for (auto& f : pws::app_ints) check(f);
    for (auto& f : pws::app_numbers) check(f);
    check(pws::app_webhooks);
    BOOST_TEST(item.size() == fields);
    BOOST_TEST(as_json.size() == fields);
    // And both read back through it.
    pws::App from_item, from_json;
    std::string diag;
    BOOST_TEST(!ddb::decode_app(item, from_item, diag), diag);
    BOOST_TEST(!pws::app_from_json(as_json, from_json, diag), diag);
    BOOST_TEST((from_item == app));
    BOOST_TEST((from_json == app));
    // The binary payloads encode_app writes are the bytes, in base64.
    std::string bytes;
    BOOST_TEST(ddb::decode_binary(ddb::encode_binary("true"), bytes));
    BOOST_TEST(bytes == "true");
    BOOST_TEST(ddb::encode_binary("true") == "dHJ1ZQ==");
    BOOST_TEST(!ddb::decode_binary("dHJ1ZQ=", bytes));
}

BOOST_AUTO_TEST_SUITE_END()

