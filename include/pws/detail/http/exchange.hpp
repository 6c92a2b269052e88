// One HTTP exchange, for both clients: write a request, read the final response, with hard
// limits that hold whatever the server does (limits.hpp): a wall-clock deadline enforced by a
// timer that shuts the socket down, the body, header section, any single line (chunk size and
// extensions, trailer section) and the total bytes on the wire. A limit hit is a clear error
// naming it, the connection is closed, and nothing beyond the cap is held in memory.
#pragma once

#include <pws/detail/http/deadline.hpp>
#include <pws/detail/http/error.hpp>
#include <pws/detail/http/limits.hpp>
#include <pws/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pws::detail::http {

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
    namespace bhttp = boost::beast::http;
    auto first_refused = [&](bhttp::field f, std::string_view allowed) -> std::optional<std::string_view> {
        auto [it, end] = headers.equal_range(f);
        for (; it != end; ++it)
            if (!it->value().empty() && !boost::beast::iequals(it->value(), allowed)) return std::string_view(it->value());
        return std::nullopt;
    };
    auto content = first_refused(bhttp::field::content_encoding, "identity");
    auto transfer = content ? std::nullopt : first_refused(bhttp::field::transfer_encoding, "chunked");
    if (!content && !transfer) return {};
    const std::string_view shown = content ? *content : *transfer;
    const bool plain = shown.size() <= 32 && std::all_of(shown.begin(), shown.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ',' || ch == ' ';
                       });
    return std::string("the response has ") + (content ? "Content-Encoding " : "Transfer-Encoding ") +
           (plain ? std::string(shown) : std::string("(not shown)")) +
           ", which this client does not decode (it never asks for one)";
}

/// The allocator of a response's header fields: a memory resource the caller lends (a buffer of
/// the connection's, for the DynamoDB client), so that the header of a typical answer costs no
/// allocation. Unlike std::pmr::polymorphic_allocator it is assignable, as Beast's fields need,
/// and it moves with the fields it allocated.
template <class T>
struct fields_allocator {
    using value_type = T;
    using propagate_on_container_copy_assignment = std::true_type;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;

    std::pmr::memory_resource* memory = std::pmr::new_delete_resource();

    fields_allocator() noexcept = default;
    explicit fields_allocator(std::pmr::memory_resource* m) noexcept : memory(m) {}
    template <class U>
    fields_allocator(const fields_allocator<U>& other) noexcept : memory(other.memory) {}

