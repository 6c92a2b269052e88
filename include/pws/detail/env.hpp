// Reading the environment as soketi's deployments set it: every variable `X` of this library may
// also be spelled `SOKETI_X` (soketi >= 1.0 reads only that one). Shared by every from_env().
#pragma once

#include <pws/error.hpp>

#include <boost/system/system_error.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace pws::detail {

/// One variable as found: its value and the spelling that held it (for diagnostics).
struct env_entry {
    std::string value;
    std::string name;  ///< "X" or "SOKETI_X"
};

/// `name` or `SOKETI_` + `name`, whichever is set (unset and empty are the same, as in soketi).
/// Both set to different values is an operator error, never a silent pick: throws
/// boost::system::system_error(error::invalid_config) naming both (not their values).
inline std::optional<env_entry> env_either(std::string_view name) {
    const std::string plain(name), soketi = "SOKETI_" + plain;
    const char* a = std::getenv(plain.c_str());
    const char* b = std::getenv(soketi.c_str());
    const bool has_a = a && *a, has_b = b && *b;
    if (has_a && has_b && std::string_view(a) != std::string_view(b))
        throw boost::system::system_error(
            error::invalid_config,
            plain + " and " + soketi + " are both set, to different values; unset one of them");
    if (has_a) return env_entry{a, plain};
    if (has_b) return env_entry{b, soketi};
    return std::nullopt;
}

/// Throws error::invalid_config: "<variable>: expected <what>, got "<value cut to 40>"".
[[noreturn]] inline void env_refuse(const env_entry& e, std::string_view expected) {
    std::string shown;
    for (char c : std::string_view(e.value).substr(0, 40))
        shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    throw boost::system::system_error(error::invalid_config,
                                      e.name + ": expected " + std::string(expected) + ", got \"" +
                                          shown + (e.value.size() > 40 ? "\"..." : "\""));
}

/// Reads `name` (either spelling) as an integer >= `min` into `out`; unset keeps `out`.
/// Returns whether it was set.
inline bool env_int(std::string_view name, std::int64_t& out, std::int64_t min, std::string_view expected) {
    auto e = env_either(name);
    if (!e) return false;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), v);
    if (ec != std::errc{} || end != e->value.data() + e->value.size() || v < min)
        env_refuse(*e, expected);
    out = v;
    return true;
}

/// Reads `name` (either spelling) as a finite number > 0 into `out`; unset keeps `out`.
inline void env_positive_number(std::string_view name, double& out, std::string_view expected) {
    auto e = env_either(name);
    if (!e) return;
    double v = 0;
    const char* first = e->value.data();
    const char* last = first + e->value.size();
    // from_chars also takes "inf" and "nan"; a limit is a plain decimal.
    const bool plain = first != last && (*first == '-' || *first == '.' || (*first >= '0' && *first <= '9'));
    auto [end, ec] = std::from_chars(first, last, v);
    if (!plain || ec != std::errc{} || end != last || !std::isfinite(v) || !(v > 0))
        env_refuse(*e, expected);
    out = v;
}

}  // namespace pws::detail
