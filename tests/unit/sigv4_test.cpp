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
using namespace std::chrono;
using namespace std::literals;

using pws_test::request;

using pws_test::slurp;

std::string hex(std::span<const unsigned char> b) { return pws::detail::to_hex(b); }
std::span<const unsigned char> bytes(std::string_view s) { return {(const std::uint8_t*)s.data(), s.size()}; }

// Parses a suite .req. The target is everything between the request line's first and last
// space: get-space's target holds a space (not valid HTTP), and is exactly the raw path a caller
// would hand the signer. A folded line stays in its value, line break included, for the signer to
// unfold. On failure, says why.
std::optional<request> parse_req(std::string_view text, std::string& why) {
    std::size_t pos = 0;
    auto next_line = [&]() -> std::optional<std::string_view> {
        if (pos > text.size()) return std::nullopt;
        std::size_t end = std::min(text.find('\n', pos), text.size());
        auto line = text.substr(pos, end - pos);
        pos = end + 1;
        return line;
    };
    request r;
    const std::string_view first = next_line().value_or("");
    const std::size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == sp2 || !first.substr(sp2 + 1).starts_with("HTTP/"))
        return why = "request line is not METHOD TARGET HTTP/x", std::nullopt;
    r.method = first.substr(0, sp1);
    const std::string_view target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string_view::npos) r.query = target.substr(q + 1);
    while (auto line = next_line()) {
        if (line->empty()) break;
        if (line->front() == ' ' || line->front() == '\t') {
            if (r.fields.empty()) return why = "continuation line before any header", std::nullopt;
            r.fields.back().second.append("\n").append(*line);
            continue;
        }
        const std::size_t colon = line->find(':');
        if (colon == std::string_view::npos) return why = "header line without ':'", std::nullopt;
        r.fields.emplace_back(line->substr(0, colon), line->substr(colon + 1));
    }
    if (pos < text.size()) r.body = text.substr(pos);
    return r;
}

// Cases not run, {name, reason}. None: every case of the pinned suite is one the signer can
// represent (get-space: see parse_req). A case that fails to parse and is not listed fails.
constexpr std::array<std::pair<std::string_view, std::string_view>, 0> skipped_cases{};

// The pinned suite (botocore 0e6e240) has 34 cases: fewer means a missing directory or a
// regression, and must not pass.
constexpr int min_suite_cases = 34;

// get-vanilla-with-session-token carries its token only in its .creq (botocore's runner reads it
// from there too); a client signing with temporary credentials adds the header itself.
constexpr std::string_view vanilla_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

const aws::credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

}  // namespace

BOOST_AUTO_TEST_SUITE(sigv4)

BOOST_AUTO_TEST_CASE(official_suite) {
    const fs::path root = PWS_SIGV4_SUITE_DIR;
    std::vector<fs::path> cases;  // case folders, relative to root
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".req")
            cases.push_back(it->path().parent_path().lexically_relative(root));
    std::sort(cases.begin(), cases.end());

    aws::sigv4_signer signer;  // shared: after the first case every signature comes from the cache
    int ran = 0, skipped = 0;
    for (const fs::path& rel : cases) {
        const std::string name = rel.generic_string(), base = (root / rel / rel.filename()).string();
        BOOST_TEST_CONTEXT("suite case " << name) {
            auto skip = std::find_if(skipped_cases.begin(), skipped_cases.end(),
                                     [&](const auto& listed) { return listed.first == name; });
            if (skip != skipped_cases.end() && ++skipped) {
                BOOST_TEST_MESSAGE("skipped suite case " << name << ": " << skip->second);
                continue;
            }
            std::string why;
            auto req = parse_req(slurp(base + ".req"), why);
            if (!req) {
                BOOST_ERROR("cannot parse " << name << ".req (" << why << "), and it is not a listed skip");
                continue;
            }
            if (rel.filename() == "get-vanilla-with-session-token")
                req->fields.emplace_back("X-Amz-Security-Token", vanilla_token);
            const aws::signing_input in = req->input();
            std::string amz_date;  // every suite case has it, so spelled
            for (const auto& [n, v] : req->fields)
                if (n == "X-Amz-Date") amz_date = v;

            std::string signed_headers;
            const std::string creq = aws::sigv4_signer::canonical_request(in, &signed_headers);
            BOOST_TEST(creq == slurp(base + ".creq"));
            const std::string scope = amz_date.substr(0, 8) + "/us-east-1/service/aws4_request";
            BOOST_TEST(aws::sigv4_signer::string_to_sign(amz_date, scope, creq) == slurp(base + ".sts"));
            const std::string authz = slurp(base + ".authz");
            BOOST_TEST(signer.authorization(in, suite_creds, "us-east-1", "service", amz_date) == authz);
            std::string appended = "Authorization: ";
            signer.append_authorization(appended, in, suite_creds, "us-east-1", "service", amz_date);
            BOOST_TEST(appended == "Authorization: " + authz);
            BOOST_TEST(authz.find("SignedHeaders=" + signed_headers + ",") != std::string::npos);
            ++ran;
        }
    }
    BOOST_TEST_MESSAGE("official suite at " << root << ": " << ran << " ran, " << skipped << " skipped");
    BOOST_TEST(ran >= min_suite_cases, "only " << ran << " suite cases ran from " << root);
}

