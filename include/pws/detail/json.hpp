// The one set of small Boost.JSON readers the library shares: members of an object, response
// bodies that must be objects, the text spellings of numbers and flags, and JSON values read as
// numbers or flags. The response parsers (dynamodb/operations.hpp, dynamodb/scan.hpp,
// dynamodb/detail/protocol.hpp), the item codec (dynamodb/attribute_value.hpp) and the JSON codec
// (app_json.hpp) all read through these, so one spelling is accepted, or refused, everywhere.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace pws::detail {

/// The string member `name` of `o`; "" when it is absent or not a string.
PWS_DECL std::string_view json_string(const boost::json::object& o, std::string_view name) noexcept;

/// The array member `name` of `o`; nullptr when it is absent or not an array.
PWS_DECL const boost::json::array* json_array(const boost::json::object& o, std::string_view name) noexcept;

/// The object member `name` of `o`; nullptr when it is absent or not an object.
PWS_DECL const boost::json::object* json_object(const boost::json::object& o, std::string_view name) noexcept;

/// The text of the S attribute `attr` of a DynamoDB item ({"attr": {"S": "..."}}); "" otherwise.
PWS_DECL std::string_view s_attribute(const boost::json::object& item, std::string_view attr) noexcept;

/// Parses a response body that must be a JSON object into `out`, with `out`'s memory resource
/// (a lookup's is a stack arena). On failure returns false with `diagnostic` = "<what> is not
/// valid JSON (<why>)" or "<what> is not a JSON object".
PWS_DECL bool parse_json_object(std::string_view body, boost::json::object& out, std::string& diagnostic,
                                std::string_view what = "the response body");

/// Parses `[-]digits` that fits int64 (no '+', spaces, fraction or exponent).
PWS_DECL bool parse_int64(std::string_view s, std::int64_t& out) noexcept;

/// Parses a finite decimal number ("2", "0.5", "-1", "1e3"; not "inf", "nan" or hex).
PWS_DECL bool parse_double(std::string_view s, double& out) noexcept;

/// Parses the flag spellings "true", "false", "1", "0" (exactly; case-sensitive).
PWS_DECL bool parse_flag(std::string_view s, bool& out) noexcept;

/// The shortest text that reads back as the same double ("2", "0.5", "1e+30").
PWS_DECL std::string number_text(double d);

/// A JSON value as an int64: an integer, an integral double in range ("100.0", "1e2"), or a
/// string parse_int64 takes.
PWS_DECL bool json_int(const boost::json::value& v, std::int64_t& out) noexcept;

/// A JSON value as a finite double: a number, or a string parse_double takes.
PWS_DECL bool json_double(const boost::json::value& v, double& out) noexcept;

/// A JSON value as a flag: a boolean, the integers 0/1, or a string parse_flag takes.
PWS_DECL bool json_flag(const boost::json::value& v, bool& out) noexcept;

/// What a wrong value was, for a diagnostic: strings quoted (quote_for_diagnostic), the rest named.
PWS_DECL std::string json_describe(const boost::json::value& v);

/// Whether every number in `v` is finite: Boost.JSON reads a number past the range of a double
/// (1e400) as infinity and would write it back as "Infinity", which no JSON reader accepts.
/// False too past 64 levels of nesting (deeper than any parser we use lets through).
PWS_DECL bool json_all_finite(const boost::json::value& v, int depth = 0) noexcept;

/// json_all_finite over every member of `o`.
PWS_DECL bool json_all_finite(const boost::json::object& o) noexcept;

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/impl/json.ipp>
#endif
