// pws-apps audit, the printing: item data made safe to show (never the app's secret, nothing
// that drives a terminal) and the report of the whole table, keys held twice included.
#include "audit.hpp"

#include <pws/app_json.hpp>
#include <pws/redact.hpp>

#include <algorithm>
#include <map>

namespace pws_apps::audit {

namespace {

constexpr std::string_view withheld = "(withheld: the app secret)";

// UTF-8 kept, but nothing that drives a terminal: C0 and C1 controls, DEL, line and paragraph
// separators and bidi overrides become '?', and so does every byte that is not UTF-8. Cut after
// `max` bytes, on a character boundary.
std::string printable(std::string_view s, std::size_t max, bool& cut) {
    std::string out;
    cut = false;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        std::uint32_t cp = 0;
        if (ok) {
            cp = n == 1 ? c : c & (0xff >> (n + 1));
            for (std::size_t k = 1; k < n; ++k)
                cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
            ok = (n == 1 || cp >= (n == 2   ? 0x80u
                                   : n == 3 ? 0x800u
                                            : 0x10000u)) &&
                 cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
        }
        if (!ok) n = 1;
        if (out.size() + n > max) {
            cut = true;
            break;
        }
        const bool control = !ok || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
                             (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
        if (control)
            out += '?';
        else
            out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

std::string printable(std::string_view s, std::size_t max) {
    bool cut = false;
    std::string out = printable(s, max, cut);
    return cut ? out + "..." : out;
}

std::string count_of(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

bool holds_secret(std::string_view text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        for (const std::string& form : {secret, printable(secret, secret.size())}) {
            const std::size_t piece = std::min<std::size_t>(form.size(), 8);
            if (piece == 0) continue;
            // Each window of the (short) text against the secret: linear in the secret's size.
            for (std::size_t i = 0; i + piece <= text.size(); ++i)
                if (std::string_view(form).find(text.substr(i, piece)) != std::string_view::npos &&
                    (piece == 8 || text.substr(i, piece) == form))
                    return true;
        }
    }
    return false;
}

std::string shown_diagnostic(std::string diag, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) pws::withhold_secret(diag, s);
    std::string out = printable(diag, 300);
    return holds_secret(out, secrets) ? std::string(withheld) : out;
}

std::string shown(std::string_view text, const std::vector<std::string>& secrets) {
    constexpr std::size_t max = 64;
    bool cut = false;
    std::string out = printable(text, max, cut);
    // What is printed, and the bytes just past the cut: a piece of a secret straddling it.
    if (holds_secret(out, secrets) || holds_secret(text.substr(0, max + 8), secrets))
        return std::string(withheld);
    return "\"" + out + (cut ? "\"..." : "\"");
}

report make_report(std::vector<item_audit> items) {
    std::sort(items.begin(), items.end(), [](auto& x, auto& y) { return x.id < y.id; });
    report r;
    r.apps = items.size();

    // Which items hold each key: soketi's Query (Limit 1) answers one of them, pws refuses.
    std::map<std::string, std::vector<std::size_t>> holders;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!items[i].key.empty()) holders[items[i].key].push_back(i);
    auto key_line = [&](const std::vector<std::size_t>& who) {
        std::vector<std::string> secrets;
        for (auto i : who) secrets.insert(secrets.end(), items[i].secrets.begin(), items[i].secrets.end());
        std::string ids;
        for (std::size_t n = 0; n < who.size() && n < 20; ++n)
            ids += (n ? ", " : "") + (holds_secret(items[who[n]].shown_id, secrets) ? std::string(withheld)
                                                                                    : items[who[n]].shown_id);
        if (who.size() > 20) ids += " and " + std::to_string(who.size() - 20) + " more";
        return "key " + shown(items[who.front()].key, secrets) + " is held by " + std::to_string(who.size()) +
               " apps (" + ids +
               "); soketi: a lookup by this key answers one of them, whichever the index "
               "returns first; pws: every lookup by it fails (app key held by more than one app)";
    };

    std::vector<std::string> served_unreadable;
    for (auto& a : items) {
        const auto& same_key = a.key.empty() ? std::vector<std::size_t>{} : holders[a.key];
        const bool shared = same_key.size() > 1;
        const std::string header =
            "app " + a.shown_id + (a.shown_key.empty() ? std::string() : " (key " + a.shown_key + ")");
        if (!a.readable) {
            ++r.unreadable;
            if (a.soketi_finds) served_unreadable.push_back(a.shown_id);
        }
        if (a.agrees() && !shared) {
            r.lines.push_back(header + ": soketi and pws read it the same");
            continue;
        }
        ++r.with_differences;
        r.lines.push_back(header + ":");
        if (!a.readable) r.lines.push_back("  " + a.unreadable);
        for (auto& d : a.differences)
            r.lines.push_back("  " + d.field + ": soketi: " + d.soketi + "; pws: " + d.pws +
                              "; why: " + d.why);
        if (shared) r.lines.push_back("  AppKey: " + key_line(same_key));
    }
    for (auto& [key, who] : holders)
        if (who.size() > 1) {
            ++r.keys_held_twice;
            r.lines.push_back(key_line(who));
        }
    if (!served_unreadable.empty()) {
        std::string ids;
        for (std::size_t n = 0; n < served_unreadable.size() && n < 20; ++n)
            ids += (n ? ", " : "") + served_unreadable[n];
        if (served_unreadable.size() > 20)
            ids += " and " + std::to_string(served_unreadable.size() - 20) + " more";
        r.lines.push_back("soketi serves " + count_of(served_unreadable.size(), "app") +
                          " pws cannot read: " + ids);
    }
    r.lines.push_back("audited " + count_of(r.apps, "app") + ": " + std::to_string(r.with_differences) +
                      " with differences, " + std::to_string(r.unreadable) + " unreadable, " +
                      std::to_string(r.keys_held_twice) + (r.keys_held_twice == 1 ? " key" : " keys") +
                      " held twice");
    r.exit_code = r.with_differences ? 1 : 0;
    return r;
}

}  // namespace pws_apps::audit
