// The I/O of one keep-alive connection of pws::dynamodb::client, over the HTTP layer both
// clients share (detail/http/): connect (name resolution under a deadline, TCP, TLS with peer
// and host name verification), one exchange with its limits, then the x-amz-crc32 check. The
// pool, retries and signing are in client.ipp, which includes this.
#pragma once

#include <pws/detail/http/connect.hpp>
#include <pws/detail/http/exchange.hpp>
#include <pws/detail/http/stream.hpp>
#include <pws/detail/http/tls_context.hpp>
#include <pws/dynamodb/detail/retry.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/dynamodb/detail/call_fsm.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>

namespace pws::dynamodb {

// One keep-alive connection: a TCP stream, wrapped in TLS for https endpoints, and what was read
// past the last response. Used by one call at a time; the pool's book says which.
struct client::connection {
    detail::http::stream stream;
    boost::beast::flat_buffer buffer{detail::http::max_unparsed_bytes};
    // The header fields of the answer being read (a DynamoDB answer's seven take about 600
    // bytes): allocated here, not from the heap; a larger header spills over to the heap.
    alignas(std::max_align_t) std::array<std::byte, 2048> header_space;

    // Room for a whole typical answer (an item of a few kB with its headers) in one read: Beast
    // reads at most the buffer's free capacity, and from 512 bytes a 600-byte answer takes two.
    connection(const executor_type& ex, boost::asio::ssl::context* tls) : stream(ex, tls) { buffer.reserve(4096); }
    // Whether this idle connection may carry the next request (http::stream::clean_when_idle).
    bool clean_for_reuse();
};

namespace client_impl {

// The TLS context of an https endpoint (detail/http/tls_context.hpp). Throws
// error::invalid_config for an unusable CA file.
inline std::unique_ptr<boost::asio::ssl::context> make_tls_context(const DynamoDbConfig& cfg) {
    std::string diagnostic;
    auto tls = detail::http::make_tls_context({cfg.ca_file, cfg.verify_peer}, diagnostic);
    if (!tls) throw boost::system::system_error(error::invalid_config, diagnostic);
    return tls;
}

}  // namespace client_impl

PWS_DECL bool client::connection::clean_for_reuse() { return stream.clean_when_idle(); }

PWS_DECL boost::asio::awaitable<boost::system::error_code> client::connect(
    connection& c, detail::attempt_result& out, std::chrono::steady_clock::time_point deadline) {
    detail::http::connect_target target;
    target.host = ep_.host;
    target.port = ep_.port;
    target.verify_peer = cfg_.verify_peer;
    target.ca_hint = "a private CA needs AWS_CA_BUNDLE or DynamoDbConfig::ca_file";
    auto r = co_await detail::http::connect(c.stream, target, deadline, cfg_.connect_timeout);
    if (r.tcp_connected) {
        std::lock_guard lock(mutex_);
        ++stats_.connections_opened;
    }
    if (r.ec) {
        out.ec = r.ec;
        out.diagnostic = "cannot connect to " + ep_.host + ":" + std::to_string(ep_.port) + ": " + r.why;
        out.permanent = r.permanent;
        out.local = r.local;
    }
    co_return r.ec;
}

namespace client_impl {
// What the exchange with `host` that `x` made (next() is want::done) means for the attempt,
// written into `out` (the one result the call's state machine judges; its body becomes the
// call's response body, moved). client::call_region drives the exchange itself: a coroutine of
// its own would cost a frame. Not a coroutine: the reply is on the stack, not in a frame.
inline void take_reply(std::string_view host, detail::http::exchanger<detail::http::stream>& x,
                       detail::attempt_result& out) {
    namespace bhttp = boost::beast::http;
    detail::http::reply r = x.finish();
    if (r.ec) {
        out.ec = r.ec;
        out.diagnostic = std::string(r.sending ? "sending to " : "reading the response from ") + std::string(host) +
                         ": " + (r.ec == error::timeout ? "the attempt's deadline passed" : r.why);
        out.nothing_received = r.nothing_received;
        // A refused final response keeps its status, as any other answer does.
        if (r.status >= 200) out.status = r.status;
        return;
    }
    auto& res = r.message;
    out.status = res.result_int();
    out.keep_alive = r.keep_alive;
    out.error_type = std::string(res["x-amzn-ErrorType"]);
    if (auto date = detail::parse_http_date(res[bhttp::field::date])) out.server_date = *date;
    out.body = std::move(res.body());
    // The request id only goes into an error's diagnostic: not copied for a plain success.
    if (out.status < 200 || out.status >= 300 || out.body.find("__type") != std::string::npos)
        out.request_id = std::string(res["x-amzn-RequestId"]);
    if (!detail::crc32_matches(out.body, res["x-amz-crc32"])) {
        out.ec = error::crc32_mismatch;
        out.diagnostic = "the response body does not match its x-amz-crc32 header";
    }
}
}  // namespace client_impl

}  // namespace pws::dynamodb
