// Internal to pws-apps audit (audit*.cpp): soketi's App fields as its constructor reads them,
// and the bits of soketi's behaviour both the reading and the comparison need.
#pragma once

#include "audit.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pws_apps::audit::detail {

// How soketi's App treats a field after taking it from the item.
enum class kind {
    text,         // id, key, secret: kept as they are
    flag,         // kept as they are, tested for truthiness
    connections,  // kept as it is; the check runs parseInt(x) || -1, negative = unlimited
    rate,         // parseInt; rate-limiter-flexible: negative = unlimited, not >= 0 (NaN) = 4
    count,        // parseInt; `n > limit` checks, which NaN never trips
    size,         // parseFloat; likewise
    webhooks,     // transformPotentialJsonToArray
};

/// One field of soketi's App and the member of pws::App it corresponds to.
struct field_spec {
    std::string_view name;                      // App's member
    std::array<std::string_view, 3> spellings;  // extractFromPassedKeys's list; [1] is the DynamoDB one
    kind k;
    std::string pws::App::*text = nullptr;
    bool pws::App::*flag = nullptr;
    std::int64_t pws::App::*integer = nullptr;
    double pws::App::*decimal = nullptr;
};

/// soketi's App constructor, field by field in its order (src/app.ts).
extern const std::array<field_spec, 18> fields;

/// "a Buffer", "an object", ...: a JavaScript value's type, for messages.
std::string type_name(const js::value& v);

/// What soketi's webhook sender does with the webhooks it loaded, where that is not "send
/// them" (a Lambda webhook without `lambda`, a webhook with no target, event_types as text).
std::vector<std::string> sender_notes(const soketi_field& f);

}  // namespace pws_apps::audit::detail