BOOST_AUTO_TEST_CASE(crypto_known_answers) {
    using pws::detail::hmac_sha256;
    using pws::detail::sha256;
    BOOST_TEST(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test cases 2 (short key) and 6 (a key longer than the block, hashed first).
    BOOST_TEST(hex(hmac_sha256(bytes("Jefe"), "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const std::vector<unsigned char> long_key(131, 0xaa);
    BOOST_TEST(hex(hmac_sha256(long_key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// The signer hashes through SHA256_Init/Update/Final where OpenSSL has them and through EVP
// otherwise (crypto.hpp): both paths must give the same digests and MACs, at every length around
// the 64-byte block, fed whole or in pieces, with keys shorter and longer than the block.
BOOST_AUTO_TEST_CASE(both_sha256_paths_agree) {
    using pws::detail::basic_hmac_sha256;
    using pws::detail::evp_sha256_hasher;
    using pws::detail::sha256_hasher;
    std::mt19937 gen(16);
    std::string data(300, '\0');
    for (auto& c : data) c = static_cast<char>(gen());
    for (std::size_t len = 0; len <= data.size(); ++len) {
        const std::string_view msg(data.data(), len);
        const auto evp = evp_sha256_hasher().update(msg).finish();
        BOOST_TEST(hex(sha256_hasher().update(msg).finish()) == hex(evp), "length " << len);
        const std::size_t cut = len / 3;
        BOOST_TEST(hex(sha256_hasher().update(msg.substr(0, cut)).update(msg.substr(cut)).finish()) == hex(evp),
                   "length " << len << " in two pieces");
        const std::vector<unsigned char> key(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(len % 131));
        BOOST_TEST(hex(basic_hmac_sha256<sha256_hasher>(key, msg)) == hex(basic_hmac_sha256<evp_sha256_hasher>(key, msg)),
                   "length " << len << ", key of " << key.size());
    }
#ifdef PWS_DETAIL_SHA256_LOW_LEVEL
    BOOST_TEST_MESSAGE("the signer hashes with SHA256_Init/Update/Final");
#else
    BOOST_TEST_MESSAGE("the signer hashes with EVP (PWS_SHA256_EVP or no deprecated OpenSSL API)");
#endif
}

BOOST_AUTO_TEST_CASE(format_amz_date) {
    BOOST_TEST(aws::format_amz_date(sys_days(2015y / 8 / 30) + 12h + 36min) == "20150830T123600Z");
    BOOST_TEST(aws::format_amz_date(system_clock::time_point{}) == "19700101T000000Z");
    BOOST_TEST(aws::format_amz_date(sys_days(2024y / 2 / 29) + 86399s + 999ms) == "20240229T235959Z");
    // Sub-second parts are dropped, before the epoch too (floor, not truncation towards zero).
    BOOST_TEST(aws::format_amz_date(sys_days(1970y / 1 / 1) - 500ms) == "19691231T235959Z");
    BOOST_TEST(aws::format_amz_date(sys_days(2099y / 12 / 31) + 9h + 5min + 7s) == "20991231T090507Z");
}

BOOST_AUTO_TEST_CASE(canonical_form_corner_cases) {
    request r;
    r.method = "GET";
    // Query: %XX decoded then re-encoded (uppercase, never twice), '+' literal, a bare key gets
    // '=', empty pieces dropped, sorted by key then value (bytewise on the encoded forms).
    r.query = "b=2&a=%e1%88%b4&c&a=1&&d=x+y&e=%2F%zz&f=a b";
    r.path = "/a//b/./c/../d e/€/";
    r.fields = {{"X-B", "  two   words\t "}, {"x-a", "1"}, {"Host", "h"}, {"X-A", " 2 "}, {"x-f", "1\n 2"}};
    std::string names;
    const std::string creq = aws::sigv4_signer::canonical_request(r.input(), &names);
    BOOST_TEST(creq ==
               "GET\n/a/b/d%20e/%E2%82%AC/\na=%E1%88%B4&a=1&b=2&c=&d=x%2By&e=%2F%25zz&f=a%20b\n"
               "host:h\nx-a:1,2\nx-b:two words\nx-f:1 2\n\nhost;x-a;x-b;x-f\n"
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(names == "host;x-a;x-b;x-f");

    const std::pair<std::string_view, std::string_view> paths[] = {
        {"", "/"},       {"/", "/"},           {"//", "/"},         {"/../x", "/x"},    {"/a/..", "/"},
        {"/a/../", "/"}, {"/a/./b/", "/a/b/"}, {"/%41", "/%2541"} /* the path as given, encoded once */,
        {"/-._~", "/-._~"}, {"/$x", "/%24x"}};
    for (auto [raw, canonical] : paths) {
        r = request{};
        r.path = raw;
        const std::string c = aws::sigv4_signer::canonical_request(r.input());
        BOOST_TEST(c.substr(5, c.find('\n', 5) - 5) == canonical, "path '" << raw << "'");
    }
}

BOOST_AUTO_TEST_CASE(signing_key_cache) {
    // The suite's get-vanilla, with its known signature: an independent check of the key.
    request vanilla;
    vanilla.method = "GET";
    vanilla.fields = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    const std::string vanilla_authz =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b7"
        "3ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    struct step { aws::credentials creds; std::string region, service, date; };
    const aws::credentials other_secret{"AKIDEXAMPLE", "another-secret-of-forty-characters-00000", ""};
    const aws::credentials long_secret{"AKIDEXAMPLE", std::string(100, 'k'), ""};
    const std::vector<step> steps = {
        {suite_creds, "us-east-1", "service", "20150830T123600Z"},
        {suite_creds, "us-east-1", "service", "20150830T235959Z"},  // same day: cache hit
        {suite_creds, "us-east-1", "service", "20150831T000000Z"},  // next day
        {suite_creds, "us-east-1", "service", "20150830T000000Z"},  // and back
        {suite_creds, "eu-west-1", "service", "20150830T123600Z"},
        {suite_creds, "us-east-1", "dynamodb", "20150830T123600Z"},
        {other_secret, "us-east-1", "service", "20150830T123600Z"},
        {long_secret, "us-east-1", "service", "20150830T123600Z"},
        {suite_creds, "a/b", "c", "20150830T123600Z"},  // same scope text as the next, other key
        {suite_creds, "a", "b/c", "20150830T123600Z"},
        {suite_creds, "us-east-1", "service", "20150830T123600Z"},
    };
    aws::sigv4_signer warm;
    std::vector<std::string> seen;
    for (const step& s : steps) {
        BOOST_TEST_CONTEXT("region " << s.region << ", service " << s.service << ", date " << s.date) {
            vanilla.fields[1].second = s.date;
            aws::sigv4_signer fresh;
            const auto in = vanilla.input();
            const std::string got = warm.authorization(in, s.creds, s.region, s.service, s.date);
            BOOST_TEST(got == fresh.authorization(in, s.creds, s.region, s.service, s.date));
            BOOST_TEST(got.find(s.creds.secret_access_key) == std::string::npos);
            seen.push_back(got.substr(got.find("Signature=")));
        }
    }
    vanilla.fields[1].second = "20150830T123600Z";
    BOOST_TEST(warm.authorization(vanilla.input(), suite_creds, "us-east-1", "service", "20150830T123600Z") ==
               vanilla_authz);
    BOOST_TEST(seen.front() == seen.back());
    std::sort(seen.begin(), seen.end());
    const auto distinct = std::size_t(std::unique(seen.begin(), seen.end()) - seen.begin());
    BOOST_TEST(distinct == steps.size() - 1, "every step but the repeated first one signs differently");
}

BOOST_AUTO_TEST_CASE(bad_amz_date_throws_without_the_secret) {
    request r;
    aws::sigv4_signer signer;
    for (std::string_view bad : {""sv, "2015-08-30T12:36:00Z"sv, "20150830T123600"sv, "20150830 123600Z"sv}) {
        try {
            (void)signer.authorization(r.input(), suite_creds, "us-east-1", "service", bad);
            BOOST_ERROR("no exception for amz_date '" << bad << "'");
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(std::string(e.what()).find(suite_creds.secret_access_key) == std::string::npos);
        }
        std::string out = "kept";
        BOOST_CHECK_THROW(signer.append_authorization(out, r.input(), suite_creds, "us-east-1", "service", bad),
                          std::invalid_argument);
        BOOST_TEST(out == "kept");
    }
}

BOOST_AUTO_TEST_SUITE_END()

