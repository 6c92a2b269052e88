// Secrets: every error path — each fault of the fault front, hostile servers (one echoing our
// secrets back), wrongly typed AppSecret attributes, missing or broken credentials, bad config —
// driven with known secret values (AWS secret key, session token, app secret); none of them may
// appear in a diagnostic or an exception's text.
#include "hardening_support.hpp"

#include "support/fault_front.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fstream>
#include <optional>

using namespace pws::test;
using conn = raw_server::conn;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Sets (or unsets) environment variables for one scope, then puts them back.
class env_guard {
public:
    void set(const char* name, const char* value) {
        if (!saved_.count(name)) {
            const char* old = std::getenv(name);
            saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~env_guard() {
        for (auto& [name, value] : saved_)
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
    }

private:
    std::map<std::string, std::optional<std::string>> saved_;
};

// No credentials anywhere but where a test puts them, and no network source (IMDS, container
// endpoint, STS) that could leave the loopback interface.
void isolate_credentials(env_guard& env, const std::string& dir) {
    for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                          "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"})
        env.set(v, nullptr);
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    env.set("AWS_SHARED_CREDENTIALS_FILE", (dir + "/credentials").c_str());
    env.set("AWS_CONFIG_FILE", (dir + "/config").c_str());
    env.set("HOME", dir.c_str());
}

std::string temp_dir() {
    char tmpl[] = "/tmp/pws-hardening-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    BOOST_TEST_REQUIRE(d != nullptr);
    return d;
}

