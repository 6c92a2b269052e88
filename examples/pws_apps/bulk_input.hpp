// What `pws-apps import` reads: JSON lines or one JSON array of apps in any of soketi's
// spellings (get's camelCase, DynamoDB's PascalCase, its SQL tables' snake_case columns; the id,
// key and secret only as id, key, secret), each checked and encoded before anything is written,
// and the problems that refuse the import.
#pragma once

#include <pws/app.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pws_apps {

/// Most bytes import reads: the whole input is held in memory.
inline constexpr std::size_t max_import_bytes = std::size_t(256) << 20;

/// Most problems listed before "... and N more problems".
inline constexpr std::size_t max_problems_shown = 20;

/// DynamoDB's limit for one item, names and values together.
inline constexpr std::size_t max_item_bytes = 400 * 1024;

/// One app of the input, checked, with the item that will be written.
struct import_entry {
    std::size_t number = 0;    ///< line (JSON lines) or element (array), from 1
    std::string where;         ///< "line 12 (app \"x\")", for messages
    pws::App app;              ///< as decoded
    boost::json::object item;  ///< DynamoDB JSON: encode_app's, less the limits the input left out
    bool replaces = false;     ///< the id is in the table already (then --force replaces it)
};

/// What refuses an import: each problem with the input position it belongs to, so that those the
/// table check finds print in input order with the others.
struct problem_list {
    std::vector<std::pair<std::size_t, std::string>> all;  ///< (number, message)

    /// Adds a problem; a message quoting ids or keys is scrubbed of the app's `secret`.
    void add(std::size_t number, std::string message, std::string_view secret = {});

    /// Prints the first max_problems_shown problems in input order, how many more, and the
    /// count; returns exit_error.
    int refuse();
};

/// Reads `path` ("-": stdin) whole. False with `why` when it cannot be read, or holds more than
/// max_import_bytes.
bool read_import_input(const std::string& path, std::string& text, std::string& why);

/// Checks every app of `text` (JSON lines, or one JSON array when the first non-blank character
/// is '['), appending the good ones to `out` and the others' problems to `problems`. False with
/// `why` only when the input as a whole is unusable (an array that does not parse, no apps).
bool parse_import_input(std::string_view text, const std::string& path, std::vector<import_entry>& out,
                        problem_list& problems, std::string& why);

/// Adds a problem for each id or key that an earlier app of the input has already.
void check_unique(const std::vector<import_entry>& entries, problem_list& problems);

}  // namespace pws_apps
