// pws-apps audit, the pure part: how soketi reads an item of its apps table, how this library
// reads it, and every place the two differ. No I/O: commands_audit.cpp scans and prints,
// tests/operator/audit_test.cpp feeds items.
//
// soketi's side is a model of its code, not a guess (soketi src/app.ts, src/app-managers/
// dynamodb-app-manager.ts, as of 1.x): aws-sdk v2's DynamoDB.Converter.unmarshall turns the item
// into JavaScript values (S a string, N a number, B a Buffer, ...); DynamoDbAppManager then turns
// a Buffer EnableClientMessages into a boolean (the npm `boolean` package) and JSON.parse's a
// string Webhooks ([] when that fails); `new App(...)` takes each field from the last of its
// spellings present (not undefined, '' or null), runs parseInt/parseFloat on the limits and
// JSON.parse again on a webhooks value that is not an array, and calls event_types.includes() on
// every webhook, which throws (and soketi answers "no such app") when event_types cannot.
// This library's side is dynamodb::decode_app, called as is.
#pragma once

#include <pws/app.hpp>
#include <pws/app_defaults.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pws_apps::audit {

/// JavaScript values and the few JavaScript operations soketi applies to them.
namespace js {

struct member;

/// A JavaScript value as soketi holds one (after unmarshall or JSON.parse).
struct value {
    enum class type { undefined, null, boolean, number, string, buffer, array, object, set, unknown };
    type t = type::undefined;
    bool boolean = false;                ///< boolean
    double number = 0;                   ///< number
    std::string text;                    ///< string: its UTF-8; buffer: its bytes; unknown: why not modelled
    std::vector<value> elements;         ///< array, set (a DynamoDBSet of aws-sdk v2)
    std::vector<member> members;         ///< object: own properties
    std::shared_ptr<const value> proto;  ///< object: the prototype a "__proto__" key of an M sets

    static value of(type t) {
        value v;
        v.t = t;
        return v;
    }
    static value of(bool b) {
        value v;
        v.t = type::boolean;
        v.boolean = b;
        return v;
    }
    static value of(double n) {
        value v;
        v.t = type::number;
        v.number = n;
        return v;
    }
    static value of(std::string s, type t = type::string) {
        value v;
        v.t = t;
        v.text = std::move(s);
        return v;
    }
    static value not_modelled(std::string why) { return of(std::move(why), type::unknown); }
};

/// One own property of an object.
struct member {
    std::string name;
    value v;
};

/// aws-sdk v2's Converter.output for one DynamoDB JSON attribute value ({"S": "..."}, ...).
value unmarshall(const boost::json::value& attribute);
/// aws-sdk v2's Converter.unmarshall for a whole item: an object of its attributes.
value unmarshall_item(const boost::json::object& item);
/// JSON.parse(text); sets `ok` false where JSON.parse throws. Nesting past 256 levels gives an
/// `unknown` value (ok stays true): the audit says so instead of guessing.
value json_parse(std::string_view text, bool& ok);
/// obj[name]: an own property, else the prototype's; nullptr for undefined.
const value* get(const value& obj, std::string_view name);

std::string to_string(const value& v);        ///< String(v)
std::string number_to_string(double d);       ///< Number.prototype.toString(): "1.5", "1e+21", "NaN"
bool truthy(const value& v);                  ///< !!v
double parse_int(const value& v);             ///< parseInt(v) (radix 10, or 16 after "0x")
double parse_float(const value& v);           ///< parseFloat(v)
double string_to_number(std::string_view s);  ///< Number(s) for a string
bool boolean_package(const value& v);         ///< the npm `boolean` package, v3

}  // namespace js

/// What soketi's App holds in one of its fields for an item, and where it came from.
struct soketi_field {
    std::string_view name;  ///< App's member: "enabled", "maxConnections", ...
    std::string attribute;  ///< the attribute taken (last spelling present); "" = soketi's default
    const boost::json::value* stored = nullptr;  ///< that attribute's DynamoDB value, in the item
    js::value raw;                               ///< what extractFromPassedKeys returned
    js::value value;   ///< what App keeps: raw, parseInt(raw), parseFloat(raw), the webhooks
    std::string note;  ///< how soketi came to `value` when that is not plain
};

