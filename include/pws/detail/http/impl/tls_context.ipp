#pragma once

#include <pws/detail/http/tls_context.hpp>

#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>

namespace pws::detail::http {

PWS_DECL std::unique_ptr<boost::asio::ssl::context> make_tls_context(const tls_options& options,
                                                                     std::string& diagnostic) {
    namespace ssl = boost::asio::ssl;
    auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    tls->set_default_verify_paths(ec);  // no system store: only ca_file is trusted
    if (!options.ca_file.empty()) {
        tls->load_verify_file(options.ca_file, ec);
        if (ec) {
            diagnostic = "cannot load the CA bundle '" + options.ca_file + "': " + ec.message();
            return nullptr;
        }
    }
    tls->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
    return tls;
}

}  // namespace pws::detail::http
