// Shared by the credentials tests: an injected environment, a manual clock, temporary
// directories, canned credentials documents, and running a coroutine to completion.
#pragma once

#include <pws/aws/credentials_provider.hpp>

#include "support/test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace pws::test {

namespace asio = boost::asio;
using sys_clock = std::chrono::system_clock;
using namespace std::chrono_literals;

/// A fixed start for the manual clock: 2030-01-01T00:00:00Z.
inline const sys_clock::time_point t0 = sys_clock::from_time_t(1893456000);

/// "2030-01-01T01:00:00Z" for a time point.
inline std::string iso(sys_clock::time_point t) {
    std::time_t tt = sys_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// A clock the test moves; copies share the time.
struct manual_clock {
    std::shared_ptr<std::atomic<sys_clock::rep>> ticks =
        std::make_shared<std::atomic<sys_clock::rep>>(t0.time_since_epoch().count());
    sys_clock::time_point now() const { return sys_clock::time_point(sys_clock::duration(ticks->load())); }
    void set(sys_clock::time_point t) { ticks->store(t.time_since_epoch().count()); }
    void advance(sys_clock::duration d) { set(now() + d); }
};

/// An environment the test edits between fetches; copies share the variables.
struct fake_env {
    std::shared_ptr<std::map<std::string, std::string>> vars = std::make_shared<std::map<std::string, std::string>>();
    void set(const std::string& k, const std::string& v) { (*vars)[k] = v; }
    void unset(const std::string& k) { vars->erase(k); }
};

/// A directory removed at the end of the test.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pws-creds-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    /// Writes `name` (mode 0755 when `executable`) and returns its full path.
    std::string write(const std::string& name, const std::string& content, bool executable = false) const {
        auto p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
        if (executable)
            std::filesystem::permissions(p, std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
        return p.string();
    }
};

/// A provider config whose environment and clock are the test's: HOME is an empty temporary
/// directory and IMDS is disabled, so nothing outside the test is ever read or called.
inline aws::credentials_provider_config isolated(const fake_env& env, const manual_clock& clock, const temp_dir& home) {
    env.vars->insert({"HOME", home.path.string()});
    env.vars->insert({"AWS_EC2_METADATA_DISABLED", "true"});
    aws::credentials_provider_config c;
    c.env = [vars = env.vars](std::string_view name) -> std::optional<std::string> {
        auto it = vars->find(std::string(name));
        if (it == vars->end()) return std::nullopt;
        return it->second;
    };
    c.clock = [clock] { return clock.now(); };
    c.region = "us-east-1";
    return c;
}

/// The container endpoint's / IMDS's document.
inline std::string metadata_json(const std::string& id, const std::string& secret, const std::string& token,
                                 sys_clock::time_point exp) {
    return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + id + R"(","SecretAccessKey":")" + secret +
           R"(","Token":")" + token + R"(","Expiration":")" + iso(exp) + R"("})";
}

/// An STS AssumeRoleWithWebIdentity response.
inline std::string sts_xml(const std::string& id, const std::string& secret, const std::string& token,
                           sys_clock::time_point exp) {
    return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
           "  <AssumeRoleWithWebIdentityResult>\n"
           "    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>\n"
           "    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>"
           "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
           "    <Credentials>\n"
           "      <AccessKeyId>" + id + "</AccessKeyId>\n"
           "      <SecretAccessKey>" + secret + "</SecretAccessKey>\n"
           "      <SessionToken>" + token + "</SessionToken>\n"
           "      <Expiration>" + iso(exp) + "</Expiration>\n"
           "    </Credentials>\n"
           "  </AssumeRoleWithWebIdentityResult>\n"
           "  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\n"
           "</AssumeRoleWithWebIdentityResponse>\n";
}


/// One get() on `p`, to completion.
/// What every chain test starts from: an io_context, an empty environment, a manual clock, an
/// empty home directory, and a provider configuration that sees only those.
struct provider_fixture {
    asio::io_context ioc;
    fake_env env;
    manual_clock clock;
    temp_dir dir;
    aws::credentials_provider_config cfg = isolated(env, clock, dir);
};

inline aws::credentials_result get(asio::io_context& ioc, aws::credentials_provider& p) {
    return run(ioc, [&] { return p.get(); });
}

}  // namespace pws::test
