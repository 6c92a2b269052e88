#pragma once

#include <pws/detail/http/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace pws::detail::http {

PWS_DECL error classify(const boost::system::error_code& ec) noexcept {
    namespace asio = boost::asio;
    namespace bhttp = boost::beast::http;
    if (ec == boost::beast::error::timeout) return error::timeout;
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        return error::response_too_large;
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == asio::ssl::error::stream_truncated)
        return error::connection_closed;
    if (ec.category() == boost::system::error_code(bhttp::error::bad_target).category())
        return error::malformed_response;
    return error::connection_failed;
}

PWS_DECL std::string describe(const boost::system::error_code& ec, const limits& l) {
    namespace bhttp = boost::beast::http;
    if (ec == bhttp::error::body_limit)
        return "the response is larger than the " + std::to_string(l.body) + "-byte cap" +
               (l.body_setting ? std::string(" (") + l.body_setting + ")" : std::string());
    if (ec == bhttp::error::header_limit)
        return "the response's header section is longer than " + std::to_string(l.header) + " bytes";
    if (ec == bhttp::error::buffer_overflow)
        return "a line of the response (a header, a chunk size with its extensions) or its trailer section is "
               "longer than " + std::to_string(max_unparsed_bytes) + " bytes";
    if (ec == boost::beast::error::timeout) return "timed out";
    return ec.message();
}

PWS_DECL bool is_local_shortage(const boost::system::error_code& ec) noexcept {
    namespace asio = boost::asio;
    return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

}  // namespace pws::detail::http
