#pragma once

#include <pws/aws/endpoint.hpp>

#include <cctype>
#include <charconv>

namespace pws::aws {

PWS_DECL boost::system::error_code parse_endpoint(std::string_view url, endpoint& out, std::string& diagnostic) {
    // The endpoint is quoted, cut short, with any user info ("user:password@") masked: an
    // endpoint written with credentials in it must not print them.
    const std::string_view whole = url;
    auto fail = [&](const char* why) {
        std::string shown(whole);
        if (auto at = shown.rfind('@'); at != std::string::npos) {
            auto start = shown.find("://");
            start = start == std::string::npos || start > at ? 0 : start + 3;
            shown.replace(start, at - start, "***");
        }
        if (shown.size() > 256) shown.resize(256);
        diagnostic = "invalid endpoint '" + shown + "': " + why;
        return make_error_code(error::invalid_endpoint);
    };
    endpoint ep;
    if (url.starts_with("https://")) {
        ep.tls = true;
        ep.port = 443;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        ep.tls = false;
        ep.port = 80;
        url.remove_prefix(7);
    } else {
        return fail("the scheme must be http:// or https://");
    }
    auto slash = url.find('/');
    if (slash != std::string_view::npos) {
        if (url.substr(slash) != "/") return fail("a path, query or fragment is not supported");
        url = url.substr(0, slash);
    }
    if (url.find('@') != std::string_view::npos) return fail("user info is not supported");
    std::string_view host = url, port;
    if (url.starts_with('[')) {  // IPv6 literal
        auto close = url.find(']');
        if (close == std::string_view::npos) return fail("unterminated IPv6 literal");
        host = url.substr(1, close - 1);
        auto rest = url.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return fail("junk after the IPv6 literal");
            port = rest.substr(1);
        }
    } else if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
        host = url.substr(0, colon);
        port = url.substr(colon + 1);
    }
    if (host.empty()) return fail("no host");
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == ':'))
            return fail("the host has characters a host name cannot have");
    bool explicit_port = false;
    if (!port.empty() || url.ends_with(':')) {
        unsigned value = 0;
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535)
            return fail("the port must be a number from 1 to 65535");
        explicit_port = value != ep.port;
        ep.port = static_cast<std::uint16_t>(value);
    }
    ep.host = std::string(host);
    bool v6 = host.find(':') != std::string_view::npos;
    ep.host_header = v6 ? "[" + ep.host + "]" : ep.host;
    if (explicit_port) ep.host_header += ":" + std::to_string(ep.port);
    out = std::move(ep);
    return {};
}

PWS_DECL bool is_valid_region(std::string_view r) noexcept {
    // Lowercase letters and digits in dash-separated parts, at least three parts, the last
    // one digits: us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, ap-southeast-4.
    if (r.empty() || r.size() > 32) return false;
    int parts = 1;
    bool last_digits = true, part_empty = true;
    for (char c : r) {
        if (c == '-') {
            if (part_empty) return false;
            ++parts;
            last_digits = true;
            part_empty = true;
        } else if (c >= '0' && c <= '9') {
            part_empty = false;
        } else if (c >= 'a' && c <= 'z') {
            last_digits = false;
            part_empty = false;
        } else {
            return false;
        }
    }
    return parts >= 3 && !part_empty && last_digits;
}

PWS_DECL boost::system::error_code dynamodb_endpoint(std::string_view region, std::string_view custom,
                                                     bool use_fips, endpoint& out, std::string& diagnostic) {
    if (!custom.empty()) return parse_endpoint(custom, out, diagnostic);
    if (region == "local") return parse_endpoint("http://localhost:8000", out, diagnostic);
    if (!is_valid_region(region)) {
        diagnostic = "invalid region '" + std::string(region.substr(0, 64)) +
                     "': expected a region name such as us-east-1";
        return make_error_code(error::invalid_config);
    }
    std::string url = "https://dynamodb";
    if (use_fips && !region.starts_with("us-gov-")) url += "-fips";
    url += ".";
    url += region;
    url += region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    return parse_endpoint(url, out, diagnostic);
}

}  // namespace pws::aws
