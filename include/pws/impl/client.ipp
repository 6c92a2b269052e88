#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/system_error.hpp>
#include <optional>
#include <pws/detail/protocol.hpp>
#include <pws/dynamodb/client.hpp>
#include <random>

namespace pws::dynamodb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace client_impl {

template <class Stream>
asio::awaitable<std::tuple<error_code, std::size_t>> write_all(Stream& s, const std::string& bytes) {
    co_return co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
}

template <class Stream, class Parser>
asio::awaitable<std::tuple<error_code, std::size_t>> read_response(Stream& s, beast::flat_buffer& b,
                                                                   Parser& p) {
    co_return co_await http::async_read(s, b, p, asio::as_tuple(asio::use_awaitable));
}

// Maps a socket/parser error to the library's codes, with a diagnostic naming the peer.
template <class Result>
void classify_io_error(Result& out, error_code ec, const char* during, const std::string& peer,
                       std::size_t cap) {
    if (ec == beast::error::timeout)
        out.ec = error::timeout;
    else if (ec == http::error::body_limit)
        out.ec = error::response_too_large;
    else if (ec == asio::error::eof || ec == asio::error::connection_reset ||
             ec == asio::error::broken_pipe || ec == http::error::end_of_stream ||
             ec == asio::ssl::error::stream_truncated)
        out.ec = error::connection_closed;
    else if (ec.category() == error_code(http::error::bad_target).category())
        out.ec = error::malformed_response;
    else
        out.ec = error::connection_failed;
    out.diagnostic =
        std::string(during) + " " + peer + ": " + (out.ec == error::timeout ? "timed out" : ec.message());
    if (out.ec == error::response_too_large)
        out.diagnostic = "the response is larger than the " + std::to_string(cap) +
                         "-byte cap (DynamoDbConfig::max_response_bytes)";
}

}  // namespace client_impl

// One keep-alive connection: a TCP stream, wrapped in TLS for https endpoints.
struct client::connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    clock_type::time_point last_used{};
    bool reused = false;

    connection(const executor_type& ex, asio::ssl::context* tls) {
        if (tls)
            secure.emplace(ex, *tls);
        else
            plain.emplace(ex);
    }
    beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }
};

struct client::exchange_result {
    error_code ec;
    std::string diagnostic;
    bool nothing_received = false;  // failed before any byte of a response: safe to re-send
    unsigned status = 0;
    std::string body;
    std::string error_type;
    std::string request_id;
    bool keep_alive = false;
    std::optional<std::chrono::system_clock::time_point> server_date;
};

PWS_DECL client::client(executor_type ex, DynamoDbConfig cfg)
    : ex_(std::move(ex)), cfg_(std::move(cfg)), quota_(cfg_.retry_quota) {
    std::string diag;
    const char* fips = std::getenv("AWS_USE_FIPS_ENDPOINT");
    bool use_fips = fips && std::string_view(fips) == "true";
    if (auto ec = aws::dynamodb_endpoint(cfg_.region, cfg_.endpoint, use_fips, ep_, diag))
        throw boost::system::system_error(ec, diag);
    if (!aws::is_valid_region(cfg_.region) && cfg_.region != "local")
        throw boost::system::system_error(
            error::invalid_config, "invalid region '" + cfg_.region.substr(0, 64) + "' (used to sign)");
    if (cfg_.max_attempts == 0)
        throw boost::system::system_error(error::invalid_config, "max_attempts must be at least 1");
    if (cfg_.table.empty() || cfg_.table.size() > 255)
        throw boost::system::system_error(error::invalid_config,
                                          "the table name must be 1 to 255 characters");
    if (ep_.tls) {
        tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        error_code ec;
        tls_->set_default_verify_paths(ec);
        if (!cfg_.ca_file.empty()) {
            tls_->load_verify_file(cfg_.ca_file, ec);
            if (ec)
                throw boost::system::system_error(
                    error::invalid_config,
                    "cannot load the CA bundle '" + cfg_.ca_file + "': " + ec.message());
        }
        tls_->set_verify_mode(cfg_.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    }
    env_credentials_ = aws::credentials::from_env();
}

PWS_DECL client::~client() = default;

PWS_DECL client_stats client::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

PWS_DECL bool client::resolve_credentials(aws::credentials& out) const {
    if (cfg_.credentials && !cfg_.credentials->empty())
        out = *cfg_.credentials;
    else if (env_credentials_)
        out = *env_credentials_;
    else
        return false;
    return true;
}

PWS_DECL std::unique_ptr<client::connection> client::take_idle() {
    std::lock_guard lock(mutex_);
    auto now = clock_type::now();
    while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        // A connection idle for long may have been closed by the server: drop it rather than
        // pay a failed write (the stale-connection retry still covers the race).
        if (now - c->last_used < cfg_.idle_timeout) {
            c->reused = true;
            return c;
        }
    }
    return nullptr;
}

