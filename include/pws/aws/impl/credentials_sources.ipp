#pragma once

// The shared state, the local sources (explicit, environment, shared files) and web identity.

#include <pws/aws/detail/credentials_blocking.hpp>
#include <pws/aws/detail/credentials_http.hpp>
#include <pws/aws/detail/credentials_sources.hpp>
#include <pws/detail/http/tls_context.hpp>
#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/redact.hpp>

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdlib>

namespace pws::detail {

namespace credentials_sources_impl {

// Shared files, token files and process output are small; anything larger is a mistake.
inline constexpr std::size_t max_file_bytes = 1024 * 1024;
inline constexpr std::size_t max_process_output = 64 * 1024;

inline std::string_view trim_ws(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

inline std::string quoted(std::string_view s) { return "'" + std::string(s.substr(0, 128)) + "'"; }

struct both_files {
    file_contents credentials, config;
};

inline std::string_view get(const profile_properties& p, std::string_view key) {
    auto it = p.find(key);
    return it == p.end() ? std::string_view{} : std::string_view(it->second);
}

// Runs a profile's credential_process on the provider's thread and reads its JSON. Neither the
// command (it may carry arguments the user considers private) nor its output appear in errors.
inline boost::asio::awaitable<source_outcome> credential_process(chain_state& st, std::string command,
                                                                 std::string where) {
    auto timeout = st.cfg.process_timeout;
    auto out = co_await async_run_process(st.pool(), std::move(command), timeout, max_process_output);
    if (!out.started) co_return source_outcome::fail(where + " could not be started (/bin/sh)");
    if (out.timed_out)
        co_return source_outcome::fail(where + " did not finish within " + std::to_string(timeout.count()) +
                                       " ms and was killed");
    if (out.too_large)
        co_return source_outcome::fail(where + " wrote more than " + std::to_string(max_process_output) + " bytes");
    if (out.signal != 0)
        co_return source_outcome::fail(where + " was ended by signal " + std::to_string(out.signal));
    if (out.exit_code != 0)
        co_return source_outcome::fail(where + " exited with status " + std::to_string(out.exit_code));
    aws::credentials c;
    std::optional<sys_time> exp;
    std::string diag;
    if (parse_json_credentials(out.output, json_credentials_kind::process, c, exp, diag))
        co_return source_outcome::fail(where + ": " + diag);
    co_return source_outcome::of(std::move(c), exp);
}

}  // namespace credentials_sources_impl

PWS_DECL chain_state::chain_state(boost::asio::any_io_executor e, aws::credentials_provider_config c)
    : ex(std::move(e)),
      cfg(std::move(c)),
      sources{explicit_source{}, environment_source{}, web_identity_source{}, profile_source{}, container_source{},
              instance_metadata_source{}},
      rng(std::random_device{}()) {}

PWS_DECL chain_state::~chain_state() = default;

PWS_DECL std::optional<std::string> chain_state::env(std::string_view name) const {
    std::optional<std::string> v;
    if (cfg.env) {
        v = cfg.env(name);
    } else if (const char* raw = std::getenv(std::string(name).c_str())) {
        v = std::string(raw);
    }
    if (v && v->empty()) v.reset();  // as the SDKs: an empty variable is an unset one
    return v;
}

PWS_DECL sys_time chain_state::now() const { return cfg.clock ? cfg.clock() : std::chrono::system_clock::now(); }

PWS_DECL boost::asio::thread_pool& chain_state::pool() {
    std::lock_guard lock(lazy_mutex_);
    if (!pool_) pool_.emplace(1);
    return *pool_;
}

PWS_DECL boost::asio::ssl::context* chain_state::tls(std::string& diag) {
    std::lock_guard lock(lazy_mutex_);
    if (!tls_) {
        std::string ca = cfg.ca_file;
        if (ca.empty()) ca = env("AWS_CA_BUNDLE").value_or("");
        tls_ = http::make_tls_context({std::move(ca), /*verify_peer=*/true}, diag);
    }
    return tls_.get();
}

PWS_DECL refresh_policy chain_state::policy() const {
    return {cfg.advisory_refresh, cfg.mandatory_refresh, cfg.failed_refresh_retry};
}

PWS_DECL boost::asio::awaitable<source_outcome> explicit_source::fetch(chain_state& st) {
    const auto& c = st.cfg.explicit_credentials;
    if (!c) co_return source_outcome::skip("not configured");
    if (c->empty()) co_return source_outcome::skip("configured, but without an access key id and secret");
    co_return source_outcome::of(*c, std::nullopt);
}

PWS_DECL boost::asio::awaitable<source_outcome> environment_source::fetch(chain_state& st) {
    auto id = st.env("AWS_ACCESS_KEY_ID");
    auto secret = st.env("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) co_return source_outcome::skip("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    if (!id) co_return source_outcome::skip("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (!secret) co_return source_outcome::skip("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    co_return source_outcome::of({std::move(*id), std::move(*secret), st.env("AWS_SESSION_TOKEN").value_or("")},
                                 std::nullopt);
}

PWS_DECL boost::asio::awaitable<source_outcome> web_identity_source::fetch(chain_state& st) {
    auto file = st.env("AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!file) co_return source_outcome::skip("AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    auto role = st.env("AWS_ROLE_ARN");
    if (!role) co_return source_outcome::fail("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    co_return co_await assume_role_with_web_identity(st, std::move(*file), std::move(*role),
                                                     st.env("AWS_ROLE_SESSION_NAME").value_or(""),
                                                     "AWS_WEB_IDENTITY_TOKEN_FILE");
}

PWS_DECL boost::asio::awaitable<source_outcome> assume_role_with_web_identity(chain_state& st, std::string token_file,
                                                                              std::string role_arn,
                                                                              std::string session_name,
                                                                              std::string origin) {
    using namespace credentials_sources_impl;
    auto file = co_await async_read_small_file(st.pool(), token_file, max_file_bytes);
    if (file.what == file_contents::status::missing)
        co_return source_outcome::fail("the web identity token file " + token_file + " (" + origin + ") does not exist");
    if (file.what == file_contents::status::error) co_return source_outcome::fail(file.diagnostic + " (" + origin + ")");
    std::string token(trim_ws(file.content));
    if (token.empty()) co_return source_outcome::fail("the web identity token file " + token_file + " is empty");

    if (session_name.empty()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(st.now().time_since_epoch()).count();
        session_name = "pws-app-manager-" + std::to_string(ms);
    }
    std::string region = st.cfg.region;
    if (region.empty()) region = st.env("AWS_REGION").value_or(st.env("AWS_DEFAULT_REGION").value_or(""));
    std::string override_url = st.cfg.sts_endpoint;
    if (override_url.empty()) override_url = st.env("AWS_ENDPOINT_URL_STS").value_or("");

    http_request_spec spec;
    std::string diag;
    if (parse_http_url(sts_url(override_url, region), spec.url, diag))
        co_return source_outcome::fail("the STS endpoint: " + diag);
    const std::string where = "STS AssumeRoleWithWebIdentity at " + describe_peer(spec.url) + " (" + origin +
                              ", role " + quoted(role_arn) + ")";
    boost::asio::ssl::context* tls = nullptr;
    if (spec.url.tls && !(tls = st.tls(diag))) co_return source_outcome::fail(where + ": " + diag);

    // The query API, unsigned: the token is the proof. POSTed as a form so that the token stays
    // out of URLs (and so out of any proxy's access log).
    spec.method = boost::beast::http::verb::post;
    spec.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    spec.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=";
    append_form_encoded(spec.body, role_arn);
    spec.body += "&RoleSessionName=";
    append_form_encoded(spec.body, session_name);
    spec.body += "&WebIdentityToken=";
    append_form_encoded(spec.body, token);
    spec.timeout = st.cfg.sts_timeout;
    auto reply = co_await http_request(st.ex, std::move(spec), tls);
    if (reply.ec) co_return source_outcome::fail(where + ": " + reply.diagnostic);
    if (reply.status != 200) {
        std::string summary = sts_error_summary(reply.body);
        pws::scrub(summary, token);  // an identity provider's message may quote the token
        co_return source_outcome::fail(where + ": HTTP " + std::to_string(reply.status) +
                                       (summary.empty() ? "" : " " + summary));
    }
    aws::credentials c;
    sys_time exp;
    if (parse_sts_credentials(reply.body, c, exp, diag)) co_return source_outcome::fail(where + ": " + diag);
    co_return source_outcome::of(std::move(c), exp);
}

PWS_DECL boost::asio::awaitable<source_outcome> profile_source::fetch(chain_state& st) {
    using namespace credentials_sources_impl;
    auto home = st.env("HOME");
    auto creds_path = st.env("AWS_SHARED_CREDENTIALS_FILE");
    auto config_path = st.env("AWS_CONFIG_FILE");
    // Without HOME, the default paths do not exist (an explicit path still may).
    std::string cp = creds_path ? expand_home(*creds_path, home.value_or(""))
                     : home     ? *home + "/.aws/credentials"
                                : "";
    std::string fp = config_path ? expand_home(*config_path, home.value_or(""))
                     : home      ? *home + "/.aws/config"
                                 : "";
    if (cp.empty() && fp.empty()) co_return source_outcome::skip("HOME is not set");
    const std::string files_named = (cp.empty() ? "~/.aws/credentials (HOME is not set)" : cp) + " or " +
                                    (fp.empty() ? "~/.aws/config (HOME is not set)" : fp);
    bool chosen = !st.cfg.profile.empty();
    std::string name = st.cfg.profile;
    if (name.empty()) {
        auto p = st.env("AWS_PROFILE");
        chosen = p.has_value();
        name = p.value_or("default");
    }

    both_files files;
    if (!cp.empty()) files.credentials = co_await async_read_small_file(st.pool(), cp, max_file_bytes);
    if (!fp.empty()) files.config = co_await async_read_small_file(st.pool(), fp, max_file_bytes);
    if (files.credentials.what == file_contents::status::error) co_return source_outcome::fail(files.credentials.diagnostic);
    if (files.config.what == file_contents::status::error) co_return source_outcome::fail(files.config.diagnostic);
    if (files.credentials.what == file_contents::status::missing && files.config.what == file_contents::status::missing) {
        if (chosen) co_return source_outcome::fail("profile " + quoted(name) + " chosen, but there is no " + files_named);
        co_return source_outcome::skip("there is no " + files_named);
    }
    auto profile = merge_profile(parse_profile_file(files.config.content, true),
                                 parse_profile_file(files.credentials.content, false), name);
    const std::string where = "profile " + quoted(name);
    if (!profile) {
        if (chosen) co_return source_outcome::fail(where + " is not in " + files_named);
        co_return source_outcome::skip("no " + where + " in " + files_named);
    }
    const auto& p = *profile;
    if (auto role = get(p, "role_arn"); !role.empty()) {
        if (auto file = get(p, "web_identity_token_file"); !file.empty())
            co_return co_await assume_role_with_web_identity(st, expand_home(file, home.value_or("")), std::string(role),
                                                             std::string(get(p, "role_session_name")), where);
        co_return source_outcome::fail(where + " assumes a role with source_profile or credential_source, which "
                                               "this library does not support (use web_identity_token_file, "
                                               "credential_process or the container/instance role)");
    }
    auto id = get(p, "aws_access_key_id"), secret = get(p, "aws_secret_access_key");
    if (!id.empty() || !secret.empty()) {
        if (id.empty()) co_return source_outcome::fail(where + " has aws_secret_access_key but no aws_access_key_id");
        if (secret.empty()) co_return source_outcome::fail(where + " has aws_access_key_id but no aws_secret_access_key");
        co_return source_outcome::of({std::string(id), std::string(secret), std::string(get(p, "aws_session_token"))},
                                     std::nullopt);
    }
    if (auto command = get(p, "credential_process"); !command.empty())
        co_return co_await credential_process(st, std::string(command), "the credential_process of " + where);
    if (!get(p, "sso_session").empty() || !get(p, "sso_start_url").empty())
        co_return source_outcome::fail(where + " uses IAM Identity Center (sso_*), which this library does not support");
    co_return source_outcome::skip(where + " has no credentials");
}

}  // namespace pws::detail