/// soketi's App for an item.
struct soketi_app {
    std::vector<soketi_field> fields;  ///< in App's constructor order, "id" first
    std::string not_found;  ///< non-empty: `new App(...)` throws (why); soketi answers "no such app"

    /// The field named `name` (soketi's member name); precondition: one of App's fields.
    const soketi_field& field(std::string_view name) const;
};

/// soketi's reading of `item`; its server options (the presence, channel and event limits)
/// are `defaults`, as this library's are.
soketi_app soketi_reading(const boost::json::object& item, const pws::AppDefaults& defaults);

/// The spellings soketi's App takes a field from, in its order (the last present wins), by
/// soketi's member name; empty for a name App does not have.
std::vector<std::string_view> soketi_spellings(std::string_view name);

/// One place where soketi and this library read an item differently. Item data in it is
/// printable, cut short, and never the app's secret.
struct difference {
    std::string field;   ///< the attributes concerned, e.g. "Enabled", "MaxConnections, max_connections"
    std::string soketi;  ///< what soketi reads, and by which rule
    std::string pws;     ///< what this library reads, or "cannot read (<diagnostic>)"
    std::string why;     ///< what it changes for the app
};

/// Everything the audit found in one item.
struct item_audit {
    std::string id;                       ///< AppId (S) as stored, "" if none (for sorting and matching only)
    std::string key;                      ///< AppKey (S) as stored, "" if none (the key check)
    std::string shown_id;                 ///< the id for printing: quoted, printable, cut, or withheld
    std::string shown_key;                ///< the key for printing, likewise; "" if none
    bool readable = true;                 ///< decode_app accepts the item
    std::string unreadable;               ///< when not: decode_app's diagnostic and what soketi does instead
    bool soketi_finds = true;             ///< soketi's `new App(...)` succeeds
    std::vector<difference> differences;  ///< field by field
    std::vector<std::string> secrets;     ///< what must never be printed for this item

    /// Nothing differs.
    bool agrees() const { return readable && soketi_finds && differences.empty(); }
};

/// Audits one item against `defaults`, the server-wide limits both readers give a missing field.
item_audit audit_item(const boost::json::object& item, const pws::AppDefaults& defaults);

/// `text` for printing next to an item whose secrets are `secrets`: "(withheld: the app secret)"
/// when it holds one of them (or an 8-byte piece of one), else quoted, control characters and
/// bytes that are not UTF-8 as '?', cut after 64 bytes.
std::string shown(std::string_view text, const std::vector<std::string>& secrets);

/// Whether `text` holds one of `secrets`, or an 8-byte piece of one, as stored or as printed
/// (for a secret shorter than 8 bytes: the whole of it).
bool holds_secret(std::string_view text, const std::vector<std::string>& secrets);

/// A diagnostic of this library's for printing next to that item: pws::withhold_secret
/// for each secret (decode_app itself knows only the AppSecret of the item it decoded), control
/// characters replaced, cut after 300 bytes.
std::string shown_diagnostic(std::string diagnostic, const std::vector<std::string>& secrets);

/// What `pws-apps audit` prints and how it exits, from every item's audit.
struct report {
    std::vector<std::string> lines;    ///< per app (by id) a block, then table-wide lines, then the summary
    std::size_t apps = 0;              ///< items audited
    std::size_t with_differences = 0;  ///< items with anything to report (unreadable ones included)
    std::size_t unreadable = 0;        ///< items this library cannot read
    std::size_t keys_held_twice = 0;   ///< AppKeys held by more than one item
    int exit_code = 0;                 ///< 0 nothing to report, 1 something
};

/// Builds the report: also checks the table as a whole (a key held by several items).
report make_report(std::vector<item_audit> items);

}  // namespace pws_apps::audit
