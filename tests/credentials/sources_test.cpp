// The credentials chain's pieces: the sans-io parsers and refresh bookkeeping (no server, no
// clock), then each source alone against loopback servers and files in temporary directories.
#define BOOST_TEST_MODULE pws_credentials_tests
#include "support/fake_http.hpp"
#include "support.hpp"

#include <pws/aws/credentials_provider.hpp>
#include <pws/aws/detail/credentials_cache.hpp>
#include <pws/aws/detail/credentials_http.hpp>
#include <pws/aws/detail/credentials_parse.hpp>

#include <boost/test/unit_test.hpp>

using namespace pws::test;
namespace detail = pws::detail;
using pws::error;

BOOST_AUTO_TEST_SUITE(credentials_parse)

BOOST_AUTO_TEST_CASE(iso8601_as_aws_writes_it) {
    detail::sys_time t;
    BOOST_TEST(detail::parse_iso8601("2030-01-01T01:00:00Z", t));
    BOOST_TEST((t == t0 + 1h));
    BOOST_TEST(detail::parse_iso8601("2030-01-01T01:00:00.250Z", t));
    BOOST_TEST((t == t0 + 1h + 250ms));
    BOOST_TEST(detail::parse_iso8601("2030-01-01T03:00:00+02:00", t));
    BOOST_TEST((t == t0 + 1h));
    BOOST_TEST(detail::parse_iso8601("9999-12-31T23:59:59Z", t));  // "never": saturates, no overflow
    BOOST_TEST((t == detail::sys_time::max()));
    for (auto bad : {"", "2030-01-01", "2030-01-01T01:00:00", "2030-02-30T00:00:00Z", "2030-01-01T01:00:00Zjunk",
                     "2030-01-01 01:00:00Z", "2030-01-01T25:00:00Z", "1200-01-01T00:00:00Z"})
        BOOST_TEST(!detail::parse_iso8601(bad, t), bad);
}

BOOST_AUTO_TEST_CASE(json_documents_strictly_and_without_values_in_errors) {
    pws::aws::credentials c;
    std::optional<detail::sys_time> exp;
    std::string diag;
    auto kind = detail::json_credentials_kind::container;
    BOOST_TEST(!detail::parse_json_credentials(metadata_json("AKID", "SECRET1", "TOK1", t0 + 1h), kind, c, exp, diag));
    BOOST_TEST(c.access_key_id == "AKID");
    BOOST_TEST(c.secret_access_key == "SECRET1");
    BOOST_TEST(c.session_token == "TOK1");
    BOOST_TEST((exp && *exp == t0 + 1h));

    auto im = detail::json_credentials_kind::instance_metadata;
    auto proc = detail::json_credentials_kind::process;
    struct {
        std::string body;
        detail::json_credentials_kind kind;
        const char* says;
    } bad[] = {
        {"not json SECRET1", kind, "is not a JSON object"},
        {R"({"AccessKeyId":"AKID","SecretAccessKey":"SECRET1","Token":"TOK1"})", kind, "Expiration"},
        {R"({"AccessKeyId":"AKID","Token":"TOK1","Expiration":"2030-01-01T00:00:00Z"})", kind, "SecretAccessKey"},
        {R"({"AccessKeyId":"AKID","SecretAccessKey":"SECRET1","Expiration":"soon"})", kind, "RFC 3339"},
        {R"({"Code":"Failure","AccessKeyId":"AKID","SecretAccessKey":"SECRET1","Expiration":"2030-01-01T00:00:00Z"})", im, "Failure"},
        // A server quoting the secrets in its Code: they are scrubbed before the Code is quoted.
        {R"({"Code":"Failure SECRET1 TOK1","AccessKeyId":"AKID","SecretAccessKey":"SECRET1","Token":"TOK1","Expiration":"2030-01-01T00:00:00Z"})",
         im, "Failure *** ***"},
        {R"({"Version":2,"AccessKeyId":"AKID","SecretAccessKey":"SECRET1"})", proc, "Version"},
        {R"({"AccessKeyId":"AKID","SecretAccessKey":"SECRET1"})", proc, "Version"},
    };
    for (auto& b : bad) {
        diag.clear();
        BOOST_TEST(detail::parse_json_credentials(b.body, b.kind, c, exp, diag) == error::malformed_response);
        BOOST_TEST(diag.find(b.says) != std::string::npos, diag);
        BOOST_TEST(diag.find("SECRET1") == std::string::npos, diag);
        BOOST_TEST(diag.find("TOK1") == std::string::npos, diag);
    }
    // A process may leave out the token and the expiry: long-term keys.
    BOOST_TEST(!detail::parse_json_credentials(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})", proc, c, exp, diag));
    BOOST_TEST(!exp.has_value());
}

