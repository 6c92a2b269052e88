// Fuzz target: the credentials chain's parsers (aws/detail/credentials_parse.hpp): the shared
// config/credentials files' INI dialect, the JSON documents of the container endpoint, IMDS and
// credential_process, STS's XML, and RFC 3339 times. Byte 0 picks the parser; the rest is the
// document.
//
// Invariants: parsing is deterministic; profile names and properties hold no line break; a
// JSON document's secrets (replaced by a canary) never reach a diagnostic, and a document read
// successfully yields exactly the canary as its secret; an STS document's secret and token never
// reach a diagnostic or the error summary, which stays short.
#include "fuzz_common.hpp"

#include <pws/aws/detail/credentials_parse.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/src.hpp>

#include <cstdint>

namespace {

using namespace pws::fuzz;

void check_profiles(std::string_view text, bool is_config) {
    const auto a = pws::detail::parse_profile_file(text, is_config);
    PWS_FUZZ_CHECK(a == pws::detail::parse_profile_file(text, is_config), text);
    for (auto& [name, props] : a) {
        PWS_FUZZ_CHECK(name.find('\n') == std::string::npos, name);
        for (auto& [k, v] : props) PWS_FUZZ_CHECK(k.find('\n') == std::string::npos, k);
    }
    (void)pws::detail::merge_profile(a, a, "default");
}

void check_json(std::string_view body, pws::detail::json_credentials_kind kind) {
    pws::aws::credentials out;
    std::optional<pws::detail::sys_time> exp;
    std::string diag;
    (void)pws::detail::parse_json_credentials(body, kind, out, exp, diag);

    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return;
    // As for STS below: the canary must be the document's secret alone; a copy of it in another
    // field (a quoted "Code") may be shown as that field.
    if (body.find(canary_secret) != std::string_view::npos) return;
    bool planted = false;
    for (auto name : {"SecretAccessKey", "Token", "SessionToken"})
        if (auto* s = v.get_object().if_contains(name); s && s->is_string()) {
            *s = canary_secret;
            planted = true;
        }
    if (!planted) return;
    out = {};
    diag.clear();
    const auto ec2 = pws::detail::parse_json_credentials(boost::json::serialize(v), kind, out, exp, diag);
    PWS_FUZZ_CHECK(diag.find(canary_secret) == std::string::npos, diag);
    if (!ec2 && !out.secret_access_key.empty())
        PWS_FUZZ_CHECK(out.secret_access_key == canary_secret, out.access_key_id);
}

// The text between <name> and </name>, when both are there.
std::string_view between(std::string_view xml, std::string_view name) {
    const std::string open = "<" + std::string(name) + ">", close = "</" + std::string(name) + ">";
    auto a = xml.find(open);
    if (a == std::string_view::npos) return {};
    a += open.size();
    auto b = xml.find(close, a);
    return b == std::string_view::npos ? std::string_view() : xml.substr(a, b - a);
}

void check_sts(std::string_view xml) {
    pws::aws::credentials out;
    pws::detail::sys_time exp;
    std::string diag;
    (void)pws::detail::parse_sts_credentials(xml, out, exp, diag);
    const std::string summary = pws::detail::sts_error_summary(xml);
    PWS_FUZZ_CHECK(summary.size() <= 400, summary);
    for (auto name : {"SecretAccessKey", "SessionToken"}) {
        const auto secret = between(xml, name);
        if (secret.size() < 12 || secret.find('<') != std::string_view::npos) continue;
        // Only a secret that occurs once in the document: a copy elsewhere may be shown as that.
        if (xml.find(secret) != xml.rfind(secret)) continue;
        // Nor one that is the parser's own wording ("the STS response has "): the same document
        // with the secret's bytes replaced must not show it either, or it is not ours to find.
        std::string other(xml);
        other.replace(xml.find(secret), secret.size(), std::string(secret.size(), '\x01'));
        pws::aws::credentials out2;
        std::string diag2;
        (void)pws::detail::parse_sts_credentials(other, out2, exp, diag2);
        if (diag2.find(secret) == std::string::npos)
            PWS_FUZZ_CHECK(diag.find(secret) == std::string::npos, diag);
        if (pws::detail::sts_error_summary(other).find(secret) == std::string::npos)
            PWS_FUZZ_CHECK(summary.find(secret) == std::string::npos, summary);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 6) {
    case 0: check_profiles(text, false); break;
    case 1: check_profiles(text, true); break;
    case 2: check_json(text, pws::detail::json_credentials_kind::container); break;
    case 3: check_json(text, pws::detail::json_credentials_kind::process); break;
    case 4: check_sts(text); break;
    case 5: {
        pws::detail::sys_time t;
        (void)pws::detail::parse_iso8601(text, t);
        check_json(text, pws::detail::json_credentials_kind::instance_metadata);
        break;
    }
    }
    return 0;
}