PWS_DECL void client::give_back(std::unique_ptr<connection> c) {
    c->last_used = clock_type::now();
    std::lock_guard lock(mutex_);
    if (idle_.size() < cfg_.max_idle_connections) idle_.push_back(std::move(c));
}

PWS_DECL std::string client::build_request(std::string_view operation, const std::string& body,
                                           const aws::credentials& creds, std::string_view invocation_id,
                                           unsigned attempt) {
    std::string target = "DynamoDB_20120810.";
    target += operation;
    // Signed with the server's idea of now once a clock skew has been learned.
    std::string date = aws::format_amz_date(skew_.corrected(std::chrono::system_clock::now()));
    aws::header headers[5] = {
        {"content-type", "application/x-amz-json-1.0"},
        {"host", ep_.host_header},
        {"x-amz-date", date},
        {"x-amz-target", target},
        {"x-amz-security-token", creds.session_token},
    };
    aws::signing_input in{"POST", "/", "",
                          std::span<const aws::header>(headers, creds.session_token.empty() ? 4 : 5), body};
    std::string authorization;
    {
        std::lock_guard lock(mutex_);  // the signer's key cache is shared
        authorization = signer_.authorization(in, creds, cfg_.region, "dynamodb", date);
    }
    std::string req;
    req.reserve(640 + body.size() + creds.session_token.size());
    req += "POST / HTTP/1.1\r\nHost: ";
    req += ep_.host_header;
    req += "\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: ";
    req += target;
    req += "\r\nX-Amz-Date: ";
    req += date;
    if (!creds.session_token.empty()) {
        req += "\r\nX-Amz-Security-Token: ";
        req += creds.session_token;
    }
    req += "\r\nAuthorization: ";
    req += authorization;
    req += "\r\namz-sdk-invocation-id: ";
    req += invocation_id;
    req += "\r\namz-sdk-request: attempt=";
    req += std::to_string(attempt);
    req += "; max=";
    req += std::to_string(cfg_.max_attempts);
    req += "\r\nContent-Length: ";
    req += std::to_string(body.size());
    req += "\r\nConnection: keep-alive\r\n\r\n";
    req += body;
    return req;
}