BOOST_AUTO_TEST_CASE(sts_response_and_error) {
    pws::aws::credentials c;
    detail::sys_time exp;
    std::string diag;
    BOOST_TEST(!detail::parse_sts_credentials(sts_xml("ASIA1", "SEC&amp;RET", "TOK", t0 + 1h), c, exp, diag), diag);
    BOOST_TEST(c.access_key_id == "ASIA1");
    BOOST_TEST(c.secret_access_key == "SEC&RET");  // entities decoded
    BOOST_TEST(c.session_token == "TOK");
    BOOST_TEST((exp == t0 + 1h));
    // Strict: a second AccessKeyId, a missing SessionToken or markup in a value is refused.
    auto twice = sts_xml("ASIA1", "SECRET1", "TOK", t0);
    twice.insert(twice.find("</Credentials>"), "<AccessKeyId>ASIA2</AccessKeyId>");
    BOOST_TEST(detail::parse_sts_credentials(twice, c, exp, diag) == error::malformed_response);
    BOOST_TEST(diag.find("more than one <AccessKeyId>") != std::string::npos, diag);
    auto no_token = sts_xml("ASIA1", "SECRET1", "TOK", t0);
    no_token.erase(no_token.find("<SessionToken>"), std::string("<SessionToken>TOK</SessionToken>").size());
    BOOST_TEST(detail::parse_sts_credentials(no_token, c, exp, diag) == error::malformed_response);
    BOOST_TEST(diag.find("SECRET1") == std::string::npos);
    BOOST_TEST(detail::parse_sts_credentials(sts_xml("A", "<b>SECRET1</b>", "T", t0), c, exp, diag) ==
               error::malformed_response);
    BOOST_TEST(diag.find("SECRET1") == std::string::npos);

    BOOST_TEST(detail::sts_error_summary(
                   "<ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                   "<Message>Incorrect token audience</Message></Error><RequestId>r</RequestId></ErrorResponse>") ==
               "InvalidIdentityToken: Incorrect token audience");
    BOOST_TEST(detail::sts_error_summary("<html>502</html>") == "");
}

BOOST_AUTO_TEST_CASE(sts_url_and_form_encoding) {
    BOOST_TEST(detail::sts_url("", "eu-west-1") == "https://sts.eu-west-1.amazonaws.com");
    BOOST_TEST(detail::sts_url("", "cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn");
    BOOST_TEST(detail::sts_url("", "") == "https://sts.amazonaws.com");
    BOOST_TEST(detail::sts_url("", "local") == "https://sts.amazonaws.com");
    BOOST_TEST(detail::sts_url("http://127.0.0.1:9", "eu-west-1") == "http://127.0.0.1:9");
    std::string s;
    detail::append_form_encoded(s, "arn:aws:iam::1:role/a b+c~._-");
    BOOST_TEST(s == "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc~._-");
}

BOOST_AUTO_TEST_CASE(shared_files_dialect) {
    auto creds = detail::parse_profile_file("# comment\n[default]\naws_access_key_id = AKID\n"
                                            "aws_secret_access_key=S1\r\n\n[dev]\naws_secret_access_key = S2\n",
                                            false);
    auto config = detail::parse_profile_file("[default]\nregion = eu-west-1\n; c\n[profile dev]\n"
                                             "aws_access_key_id = DEVID\naws_secret_access_key = OLD\n"
                                             "s3 =\n  max_concurrent_requests = 10\n[sso-session x]\nsso_region = a\n"
                                             "[dev]\naws_access_key_id = NOT_A_PROFILE\n",
                                             true);
    BOOST_TEST(creds.at("default").at("aws_access_key_id") == "AKID");
    BOOST_TEST(creds.at("default").at("aws_secret_access_key") == "S1");  // \r stripped
    BOOST_TEST(config.count("x") == 0);                                  // sso-session is not a profile
    BOOST_TEST(config.at("dev").at("s3") == "\nmax_concurrent_requests = 10");
    auto dev = detail::merge_profile(config, creds, "dev");
    BOOST_TEST_REQUIRE(dev.has_value());
    BOOST_TEST(dev->at("aws_access_key_id") == "DEVID");       // from [profile dev], not [dev] of config
    BOOST_TEST(dev->at("aws_secret_access_key") == "S2");      // the credentials file wins
    BOOST_TEST(!detail::merge_profile(config, creds, "nope").has_value());
    BOOST_TEST(detail::expand_home("~/.aws/x", "/home/u") == "/home/u/.aws/x");
    BOOST_TEST(detail::expand_home("/etc/x", "/home/u") == "/etc/x");
}

BOOST_AUTO_TEST_CASE(container_hosts_allowed_over_http) {
    namespace ip = boost::asio::ip;
    for (auto ok : {"127.0.0.1", "127.9.8.7", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23",
                    "::ffff:127.0.0.1"})
        BOOST_TEST(detail::is_allowed_container_address(ip::make_address(ok)), ok);
    for (auto no : {"10.0.0.1", "169.254.169.254", "169.254.170.3", "8.8.8.8", "fd00:ec2::254", "::ffff:10.0.0.1"})
        BOOST_TEST(!detail::is_allowed_container_address(ip::make_address(no)), no);
    detail::http_url u;
    std::string diag;
    BOOST_TEST(!detail::parse_http_url("http://127.0.0.1:8080/v1/creds?x=1", u, diag));
    BOOST_TEST(u.target == "/v1/creds?x=1");
    BOOST_TEST(u.port == 8080);
    BOOST_TEST(!detail::parse_http_url("https://[fd00:ec2::23]", u, diag));
    BOOST_TEST((u.tls && u.host == "fd00:ec2::23" && u.target == "/"));
    BOOST_TEST(detail::parse_http_url("ftp://x/", u, diag) == error::invalid_endpoint);
    BOOST_TEST(detail::parse_http_url("http://a/b#frag", u, diag) == error::invalid_endpoint);
}

BOOST_AUTO_TEST_CASE(refresh_windows_and_static_stability) {
    using detail::cache_action;
    detail::refresh_policy p;
    detail::credentials_entry e;
    BOOST_TEST((detail::decide(e, t0, p) == cache_action::wait));  // nothing held
    auto c = std::make_shared<const pws::aws::credentials>(pws::aws::credentials{"A", "S", "T"});
    detail::note_success(e, c, t0 + 1h, t0, p, false, 0s);
    BOOST_TEST((detail::decide(e, t0 + 44min, p) == cache_action::serve));
    BOOST_TEST((detail::decide(e, t0 + 46min, p) == cache_action::serve_and_refresh));  // advisory
    BOOST_TEST((detail::decide(e, t0 + 51min, p) == cache_action::wait));               // mandatory
    BOOST_TEST((detail::decide(e, t0 + 1h, p) == cache_action::wait));                  // expired

    // A failed refresh keeps unexpired credentials and waits a minute before trying again.
    BOOST_TEST(detail::note_failure(e, t0 + 51min, p, false, 0s));
    BOOST_TEST((detail::decide(e, t0 + 51min + 30s, p) == cache_action::serve));
    BOOST_TEST((detail::decide(e, t0 + 52min + 1s, p) == cache_action::wait));
    // Expired: only a static-stability source (IMDS) extends, by 5 min + jitter.
    auto copy = e;
    BOOST_TEST(!detail::note_failure(copy, t0 + 61min, p, false, 0s));
    BOOST_TEST(detail::note_failure(e, t0 + 61min, p, true, 120s));
    BOOST_TEST((e.extended && *e.expiration == t0 + 61min + 5min + 120s));
    BOOST_TEST((detail::decide(e, t0 + 63min, p) == cache_action::serve));
    BOOST_TEST((detail::decide(e, t0 + 67min, p) == cache_action::serve_and_refresh));
    BOOST_TEST((detail::decide(e, t0 + 68min, p) == cache_action::wait));
    // IMDS answering already-expired credentials (an outage) gets them extended too.
    detail::note_success(e, c, t0, t0 + 1h, p, true, 0s);
    BOOST_TEST((e.extended && *e.expiration == t0 + 1h + 5min));
    // Short-lived credentials are not re-fetched on every request.
    detail::note_success(e, c, t0 + 8min, t0, p, false, 0s);
    BOOST_TEST((detail::decide(e, t0 + 30s, p) == cache_action::serve));
    // Credentials without an expiry are served forever.
    detail::note_success(e, c, std::nullopt, t0, p, false, 0s);
    BOOST_TEST((detail::decide(e, t0 + 24h * 365, p) == cache_action::serve));
}

BOOST_AUTO_TEST_SUITE_END()

// Each source alone: the chain stops at the first that answers, so the others are unconfigured.
BOOST_AUTO_TEST_SUITE(credentials_sources)

namespace {
struct fixture : provider_fixture {
    pws::aws::credentials_result get() {
        pws::aws::credentials_provider p(ioc.get_executor(), cfg);
        return pws::test::get(ioc, p);
    }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(environment, fixture) {
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "SECRETENV");
    env.set("AWS_SESSION_TOKEN", "TOKENV");
    auto r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "environment");
    BOOST_TEST(r.creds->access_key_id == "AKIDENV");
    BOOST_TEST(r.creds->session_token == "TOKENV");
    BOOST_TEST(!r.expiration.has_value());
}

BOOST_FIXTURE_TEST_CASE(web_identity_via_sts, fixture) {
    fake_http sts([](const seen_request&) { return reply{200, sts_xml("ASIASTS", "SECRETSTS", "TOKSTS", t0 + 1h), "text/xml"}; });
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "eyJ.web+identity/token\n"));
    env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod");
    env.set("AWS_ROLE_SESSION_NAME", "my session");
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    auto r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "web identity");
    BOOST_TEST(r.creds->access_key_id == "ASIASTS");
    BOOST_TEST(r.creds->session_token == "TOKSTS");
    BOOST_TEST((r.expiration && *r.expiration == t0 + 1h));
    auto seen = sts.requests();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].method == "POST");
    BOOST_TEST(seen[0].header("authorization") == "");  // unsigned: the token is the proof
    BOOST_TEST(seen[0].header("content-type").starts_with("application/x-www-form-urlencoded"));
    BOOST_TEST(seen[0].body == "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                               "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpod"
                               "&RoleSessionName=my%20session&WebIdentityToken=eyJ.web%2Bidentity%2Ftoken");
}

