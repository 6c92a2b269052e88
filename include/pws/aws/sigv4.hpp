// AWS Signature Version 4, header form ("Authorization: AWS4-HMAC-SHA256 ...").
//
// Sans-io: the signer sees a request as plain values and returns the Authorization value. It adds
// no header and reads no clock: the caller puts Host, X-Amz-Date (from format_amz_date) and, with
// temporary credentials, X-Amz-Security-Token among the headers it passes, and sends exactly
// those. That keeps signing testable against AWS's test suite and botocore byte for byte.
//
// Canonical form (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
//  - path: `.`/`..` segments removed, repeated slashes collapsed, a trailing slash kept, each
//    segment URI-encoded once (`%` included, so a path that is already percent-encoded gets the
//    double encoding AWS asks of every service but S3 — S3's rules are not implemented);
//  - query: split on `&` (empty pieces dropped), `%XX` decoded then every byte re-encoded, so
//    nothing is double-encoded; `+` is a literal plus (send spaces as %20); sorted by key, then
//    value;
//  - headers: names lowercased, values trimmed with inner whitespace runs (folded lines
//    included) collapsed to one space, repeated names joined with ',' in the order given;
//  - payload: hex SHA-256 of the body.
#pragma once

#include <pws/aws/credentials.hpp>
#include <pws/detail/config.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace pws::aws {

/// One header as it will be sent: any case, may repeat, value untrimmed.
struct header {
    std::string_view name;  ///< e.g. "X-Amz-Target"
    std::string_view value; ///< e.g. "DynamoDB_20120810.GetItem"
};

/// One HTTP request as it will be sent. Views only: nothing is copied.
struct signing_input {
    std::string_view method;         ///< e.g. "POST", signed as given
    std::string_view path;           ///< e.g. "/", raw and un-normalised
    std::string_view query;          ///< raw query string without '?', may be empty
    std::span<const header> headers; ///< every header to sign (Host included)
    std::string_view body;           ///< payload bytes
};

/// "20150830T123600Z" (UTC, whole seconds) for a time point.
PWS_DECL std::string format_amz_date(std::chrono::system_clock::time_point t);

/// The same 16 characters written into `out`, without allocating.
PWS_DECL void format_amz_date(std::chrono::system_clock::time_point t, std::span<char, 16> out) noexcept;

/// Signs requests with SigV4. Holds a signing-key cache and scratch buffers, so one signer
/// serves one strand (or sits behind the caller's mutex); it is cheap to have one per connection.
class sigv4_signer {
public:
    /// The Authorization header value: "AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/
    /// <service>/aws4_request, SignedHeaders=..., Signature=...". amz_date is the request's
    /// X-Amz-Date value; throws std::invalid_argument unless it has that form. The signing key
    /// is derived once per (secret, date, region, service) and cached.
    PWS_DECL std::string authorization(const signing_input& req, const credentials& creds,
                                       std::string_view region, std::string_view service,
                                       std::string_view amz_date);

    /// The same value appended to `out` (e.g. straight into a request being written: no
    /// string of its own). On an exception `out` is left as it was.
    PWS_DECL void append_authorization(std::string& out, const signing_input& req, const credentials& creds,
                                       std::string_view region, std::string_view service,
                                       std::string_view amz_date);

    /// The canonical request (step 1); `signed_headers` receives "host;x-amz-date;...".
    PWS_DECL static std::string canonical_request(const signing_input& req,
                                                  std::string* signed_headers = nullptr);

    /// The string to sign (step 2); scope is "<date>/<region>/<service>/aws4_request".
    PWS_DECL static std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                                               std::string_view canonical_request);

private:
    // A signing key depends on (secret, date, region, service) only, so it changes once a day:
    // one entry makes every request but the day's first skip the four HMACs of the derivation.
    struct key_cache {
        std::string secret;            // only compared, never printed; wiped when replaced
        std::string scope;             // "<date>/<region>/<service>/aws4_request" of `key`
        std::size_t region_size = 0;   // tells "a/b"+"c" from "a"+"b/c" in `scope`
        std::array<unsigned char, 32> key{};

        key_cache() = default;
        key_cache(const key_cache&) = default;
        key_cache(key_cache&&) = default;
        key_cache& operator=(const key_cache&) = default;
        key_cache& operator=(key_cache&&) = default;
        PWS_DECL ~key_cache();         // wipes `secret` and `key`
    };

    // The key for `secret` and scope_ (which the caller builds first), derived on a cache miss.
    PWS_DECL const std::array<unsigned char, 32>& signing_key(std::string_view secret,
                                                              std::string_view region,
                                                              std::string_view service);

    key_cache cache_;
    // Reused across calls so that a warm signer allocates only the string it returns.
    std::string creq_, signed_headers_, scope_, sts_;
};

}  // namespace pws::aws

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/sigv4.ipp>
#endif
