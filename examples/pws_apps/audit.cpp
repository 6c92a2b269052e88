// pws-apps audit: soketi's reading of an item (audit_soketi.cpp) against this library's
// (dynamodb::decode_app, field by field), and every difference, said in words.
#include "audit_fields.hpp"

#include <pws/app_json.hpp>
#include <pws/dynamodb/attribute_value.hpp>

#include <cmath>
#include <optional>

namespace pws_apps::audit {

namespace {

using namespace detail;
using js::value;
using jt = js::value::type;

// Everything stored under soketi's spellings of the secret, as stored and decoded.
void collect_secrets(const boost::json::value& v, std::vector<std::string>& out, int depth) {
    if (depth > 8) return;
    if (const auto* s = v.if_string()) {
        if (!s->empty()) out.emplace_back(*s);
    } else if (const auto* a = v.if_array()) {
        for (auto& e : *a) collect_secrets(e, out, depth + 1);
    } else if (const auto* o = v.if_object()) {
        for (auto& [k, m] : *o) {
            std::string bytes;
            if ((k == "B") && m.is_string() && pws::dynamodb::decode_binary(m.get_string(), bytes) &&
                !bytes.empty())
                out.push_back(std::move(bytes));
            if (k == "BS" && m.is_array())
                for (auto& e : m.get_array())
                    if (e.is_string() && pws::dynamodb::decode_binary(e.get_string(), bytes) && !bytes.empty())
                        out.push_back(bytes);
            collect_secrets(m, out, depth + 1);
        }
    }
}

// This library's reading of one field: of the whole item, or of a probe holding only that
// field's attributes (so that every field pws refuses is named, not only the first).
struct pws_side {
    bool ok = false;
    pws::App app;
    std::string diag;
};

pws_side probe(const boost::json::object& item, const field_spec& f, const pws::AppDefaults& d) {
    boost::json::object p;
    for (auto name : {"AppId", "AppKey", "AppSecret"}) p[name] = boost::json::object{{"S", "audit-probe"}};
    if (f.k == kind::text) p.erase(f.spellings[1]);  // the probed key field as the item has it, or not at all
    for (auto s : f.spellings)
        if (!s.empty())
            if (const auto* v = item.if_contains(s)) p[s] = *v;
    pws_side out;
    out.ok = !pws::dynamodb::decode_app(p, out.app, out.diag, d);
    return out;
}

std::string s_if(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// "Enabled B \"false\"", "MaxConnections N \"5\"": which attribute soketi took, as stored.
std::string describe_stored(const soketi_field& f, const std::vector<std::string>& secrets,
                            bool contents = true) {
    if (f.attribute.empty()) return "soketi's default";
    if (!f.stored || !f.stored->is_object() || f.stored->get_object().empty())
        return f.attribute + " (through a __proto__ map)";
    const auto& [type_key, payload] = *f.stored->get_object().begin();
    std::string out = f.attribute + " " + std::string(type_key);
    const auto* s = payload.if_string();
    const auto* a = payload.if_array();
    if (type_key == "B" && s) {
        std::string bytes;
        if (!pws::dynamodb::decode_binary(*s, bytes)) return out + " (not base64)";
        return out + (contents ? " " + shown(bytes, secrets) : " of " + s_if(bytes.size(), "byte"));
    }
    if ((type_key == "S" || type_key == "N") && s)
        return out + (contents ? " " + shown(*s, secrets) : " of " + s_if(s->size(), "byte"));
    if (type_key == "BOOL" && payload.is_bool()) return out + (payload.get_bool() ? " true" : " false");
    if (a) return out + " of " + s_if(a->size(), "element");
    return out;
}

// The attributes of a field the item holds, for the difference's name.
std::string field_label(const boost::json::object& item, const field_spec& f) {
    std::string out;
    for (auto s : f.spellings)
        if (!s.empty() && item.contains(s)) out += (out.empty() ? "" : ", ") + std::string(s);
    return out.empty() ? std::string(f.spellings[1]) : out;
}

// "from X ..." or "soketi's default", and what soketi made of the field's other spellings.
std::string provenance(const boost::json::object& item, const field_spec& spec, const soketi_field& f,
                       const std::vector<std::string>& secrets, bool contents = true) {
    std::string ignored;
    for (auto s : spec.spellings)
        if (!s.empty() && s != f.attribute && item.contains(s))
            ignored += (ignored.empty() ? "" : ", ") + std::string(s);
    if (f.attribute.empty())
        return ignored.empty()
                   ? "soketi's default"
                   : "soketi's default: it skips " + ignored + " (an empty string or a null is absent to it)";
    std::string out = "from " + describe_stored(f, secrets, contents);
    if (!ignored.empty()) out += ", the last of soketi's spellings it finds (it ignores " + ignored + ")";
    return out;
}

std::string limit_text(double n, std::string_view unit = {}) {
    if (std::isnan(n)) return "NaN";
    return js::number_to_string(n) + std::string(unit);
}

boost::json::value to_json(const value& v, int depth = 0) {
    if (depth > 64) return boost::json::object{{"(not modelled)", "nested too deeply"}};
    switch (v.t) {
    case jt::undefined:
    case jt::null:
        return nullptr;
    case jt::boolean:
        return v.boolean;
    case jt::number:
        if (std::trunc(v.number) == v.number && std::fabs(v.number) < 9007199254740992.0)
            return static_cast<std::int64_t>(v.number);
        return v.number;
    case jt::string:
        return boost::json::string(v.text);
    // soketi holds these as no JSON value can; markers make a string or array check fail.
    case jt::buffer:
        return boost::json::object{{"(Buffer)", pws::dynamodb::encode_binary(v.text)}};
    case jt::unknown:
        return boost::json::object{{"(not modelled)", v.text}};
    case jt::set:
    case jt::array: {
        boost::json::array a;
        for (auto& e : v.elements) a.push_back(to_json(e, depth + 1));
        if (v.t == jt::set) return boost::json::object{{"(DynamoDBSet)", std::move(a)}};
        return a;
    }
    case jt::object: {
        // Property reads see the prototype's members too; own ones win.
        std::vector<const value*> chain;
        for (const value* o = &v; o && chain.size() < 64; o = o->proto.get()) chain.push_back(o);
        boost::json::object o;
        for (auto it = chain.rbegin(); it != chain.rend(); ++it)
            for (auto& m : (*it)->members) o.insert_or_assign(m.name, to_json(m.v, depth + 1));
        return o;
    }
    }
    return nullptr;
}

bool same_json(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
    if (a.kind() != b.kind()) return false;
    if (const auto* x = a.if_array()) {
        const auto& y = b.get_array();
        if (x->size() != y.size()) return false;
        for (std::size_t i = 0; i < x->size(); ++i)
            if (!same_json((*x)[i], y[i])) return false;
        return true;
    }
    if (const auto* x = a.if_object()) {
        const auto& y = b.get_object();
        if (x->size() != y.size()) return false;
        for (auto& [k, m] : *x)
            if (const auto* n = y.if_contains(k); !n || !same_json(m, *n)) return false;
        return true;
    }
    return a == b;
}

bool same_webhooks(const std::vector<pws::Webhook>& a, const std::vector<pws::Webhook>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto &x = a[i], &y = b[i];
        if (x.url != y.url || x.lambda_function != y.lambda_function || x.event_types != y.event_types ||
            x.headers != y.headers || x.filter != y.filter || x.lambda.has_value() != y.lambda.has_value())
            return false;
        if (x.lambda && (x.lambda->async != y.lambda->async || x.lambda->region != y.lambda->region ||
                         !same_json(x.lambda->client_options, y.lambda->client_options)))
            return false;
    }
    return true;
}

std::string flag_consequence(std::string_view name, bool soketi) {
    if (name == "enabled")
        return soketi ? "soketi accepts connections to this app, pws reports it disabled"
                      : "soketi refuses connections to this app (4003), pws reports it enabled";
    if (name == "enableClientMessages")
        return soketi ? "soketi lets clients send client events, pws does not"
                      : "pws lets clients send client events, soketi does not";
    return soketi ? "soketi closes connections that do not sign in (pusher:signin) in time, pws does not ask "
                    "them to"
                  : "pws asks connections to sign in (pusher:signin), soketi does not";
}

// One field: soketi's reading against this library's; a difference when they disagree.
std::optional<difference> compare(const boost::json::object& item, const field_spec& spec,
                                  const soketi_field& f, const pws_side& p, bool soketi_finds,
                                  const std::vector<std::string>& secrets) {
    difference d;
    d.field = field_label(item, spec);
    const std::string from = provenance(item, spec, f, secrets);
    bool same = false;
    std::string pws_text, consequence;

    if (f.value.t == jt::unknown) {
        d.soketi = "not modelled by this audit (" + f.value.text + "), " + from;
        d.pws = p.ok ? "reads it" : "cannot read (" + shown_diagnostic(p.diag, secrets) + ")";
        d.why = "check this attribute by hand";
        return d;
    }
    switch (spec.k) {
    case kind::flag: {
        const bool b = js::truthy(f.value);
        d.soketi = std::string(b ? "true" : "false") + ", " + from;
        std::string rule = f.note;
        if (rule.empty() && !f.attribute.empty()) {
            if (f.raw.t == jt::buffer)
                rule = "soketi keeps B as a Buffer, and a Buffer is truthy whatever it holds";
            else if (f.raw.t == jt::string)
                rule = "soketi keeps S as a string, and a non-empty string is truthy";
            else if (f.raw.t == jt::number)
                rule = "JavaScript truthiness: only 0 is false";
            else if (f.raw.t != jt::boolean)
                rule = type_name(f.raw) + " is truthy";
        }
        if (!rule.empty()) d.soketi += ": " + rule;
        if (p.ok) pws_text = p.app.*spec.flag ? "true" : "false";
        same = p.ok && b == p.app.*spec.flag;
        consequence = flag_consequence(spec.name, b);
        break;
    }
    case kind::connections: {
        const double n = js::parse_int(f.raw), effective = (n == 0 || std::isnan(n)) ? -1 : n;
        d.soketi = (effective < 0 ? std::string("unlimited") : limit_text(effective)) + ", " + from;
        if (f.raw.t != jt::number || f.raw.number != effective)
            d.soketi += ": soketi checks parseInt(value) || -1, and a negative limit is none";
        if (p.ok) {
            const auto v = p.app.*spec.integer;
            pws_text = v < 0 ? "unlimited (" + std::to_string(v) + ")" : std::to_string(v);
        }
        same = p.ok && effective == static_cast<double>(p.app.*spec.integer);
        consequence = "soketi enforces another connection limit than the one pws reads";
        break;
    }
    case kind::rate:
    case kind::count:
    case kind::size: {
        const double n = f.value.number;
        const bool rate = spec.k == kind::rate;
        const std::string parse = spec.k == kind::size ? "parseFloat" : "parseInt";
        if (std::isnan(n) && rate) {
            d.soketi = "4 per second, " + from + ": " + parse +
                       " gives NaN, and rate-limiter-flexible takes 4 points for anything not >= 0";
        } else if (std::isnan(n)) {
            d.soketi = "no limit, " + from + ": " + parse +
                       " gives NaN, and no \"greater than NaN\" check is ever true";
        } else {
            d.soketi = (rate && n < 0 ? std::string("unlimited") : limit_text(n, rate ? " per second" : "")) +
                       ", " + from;
            if (f.raw.t != jt::number || f.raw.number != n) d.soketi += ": soketi reads it with " + parse;
        }
        if (p.ok) {
            const double v =
                spec.k == kind::size ? p.app.*spec.decimal : static_cast<double>(p.app.*spec.integer);
            pws_text = rate && v < 0 ? "unlimited (" + limit_text(v) + ")"
                                     : limit_text(v, rate ? " per second" : "");
            same = n == v;
        }
        consequence = "soketi enforces another limit than the one pws reads";
        break;
    }
    case kind::webhooks: {
        const boost::json::value as_json = to_json(f.value);
        std::vector<pws::Webhook> hooks;
        std::string shape;
        const bool valid = pws::webhooks_from_json(as_json, hooks, shape);
        const auto notes = sender_notes(f);
        const std::string stored = f.attribute.empty() ? from : provenance(item, spec, f, secrets, false);
        if (!soketi_finds) {
            d.soketi = "loads no app at all, " + stored;
        } else {
            d.soketi = s_if(f.value.elements.size(), "webhook") + ", " + stored;
            if (!f.note.empty()) d.soketi += ": " + f.note;
            for (auto& n : notes) d.soketi += "; " + n;
            if (!valid)
                d.soketi +=
                    "; pws would not accept them as webhooks (" + shown_diagnostic(shape, secrets) + ")";
        }
        if (p.ok) pws_text = s_if(p.app.webhooks.size(), "webhook");
        same = p.ok && soketi_finds && valid && notes.empty() && same_webhooks(hooks, p.app.webhooks);
        consequence = notes.empty() ? "soketi sends other webhooks than pws reads"
                                    : "soketi does not deliver these webhooks the way pws reads them";
        break;
    }
    case kind::text: {
        const bool secret = spec.name == "secret";
        if (secret && f.attribute.empty())
            d.soketi =
                "its built-in default secret, which anyone can read in soketi's source: requests signed "
                "with it pass";
        else if (secret)
            d.soketi = (f.raw.t == jt::string ? std::string("the secret") : type_name(f.raw)) + " in " +
                       f.attribute + (f.raw.t == jt::buffer ? " (its bytes sign requests)" : "");
        else if (f.raw.t == jt::string)
            d.soketi =
                shown(f.raw.text, secrets) + ", " + (f.attribute.empty() ? from : "from " + f.attribute);
        else
            d.soketi = type_name(f.raw) + ", " + from;
        if (p.ok) pws_text = secret ? "the secret in AppSecret" : shown(p.app.*spec.text, secrets);
        same = p.ok && f.raw.t == jt::string && f.raw.text == p.app.*spec.text;
        consequence = secret ? "soketi signs and checks with another secret"
                             : "soketi uses another " + std::string(spec.name);
        break;
    }
    }
    if (same) return std::nullopt;
    d.pws = p.ok ? pws_text : "cannot read (" + shown_diagnostic(p.diag, secrets) + ")";
    d.why = p.ok ? consequence : "pws refuses the whole item over this attribute";
    return d;
}

const boost::json::string* s_attribute(const boost::json::object& item, std::string_view name) {
    const auto* v = item.if_contains(name);
    const auto* o = v ? v->if_object() : nullptr;
    const auto* s = o && o->size() == 1 ? o->if_contains("S") : nullptr;
    return s ? s->if_string() : nullptr;
}

}  // namespace

item_audit audit_item(const boost::json::object& item, const pws::AppDefaults& defaults) {
    item_audit a;
    for (auto name : soketi_spellings("secret"))
        if (const auto* v = item.if_contains(name)) collect_secrets(*v, a.secrets, 0);
    if (const auto* s = s_attribute(item, "AppId")) a.id = std::string(*s);
    if (const auto* s = s_attribute(item, "AppKey")) a.key = std::string(*s);
    a.shown_id = a.id.empty() ? "(no AppId)" : shown(a.id, a.secrets);
    a.shown_key = a.key.empty() ? "" : shown(a.key, a.secrets);

    const soketi_app soketi = soketi_reading(item, defaults);
    a.soketi_finds = soketi.not_found.empty();
    pws_side whole;
    whole.ok = !pws::dynamodb::decode_app(item, whole.app, whole.diag, defaults);
    a.readable = whole.ok;

    for (auto& spec : fields)
        if (auto d = compare(item, spec, soketi.field(spec.name),
                             whole.ok ? whole : probe(item, spec, defaults), a.soketi_finds, a.secrets))
            a.differences.push_back(std::move(*d));

    const std::string not_found = shown_diagnostic(soketi.not_found, a.secrets);
    if (!a.readable) {
        a.unreadable =
            "pws cannot read this item (" + shown_diagnostic(whole.diag, a.secrets) + "); soketi: ";
        if (!a.soketi_finds)
            a.unreadable += "cannot load it either (" + not_found + ")";
        else if (a.key.empty())
            a.unreadable += "serves it by id, as read below (nothing finds it by key: it has no AppKey)";
        else
            a.unreadable += "serves it, by id and by key, as read below";
    } else if (!a.soketi_finds) {
        a.differences.insert(a.differences.begin(),
                             difference{"the app", "no such app (" + not_found + ")", "reads it",
                                        "soketi's lookups answer no app, pws serves it"});
    }
    return a;
}

}  // namespace pws_apps::audit
