#pragma once

#include <pws/detail/http/stream.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

namespace pws::detail::http {

// One non-blocking peek: bytes there were never asked for (a proxy's unsolicited response, a 408
// written before the server closed) and would be read as the next request's answer; EOF means
// the server closed the connection.
PWS_DECL bool stream::clean_when_idle() noexcept {
    if (tls_ && SSL_pending(tls_->native_handle()) > 0) return false;  // a record already decrypted
    char byte;
    const auto n = ::recv(native_socket(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

PWS_DECL std::size_t stream::write_now(boost::asio::const_buffer b, boost::system::error_code& ec) noexcept {
    if (tls_ || b.size() == 0) return 0;
    for (;;) {
        const auto n = ::send(native_socket(), b.data(), b.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::system::system_category());
        return 0;
    }
}

}  // namespace pws::detail::http
