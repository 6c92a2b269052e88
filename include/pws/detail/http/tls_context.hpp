// The one TLS client context factory of both HTTP clients (the DynamoDB transport, the
// credentials sources), as Boost.MySQL keeps one ssl_context_with_default.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace pws::detail::http {

/// Whom a TLS client trusts.
struct tls_options {
    std::string ca_file;     ///< a PEM bundle trusted besides the system's CAs; "" = the system's only
    bool verify_peer = true; ///< verify the server's certificate chain (the name: connect.hpp)
};

/// A TLS client context: TLS 1.2 at least (as AWS requires), the system's CAs and `ca_file`,
/// peer verification as asked. Null, and `diagnostic` naming the file, when `ca_file` cannot be
/// loaded.
PWS_DECL std::unique_ptr<boost::asio::ssl::context> make_tls_context(const tls_options& options,
                                                                     std::string& diagnostic);

}  // namespace pws::detail::http

#ifdef PWS_HEADER_ONLY
#include <pws/detail/http/impl/tls_context.ipp>
#endif