    T* allocate(std::size_t n) { return static_cast<T*>(memory->allocate(n * sizeof(T), alignof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { memory->deallocate(p, n * sizeof(T), alignof(T)); }
    template <class U>
    bool operator==(const fields_allocator<U>& other) const noexcept { return memory == other.memory; }
};

/// One response, its header in lent memory (fields_allocator) and its body a std::string.
using response = boost::beast::http::response<boost::beast::http::string_body,
                                              boost::beast::http::basic_fields<fields_allocator<char>>>;

/// The parser of one response.
using response_parser = boost::beast::http::response_parser<boost::beast::http::string_body, fields_allocator<char>>;

/// What reading one answer to a request came to.
struct response_read {
    boost::system::error_code ec;  ///< an I/O or HTTP parse error from Beast, or none
    std::string refused;           ///< else, when not empty: why the server's answer is refused
    std::string too_large;         ///< else, when not empty: the wire limit it broke
    int interim = 0;               ///< interim responses read and dropped before it ended
};

/// Reads the answer to a request just written into `parser`, holding the server to the rules
/// above: interim (1xx) responses are read and dropped (at most max_interim_responses, a 101 is
/// refused), and a final response in an encoding neither client decodes is refused. Sans-io: the
/// caller owns the reads, so reading an answer costs no coroutine frame of its own:
///
///     for (bool more = reader.parse(buffer); more;) {
///         auto [ec, n] = co_await http::async_read_some(stream, buffer, *parser, ...);
///         more = reader.read(ec, n, buffer);
///     }
///
/// `buffer` keeps what was read past the response (the caller decides what that means for the
/// connection); its capacity should be max_unparsed_bytes. Each response gets a fresh parser
/// with `l`'s body and header limits, and all of them together at most max_wire_bytes(l.body).
/// Each parser's header fields are allocated from `fields_memory`.
class final_response_reader {
public:
    final_response_reader(std::optional<response_parser>& parser, const limits& l,
                          std::pmr::memory_resource* fields_memory)
        : parser_(parser), limits_(l), fields_memory_(fields_memory), wire_limit_(max_wire_bytes(l.body)) {
        start();
    }

    /// Parses what `buffer` holds (the body after a read that ended the header, an element at a
    /// time as Beast's read_some does: an async_read_some with nothing to read would complete
    /// through the scheduler). True: more bytes are needed, read some into the parser; false:
    /// the answer is read, or refused, and result() says which.
    bool parse(boost::beast::flat_buffer& buffer) {
        for (;;) {
            if (parser_->is_done()) {
                const unsigned status = parser_->get().result_int();
                if (status >= 200 || status < 100) {
                    out_.refused = refused_coding(parser_->get());
                    return false;
                }
                out_.refused = refused_interim(status, out_.interim);
                if (!out_.refused.empty()) return false;
                ++out_.interim;
                start();
                continue;
            }
            if (buffer.size() == 0) return true;
            boost::system::error_code ec;
            const std::size_t n = parser_->put(buffer.data(), ec);
            buffer.consume(n);
            if (ec == boost::beast::http::error::need_more) ec = {};
            if (n == 0 && !ec) return true;
            if (failed(ec, n)) return false;
        }
    }

    /// What the read parse() asked for came to: `ec` and the bytes it parsed. True: read more.
    bool read(boost::system::error_code ec, std::size_t n, boost::beast::flat_buffer& buffer) {
        return !failed(ec, n) && parse(buffer);
    }

    /// How reading the answer ended, once parse() or read() said false.
    response_read& result() { return out_; }

private:
    void start() {
        parser_.emplace(std::piecewise_construct, std::make_tuple(),
                        std::make_tuple(fields_allocator<char>(fields_memory_)));
        parser_->body_limit(limits_.body);
        parser_->header_limit(limits_.header);
    }
    bool failed(boost::system::error_code ec, std::size_t n) {
        wire_ += n;  // bytes the parsers consumed; what they have not is in the buffer
        if (ec) {
            out_.ec = ec;
            return true;
        }
        if (wire_ > wire_limit_) {
            out_.too_large = "the response took more than " + std::to_string(wire_limit_) +
                             " bytes on the wire (headers, chunk framing and body)";
            return true;
        }
        return false;
    }

    std::optional<response_parser>& parser_;
    const limits& limits_;
    std::pmr::memory_resource* fields_memory_;
    const std::size_t wire_limit_;
    std::size_t wire_ = 0;
    response_read out_;
};

/// How one exchange ended.
struct reply {
    boost::system::error_code ec;    ///< error::timeout, response_too_large, malformed_response, connection_closed, connection_failed; or none
    boost::system::error_code cause; ///< the socket's, TLS's or parser's own error behind `ec`, when there was one
    std::string why;                 ///< what went wrong, naming the limit hit; without the peer (callers add it)
    bool sending = false;            ///< it failed while the request was written
    bool nothing_received = false;   ///< it failed before any byte of an answer: the request may be sent again
    bool keep_alive = false;         ///< the connection may carry another request: the server keeps it, and sent nothing more
    int interim = 0;                 ///< interim (1xx) responses dropped
    unsigned status = 0;             ///< the status of `message`, 0 when none was read
    /// The final response; on a refused one (error::malformed_response without `cause`), its header.
    /// Its header fields are in the memory exchange() was given: they must not outlive it.
    response message;
};

/// One exchange, sans-io: the deadline, the write of `request` and the read of its final
/// response into `buffer`, for a caller that drives the I/O on its own coroutine (the DynamoDB
/// client: no coroutine frame of its own per exchange). Construction arms the deadline and
/// writes what the socket takes at once (all of a request, usually) without an Asio operation,
/// whose completion would go through the scheduler; next() then says what the driver does,
/// until finish() says how it ended. exchange() below is the reference driver:
///
///     exchanger<Stream> x(s, buffer, request, l, deadline, fields_memory);
///     for (auto w = x.next(); w != want::done; w = x.next()) {
///         if (w == want::write) { auto [ec, n] = co_await asio::async_write(s, x.unsent(), tok); x.wrote(ec); }
///         else { auto [ec, n] = co_await beast::http::async_read_some(s, buffer, x.parser(), tok); x.read(ec, n); }
///     }
///     reply r = x.finish();
///
/// Not movable (the deadline's entry is watched in place).
enum class want { write, read, done };

template <class Stream>
class exchanger {
public:
    exchanger(Stream& s, boost::beast::flat_buffer& buffer, std::string_view request, const limits& l,
              std::chrono::steady_clock::time_point deadline, std::pmr::memory_resource* fields_memory)
        : s_(s), buffer_(buffer), request_(request), limits_(l), fields_memory_(fields_memory),
          guard_(s.get_executor(), s.native_socket(), deadline) {
        boost::system::error_code ec;
        if constexpr (requires { s.write_now(boost::asio::const_buffer(), ec); })
            sent_ = s.write_now(boost::asio::buffer(request.data(), request.size()), ec);
        if (ec)
            wrote(ec);
        else if (sent_ == request.size())
            start_reading();
    }
    exchanger(const exchanger&) = delete;
    exchanger& operator=(const exchanger&) = delete;

    /// What the driver does next: write unsent(), read some into parser(), or call finish().
    want next() const noexcept { return want_; }

    /// The bytes of the request the socket has not taken yet (want::write).
    boost::asio::const_buffer unsent() const noexcept {
        return boost::asio::buffer(request_.data() + sent_, request_.size() - sent_);
    }
    /// How writing unsent() ended.
    void wrote(boost::system::error_code ec) {
        if (!ec) return start_reading();
        send_failure_.ec = ec;  // the read never starts: reader_ stays empty
        want_ = want::done;
    }

    /// The parser to read some into (want::read).
    response_parser& parser() noexcept { return *parser_; }
    /// What that read came to: `ec` and the bytes it parsed.
    void read(boost::system::error_code ec, std::size_t n) {
        if (!reader_->read(ec, n, buffer_)) want_ = want::done;
    }

    /// Once next() is want::done: stops the deadline and says how the exchange ended. On any
    /// error the connection is closed. Call it once.
    reply finish() {
        reply out;
        // The deadline may also pass just after the answer was read: it is used, the connection not.
        const bool shut_down = guard_.release();
        out.sending = !reader_;  // it failed before the read began
        response_read& read = out.sending ? send_failure_ : reader_->result();
        out.interim = read.interim;
        if (read.ec && shut_down) {
            out.ec = error::timeout;
            out.cause = read.ec;
            out.why = "the deadline passed";
        } else if (read.ec) {
            out.ec = classify(read.ec);
            out.cause = read.ec;
            out.why = describe(read.ec, limits_);
            out.nothing_received = out.sending || (read.interim == 0 && !parser_->got_some() &&
                                                   out.ec == error::connection_closed);
        } else if (!read.too_large.empty()) {
            out.ec = error::response_too_large;
            out.why = std::move(read.too_large);
        } else if (!read.refused.empty()) {
            out.ec = error::malformed_response;
            out.why = std::move(read.refused);
            out.message = parser_->release();
            out.status = out.message.result_int();
        } else {
            out.message = parser_->release();
            out.status = out.message.result_int();
            // Nothing was pipelined: bytes after the response were not asked for, and must not
            // answer the next request, so the connection is not reused.
            out.keep_alive = out.message.keep_alive() && buffer_.size() == 0 && !shut_down;
        }
        if (out.ec) s_.close();
        return out;
    }

private:
    void start_reading() {
        reader_.emplace(parser_, limits_, fields_memory_);
        want_ = reader_->parse(buffer_) ? want::read : want::done;
    }

    Stream& s_;
    boost::beast::flat_buffer& buffer_;
    std::string_view request_;
    const limits& limits_;
    std::pmr::memory_resource* fields_memory_;
    deadline_guard guard_;
    std::size_t sent_ = 0;
    want want_ = want::write;
    std::optional<response_parser> parser_;
    std::optional<final_response_reader> reader_;
    response_read send_failure_;
};

/// Writes `request` (a whole HTTP/1.1 request) on `s` and reads its final response into
/// `buffer` (capacity max_unparsed_bytes; what follows the response stays in it) within `l`, by
/// `deadline`. On any error the connection is closed. `Stream` is an AsyncReadStream and
/// AsyncWriteStream with native_socket() (the descriptor the deadline shuts down) and close():
/// stream.hpp's in production, a scripted one in the fuzzer. The response's header fields are
/// allocated from `fields_memory` (the heap by default); the reply must not outlive it.
template <class Stream>
boost::asio::awaitable<reply> exchange(Stream& s, boost::beast::flat_buffer& buffer, std::string_view request,
                                       const limits& l, std::chrono::steady_clock::time_point deadline,
                                       std::pmr::memory_resource* fields_memory = std::pmr::new_delete_resource()) {
    namespace asio = boost::asio;
    exchanger<Stream> x(s, buffer, request, l, deadline, fields_memory);
    for (want w = x.next(); w != want::done; w = x.next()) {
        if (w == want::write) {
            auto [ec, n] = co_await asio::async_write(s, x.unsent(), asio::as_tuple(asio::deferred));
            x.wrote(ec);
        } else {
            auto [ec, n] = co_await boost::beast::http::async_read_some(s, buffer, x.parser(),
                                                                         asio::as_tuple(asio::deferred));
            x.read(ec, n);
        }
    }
    co_return x.finish();
}

}  // namespace pws::detail::http