BOOST_FIXTURE_TEST_CASE(web_identity_sts_error_hides_the_token, fixture) {
    fake_http sts([](const seen_request&) {
        return reply{400,
                     "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                     "<Message>Token SECRET-JWT is expired</Message></Error></ErrorResponse>",
                     "text/xml"};
    });
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "SECRET-JWT"));
    env.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/never");
    auto r = get();
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(r.diagnostic.find("InvalidIdentityToken") != std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("HTTP 400") != std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("SECRET-JWT") == std::string::npos, r.diagnostic);
    // A configured source that fails ends the search; the rest are listed as not tried.
    BOOST_TEST(r.diagnostic.find("not tried after that failure: shared files, container") != std::string::npos,
               r.diagnostic);
}

BOOST_FIXTURE_TEST_CASE(shared_files_profiles, fixture) {
    dir.write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = SECRETFILE\n"
                                  "[dev]\naws_secret_access_key = SECRETDEV\n");
    dir.write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\naws_access_key_id = AKIDDEV\n"
                             "[profile bare]\nregion = eu-west-1\n");
    auto r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "shared files");
    BOOST_TEST(r.creds->access_key_id == "AKIDFILE");

    env.set("AWS_PROFILE", "dev");
    r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "AKIDDEV");       // from the config file's [profile dev]
    BOOST_TEST(r.creds->secret_access_key == "SECRETDEV"); // from the credentials file's [dev]

    env.set("AWS_PROFILE", "missing");  // chosen but absent: a failure, not a skip
    r = get();
    BOOST_TEST((r.ec == error::no_credentials));
    BOOST_TEST(r.diagnostic.find("shared files: FAILED, profile 'missing' is not in") != std::string::npos,
               r.diagnostic);

    // Explicit paths win over HOME's.
    env.unset("AWS_PROFILE");
    env.set("AWS_SHARED_CREDENTIALS_FILE", dir.write("elsewhere", "[default]\naws_access_key_id=X\naws_secret_access_key=Y\n"));
    env.set("AWS_CONFIG_FILE", dir.path.string() + "/none");
    r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "X");
}

