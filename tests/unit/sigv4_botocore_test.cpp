// Tests of the SigV4 signer (pws/aws/sigv4.hpp):
//  - sigv4: every case of AWS's official test suite, the primitives, the canonical form's corner
//    cases and the signing-key cache;
//  - sigv4_botocore: generated DynamoDB requests signed here and by botocore, compared.
#include <pws/aws/sigv4.hpp>
#include <pws/aws/detail/crypto.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "sigv4_request.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace aws = pws::aws;
namespace fs = std::filesystem;
using pws_test::request;
using pws_test::slurp;
using namespace std::chrono;
using namespace std::literals;

// One generated request, with what it is signed with.
struct dynamodb_case {
    request req;
    aws::credentials creds;
    std::string host, region, amz_date;
};

// Generates DynamoDB-shaped requests: GetItem and Query with JSON bodies that hold multi-byte
// UTF-8 and characters JSON escapes, header names in random case and order, padded values, an
// optional Content-Length, and session tokens half of the time. Credentials last a few requests
// and half the time rotate within the same day and region, so that a shared signer's key cache
// hits, misses on the date and misses on the secret alone. Some secrets are 80 characters, which
// makes "AWS4"+secret longer than an HMAC block.
std::vector<dynamodb_case> generate(unsigned seed, int count) {
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto chance = [&](int percent) { return uniform(1, 100) <= percent; };
    auto pick = [&](const auto& from) { return from[std::size_t(uniform(0, int(std::size(from)) - 1))]; };
    auto chars = [&](std::string_view from, int n) {
        std::string s;
        while (n-- > 0) s += pick(from);
        return s;
    };
    auto random_case = [&](std::string s) {
        for (char& c : s)
            if (c >= 'a' && c <= 'z' && chance(40)) c = char(c - 'a' + 'A');
        return s;
    };
    auto text = [&] {
        static constexpr std::string_view pieces[] = {"a", "Z", "7", " ", "-",  "\"", "\\",   "/", "\n",
                                                      "é", "ß", "ñ", "€", "中", "文", "日本", "😀", "🚀"};
        std::string s;
        for (int i = uniform(1, 24); i > 0; --i) s += pick(pieces);
        return s;
    };
    constexpr std::string_view regions[] = {"us-east-1",     "eu-west-3",  "ap-southeast-2", "sa-east-1",
                                            "us-gov-west-1", "cn-north-1", "me-central-1"};
    constexpr std::string_view base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    std::vector<dynamodb_case> cases;
    aws::credentials creds;
    std::string region;
    sys_days day;
    for (int i = 0; i < count; ++i) {
        if (i == 0 || chance(30)) {
            creds.access_key_id = "AKIA" + chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
            creds.secret_access_key = chars(base64, chance(15) ? 80 : 40);
            creds.session_token = chance(50) ? chars(base64, uniform(100, 400)) : "";
            if (i == 0 || chance(50)) {  // else the credentials rotate within the day and region
                region = pick(regions);
                day = sys_days(2012y / 1 / 1) + days(uniform(0, 365 * 30));
            }
        }
        dynamodb_case c{{}, creds, {}, region, aws::format_amz_date(day + seconds(uniform(0, 86399)))};
        const std::string port = std::to_string(uniform(1024, 65535));
        const std::string local = (chance(50) ? "127.0.0.1:" : "localhost:") + port;
        c.host = chance(70) ? "dynamodb." + region + ".amazonaws.com" : local;
        const bool query = chance(50);
        boost::json::object body{{"TableName", chance(50) ? "apps" : "pws-apps"}};
        if (query) {
            body["IndexName"] = "key-index";
            body["KeyConditionExpression"] = "#k = :k";
            body["ExpressionAttributeNames"] = {{"#k", "key"}};
            body["ExpressionAttributeValues"] = {{":k", {{"S", text()}}}};
            body["Limit"] = 2;
        } else {
            body["Key"] = {{"id", {{"S", text()}}}};
            body["ConsistentRead"] = chance(50);
        }
        c.req.body = boost::json::serialize(body);
        auto pad = [&](std::string v) { return chance(20) ? "  " + v + " " : v; };
        auto& h = c.req.fields;
        h = {{random_case("content-type"), pad("application/x-amz-json-1.0")}, {random_case("host"), c.host},
             {random_case("x-amz-date"), c.amz_date},
             {random_case("x-amz-target"), pad("DynamoDB_20120810."s + (query ? "Query" : "GetItem"))}};
        if (!creds.session_token.empty())
            h.emplace_back(random_case("x-amz-security-token"), creds.session_token);
        if (chance(30)) h.emplace_back(random_case("content-length"), std::to_string(c.req.body.size()));
        std::shuffle(h.begin(), h.end(), rng);
        cases.push_back(std::move(c));
    }
    return cases;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? "'\\''" : std::string(1, c);
    return out + "'";
}

