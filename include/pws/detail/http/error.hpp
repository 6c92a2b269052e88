// The one error classifier of both HTTP clients: a socket's, TLS's or Beast's parser's error
// becomes one of the library's codes (pws/error.hpp) and a diagnostic that names the limit hit.
#pragma once

#include <pws/detail/config.hpp>
#include <pws/detail/http/limits.hpp>
#include <pws/error.hpp>

#include <boost/system/error_code.hpp>

#include <string>

namespace pws::detail::http {

/// The library's code for an error met while exchanging: error::timeout, response_too_large
/// (a limit of `limits`), connection_closed (EOF, reset, a truncated message or TLS stream),
/// malformed_response (any other HTTP parse error) or connection_failed.
PWS_DECL error classify(const boost::system::error_code& ec) noexcept;

/// What `ec` means, for a diagnostic (no peer in it): for a limit, which one and its value.
PWS_DECL std::string describe(const boost::system::error_code& ec, const limits& l);

/// Whether a failed connect is this process's own shortage (descriptors, buffers, memory),
/// which says nothing about the server.
PWS_DECL bool is_local_shortage(const boost::system::error_code& ec) noexcept;

}  // namespace pws::detail::http

#ifdef PWS_HEADER_ONLY
#include <pws/detail/http/impl/error.ipp>
#endif
