// soketi's options as a deployment sets them: a config file (`soketi start --config=FILE`) whose
// top-level keys are dotted option paths ("appManager.array.apps": [...]) or nested objects
// ({"appManager": {"array": {"apps": [...]}}}), then `SOKETI_X` variables whose values are JSON
// when they parse as JSON and text otherwise (src/cli/cli.ts, server.ts setOptions + dot-wild).
#pragma once

#include <pws/detail/env.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws::detail {

/// "a.b.0.c" -> {"a", "b", "0", "c"}.
inline std::vector<std::string_view> option_path(std::string_view dotted) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        auto dot = dotted.find('.', start);
        parts.push_back(dotted.substr(start, dot - start));
        if (dot == std::string_view::npos) return parts;
        start = dot + 1;
    }
}

inline bool is_index(std::string_view s, std::size_t& out) {
    if (s.empty() || s.size() > 6) return false;  // no config has a million apps at one index
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<std::size_t>(c - '0');
    }
    return true;
}

/// Sets `value` at `path` inside `root`, as dot-wild's set does for soketi: objects are made on
/// the way, a numeric part indexes an array (growing it by one at most), the value replaces
/// whatever was there. Returns false when the path runs through a non-container or skips an
/// array index (then nothing is changed).
inline bool option_set(boost::json::value& root, std::string_view dotted, boost::json::value value) {
    auto parts = option_path(dotted);
    boost::json::value* at = &root;
    for (auto part : parts) {
        std::size_t i = 0;
        if (auto* arr = at->if_array(); arr && is_index(part, i)) {
            if (i > arr->size()) return false;
            if (i == arr->size()) arr->emplace_back(boost::json::object());
            at = &(*arr)[i];
            continue;
        }
        if (at->is_null()) at->emplace_object();
        auto* obj = at->if_object();
        if (!obj) return false;
        at = &(*obj)[part];
    }
    *at = std::move(value);
    return true;
}

/// The value at a dotted `path` in `root`, or nullptr.
inline const boost::json::value* option_get(const boost::json::value& root, std::string_view dotted) {
    const boost::json::value* at = &root;
    for (auto part : option_path(dotted)) {
        std::size_t i = 0;
        if (auto* arr = at->if_array(); arr && is_index(part, i)) {
            if (i >= arr->size()) return nullptr;
            at = &(*arr)[i];
        } else if (auto* obj = at->if_object()) {
            at = obj->if_contains(part);
            if (!at) return nullptr;
        } else {
            return nullptr;
        }
    }
    return at->is_null() ? nullptr : at;
}

/// A config file's options, applied key by key in file order as soketi applies them. Returns
/// false with `why` when a key cannot be applied (a path through a number, say).
inline bool apply_config_file(boost::json::value& options, const boost::json::object& file, std::string& why) {
    for (auto& [key, value] : file)
        if (!option_set(options, key, value)) {
            why = "option \"" + std::string(key.substr(0, 80)) + "\" cannot be applied (its path runs through a value that is not an object)";
            return false;
        }
    return true;
}

/// An environment value as soketi reads it: JSON when it parses as JSON, else the text.
inline boost::json::value env_option_value(const std::string& text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec) return boost::json::value(text);
    return v;
}

}  // namespace pws::detail
