// The gate's log: one line per event on stdout, written at once (operators and tests read it live).
//
// Logged values come from clients (app keys from URLs, channel names, peers): a %0A in a key must
// not forge a line, and a megabyte-long one must not fill the disk. So every line is escaped
// (control characters and DEL as \xNN, a backslash as \\) and cut.
#pragma once

#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>

namespace gate {

/// The longest line written, escapes included; a longer one ends in "...".
inline constexpr std::size_t max_log_line = 2048;

/// `s` as it is logged: escaped and cut to max_log_line bytes.
inline std::string log_text(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() < max_log_line ? s.size() : max_log_line);
    for (unsigned char c : s) {
        if (out.size() + 4 > max_log_line - 3) {
            out += "...";
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        } else if (c == '\\') {
            out += "\\\\";
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

/// Writes log_text(s) and a newline to stdout, flushed.
inline void log_line(std::string_view s) { std::cout << log_text(s) << std::endl; }

}  // namespace gate