PWS_DECL asio::awaitable<error_code> client::connect(connection& c, std::string& diag,
                                                     clock_type::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    const std::string where = "cannot connect to " + ep_.host + ":" + std::to_string(ep_.port) + ": ";

    std::vector<asio::ip::tcp::endpoint> targets;
    error_code ec;
    auto literal = asio::ip::make_address(ep_.host, ec);
    if (!ec) {
        targets.emplace_back(literal, ep_.port);
    } else {
        asio::ip::tcp::resolver resolver(ex_);
        asio::steady_timer timer(ex_, deadline);
        auto r = co_await (resolver.async_resolve(ep_.host, std::to_string(ep_.port), token) ||
                           timer.async_wait(token));
        if (r.index() == 1) {
            diag = where + "name resolution timed out";
            co_return error_code(error::timeout);
        }
        auto [rec, results] = std::get<0>(r);
        if (rec) {
            diag = where + "cannot resolve the host (" + rec.message() + ")";
            co_return error_code(error::connection_failed);
        }
        for (auto& e : results) targets.push_back(e.endpoint());
    }

    auto& tcp = c.tcp();
    auto connect_deadline = std::min(deadline, clock_type::now() + cfg_.connect_timeout);
    tcp.expires_at(connect_deadline);
    auto [cec, chosen] = co_await tcp.async_connect(targets, token);
    if (cec == beast::error::timeout) {
        diag = where + "connect timed out";
        co_return error_code(error::timeout);
    }
    if (cec) {
        diag = where + cec.message();
        co_return error_code(error::connection_failed);
    }
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    {
        std::lock_guard lock(mutex_);
        ++stats_.connections_opened;
    }

    if (c.secure) {
        error_code not_ip;
        asio::ip::make_address(ep_.host, not_ip);
        if (not_ip && !SSL_set_tlsext_host_name(c.secure->native_handle(), ep_.host.c_str())) {
            diag = where + "cannot set the TLS server name";
            co_return error_code(error::connection_failed);
        }
        if (cfg_.verify_peer) c.secure->set_verify_callback(asio::ssl::host_name_verification(ep_.host));
        tcp.expires_at(connect_deadline);
        auto [hec] = co_await c.secure->async_handshake(asio::ssl::stream_base::client, token);
        if (hec == beast::error::timeout) {
            diag = where + "TLS handshake timed out";
            co_return error_code(error::timeout);
        }
        if (hec) {
            diag = where + "TLS handshake failed (" + hec.message() + ")";
            co_return error_code(error::connection_failed);
        }
    }
    co_return error_code{};
}

PWS_DECL asio::awaitable<client::exchange_result> client::exchange(connection& c,
                                                                   const std::string& request_bytes,
                                                                   clock_type::time_point deadline) {
    exchange_result out;
    c.tcp().expires_at(deadline);
    {
        std::lock_guard lock(mutex_);
        ++stats_.requests;
    }
    // (No co_await inside ?: — GCC 12 miscompiles it.)
    std::tuple<error_code, std::size_t> wr;
    if (c.secure)
        wr = co_await client_impl::write_all(*c.secure, request_bytes);
    else
        wr = co_await client_impl::write_all(*c.plain, request_bytes);
    auto [wec, written] = wr;
    if (wec) {
        client_impl::classify_io_error(out, wec, "sending to", ep_.host_header, cfg_.max_response_bytes);
        out.nothing_received = true;
        co_return out;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(cfg_.max_response_bytes);
    parser.header_limit(64 * 1024);
    std::tuple<error_code, std::size_t> rd;
    if (c.secure)
        rd = co_await client_impl::read_response(*c.secure, c.buffer, parser);
    else
        rd = co_await client_impl::read_response(*c.plain, c.buffer, parser);
    auto [rec, read_bytes] = rd;
    if (rec) {
        client_impl::classify_io_error(out, rec, "reading the response from", ep_.host_header,
                                       cfg_.max_response_bytes);
        out.nothing_received = !parser.got_some() && out.ec == error::connection_closed;
        co_return out;
    }
    auto& res = parser.get();
    out.status = res.result_int();
    out.keep_alive = res.keep_alive();
    out.error_type = std::string(res["x-amzn-ErrorType"]);
    out.request_id = std::string(res["x-amzn-RequestId"]);
    if (auto date = detail::parse_http_date(res[http::field::date])) out.server_date = *date;
    out.body = std::move(res.body());
    if (!detail::crc32_matches(out.body, res["x-amz-crc32"])) {
        out.ec = error::crc32_mismatch;
        out.diagnostic = "the response body does not match its x-amz-crc32 header";
    }
    co_return out;
}

PWS_DECL asio::awaitable<client::exchange_result> client::attempt(const std::string& request_bytes,
                                                                  clock_type::time_point deadline) {
    for (int sends = 1;; ++sends) {
        auto conn = take_idle();
        if (!conn) {
            conn = std::make_unique<connection>(ex_, tls_.get());
            exchange_result failed;
            if ((failed.ec = co_await connect(*conn, failed.diagnostic, deadline))) co_return failed;
        }
        auto r = co_await exchange(*conn, request_bytes, deadline);
        // A pooled connection the server closed while idle fails before any response byte;
        // the request never reached the server, so send it again on a fresh connection.
        if (r.ec && conn->reused && r.nothing_received && sends < 3 && clock_type::now() < deadline) {
            std::lock_guard lock(mutex_);
            ++stats_.stale_retries;
            continue;
        }
        if (!r.ec && r.keep_alive) give_back(std::move(conn));
        co_return r;
    }
}

namespace client_impl {
// A random UUID (v4) for amz-sdk-invocation-id, and the draws for backoff jitter.
inline std::uint64_t random64() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng();
}
inline std::string invocation_id() {
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t a = random64(), b = random64();
    std::string id(36, '-');
    int bit = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) continue;
        std::uint64_t& src = bit < 64 ? a : b;
        id[i] = hex[(src >> (bit % 64)) & 0xF];
        bit += 4;
    }
    id[14] = '4';                         // version 4
    id[19] = hex[8 + ((b >> 60) & 0x3)];  // variant 10xx
    return id;
}
}  // namespace client_impl

