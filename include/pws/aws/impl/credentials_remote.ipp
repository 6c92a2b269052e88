#pragma once

// The metadata sources: the container credentials endpoint (ECS, EKS Pod Identity) and EC2
// instance metadata (IMDSv2).

#include <pws/aws/detail/credentials_blocking.hpp>
#include <pws/aws/detail/credentials_http.hpp>
#include <pws/aws/detail/credentials_sources.hpp>
#include <pws/detail/http/connect.hpp>

#include <boost/beast/http/verb.hpp>

namespace pws::detail {

namespace credentials_remote_impl {

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

inline bool has_control(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

// IAM role names: 1 to 64 of [A-Za-z0-9+=,.@_-]. Anything else in IMDS's answer would be spliced
// into a path, so it is refused rather than encoded.
inline bool valid_role_name(std::string_view r) {
    if (r.empty() || r.size() > 64) return false;
    for (char c : r)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '=' ||
              c == ',' || c == '.' || c == '@' || c == '_' || c == '-'))
            return false;
    return true;
}

// One IMDS request. (Not a coroutine: the caller's frame then holds no lambda, which GCC 12
// warns about in headers.)
inline boost::asio::awaitable<http_reply> imds_request(chain_state& st, const http_url& url, std::string target,
                                                       boost::beast::http::verb method, const char* header,
                                                       const std::string& value, boost::asio::ssl::context* tls) {
    http_request_spec spec;
    spec.method = method;
    spec.url = url;
    spec.url.target = std::move(target);
    spec.headers.emplace_back(header, value);
    spec.timeout = st.cfg.metadata_timeout;
    return http_request(st.ex, std::move(spec), tls);
}

}  // namespace credentials_remote_impl

