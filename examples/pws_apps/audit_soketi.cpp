// pws-apps audit: soketi's reading of an item, modelled on its code (src/app.ts: the App
// constructor; src/app-managers/dynamodb-app-manager.ts: unmarshallItem; src/webhook-sender.ts),
// over the JavaScript values of audit_js.cpp.
#include "audit_fields.hpp"

namespace pws_apps::audit {

namespace detail {

using js::value;
using jt = js::value::type;

namespace {
// One constructor per kind of pws::App member, so that each row of the table says only what varies.
constexpr field_spec text_field(std::string_view n, std::array<std::string_view, 3> s,
                                std::string pws::App::*m) {
    return {n, s, kind::text, m, nullptr, nullptr, nullptr};
}
constexpr field_spec flag_field(std::string_view n, std::array<std::string_view, 3> s, bool pws::App::*m) {
    return {n, s, kind::flag, nullptr, m, nullptr, nullptr};
}
constexpr field_spec int_field(std::string_view n, std::array<std::string_view, 3> s, kind k,
                               std::int64_t pws::App::*m) {
    return {n, s, k, nullptr, nullptr, m, nullptr};
}
constexpr field_spec size_field(std::string_view n, std::array<std::string_view, 3> s, double pws::App::*m) {
    return {n, s, kind::size, nullptr, nullptr, nullptr, m};
}
using A = pws::App;
}  // namespace

// soketi's App constructor, field by field in its order (src/app.ts).
const std::array<field_spec, 18> fields{{
    text_field("id", {"id", "AppId"}, &A::id),
    text_field("key", {"key", "AppKey"}, &A::key),
    text_field("secret", {"secret", "AppSecret"}, &A::secret),
    int_field("maxConnections", {"maxConnections", "MaxConnections", "max_connections"}, kind::connections,
              &A::max_connections),
    flag_field("enableClientMessages",
               {"enableClientMessages", "EnableClientMessages", "enable_client_messages"},
               &A::enable_client_messages),
    flag_field("enabled", {"enabled", "Enabled"}, &A::enabled),
    int_field("maxBackendEventsPerSecond",
              {"maxBackendEventsPerSecond", "MaxBackendEventsPerSecond", "max_backend_events_per_sec"},
              kind::rate, &A::max_backend_events_per_second),
    int_field("maxClientEventsPerSecond",
              {"maxClientEventsPerSecond", "MaxClientEventsPerSecond", "max_client_events_per_sec"},
              kind::rate, &A::max_client_events_per_second),
    int_field("maxReadRequestsPerSecond",
              {"maxReadRequestsPerSecond", "MaxReadRequestsPerSecond", "max_read_req_per_sec"}, kind::rate,
              &A::max_read_requests_per_second),
    {"webhooks", {"webhooks", "Webhooks"}, kind::webhooks},
    int_field(
        "maxPresenceMembersPerChannel",
        {"maxPresenceMembersPerChannel", "MaxPresenceMembersPerChannel", "max_presence_members_per_channel"},
        kind::count, &A::max_presence_members_per_channel),
    size_field("maxPresenceMemberSizeInKb",
               {"maxPresenceMemberSizeInKb", "MaxPresenceMemberSizeInKb", "max_presence_member_size_in_kb"},
               &A::max_presence_member_size_in_kb),
    int_field("maxChannelNameLength",
              {"maxChannelNameLength", "MaxChannelNameLength", "max_channel_name_length"}, kind::count,
              &A::max_channel_name_length),
    int_field("maxEventChannelsAtOnce",
              {"maxEventChannelsAtOnce", "MaxEventChannelsAtOnce", "max_event_channels_at_once"}, kind::count,
              &A::max_event_channels_at_once),
    int_field("maxEventNameLength", {"maxEventNameLength", "MaxEventNameLength", "max_event_name_length"},
              kind::count, &A::max_event_name_length),
    size_field("maxEventPayloadInKb",
               {"maxEventPayloadInKb", "MaxEventPayloadInKb", "max_event_payload_in_kb"},
               &A::max_event_payload_in_kb),
    int_field("maxEventBatchSize", {"maxEventBatchSize", "MaxEventBatchSize", "max_event_batch_size"},
              kind::count, &A::max_event_batch_size),
    flag_field("enableUserAuthentication",
               {"enableUserAuthentication", "EnableUserAuthentication", "enable_user_authentication"},
               &A::enable_user_authentication),
}};

std::string type_name(const value& v) {
    switch (v.t) {
    case jt::undefined:
        return "undefined";
    case jt::null:
        return "null";
    case jt::boolean:
        return "a boolean";
    case jt::number:
        return "a number";
    case jt::string:
        return "a string";
    case jt::buffer:
        return "a Buffer";
    case jt::array:
        return "an array";
    case jt::object:
        return "an object";
    case jt::set:
        return "a DynamoDBSet";
    case jt::unknown:
        return "a value the audit does not model";
    }
    return "a value";
}

// What soketi's webhook sender does with webhooks it loaded, where that is not "send them".
std::vector<std::string> sender_notes(const soketi_field& f) {
    std::vector<std::string> notes;
    for (std::size_t i = 0; i < f.value.elements.size(); ++i) {
        const value& w = f.value.elements[i];
        if (w.t != jt::object) continue;
        const std::string where =
            (f.attribute.empty() ? "webhooks" : f.attribute) + "[" + std::to_string(i) + "]";
        const value *url = js::get(w, "url"), *lambda_function = js::get(w, "lambda_function");
        const value *lambda = js::get(w, "lambda"), *types = js::get(w, "event_types");
        if (types && (types->t == jt::string || types->t == jt::buffer))
            notes.push_back(where + ".event_types is " + type_name(*types) +
                            ": soketi matches event names as substrings of it");
        const bool has_url = url && js::truthy(*url),
                   has_lambda = lambda_function && js::truthy(*lambda_function);
        if (!has_url && !has_lambda)
            notes.push_back(where + " has neither url nor lambda_function: soketi never sends it");
        else if (!has_url && (!lambda || lambda->t == jt::null))
            notes.push_back(where +
                            " has a lambda_function but no lambda object: soketi's sender reads "
                            "lambda.async, throws, and never invokes it");
    }
    return notes;
}

}  // namespace detail

namespace {

using namespace detail;
using js::value;
using jt = js::value::type;

// What soketi falls back to when no spelling is present: constants in App's constructor, and
// the server options for the limits (the same AppDefaults this library uses).
value soketi_default(const field_spec& f, const pws::AppDefaults& d) {
    if (f.name == "id") return value::of(std::string("app-id"));
    if (f.name == "key") return value::of(std::string("app-key"));
    if (f.name == "secret") return value::of(std::string("app-secret"));
    if (f.name == "enabled") return value::of(true);
    if (f.k == kind::flag) return value::of(false);
    if (f.k == kind::webhooks) return value::of(std::string("[]"));
    if (f.name == "maxPresenceMembersPerChannel")
        return value::of(double(d.max_presence_members_per_channel));
    if (f.name == "maxPresenceMemberSizeInKb") return value::of(d.max_presence_member_size_in_kb);
    if (f.name == "maxChannelNameLength") return value::of(double(d.max_channel_name_length));
    if (f.name == "maxEventChannelsAtOnce") return value::of(double(d.max_event_channels_at_once));
    if (f.name == "maxEventNameLength") return value::of(double(d.max_event_name_length));
    if (f.name == "maxEventPayloadInKb") return value::of(d.max_event_payload_in_kb);
    if (f.name == "maxEventBatchSize") return value::of(double(d.max_event_batch_size));
    return value::of(-1.0);  // maxConnections and the three rates
}

void set_own(value& obj, std::string name, value v) {
    obj.members.push_back({std::move(name), std::move(v)});
}

// transformPotentialJsonToArray, with a note when soketi's result is not the plain array.
value webhooks_array(const soketi_field& f, std::string& note) {
    const value& raw = f.raw;
    if (raw.t == jt::array) return raw;
    if (raw.t == jt::unknown) return raw;
    bool ok = false;
    value parsed = js::json_parse(js::to_string(raw), ok);
    if (ok && parsed.t == jt::unknown) return parsed;
    if (ok && parsed.t == jt::array) {
        if (raw.t == jt::buffer)
            note = "soketi parses the Buffer's bytes as JSON";
        else if (f.attribute == "Webhooks")
            note = "a JSON string inside the JSON: soketi parses it twice";
        return parsed;
    }
    if (f.attribute.empty()) return value::of(jt::array);  // the default '[]'
    note = !ok && raw.t == jt::string ? "not valid JSON, which soketi reads as no webhooks"
                                      : type_name(raw) + " where soketi wants an array: no webhooks";
    return value::of(jt::array);
}

// App's constructor calls webhook.event_types.includes(...) on every webhook.
std::string constructor_throws(const soketi_field& f) {
    const auto& hooks = f.value.elements;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        const value& w = hooks[i];
        const std::string where = f.attribute + "[" + std::to_string(i) + "]";
        if (w.t == jt::unknown) continue;  // reported as not modelled
        const value* types = w.t == jt::object ? js::get(w, "event_types") : nullptr;
        if (w.t == jt::null) return where + " is null";
        if (!types || types->t == jt::null) return where + " has no event_types";
        if (types->t != jt::array && types->t != jt::string && types->t != jt::buffer &&
            types->t != jt::unknown)
            return where + ".event_types is " + type_name(*types) + ", which has no includes()";
    }
    return {};
}

}  // namespace