BOOST_FIXTURE_TEST_CASE(credential_process, fixture) {
    auto script = [&](const std::string& name, const std::string& body) {
        return dir.write(name, "#!/bin/sh\n" + body, true);
    };
    auto use = [&](const std::string& command) {
        dir.write(".aws/config", "[default]\ncredential_process = " + command + "\n");
    };
    use(script("ok.sh", "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"SECRETPROC\","
                        " \"SessionToken\": \"TOKPROC\", \"Expiration\": \"" + iso(t0 + 2h) + "\"}'\n") + " --flag");
    auto r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.creds->access_key_id == "AKIDPROC");
    BOOST_TEST(r.creds->session_token == "TOKPROC");
    BOOST_TEST((r.expiration && *r.expiration == t0 + 2h));

    use(script("v2.sh", "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETPROC\"}'\n"));
    r = get();
    BOOST_TEST(r.diagnostic.find("must have \"Version\": 1") != std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("SECRETPROC") == std::string::npos, r.diagnostic);

    use(script("fail.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETPROC\"}'\nexit 3\n"));
    r = get();
    BOOST_TEST(r.diagnostic.find("exited with status 3") != std::string::npos, r.diagnostic);
    BOOST_TEST(r.diagnostic.find("SECRETPROC") == std::string::npos, r.diagnostic);

    cfg.process_timeout = 300ms;
    use(script("slow.sh", "sleep 5\n"));
    auto start = std::chrono::steady_clock::now();
    r = get();
    BOOST_TEST(r.diagnostic.find("did not finish within 300 ms and was killed") != std::string::npos, r.diagnostic);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
}

