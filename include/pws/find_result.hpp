// pws::find_result — the outcome of one lookup: found, not found, or an error.
#pragma once

#include <pws/app.hpp>

#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

namespace pws {

/// Apps are shared, immutable values: copying a result never copies the app.
using app_ptr = std::shared_ptr<const App>;

/// The outcome of a lookup. Exactly one of three states:
///  - found:     `!ec && app`
///  - not found: `!ec && !app`
///  - error:     `ec` set; `diagnostic` says what happened (never a secret), `app` is empty.
struct find_result {
    boost::system::error_code ec; ///< set when the lookup failed (pws::error or pws::dynamodb_errc)
    app_ptr app;                  ///< the app, when found
    std::string diagnostic;       ///< human-readable detail of an error (server message, cause)

    bool found() const noexcept { return !ec && app != nullptr; }     ///< the app exists
    bool not_found() const noexcept { return !ec && app == nullptr; } ///< no such app, no error
    bool failed() const noexcept { return static_cast<bool>(ec); }    ///< the lookup failed

    /// A found result.
    static find_result of(app_ptr a) { return {{}, std::move(a), {}}; }
    /// A not-found result.
    static find_result none() { return {}; }
    /// An error result.
    static find_result failure(boost::system::error_code e, std::string diag = {}) {
        return {e, nullptr, std::move(diag)};
    }
};

}  // namespace pws
