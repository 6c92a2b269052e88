#pragma once

#include <pws/detail/json.hpp>
#include <pws/dynamodb/detail/protocol.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace pws::detail {

namespace protocol_impl {
// Longest server message we pass on; the rest is cut (a hostile server may send megabytes).
inline constexpr std::size_t max_message_chars = 512;
}  // namespace protocol_impl

PWS_DECL boost::system::error_code parse_error_response(unsigned status, std::string_view body,
                                                        std::string_view error_type_header,
                                                        std::string_view request_id, std::string& diagnostic,
                                                        std::string_view secret1, std::string_view secret2) {
    std::string_view type = error_type_header.substr(0, error_type_header.find(':'));
    std::string_view message;
    boost::system::error_code jec;
    auto v = boost::json::parse(body, jec);
    if (!jec && v.is_object()) {
        const auto& o = v.get_object();
        if (auto t = json_string(o, "__type"); !t.empty()) type = t;
        message = json_string(o, "message");
        if (message.empty()) message = json_string(o, "Message");
    }
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);

    boost::system::error_code ec;
    if (!type.empty()) {
        ec = dynamodb_errc_from_type(type);
    } else if (status == 503) {
        ec = dynamodb_errc::service_unavailable;
    } else if (status >= 500) {
        ec = dynamodb_errc::internal_server_error;
    } else if (status == 429) {
        ec = dynamodb_errc::throttling;
    } else {
        ec = error::unexpected_status;
    }
    // Each piece the server wrote is scrubbed before it is cut to its limit: a secret cut first
    // would no longer be found whole. Only the limit plus three times the longest secret (its
    // percent-encoded length at most) is scrubbed, so a 4 MB message costs no more than a short one.
    auto piece = [&](std::string_view text, std::size_t limit) {
        std::string p(text.substr(0, limit + 3 * std::max(secret1.size(), secret2.size())));
        pws::scrub(p, secret1, secret2);
        if (p.size() > limit) p.resize(limit);
        return p;
    };
    diagnostic = "DynamoDB ";
    diagnostic += type.empty() ? std::string("error") : piece(type, 128);
    diagnostic += " (HTTP " + std::to_string(status) + ")";
    if (!message.empty()) {
        diagnostic += ": ";
        diagnostic += piece(message, protocol_impl::max_message_chars);
    }
    if (!request_id.empty()) {
        diagnostic += " [request id ";
        diagnostic += piece(request_id, 128);
        diagnostic += "]";
    }
    return ec;
}

PWS_DECL bool is_error_body(std::string_view body) {
    // The JSON is parsed only when the key could be there: in a success body, a quote is escaped
    // inside strings, so `"__type"` can only be a member name.
    if (body.find("\"__type\"") == std::string_view::npos) return false;
    boost::system::error_code jec;
    auto v = boost::json::parse(body, jec);
    return !jec && v.is_object() && !json_string(v.get_object(), "__type").empty();
}

}  // namespace pws::detail