BOOST_FIXTURE_TEST_CASE(container_full_uri_and_token_file_reread, fixture) {
    fake_http agent([](const seen_request&) { return reply{200, metadata_json("ASIACONT", "SECRETCONT", "TOKCONT", t0 + 1h)}; });
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url("/v1/credentials"));
    auto token_file = dir.write("eks-token", "token-one\n");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-set");
    pws::aws::credentials_provider p(ioc.get_executor(), cfg);
    auto r = pws::test::get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "container");
    BOOST_TEST(r.creds->access_key_id == "ASIACONT");
    dir.write("eks-token", "token-two");
    clock.advance(55min);  // mandatory window: refresh, reading the token file again
    r = pws::test::get(ioc, p);
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    auto seen = agent.requests();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[0].target == "/v1/credentials");
    BOOST_TEST(seen[0].header("authorization") == "token-one");
    BOOST_TEST(seen[1].header("authorization") == "token-two");

    // "localhost" is allowed: every address it resolves to is loopback.
    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:" + std::to_string(agent.port()) + "/v1/credentials");
    r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(agent.requests().back().header("authorization") == "ignored-when-a-file-is-set");
}

BOOST_FIXTURE_TEST_CASE(container_full_uri_to_other_hosts_refused, fixture) {
    for (auto url : {"http://10.1.2.3/creds", "http://169.254.169.254/latest/meta-data/", "http://8.8.8.8:80/x"}) {
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
        auto start = std::chrono::steady_clock::now();
        auto r = get();
        BOOST_TEST((r.ec == error::no_credentials));
        BOOST_TEST(r.diagnostic.find("which is not allowed over plain http") != std::string::npos, r.diagnostic);
        BOOST_TEST((std::chrono::steady_clock::now() - start < 500ms));  // refused without connecting
    }
    // The relative URI wins over the full one (and always means the ECS agent's address).
    fake_http agent([](const seen_request&) { return reply{200, metadata_json("A", "S", "T", t0 + 1h)}; });
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url("/creds"));
    env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/credentials/id");
    auto r = get();
    BOOST_TEST(r.diagnostic.find("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'") != std::string::npos,
               r.diagnostic);
    BOOST_TEST(agent.count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(instance_metadata_v2, fixture) {
    fake_http imds([](const seen_request& q) {
        if (q.method == "PUT" && q.target == "/latest/api/token") return reply{200, "IMDS-SESSION-TOKEN", "text/plain"};
        if (q.header("x-aws-ec2-metadata-token") != "IMDS-SESSION-TOKEN") return reply{401, "", "text/plain"};
        if (q.target == "/latest/meta-data/iam/security-credentials/") return reply{200, "web-role\n", "text/plain"};
        if (q.target == "/latest/meta-data/iam/security-credentials/web-role")
            return reply{200, metadata_json("ASIAIMDS", "SECRETIMDS", "TOKIMDS", t0 + 6h)};
        return reply{404, "", "text/plain"};
    });
    auto r = get();  // disabled by `isolated`
    BOOST_TEST(r.diagnostic.find("instance metadata: skipped, AWS_EC2_METADATA_DISABLED is true") != std::string::npos,
               r.diagnostic);
    BOOST_TEST(imds.count() == 0u);

    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url("/"));
    r = get();
    BOOST_TEST_REQUIRE(!r.ec, r.diagnostic);
    BOOST_TEST(r.source == "instance metadata");
    BOOST_TEST(r.creds->access_key_id == "ASIAIMDS");
    BOOST_TEST((r.expiration && *r.expiration == t0 + 6h));
    auto seen = imds.requests();
    BOOST_TEST_REQUIRE(seen.size() == 3u);
    BOOST_TEST(seen[0].method == "PUT");
    BOOST_TEST(seen[0].header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
    BOOST_TEST(seen[1].method == "GET");
    BOOST_TEST(seen[2].target == "/latest/meta-data/iam/security-credentials/web-role");
}

BOOST_AUTO_TEST_SUITE_END()