// A server that echoes the secrets it can see (the session token arrives in a header) in its
// error: in the body's message, the error-type header and the request-id header.
raw_server echo_server(unsigned status) {
    return raw_server([status](conn& c) -> asio::awaitable<void> {
        while (auto req = co_await c.read_request()) {
            const std::string token((*req)["X-Amz-Security-Token"]);
            const std::string body = json::serialize(json::object{
                {"__type", "com.amazon.coral.service#UnrecognizedClientException"},
                {"message", "The security token included in the request is invalid: " + token +
                                " (secret " + aws_secret + ", app " + app_secret + ")"}});
            const std::string headers = "x-amzn-RequestId: " + token + "\r\nx-amzn-ErrorType: " + aws_secret + "\r\n";
            if (!co_await c.send(http_response(body, status, headers))) co_return;
        }
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(every_fault_of_the_front) {
    using pws::test::fault;
    // The front forwards to a raw server that serves the app (and so its secret).
    raw_server upstream([](conn& c) -> asio::awaitable<void> {
        while (co_await c.read_request())
            if (!co_await c.send(http_response(get_item_body()))) co_return;
    });
    for (fault f : {fault::drop_before_request, fault::drop_after_request, fault::stall, fault::status_500,
                    fault::status_503, fault::throttle, fault::corrupt_body, fault::bad_crc, fault::validation}) {
        BOOST_TEST_CONTEXT("fault " << int(f)) {
            fault_front front("127.0.0.1", upstream.port());
            front.push(f, 8);
            auto cfg = config_for(front.endpoint());
            cfg.max_attempts = 2;
            cfg.retry_base_delay = 1ms;
            cfg.throttling_base_delay = 1ms;
            cfg.attempt_timeout = 500ms;
            cfg.total_timeout = 1500ms;
            for (bool by_key : {false, true}) {
                auto r = lookup(cfg, by_key);
                BOOST_TEST(r.failed(), "fault " << int(f) << " did not fail the lookup");
                check_no_secret(r.diagnostic, "fault");
                BOOST_TEST(r.ec.message().find(aws_secret) == std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_server_echoing_the_secrets) {
    // Whole secrets never survive: the client scrubs what the server sends back.
    for (unsigned status : {400u, 403u, 500u}) {
        BOOST_TEST_CONTEXT("HTTP " << status) {
            auto s = echo_server(status);
            auto r = lookup(config_for(s.endpoint()));
            BOOST_TEST(r.failed());
            BOOST_TEST(r.diagnostic.find(aws_secret) == std::string::npos, r.diagnostic);
            BOOST_TEST(r.diagnostic.find(session_token) == std::string::npos, r.diagnostic);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_server_echoing_pieces_and_encodings_of_the_secrets) {
    // Half the session token, the secret key percent-encoded (upper and lower case) and
    // JSON-escaped, in the message, the error type and the request id: none of it, nor any
    // 16-byte piece of it, reaches the diagnostic.
    auto url = [](const std::string& v, const char* hex) {
        std::string out;
        for (unsigned char c : v) {
            if (std::isalnum(c)) {
                out += static_cast<char>(c);
            } else {
                out += '%';
                out += hex[c >> 4];
                out += hex[c & 0xF];
            }
        }
        return out;
    };
    std::string escaped;
    for (char c : aws_secret) escaped += c == '/' ? std::string("\\/") : std::string(1, c);
    const std::vector<std::string> echoes{session_token.substr(0, session_token.size() / 2),
                                          session_token.substr(session_token.size() / 3, 40),
                                          url(aws_secret, "0123456789ABCDEF"), url(aws_secret, "0123456789abcdef")};
    for (const std::string& echo : echoes) {
        raw_server s([&](conn& c) -> asio::awaitable<void> {
            while (co_await c.read_request()) {
                // The JSON-escaped form goes in raw, as a server writing its own JSON would.
                const std::string body = R"({"__type":"x#UnrecognizedClientException","message":"bad: )" + echo +
                                         " or " + escaped + R"("})";
                const std::string headers = "x-amzn-RequestId: " + echo + "\r\nx-amzn-ErrorType: " + echo + "\r\n";
                if (!co_await c.send(http_response(body, 400, headers))) co_return;
            }
        });
        auto r = lookup(config_for(s.endpoint()));
        BOOST_TEST(r.failed());
        check_no_secret(r.diagnostic, "echoed piece", false);
        for (std::size_t i = 0; i + 16 <= echo.size(); i += 8)
            BOOST_TEST(r.diagnostic.find(echo.substr(i, 16)) == std::string::npos, r.diagnostic);
        for (std::size_t i = 0; i + 16 <= escaped.size(); i += 8)
            BOOST_TEST(r.diagnostic.find(escaped.substr(i, 16)) == std::string::npos, r.diagnostic);
    }
}

BOOST_AUTO_TEST_CASE(hostile_responses) {
    const std::string responses[] = {
        "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        http_response("<html>" + app_secret + "</html>"),
        http_response(get_item_body(), 200, "x-amz-crc32: 1\r\n"),
        http_response(R"({"__type":"x#ValidationException","message":")" + std::string(600, 'm') + R"("})", 400),
        http_response("", 429),
        http_response("", 503),
    };
    for (auto& raw : responses) {
        BOOST_TEST_CONTEXT(raw.substr(0, 40)) {
            raw_server s([&](conn& c) -> asio::awaitable<void> {
                while (co_await c.read_request())
                    if (!co_await c.send(raw)) co_return;
            });
            auto cfg = config_for(s.endpoint());
            cfg.max_response_bytes = 4096;
            for (bool by_key : {false, true}) {
                auto r = lookup(cfg, by_key);
                BOOST_TEST(!r.found());
                check_no_secret(r.diagnostic, "hostile response");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(app_secret_of_the_wrong_type) {
    const json::value wrong[] = {
        {{"N", app_secret}}, {{"B", app_secret}}, {{"SS", {app_secret}}}, {{"L", {{{"S", app_secret}}}}},
        {{"M", {{"S", {{"S", app_secret}}}}}}, {{"S", app_secret}, {"N", "1"}}, {{"NULL", app_secret}},
        json::value(app_secret), {{"BOOL", app_secret}}};
    for (auto& w : wrong) {
        auto item = good_item();
        item["AppSecret"] = w;
        raw_server s([&](conn& c) -> asio::awaitable<void> {
            while (co_await c.read_request())
                if (!co_await c.send(http_response(get_item_body(item)))) co_return;
        });
        auto r = lookup(config_for(s.endpoint()));
        BOOST_TEST(r.ec == pws::error::malformed_item, r.diagnostic);
        check_no_secret(r.diagnostic, "AppSecret");
    }
    // A valid secret with another attribute broken: the diagnostic names that attribute only.
    auto item = good_item();
    item["MaxConnections"] = {{"N", app_secret}};
    raw_server s([&](conn& c) -> asio::awaitable<void> {
        while (co_await c.read_request())
            if (!co_await c.send(http_response(get_item_body(item)))) co_return;
    });
    auto r = lookup(config_for(s.endpoint()));
    BOOST_TEST(r.ec == pws::error::malformed_item);
    BOOST_TEST(r.diagnostic.find("MaxConnections") != std::string::npos, r.diagnostic);
}

BOOST_AUTO_TEST_CASE(credentials_errors) {
    env_guard env;
    const std::string dir = temp_dir();
    isolate_credentials(env, dir);
    raw_server s([](conn& c) -> asio::awaitable<void> {
        while (co_await c.read_request())
            if (!co_await c.send(http_response("{}"))) co_return;
    });
    auto cfg = config_for(s.endpoint());

    // None at all.
    cfg.credentials.reset();
    auto r = lookup(cfg);
    BOOST_TEST(r.failed(), r.diagnostic);
    check_no_secret(r.diagnostic, "no credentials");

    // Broken shared files that hold the secrets in odd places.
    std::ofstream(dir + "/credentials")
        << "[default]\naws_access_key_id AKIDBROKEN\naws_secret_access_key\n  " << aws_secret
        << "\n[" << session_token << "\naws_session_token = \n" << app_secret << " = " << aws_secret << "\n";
    std::ofstream(dir + "/config") << "[profile default\ncredential_process = /nonexistent/" << aws_secret
                                   << " " << session_token << "\n";
    r = lookup(cfg);
    check_no_secret(r.diagnostic, "broken shared files");
    env.set("AWS_PROFILE", "nosuchprofile");
    r = lookup(cfg);
    check_no_secret(r.diagnostic, "missing profile");

    // Explicit credentials with a control character: refused before any request.
    cfg.credentials = pws::aws::credentials{"AKID\nX", aws_secret, session_token + "\r\n" + aws_secret};
    r = lookup(cfg);
    BOOST_TEST(r.failed());
    check_no_secret(r.diagnostic, "control character");
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_configuration) {
    boost::asio::io_context ioc;
    auto expect_refused = [&](pws::DynamoDbConfig cfg, const char* what) {
        try {
            manager apps(ioc.get_executor(), std::move(cfg));
            BOOST_TEST(false, what << ": accepted");
        } catch (const boost::system::system_error& e) {
            check_no_secret(e.what(), what);
        }
    };
    auto base = config_for("http://127.0.0.1:1");
    auto c = base;
    c.region = "not a region";
    expect_refused(c, "region");
    c = base;
    c.endpoint = "ftp://127.0.0.1";
    expect_refused(c, "endpoint scheme");
    c = base;
    c.table = "";
    expect_refused(c, "table");
    c = base;
    c.max_attempts = 0;
    expect_refused(c, "max_attempts");
    c = base;
    c.endpoint = "https://127.0.0.1:1";
    c.ca_file = "/nonexistent/ca.pem";
    expect_refused(c, "ca_file");
}

BOOST_AUTO_TEST_CASE(timeouts_and_refusals) {
    unsigned short port;
    {
        asio::io_context ioc;
        asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    auto r = lookup(config_for("http://127.0.0.1:" + std::to_string(port)));
    BOOST_TEST(r.ec == pws::error::connection_failed, r.diagnostic);
    check_no_secret(r.diagnostic, "refused");
}

BOOST_AUTO_TEST_SUITE_END()

// Leaks the tests above found in their stricter form (fixed).
BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(echoed_secrets_are_cut_before_they_are_scrubbed) {
    // The server's message is cut to 512 bytes and the request id to 128 before the secrets are
    // scrubbed, so a token cut short is no longer found, and its first few hundred bytes remain.
    // (The echoed app secret is not checked here: the client cannot know an app's secret before
    // it has read the app, and DynamoDB's errors never quote item data.)
    auto s = echo_server(400);
    auto r = lookup(config_for(s.endpoint()));
    BOOST_TEST(r.diagnostic.find("UnrecognizedClientException") != std::string::npos, r.diagnostic);
    check_no_secret(r.diagnostic, "echoed", false);
}

BOOST_AUTO_TEST_CASE(app_secret_as_the_type_key_is_quoted) {
    // {"AppSecret": {"<secret>": ...}}: the wrong-type diagnostic quotes the type key, which here
    // is the secret (the decoder takes care never to quote AppSecret's payload, but not its key).
    auto item = good_item();
    item["AppSecret"] = {{app_secret, "x"}};
    raw_server s([&](conn& c) -> asio::awaitable<void> {
        while (co_await c.read_request())
            if (!co_await c.send(http_response(get_item_body(item)))) co_return;
    });
    auto r = lookup(config_for(s.endpoint()));
    BOOST_TEST(r.ec == pws::error::malformed_item);
    check_no_secret(r.diagnostic, "AppSecret type key");
}

BOOST_AUTO_TEST_CASE(endpoint_with_user_info_is_echoed) {
    // An endpoint written with credentials in it ("http://key:secret@host") is refused — and the
    // refusal quotes it whole, secret included.
    asio::io_context ioc;
    auto cfg = config_for("http://AKIDHARDENING:" + aws_secret + "@127.0.0.1:1");
    try {
        manager apps(ioc.get_executor(), cfg);
        BOOST_TEST(false, "accepted");
    } catch (const boost::system::system_error& e) {
        check_no_secret(e.what(), "endpoint");
    }
}

BOOST_AUTO_TEST_SUITE_END()