std::vector<std::string_view> soketi_spellings(std::string_view name) {
    for (auto& f : fields)
        if (f.name == name) {
            std::vector<std::string_view> out;
            for (auto s : f.spellings)
                if (!s.empty()) out.push_back(s);
            return out;
        }
    return {};
}

const soketi_field& soketi_app::field(std::string_view name) const {
    for (auto& f : fields)
        if (f.name == name) return f;
    return fields.front();  // the precondition says this does not happen
}

soketi_app soketi_reading(const boost::json::object& item, const pws::AppDefaults& defaults) {
    soketi_app app;
    value obj = js::unmarshall_item(item);

    // DynamoDbAppManager.unmarshallItem: only these two attributes, only these spellings.
    std::string webhooks_note;
    if (const value* ecm = js::get(obj, "EnableClientMessages"); ecm && ecm->t == jt::buffer)
        set_own(obj, "EnableClientMessages", value::of(js::boolean_package(value::of(js::to_string(*ecm)))));
    if (const value* wh = js::get(obj, "Webhooks"); wh && wh->t == jt::string) {
        bool ok = false;
        value parsed = js::json_parse(wh->text, ok);
        if (!ok) webhooks_note = "not valid JSON: soketi's reader takes [] (no webhooks)";
        set_own(obj, "Webhooks", ok ? std::move(parsed) : value::of(jt::array));
    }

    for (auto& spec : fields) {
        soketi_field f;
        f.name = spec.name;
        f.raw = soketi_default(spec, defaults);
        // extractFromPassedKeys: the last spelling that is neither undefined, '' nor null.
        for (auto s : spec.spellings) {
            if (s.empty()) continue;
            const value* v = js::get(obj, s);
            if (!v || v->t == jt::null || (v->t == jt::string && v->text.empty())) continue;
            f.raw = *v;
            f.attribute = std::string(s);
            f.stored = item.if_contains(s);
        }
        switch (spec.k) {
        case kind::text:
        case kind::flag:
        case kind::connections:
            f.value = f.raw;
            break;
        case kind::rate:
        case kind::count:
            f.value = f.raw.t == jt::unknown ? f.raw : value::of(js::parse_int(f.raw));
            break;
        case kind::size:
            f.value = f.raw.t == jt::unknown ? f.raw : value::of(js::parse_float(f.raw));
            break;
        case kind::webhooks: {
            std::string note;
            f.value = webhooks_array(f, note);
            f.note = f.attribute == "Webhooks" && !webhooks_note.empty() ? webhooks_note : note;
            break;
        }
        }
        if (spec.name == "enableClientMessages" && f.attribute == "EnableClientMessages" && f.stored &&
            f.stored->is_object() && f.stored->get_object().contains("B"))
            f.note = "the boolean package reads the bytes (true for true, t, yes, y, on, 1 in any case)";
        app.fields.push_back(std::move(f));
    }
    app.not_found = constructor_throws(app.field("webhooks"));
    if (!app.not_found.empty())
        app.not_found +=
            ": App's constructor calls event_types.includes() on every webhook and throws, so soketi's "
            "lookups answer no app";
    return app;
}

}  // namespace pws_apps::audit
