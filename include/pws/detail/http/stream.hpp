// The byte stream of one HTTP connection: TCP, with TLS over it for https, behind one read and
// one write (in the spirit of Boost.MySQL's variant_stream), so that no caller branches on the
// scheme. Both HTTP clients use it: the DynamoDB transport and the credentials sources.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace pws::detail::http {

/// A TCP stream, and a TLS layer over it when made with a TLS context. An AsyncReadStream and
/// AsyncWriteStream either way. Not movable: the TLS layer refers to the TCP stream.
class stream {
public:
    using executor_type = boost::asio::any_io_executor;
    using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream&>;

    /// Plain TCP when `tls` is null, else TLS with that context, which must outlive the stream.
    stream(const executor_type& ex, boost::asio::ssl::context* tls) : tcp_(ex) {
        if (tls) tls_.emplace(tcp_, *tls);
    }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    executor_type get_executor() noexcept { return tcp_.get_executor(); }

    /// Whether it speaks TLS.
    bool secure() const noexcept { return tls_.has_value(); }

    /// The TCP stream (connect, timeouts, the socket).
    boost::beast::tcp_stream& tcp() noexcept { return tcp_; }

    /// The TLS layer, or null for plain TCP.
    tls_stream* tls() noexcept { return tls_ ? &*tls_ : nullptr; }

    /// The socket's file descriptor (what a deadline shuts down).
    int native_socket() noexcept { return tcp_.socket().native_handle(); }

    /// Closes the socket at once, without a TLS close_notify: the connection is given up.
    void close() { tcp_.close(); }

    /// Whether this idle connection may carry another request: nothing is readable on it (bytes
    /// never asked for, EOF, or a TLS record OpenSSL already holds). Consumes nothing.
    PWS_DECL bool clean_when_idle() noexcept;

    /// Writes what the socket takes of `b` now, without waiting and without an Asio operation
    /// (a small request fits whole in an idle connection's send buffer); returns the bytes
    /// written. With TLS it writes nothing (the TLS layer writes) and returns 0, as when the
    /// socket takes nothing now. On a socket error, sets `ec` and returns 0.
    PWS_DECL std::size_t write_now(boost::asio::const_buffer b, boost::system::error_code& ec) noexcept;

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b) {
                if (tls_)
                    tls_->async_read_some(b, std::move(handler));
                else
                    tcp_.async_read_some(b, std::move(handler));
            },
            token, buffers);
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b) {
                if (tls_)
                    tls_->async_write_some(b, std::move(handler));
                else
                    tcp_.async_write_some(b, std::move(handler));
            },
            token, buffers);
    }

private:
    boost::beast::tcp_stream tcp_;
    std::optional<tls_stream> tls_;
};

}  // namespace pws::detail::http

#ifdef PWS_HEADER_ONLY
#include <pws/detail/http/impl/stream.ipp>
#endif
