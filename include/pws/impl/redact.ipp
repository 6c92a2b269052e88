#pragma once

#include <pws/redact.hpp>

#include <pws/aws/detail/credentials_parse.hpp>  // append_form_encoded: the encoder of the STS request

#include <algorithm>
#include <cctype>
#include <unordered_set>
#include <vector>

namespace pws {

namespace detail::redact_impl {

// Marks, in `hidden`, every byte of `text` that lies in a run of at least min_secret_piece bytes
// also found in `secret` (the whole secret, when it is shorter than that). Linear in the text:
// each window of min_secret_piece bytes is looked up among the secret's own windows.
inline void mark_secret(std::string_view text, std::string_view secret, std::vector<bool>& hidden) {
    auto mark = [&](std::size_t at, std::size_t n) { std::fill_n(hidden.begin() + static_cast<std::ptrdiff_t>(at), n, true); };
    if (secret.size() < min_secret_piece) {
        for (auto pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1))
            mark(pos, secret.size());
        return;
    }
    if (text.size() < min_secret_piece) return;
    std::unordered_set<std::string_view> windows;
    windows.reserve(secret.size());
    for (std::size_t i = 0; i + min_secret_piece <= secret.size(); ++i) windows.insert(secret.substr(i, min_secret_piece));
    for (std::size_t i = 0; i + min_secret_piece <= text.size(); ++i)
        if (windows.contains(text.substr(i, min_secret_piece))) mark(i, min_secret_piece);
}

// The forms a server may echo a secret in besides its own: percent-encoded (as in a query or a
// form: append_form_encoded, the encoder of the STS request, then the same with lower-case hex)
// and JSON-escaped (with the optional `\/`).
inline std::vector<std::string> secret_forms(std::string_view secret) {
    std::vector<std::string> forms{std::string(secret)};
    std::string url;
    detail::append_form_encoded(url, secret);
    std::string lower = url;
    for (std::size_t at = lower.find('%'); at != std::string::npos; at = lower.find('%', at + 1))
        for (std::size_t i = at + 1; i < at + 3 && i < lower.size(); ++i)
            lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
    forms.push_back(std::move(url));
    forms.push_back(std::move(lower));
    std::string json;
    for (char c : secret) {
        if (c == '/' || c == '"' || c == '\\') json += '\\';
        json += c;
    }
    forms.push_back(std::move(json));
    std::sort(forms.begin(), forms.end());
    forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
    return forms;
}

}  // namespace detail::redact_impl

PWS_DECL void scrub(std::string& text, std::string_view s1, std::string_view s2, std::string_view s3) {
    if (text.empty()) return;  // a call that succeeded: no diagnostic, no secret forms to build
    std::vector<bool> hidden(text.size(), false);
    for (std::string_view secret : {s1, s2, s3}) {
        if (secret.empty()) continue;
        for (const std::string& form : detail::redact_impl::secret_forms(secret)) detail::redact_impl::mark_secret(text, form, hidden);
    }
    // Each hidden run becomes one "***"; control characters become spaces.
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (hidden[i]) {
            if (i == 0 || !hidden[i - 1]) out += "***";
            continue;
        }
        const char c = text[i];
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
    text = std::move(out);
}

PWS_DECL std::string quote_for_diagnostic(std::string_view s) {
    constexpr std::size_t max_shown = 40;
    std::string q = "\"";
    for (std::size_t i = 0; i < s.size() && i < max_shown; ++i)
        q.push_back(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    q += s.size() > max_shown ? "\"..." : "\"";
    return q;
}

PWS_DECL void withhold_secret(std::string& diagnostic, std::string_view secret) {
    if (secret.empty()) return;
    std::string shown(secret);  // as quote_for_diagnostic shows it
    for (auto& c : shown)
        if (!(c >= 0x20 && c < 0x7f)) c = '?';
    const std::size_t piece = std::min<std::size_t>(secret.size(), 8);
    auto quotes = [&](std::string_view text) {
        for (std::string_view form : {secret, std::string_view(shown)})
            for (std::size_t i = 0; i + piece <= form.size(); ++i)
                if (text.find(form.substr(i, piece)) != std::string_view::npos) return true;
        return false;
    };
    if (!quotes(diagnostic)) return;
    // Keep the attribute's path ("Webhooks[0].url"), or its first name ("Webhooks") when the
    // rest of the path (a map key) is what quotes the secret.
    auto colon = diagnostic.find(": ");
    std::string where = colon == std::string::npos ? std::string() : diagnostic.substr(0, colon);
    if (quotes(where)) where.resize(std::min(where.size(), where.find_first_of(".[")));
    if (where.empty() || quotes(where)) where = "an attribute";
    diagnostic = where + ": malformed (details not shown: they would quote the app secret)";
}

}  // namespace pws