PWS_DECL boost::asio::awaitable<source_outcome> container_source::fetch(chain_state& st) {
    using namespace credentials_remote_impl;
    auto relative = st.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    auto full = st.env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full)
        co_return source_outcome::skip(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
    // The relative URI wins, as in every SDK; it always goes to the ECS agent.
    const char* var = relative ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    if (relative && !relative->starts_with('/'))
        co_return source_outcome::fail(std::string(var) + " must start with '/'");
    http_request_spec spec;
    std::string diag;
    if (parse_http_url(relative ? "http://169.254.170.2" + *relative : *full, spec.url, diag))
        co_return source_outcome::fail(std::string(var) + ": " + diag);
    spec.timeout = st.cfg.metadata_timeout;

    if (!spec.url.tls) {
        // Plain http only to the agents' addresses or this host, checked on every resolved
        // address, and the request goes to exactly those (no second lookup to rebind).
        auto r = co_await http::resolve_host(st.ex, spec.url.host, spec.url.port,
                                       std::chrono::steady_clock::now() + spec.timeout);
        if (r.ec) co_return source_outcome::fail(std::string(var) + ": " + r.diagnostic);
        for (auto& e : r.endpoints)
            if (!is_allowed_container_address(e.address()))
                co_return source_outcome::fail(
                    std::string(var) + " names host " + spec.url.host + " (" + e.address().to_string() +
                    "), which is not allowed over plain http: use https, or a loopback, 169.254.170.2, "
                    "169.254.170.23 or fd00:ec2::23 address");
        spec.endpoints = std::move(r.endpoints);
    }

    // The token file is read on every fetch: EKS rotates it.
    std::string token;
    if (auto token_file = st.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
        auto f = co_await async_read_small_file(st.pool(), *token_file, 64 * 1024);
        if (f.what == file_contents::status::missing)
            co_return source_outcome::fail("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + *token_file + " does not exist");
        if (f.what == file_contents::status::error)
            co_return source_outcome::fail("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + f.diagnostic);
        token = std::string(trim(f.content));
    } else if (auto t = st.env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = std::move(*t);
    }
    if (has_control(token))
        co_return source_outcome::fail("the container authorization token holds a line break or control character");
    if (!token.empty()) spec.headers.emplace_back("Authorization", std::move(token));

    boost::asio::ssl::context* tls = nullptr;
    if (spec.url.tls && !(tls = st.tls(diag))) co_return source_outcome::fail(std::string(var) + ": " + diag);
    const std::string peer = describe_peer(spec.url);
    auto reply = co_await http_request(st.ex, std::move(spec), tls);
    if (reply.ec) co_return source_outcome::fail(reply.diagnostic);
    if (reply.status != 200)
        co_return source_outcome::fail("GET " + peer + " (" + var + ") answered HTTP " + std::to_string(reply.status));
    aws::credentials c;
    std::optional<sys_time> exp;
    if (parse_json_credentials(reply.body, json_credentials_kind::container, c, exp, diag))
        co_return source_outcome::fail(diag + " (from " + peer + ")");
    co_return source_outcome::of(std::move(c), exp);
}

PWS_DECL boost::asio::awaitable<source_outcome> instance_metadata_source::fetch(chain_state& st) {
    using namespace credentials_remote_impl;
    namespace http = boost::beast::http;
    if (auto off = st.env("AWS_EC2_METADATA_DISABLED"); off && iequals(*off, "true"))
        co_return source_outcome::skip("AWS_EC2_METADATA_DISABLED is true");
    std::string base = st.env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
    if (base.empty()) {
        auto mode = st.env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        base = mode && iequals(*mode, "IPv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
    }
    http_url url;
    std::string diag;
    if (parse_http_url(base, url, diag)) co_return source_outcome::fail("AWS_EC2_METADATA_SERVICE_ENDPOINT: " + diag);
    std::string prefix = url.target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    const std::string peer = describe_peer(url);
    boost::asio::ssl::context* tls = nullptr;
    if (url.tls && !(tls = st.tls(diag))) co_return source_outcome::fail(diag);

    // IMDSv2 only: a session token first. No fallback to v1, which answers without one.
    auto r = co_await imds_request(st, url, prefix + "/latest/api/token", http::verb::put, "X-aws-ec2-metadata-token-ttl-seconds",
                                  "21600", tls);
    if (r.ec) co_return source_outcome::fail("no instance metadata service: " + r.diagnostic);
    if (r.status != 200)
        co_return source_outcome::fail("PUT " + peer + "/latest/api/token answered HTTP " + std::to_string(r.status));
    std::string token(trim(r.body));
    if (token.empty() || has_control(token))
        co_return source_outcome::fail("PUT " + peer + "/latest/api/token answered no usable token");

    const std::string creds_path = "/latest/meta-data/iam/security-credentials/";
    r = co_await imds_request(st, url, prefix + creds_path, http::verb::get, "X-aws-ec2-metadata-token", token, tls);
    if (r.ec) co_return source_outcome::fail(r.diagnostic);
    if (r.status == 404) co_return source_outcome::fail("no IAM role is attached to this instance (" + peer + ")");
    if (r.status != 200)
        co_return source_outcome::fail("GET " + peer + creds_path + " answered HTTP " + std::to_string(r.status));
    std::string_view listing = trim(r.body);
    std::string role(trim(listing.substr(0, listing.find('\n'))));
    if (!valid_role_name(role))
        co_return source_outcome::fail("GET " + peer + creds_path + " answered no valid role name");

    r = co_await imds_request(st, url, prefix + creds_path + role, http::verb::get, "X-aws-ec2-metadata-token", token, tls);
    if (r.ec) co_return source_outcome::fail(r.diagnostic);
    if (r.status != 200)
        co_return source_outcome::fail("GET " + peer + creds_path + role + " answered HTTP " + std::to_string(r.status));
    aws::credentials c;
    std::optional<sys_time> exp;
    if (parse_json_credentials(r.body, json_credentials_kind::instance_metadata, c, exp, diag))
        co_return source_outcome::fail(diag + " (from " + peer + ")");
    co_return source_outcome::of(std::move(c), exp);
}

}  // namespace pws::detail
