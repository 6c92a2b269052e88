// Text made safe to show: what a server or a record says may quote a secret, hold control
// characters, or run for megabytes. The library passes every diagnostic it builds through these;
// tools that print server text or record data of their own (pws-apps) use them likewise.
#pragma once

#include <pws/detail/config.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pws {

/// Pieces of a secret this long or longer are hidden wherever they appear (shorter secrets only
/// whole): a server echoing half a session token must not get that half quoted.
inline constexpr std::size_t min_secret_piece = 16;

/// Replaces, in `text`, every run that is a piece of min_secret_piece or more bytes of a
/// non-empty secret — as written, percent-encoded (either case) or JSON-escaped — by "***", and
/// control characters by spaces, so server-provided text can be shown safely.
PWS_DECL void scrub(std::string& text, std::string_view secret1, std::string_view secret2 = {},
                    std::string_view secret3 = {});

/// `s` quoted for a diagnostic: cut to 40 bytes, bytes outside printable ASCII shown as '?'.
PWS_DECL std::string quote_for_diagnostic(std::string_view s);

/// Item data quoted in a diagnostic may hold the app's secret (the same bytes stored in another
/// attribute, or as a map key): when `diagnostic` shows the secret or any 8-byte piece of it
/// (as quoted: cut short, non-printable bytes as '?'), its details are replaced by a notice.
PWS_DECL void withhold_secret(std::string& diagnostic, std::string_view secret);

}  // namespace pws

#ifdef PWS_HEADER_ONLY
#include <pws/impl/redact.ipp>
#endif