// Pipes `input` to the oracle and returns its stdout; fails the test, with the oracle's stderr,
// when it cannot run or exits non-zero.
std::string run_oracle(const std::string& python, const std::string& oracle, const std::string& input) {
    const fs::path stem = fs::temp_directory_path() / ("pws_sigv4_botocore_" + std::to_string(::getpid()));
    const fs::path in = stem.string() + ".json", err = stem.string() + ".err";
    std::ofstream(in, std::ios::binary) << input;
    const std::string cmd =
        shell_quote(python) + " " + shell_quote(oracle) + " < " + shell_quote(in) + " 2> " + shell_quote(err);
    FILE* pipe = ::popen(cmd.c_str(), "r");
    BOOST_REQUIRE_MESSAGE(pipe != nullptr, "cannot run " << cmd);
    std::string out;
    char buf[1 << 16];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    const int status = ::pclose(pipe);
    const std::string errors = slurp(err);
    fs::remove(in), fs::remove(err);
    BOOST_REQUIRE_MESSAGE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "the botocore oracle failed (" << cmd << ", status " << status << "): " << errors);
    return out;
}

std::string json_text(const boost::json::value& v) { return {v.as_string().data(), v.as_string().size()}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sigv4_botocore)

BOOST_AUTO_TEST_CASE(dynamodb_requests_match_botocore) {
    constexpr unsigned seed = 20150830;
    constexpr int count = 128, min_compared = 100;
    BOOST_TEST_MESSAGE("sigv4_botocore: " << count << " cases from std::mt19937 seed " << seed);

    const std::string python = "/usr/bin/python3";
    BOOST_REQUIRE_MESSAGE(fs::exists(python), python << " is missing: install Debian's python3-botocore");
    const char* env = std::getenv("PWS_BOTOCORE_ORACLE");  // else the one beside this file
    const fs::path here = fs::path(__FILE__).parent_path();
    const std::string oracle = env ? env : (here.parent_path() / "tools" / "botocore_oracle.py").string();
    BOOST_REQUIRE_MESSAGE(fs::exists(oracle), "no oracle at '" << oracle << "' (set PWS_BOTOCORE_ORACLE)");

    std::vector<dynamodb_case> cases = generate(seed, count);
    boost::json::array input;
    for (const dynamodb_case& c : cases) {
        boost::json::array headers;
        for (const auto& [n, v] : c.req.fields) headers.push_back(boost::json::array{n.c_str(), v.c_str()});
        input.push_back(boost::json::object{
            {"method", c.req.method}, {"host", c.host}, {"headers", std::move(headers)}, {"body", c.req.body},
            {"region", c.region}, {"service", "dynamodb"}, {"amz_date", c.amz_date},
            {"access_key", c.creds.access_key_id}, {"secret_key", c.creds.secret_access_key},
            {"token", c.creds.session_token}});
    }
    const std::string out = run_oracle(python, oracle, boost::json::serialize(input));
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(out, ec);
    BOOST_REQUIRE_MESSAGE(!ec && parsed.is_array(), "the oracle printed no JSON array: " << out.substr(0, 99));
    const boost::json::array& expected = parsed.as_array();
    BOOST_REQUIRE_EQUAL(expected.size(), cases.size());

    aws::sigv4_signer signer;  // one for all cases, as a client would
    int compared = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        dynamodb_case& c = cases[i];
        const boost::json::object& want = expected[i].as_object();
        BOOST_TEST_CONTEXT("botocore case " << i << " (seed " << seed << "): " << c.region << ", "
                                            << c.amz_date << ", host " << c.host << ", body " << c.req.body) {
            if (const auto* error = want.if_contains("error")) {
                BOOST_ERROR("the oracle refused the case: " << json_text(*error));
                continue;
            }
            const aws::signing_input in = c.req.input();
            const std::string creq = aws::sigv4_signer::canonical_request(in);
            BOOST_TEST(creq == json_text(want.at("canonical_request")));
            const std::string scope = c.amz_date.substr(0, 8) + "/" + c.region + "/dynamodb/aws4_request";
            BOOST_TEST(aws::sigv4_signer::string_to_sign(c.amz_date, scope, creq) ==
                       json_text(want.at("string_to_sign")));
            BOOST_TEST(signer.authorization(in, c.creds, c.region, "dynamodb", c.amz_date) ==
                       json_text(want.at("authorization")));
            ++compared;
        }
    }
    BOOST_TEST(compared >= min_compared, "only " << compared << " cases compared with botocore");
}

BOOST_AUTO_TEST_SUITE_END()
