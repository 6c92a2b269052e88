// Rules both HTTP clients apply to a response — the DynamoDB transport and the credentials
// sources' one-off client — so a hostile or misconfigured server is refused the same way by each.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pws::detail {

/// Interim (1xx) responses may precede the answer, even unasked (RFC 9110 §15.2): each is read
/// and dropped, at most this many times.
inline constexpr int max_interim_responses = 8;

/// Why an interim response with `status` ends the exchange after `dropped` others were dropped,
/// or "" to read and drop it. 101 would switch protocols: never asked for.
inline std::string refused_interim(unsigned status, int dropped) {
    if (status == 101) return "the server switched protocols (HTTP 101), which was not asked for";
    if (dropped >= max_interim_responses)
        return "the server sent more than " + std::to_string(max_interim_responses) + " interim (1xx) responses";
    return {};
}

/// Neither client asks for an encoding (no Accept-Encoding), and a body in one it does not
/// decode would be mis-read as plain text. Returns why a response with these headers is refused
/// — a Content-Encoding other than identity, a Transfer-Encoding other than chunked (which Beast
/// decodes), in any of the fields when a header is repeated — or "" when its body is plain. The
/// header's value is quoted only when short and made of token characters.
template <class Fields>
std::string refused_coding(const Fields& headers) {
    namespace http = boost::beast::http;
    auto first_refused = [&](http::field f, std::string_view allowed) -> std::optional<std::string_view> {
        auto [it, end] = headers.equal_range(f);
        for (; it != end; ++it)
            if (!it->value().empty() && !boost::beast::iequals(it->value(), allowed)) return std::string_view(it->value());
        return std::nullopt;
    };
    auto content = first_refused(http::field::content_encoding, "identity");
    auto transfer = content ? std::nullopt : first_refused(http::field::transfer_encoding, "chunked");
    if (!content && !transfer) return {};
    const std::string_view shown = content ? *content : *transfer;
    const bool plain = shown.size() <= 32 && std::all_of(shown.begin(), shown.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ',' || ch == ' ';
                       });
    return std::string("the response has ") + (content ? "Content-Encoding " : "Transfer-Encoding ") +
           (plain ? std::string(shown) : std::string("(not shown)")) +
           ", which this client does not decode (it never asks for one)";
}

/// Unparsed bytes a response may need at once — a header line, a chunk-size line with its
/// extensions, a trailer section. Both clients cap their read buffers at this, so a line that
/// never ends costs this much memory, not all there is (Beast bounds the header and the body,
/// not chunk lines or trailers): the read then fails with http::error::buffer_overflow.
inline constexpr std::size_t max_unparsed_bytes = 256 * 1024;

/// Bytes a response may take on the wire, headers, chunk framing and interim responses
/// included, for a body cap of `body_limit`: a little above it, so that a server sending 1-byte
/// chunks with long extensions is stopped as soon as it has sent more than a real answer would.
constexpr std::size_t max_wire_bytes(std::size_t body_limit) noexcept {
    return body_limit + body_limit / 8 + 64 * 1024;
}

/// What reading one answer to a request came to.
struct response_read {
    boost::system::error_code ec;  ///< an I/O or HTTP parse error from Beast, or none
    std::string refused;           ///< else, when not empty: why the server's answer is refused
    std::string too_large;         ///< else, when not empty: which size limit it broke
    int interim = 0;               ///< interim responses read and dropped before it ended
};

/// Reads the answer to a request just written on `stream` into `parser`, holding the server to
/// the rules above: interim (1xx) responses are read and dropped (at most max_interim_responses,
/// a 101 is refused), and a final response in an encoding neither client decodes is refused.
/// `buffer` keeps what was read past the response (the caller decides what that means for the
/// connection); its capacity should be max_unparsed_bytes. Each response gets a fresh parser
/// with these limits, and all of them together at most max_wire_bytes(body_limit).
template <class Stream>
boost::asio::awaitable<response_read> read_final_response(
    Stream& stream, boost::beast::flat_buffer& buffer,
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>>& parser,
    std::size_t body_limit, std::uint32_t header_limit) {
    namespace asio = boost::asio;
    response_read out;
    const std::size_t wire_limit = max_wire_bytes(body_limit);
    std::size_t wire = 0;  // bytes the parsers consumed; what they have not is in `buffer`
    for (;; ++out.interim) {
        parser.emplace();
        parser->body_limit(body_limit);
        parser->header_limit(header_limit);
        while (!parser->is_done()) {
            auto [ec, n] = co_await boost::beast::http::async_read_some(stream, buffer, *parser,
                                                                         asio::as_tuple(asio::use_awaitable));
            wire += n;
            if (ec) {
                out.ec = ec;
                co_return out;
            }
            if (wire > wire_limit) {
                out.too_large = "the response took more than " + std::to_string(wire_limit) +
                                " bytes on the wire (headers, chunk framing and body)";
                co_return out;
            }
        }
        const unsigned status = parser->get().result_int();
        if (status >= 200 || status < 100) break;
        out.refused = refused_interim(status, out.interim);
        if (!out.refused.empty()) co_return out;
    }
    out.refused = refused_coding(parser->get());
    co_return out;
}

/// Ends an exchange at `deadline`, whatever the server does. Beast's stream timeout did not hold
/// while data kept coming (a server sending 1-byte chunks with long extensions kept one lookup
/// reading for minutes); this timer shuts the socket down at the deadline, so the pending read
/// fails at once, and fired() tells the caller why. It touches the socket only through its file
/// descriptor, under a mutex the destructor also takes: the executor need not be a strand.
/// Destroy it before the socket (declare it after): from then on it never touches it.
class exchange_deadline {
public:
    exchange_deadline(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket,
                      std::chrono::steady_clock::time_point deadline)
        : state_(std::make_shared<state>(ex, deadline, socket.native_handle())) {
        state_->timer.async_wait([st = state_](boost::system::error_code ec) {
            std::lock_guard lock(st->mutex);
            if (ec || st->done) return;
            st->fired = true;
            ::shutdown(st->fd, SHUT_RDWR);
        });
    }
    ~exchange_deadline() {
        {
            std::lock_guard lock(state_->mutex);
            state_->done = true;
        }
        state_->timer.cancel();
    }
    exchange_deadline(const exchange_deadline&) = delete;
    exchange_deadline& operator=(const exchange_deadline&) = delete;

    /// Whether the deadline passed and the socket was shut down.
    bool fired() const {
        std::lock_guard lock(state_->mutex);
        return state_->fired;
    }

private:
    struct state {
        state(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point deadline, int socket_fd)
            : timer(ex, deadline), fd(socket_fd) {}
        std::mutex mutex;
        boost::asio::steady_timer timer;
        int fd;
        bool done = false, fired = false;
    };
    std::shared_ptr<state> state_;
};

}  // namespace pws::detail
