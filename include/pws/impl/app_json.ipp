#pragma once

#include <pws/app_json.hpp>

#include <pws/app_fields.hpp>
#include <pws/detail/json.hpp>
#include <pws/redact.hpp>

#include <boost/json/parse.hpp>

#include <cmath>
#include <type_traits>
#include <utility>

namespace pws {
namespace detail {

inline bool webhook_fail(std::string& diag, const std::string& path, std::string_view what) {
    diag = path;
    diag += ": ";
    diag += what;
    return false;
}

// An optional string member: absent or null leaves `out` as is.
inline bool webhook_string(const boost::json::object& o, std::string_view name, std::string& out,
                           std::string& diag, const std::string& path) {
    auto it = o.find(name);
    if (it == o.end() || it->value().is_null()) return true;
    auto* s = it->value().if_string();
    if (!s) return webhook_fail(diag, path + "." + std::string(name), "expected a string");
    out.assign(s->data(), s->size());
    return true;
}

// An optional object member: absent or null gives nullptr; another type is an error.
inline bool webhook_object(const boost::json::object& o, std::string_view name,
                           const boost::json::object*& out, std::string& diag,
                           const std::string& path) {
    out = nullptr;
    auto it = o.find(name);
    if (it == o.end() || it->value().is_null()) return true;
    out = it->value().if_object();
    if (!out) return webhook_fail(diag, path + "." + std::string(name), "expected an object");
    return true;
}

inline bool webhook_from_json(const boost::json::value& v, Webhook& w, std::string& diag,
                              const std::string& path) {
    auto* o = v.if_object();
    if (!o) return webhook_fail(diag, path, "expected a webhook object");
    if (!webhook_string(*o, "url", w.url, diag, path) ||
        !webhook_string(*o, "lambda_function", w.lambda_function, diag, path))
        return false;
    // Soketi skips a webhook with no target without a word; we say so instead.
    if (w.url.empty() && w.lambda_function.empty())
        return webhook_fail(diag, path, "needs a url or a lambda_function");

    // Soketi calls event_types.includes() on every event, so a webhook without it cannot work.
    auto et = o->find("event_types");
    if (et == o->end()) return webhook_fail(diag, path + ".event_types", "missing");
    auto* types = et->value().if_array();
    if (!types) return webhook_fail(diag, path + ".event_types", "expected an array of strings");
    w.event_types.reserve(types->size());
    for (std::size_t i = 0; i < types->size(); ++i) {
        auto* s = (*types)[i].if_string();
        if (!s)
            return webhook_fail(diag, path + ".event_types[" + std::to_string(i) + "]",
                                "expected a string");
        w.event_types.emplace_back(s->data(), s->size());
    }

    const boost::json::object* sub = nullptr;
    if (!webhook_object(*o, "headers", sub, diag, path)) return false;
    if (sub)
        for (auto& [name, value] : *sub) {
            auto* s = value.if_string();
            if (!s)
                return webhook_fail(diag, path + ".headers[" + quote_for_diagnostic(name) + "]",
                                    "expected a string");
            w.headers.insert_or_assign(std::string(name), std::string(s->data(), s->size()));
        }

    if (!webhook_object(*o, "filter", sub, diag, path)) return false;
    if (sub && (!webhook_string(*sub, "channel_name_starts_with", w.filter.channel_name_starts_with,
                                diag, path + ".filter") ||
                !webhook_string(*sub, "channel_name_ends_with", w.filter.channel_name_ends_with,
                                diag, path + ".filter")))
        return false;

    if (!webhook_object(*o, "lambda", sub, diag, path)) return false;
    if (sub) {
        LambdaOptions lambda;
        const std::string lpath = path + ".lambda";
        if (auto a = sub->find("async"); a != sub->end() && !a->value().is_null()) {
            if (!a->value().is_bool())
                return webhook_fail(diag, lpath + ".async", "expected a boolean");
            lambda.async = a->value().get_bool();
        }
        const boost::json::object* client = nullptr;
        if (!webhook_string(*sub, "region", lambda.region, diag, lpath) ||
            !webhook_object(*sub, "client_options", client, diag, lpath))
            return false;
        if (client && !json_all_finite(*client))
            return webhook_fail(diag, lpath + ".client_options",
                                "holds a number out of the range of a double");
        if (client) lambda.client_options = *client;
        w.lambda = std::move(lambda);
    }
    return true;
}

inline boost::system::error_code app_json_fail(std::string& diag, std::string_view field,
                                               std::string_view what) {
    diag.assign(field);
    diag += ": ";
    diag += what;
    return error::invalid_static_apps;
}

}  // namespace detail

PWS_DECL bool webhooks_from_json(const boost::json::value& v, std::vector<Webhook>& out,
                                 std::string& diagnostic) {
    auto* arr = v.if_array();
    if (!arr) {
        diagnostic = ": expected an array of webhooks";
        return false;
    }
    std::vector<Webhook> hooks(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i)
        if (!detail::webhook_from_json((*arr)[i], hooks[i], diagnostic, "[" + std::to_string(i) + "]"))
            return false;
    out = std::move(hooks);
    return true;
}

PWS_DECL webhooks_text webhooks_from_json_text(std::string_view text, std::vector<Webhook>& out,
                                               std::string& diagnostic) {
    diagnostic.clear();
    if (text == "[]") {  // what most apps hold: no parse
        out.clear();
        return webhooks_text::ok;
    }
    if (text.size() > max_webhooks_json_size) return webhooks_text::too_large;
    boost::system::error_code ec;
    const boost::json::value plain = boost::json::parse(text, ec);
    if (ec) {
        diagnostic = ec.message();
        return webhooks_text::not_json;
    }
    return webhooks_from_json(plain, out, diagnostic) ? webhooks_text::ok : webhooks_text::wrong_shape;
}

PWS_DECL boost::json::array webhooks_to_json(const std::vector<Webhook>& hooks) {
    boost::json::array arr;
    arr.reserve(hooks.size());
    for (auto& w : hooks) {
        boost::json::object o;
        if (!w.url.empty()) o["url"] = w.url;
        if (!w.lambda_function.empty()) o["lambda_function"] = w.lambda_function;
        auto& types = o["event_types"].emplace_array();
        for (auto& t : w.event_types) types.emplace_back(t);
        if (!w.headers.empty()) {
            auto& h = o["headers"].emplace_object();
            for (auto& [name, value] : w.headers) h[name] = value;
        }
        if (!w.filter.channel_name_starts_with.empty() ||
            !w.filter.channel_name_ends_with.empty()) {
            auto& f = o["filter"].emplace_object();
            if (!w.filter.channel_name_starts_with.empty())
                f["channel_name_starts_with"] = w.filter.channel_name_starts_with;
            if (!w.filter.channel_name_ends_with.empty())
                f["channel_name_ends_with"] = w.filter.channel_name_ends_with;
        }
        if (w.lambda) {
            auto& l = o["lambda"].emplace_object();
            l["async"] = w.lambda->async;
            if (!w.lambda->region.empty()) l["region"] = w.lambda->region;
            if (!w.lambda->client_options.empty()) l["client_options"] = w.lambda->client_options;
        }
        arr.emplace_back(std::move(o));
    }
    return arr;
}

PWS_DECL boost::json::object app_to_json(const App& app) {
    boost::json::object o;
    for (auto& f : app_keys) o[f.camel] = app.*f.member;
    for (auto& f : app_flags) o[f.camel] = app.*f.member;
    for (auto& f : app_ints) o[f.camel] = app.*f.member;
    for (auto& f : app_numbers) {
        // Whole numbers as integers, so a config file reads "100", not "1E2".
        const double d = app.*f.member;
        if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
            o[f.camel] = static_cast<std::int64_t>(d);
        else
            o[f.camel] = d;
    }
    o[app_webhooks.camel] = webhooks_to_json(app.webhooks);
    return o;
}

namespace detail {
inline boost::system::error_code app_from_json_unchecked(const boost::json::value& v, App& out,
                                                         std::string& diagnostic,
                                                         const AppDefaults& defaults);
}

PWS_DECL boost::system::error_code app_from_json(const boost::json::value& v, App& out,
                                                 std::string& diagnostic, const AppDefaults& defaults) {
    auto ec = detail::app_from_json_unchecked(v, out, diagnostic, defaults);
    if (ec) {
        const auto* o = v.if_object();
        const auto* secret = o ? o->if_contains("secret") : nullptr;
        if (secret && secret->is_string()) withhold_secret(diagnostic, secret->get_string());
    }
    return ec;
}

inline boost::system::error_code detail::app_from_json_unchecked(const boost::json::value& v, App& out,
                                                                 std::string& diagnostic,
                                                                 const AppDefaults& defaults) {
    using detail::app_json_fail;
    auto* o = v.if_object();
    if (!o) return app_json_fail(diagnostic, "app", "expected an object");
    auto member = [o](std::string_view name) -> const boost::json::value* {
        auto* m = o->if_contains(name);
        return m && !m->is_null() ? m : nullptr;
    };

    App app = defaults.app();
    for (const auto& f : app_keys) {
        const std::string_view name = f.camel;
        auto* m = member(name);
        const bool secret = name == "secret";
        if (!m)
            return app_json_fail(diagnostic, name,
                                 secret ? "missing; an app without a secret cannot sign or "
                                          "verify requests"
                                        : "missing");
        auto* s = m->if_string();
        // Never echo the secret: even a wrongly typed one may be the real secret.
        if (!s)
            return app_json_fail(diagnostic, name,
                                 secret ? "expected a string"
                                        : "expected a string, got " + detail::json_describe(*m));
        if (s->empty()) return app_json_fail(diagnostic, name, "must not be empty");
        (app.*f.member).assign(s->data(), s->size());
    }

    // Each field under any of soketi's spellings (app_fields.hpp); two that differ are an
    // error naming both, the second being the one soketi would take.
    auto spelled = [&](const auto& f, auto& into, auto&& read) -> boost::system::error_code {
        std::string_view first;
        for (std::string_view name : f.names()) {
            const boost::json::value* m = name.empty() ? nullptr : member(name);
            if (!m) continue;
            std::remove_reference_t<decltype(into)> value{};
            if (auto ec = read(name, *m, value)) return ec;
            if (first.empty()) {
                into = std::move(value);
                first = name;
            } else if (!(value == into)) {
                diagnostic = detail::conflicting_spellings(first, name);
                return error::invalid_static_apps;
            }
        }
        return {};
    };
    auto flag = [&](std::string_view name, const boost::json::value& m, bool& into) {
        return detail::json_flag(m, into)
                   ? boost::system::error_code()
                   : app_json_fail(diagnostic, name,
                                   "expected a boolean (true/false, \"true\"/\"false\", 1/0), got " +
                                       detail::json_describe(m));
    };
    auto integer = [&](std::string_view name, const boost::json::value& m, std::int64_t& into) {
        return detail::json_int(m, into)
                   ? boost::system::error_code()
                   : app_json_fail(diagnostic, name,
                                   "expected a 64-bit integer (a number or a string of digits), got " +
                                       detail::json_describe(m));
    };
    auto number = [&](std::string_view name, const boost::json::value& m, double& into) {
        return detail::json_double(m, into)
                   ? boost::system::error_code()
                   : app_json_fail(diagnostic, name,
                                   "expected a finite number (or a numeric string), got " +
                                       detail::json_describe(m));
    };
    auto webhooks = [&](std::string_view name, const boost::json::value& m,
                        std::vector<Webhook>& into) -> boost::system::error_code {
        std::string why;
        // Soketi's env config (DEFAULT_APP_WEBHOOKS) and SQL column carry the array as JSON text.
        if (auto* s = m.if_string()) {
            switch (webhooks_from_json_text(*s, into, why)) {
            case webhooks_text::ok: return {};
            case webhooks_text::too_large: return app_json_fail(diagnostic, name, "JSON text larger than 1 MiB");
            case webhooks_text::not_json: return app_json_fail(diagnostic, name, "invalid JSON: " + why);
            case webhooks_text::wrong_shape: break;
            }
        } else if (webhooks_from_json(m, into, why)) {
            return {};
        }
        diagnostic = std::string(name) + why;
        return error::invalid_static_apps;
    };
    for (auto& f : app_flags)
        if (auto ec = spelled(f, app.*f.member, flag)) return ec;
    for (auto& f : app_ints)
        if (auto ec = spelled(f, app.*f.member, integer)) return ec;
    for (auto& f : app_numbers)
        if (auto ec = spelled(f, app.*f.member, number)) return ec;
    if (auto ec = spelled(app_webhooks, app.webhooks, webhooks)) return ec;

    out = std::move(app);
    return {};
}

}  // namespace pws
