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

}  // namespace pws::detail::http