PWS_DECL asio::awaitable<response> client::call(std::string_view operation, std::string body) {
    response out;
    aws::credentials creds;
    if (!resolve_credentials(creds)) {
        out.ec = error::no_credentials;
        out.diagnostic =
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            "DynamoDbConfig::credentials";
        co_return out;
    }
    for (std::string_view v : {std::string_view(creds.access_key_id), std::string_view(creds.session_token)})
        for (char ch : v)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
                out.ec = error::invalid_config;
                out.diagnostic = "the AWS access key id or session token holds a control character";
                co_return out;
            }

    const auto deadline = clock_type::now() + cfg_.total_timeout;
    const std::string invocation = client_impl::invocation_id();
    unsigned spent = 0;
    bool skew_retried = false;
    for (;;) {
        ++out.attempts;
        // Re-signed on every attempt: the date is part of the signature.
        auto request_bytes =
            build_request(operation, body, creds, invocation, static_cast<unsigned>(out.attempts));
        auto r =
            co_await attempt(request_bytes, std::min(deadline, clock_type::now() + cfg_.attempt_timeout));
        bool skew_changed = r.server_date && skew_.observe(*r.server_date, std::chrono::system_clock::now());
        out.status = r.status;
        if (!r.ec && r.status >= 200 && r.status < 300) {
            quota_.release(spent);
            out.ec = {};
            out.diagnostic.clear();
            out.body = std::move(r.body);
            break;
        }
        if (r.ec) {
            out.ec = r.ec;
            out.diagnostic = std::move(r.diagnostic);
        } else {
            out.ec =
                detail::parse_error_response(r.status, r.body, r.error_type, r.request_id, out.diagnostic);
        }
        auto kind = detail::classify_failure(out.ec, r.status, out.diagnostic);
        if (r.ec == error::timeout && clock_type::now() >= deadline) break;
        if (kind == detail::failure_kind::clock_skew) {
            // Re-sign with the server's time at once, but only once and only if we learned something.
            if (skew_changed && !skew_retried) {
                skew_retried = true;
                std::lock_guard lock(mutex_);
                ++stats_.skew_corrections;
                continue;
            }
            break;
        }
        if (kind == detail::failure_kind::fatal || out.attempts >= static_cast<int>(cfg_.max_attempts)) break;
        unsigned tokens = quota_.acquire(kind);
        if (tokens == 0) {
            std::lock_guard lock(mutex_);
            ++stats_.quota_refusals;
            out.diagnostic += " (not retried: retry quota exhausted)";
            break;
        }
        spent += tokens;
        auto delay = detail::backoff_delay(
            static_cast<unsigned>(out.attempts - 1),
            kind == detail::failure_kind::throttling ? cfg_.throttling_base_delay : cfg_.retry_base_delay,
            cfg_.max_backoff, client_impl::random64());
        if (clock_type::now() + delay >= deadline) break;
        {
            std::lock_guard lock(mutex_);
            ++stats_.retries;
        }
        asio::steady_timer timer(ex_, delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (out.ec && out.attempts > 1)
        out.diagnostic += " (after " + std::to_string(out.attempts) + " attempts)";
    detail::scrub(out.diagnostic, creds.secret_access_key, creds.session_token);
    co_return out;
}

}  // namespace pws::dynamodb
