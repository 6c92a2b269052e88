// pws-apps export and import: every app out as JSON lines, and many apps in at once with
// BatchWriteItem, which is how a soketi deployment moves its apps here (rows of its SQL `apps`
// table, or another table's export). Import checks the whole input (bulk_input.cpp), and the
// table, before its first write: a bad line refuses the import instead of leaving it half done.
#include "bulk_input.hpp"
#include "cli.hpp"

#include <pws/app_json.hpp>
#include <pws/app_fields.hpp>
#include <pws/dynamodb/attribute_value.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/redact.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <unistd.h>

namespace pws_apps {

namespace {

namespace ddb = pws::dynamodb;
using pws::quote_for_diagnostic;
using clock_type = std::chrono::steady_clock;

// A batch is also cut by size: the server may send all of it back as UnprocessedItems, and that
// answer must fit the client's response limit (4 MiB) whatever its JSON escaping.
constexpr std::size_t max_batch_bytes = 512 * 1024;
constexpr std::size_t max_in_flight = 8;  // BatchWriteItem calls at once
constexpr std::chrono::milliseconds backoff_base{50}, backoff_cap{5000};
constexpr int max_idle_rounds = 8;  // rounds in a row in which a batch got nothing written

// The ids and keys the table holds now, from a Scan projecting only AppId and AppKey (no secret
// crosses the wire, and an item that would not decode still shows its key).
struct table_holdings {
    std::unordered_set<std::string> ids;
    std::unordered_map<std::string, std::vector<std::string>> key_holders;
};

boost::asio::awaitable<int> read_holdings(ddb::client& client, table_holdings& out) {
    const std::string what = "scanning table " + client.config().table + " for the ids and keys it holds";
    // Only the keys cross the wire; the page's decoded items (secretless, so all malformed) are
    // not used: the stored AppId and AppKey are read from the body.
    co_return co_await scan_table(client, 0, "AppId, AppKey", [&](std::string_view body, pws::dynamodb::scan_page&) {
        auto v = boost::json::parse(body);  // scan::parse has just parsed it
        for (auto& item : v.as_object().at("Items").as_array()) {
            auto s = [&](std::string_view name) -> const boost::json::string* {
                auto* a = item.is_object() ? item.get_object().if_contains(name) : nullptr;
                auto* s = a && a->is_object() ? a->get_object().if_contains("S") : nullptr;
                return s ? s->if_string() : nullptr;
            };
            auto* id = s("AppId");
            if (!id) return fail(what + ": an item has no string AppId");
            out.ids.emplace(*id);
            if (auto* key = s("AppKey")) out.key_holders[std::string(*key)].emplace_back(*id);
        }
        return exit_done;
    });
}

// Keys held by another app, and ids taken unless --force (then those are replaced).
void check_against(std::vector<import_entry>& entries, const table_holdings& table, bool force,
                   problem_list& problems) {
    for (auto& e : entries) {
        if (auto it = table.key_holders.find(e.app.key); it != table.key_holders.end())
            for (auto& holder : it->second)
                if (holder != e.app.id) {
                    problems.add(e.number,
                                 e.where + ": key " + quote_for_diagnostic(e.app.key) +
                                     " is already used by app " + quote_for_diagnostic(holder) +
                                     " in the table",
                                 e.app.secret);
                    break;
                }
        e.replaces = table.ids.contains(e.app.id);
        if (e.replaces && !force)
            problems.add(e.number, e.where + ": already in the table (--force replaces it)", e.app.secret);
    }
}

// Progress on stderr: a line rewritten in place on a terminal, else one line per 1,000 apps.
class meter {
public:
    meter(std::size_t total, clock_type::time_point start)
        : total_(total), tty_(::isatty(2) == 1), start_(start) {}

    double seconds() const { return std::chrono::duration<double>(clock_type::now() - start_).count(); }
    long rate(std::size_t n) const { return seconds() > 0 ? std::lround(double(n) / seconds()) : 0; }

    void update(std::size_t n) {
        if (tty_) {
            auto now = clock_type::now();
            if (n != total_ && now - last_ < std::chrono::milliseconds(100)) return;
            last_ = now;
            std::cerr << "\rpws-apps: " << n << "/" << total_ << " apps written, " << rate(n) << " apps/s   "
                      << std::flush;
            drawn_ = true;
        } else if (n >= next_mark_) {
            std::cerr << "pws-apps: " << n << "/" << total_ << " apps written, " << rate(n) << " apps/s\n";
            next_mark_ = (n / 1000 + 1) * 1000;
        }
    }
    void end() {
        if (drawn_) std::cerr << "\n";
        drawn_ = false;
    }

private:
    std::size_t total_;
    bool tty_;
    clock_type::time_point start_, last_{};
    std::size_t next_mark_ = 1000;
    bool drawn_ = false;
};

// What the concurrent writers share. They run on one thread (the command's io_context), so
// plain members suffice.
struct writer {
    ddb::client& client;
    std::vector<import_entry>& entries;
    std::vector<std::pair<std::size_t, std::size_t>> batches;  // [begin, end) of entries
    std::size_t next_batch = 0, written = 0;
    meter progress;
    std::minstd_rand rng{std::random_device{}()};
    std::string failure;                  // the first error; the others then start no new batch
    std::optional<ddb::response> failed;  // the call behind it, when there was one

    void stop(std::string what, std::optional<ddb::response> r = std::nullopt) {
        if (!failure.empty()) return;
        failure = std::move(what);
        failed = std::move(r);
    }
    // Exponential, with jitter so that throttled writers do not come back in step.
    std::chrono::milliseconds backoff(unsigned round) {
        auto ceiling =
            std::min<std::int64_t>(backoff_cap.count(), backoff_base.count() << std::min(round, 16u));
        return std::chrono::milliseconds(ceiling / 2 +
                                         std::uniform_int_distribution<std::int64_t>(0, ceiling / 2)(rng));
    }
};

boost::asio::awaitable<void> write_batches(writer& w) {
    const std::string& table = w.client.config().table;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    std::vector<boost::json::object> batch, unprocessed;
    while (w.failure.empty() && w.next_batch < w.batches.size()) {
        auto [begin, end] = w.batches[w.next_batch++];
        const std::string what = "writing the batch starting at " + w.entries[begin].where;
        std::vector<std::size_t> pending, left;
        for (auto i = begin; i < end; ++i) pending.push_back(i);
        int idle = 0;
        for (unsigned round = 0; !pending.empty(); ++round) {
            batch.clear();
            for (auto i : pending) batch.push_back(w.entries[i].item);
            const ddb::batch_write op{table, batch};
            auto r = co_await w.client.call(op.operation_name, op.body());
            if (!w.failure.empty()) co_return;
            if (r.ec) {
                for (auto i : pending) pws::scrub(r.diagnostic, w.entries[i].app.secret);
                co_return w.stop(what, std::move(r));
            }
            std::string diag;
            if (op.parse(r.body, unprocessed, diag))
                co_return w.stop(what + ": " + diag);
            // What is re-sent is our own items, never the server's copies, and only of this batch.
            left.clear();
            for (auto& u : unprocessed) {
                auto* id = u.if_contains("AppId");
                auto* s = id && id->is_object() ? id->get_object().if_contains("S") : nullptr;
                auto it = std::find_if(pending.begin(), pending.end(), [&](auto i) {
                    return s && s->is_string() && s->get_string() == w.entries[i].app.id;
                });
                if (it == pending.end() || std::find(left.begin(), left.end(), *it) != left.end())
                    co_return w.stop(what +
                                     ": the server answered an unprocessed item this batch did not send");
                left.push_back(*it);
            }
            w.written += pending.size() - left.size();
            w.progress.update(w.written);
            idle = left.size() == pending.size() ? idle + 1 : 0;
            if (idle >= max_idle_rounds)
                co_return w.stop(what + ": DynamoDB left all " + std::to_string(left.size()) +
                                 " apps unprocessed " + std::to_string(max_idle_rounds) +
                                 " times in a row (the table's write capacity is exhausted?)");
            std::swap(pending, left);
            if (!pending.empty()) {
                timer.expires_after(w.backoff(round));
                co_await timer.async_wait(boost::asio::use_awaitable);
                if (!w.failure.empty()) co_return;
            }
        }
    }
}

// Batches of at most 25 items and max_batch_bytes, in input order.
std::vector<std::pair<std::size_t, std::size_t>> cut_batches(const std::vector<import_entry>& entries) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t begin = 0, bytes = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto n = boost::json::serialize(entries[i].item).size();
        if (i > begin && (i - begin == ddb::batch_write::max_items || bytes + n > max_batch_bytes)) {
            out.emplace_back(begin, i);
            begin = i;
            bytes = 0;
        }
        bytes += n;
    }
    if (begin < entries.size()) out.emplace_back(begin, entries.size());
    return out;
}

}  // namespace

int cmd_export(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"show-secrets", false}, {"page-size", true}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    std::int64_t page_size = 0;
    if (!page_size_option(*opts, page_size, why)) return usage(why);
    const bool show_secrets = opts->has("show-secrets");

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        std::size_t exported = 0, unreadable = 0;
        int rc = co_await scan_table(client, page_size, {}, [&](std::string_view body, pws::dynamodb::scan_page& page) {
            // The items as stored (scan::parse keeps every one, in order): a limit an item
            // leaves to the server-wide setting is left out of its line too, so that importing
            // the export does not pin today's setting into it.
            const auto doc = boost::json::parse(body);
            const auto& stored = doc.as_object().at("Items").as_array();
            for (std::size_t i = 0; i < page.items.size(); ++i) {
                auto& item = page.items[i];
                if (!item.ok()) {
                    // One bad item must not hide the others: name it, go on, and exit 2.
                    std::string diag = item.diagnostic;  // the decoder withholds the secret;
                    pws::scrub(diag, {});        // item data's control characters become spaces
                    fail("item " + quote_for_diagnostic(item.id) + ": " + diag);
                    ++unreadable;
                    continue;
                }
                auto json = pws::app_to_json(*item.app);
                pws::for_each_unset_server_wide(stored[i].as_object(),
                                                        [&](const auto& f) { json.erase(f.camel); });
                if (!show_secrets) json["secret"] = masked_secret;
                std::cout << boost::json::serialize(json) << "\n";
                ++exported;
            }
            return exit_done;
        });
        if (rc != exit_done) co_return rc;
        std::cout.flush();
        if (unreadable)
            co_return fail("exported " + std::to_string(exported) + " apps; " + std::to_string(unreadable) +
                           (unreadable == 1 ? " item" : " items") + " could not be read");
        std::cerr << "pws-apps: exported " << exported << " apps\n";
        co_return exit_done;
    });
}

int cmd_import(int argc, char** argv) {
    static constexpr option_spec spec[] = {{"file", true}, {"dry-run", false}, {"force", false}};
    std::string why;
    auto opts = parse_options(argc, argv, 2, spec, why);
    if (!opts) return usage(why);
    const std::string* path = opts->value("file");
    if (!path) return usage("import needs --file FILE (or - for stdin)");
    const bool dry_run = opts->has("dry-run"), force = opts->has("force");
    const auto start = clock_type::now();

    std::vector<import_entry> entries;
    problem_list problems;
    {
        std::string text;
        if (!read_import_input(*path, text, why) || !parse_import_input(text, *path, entries, problems, why))
            return fail(why);
    }
    check_unique(entries, problems);

    return run([&](ddb::client& client) -> boost::asio::awaitable<int> {
        table_holdings holdings;
        if (int rc = co_await read_holdings(client, holdings); rc != exit_done) {
            if (!problems.all.empty()) problems.refuse();
            co_return rc;
        }
        check_against(entries, holdings, force, problems);
        if (!problems.all.empty()) co_return problems.refuse();
        const auto replacing =
            std::count_if(entries.begin(), entries.end(), [](auto& e) { return e.replaces; });
        if (dry_run) {
            std::cout << "checked " << entries.size() << " apps: all can be imported";
            if (replacing) std::cout << " (" << replacing << " would replace apps in the table)";
            std::cout << "; nothing written\n";
            co_return exit_done;
        }

        // BatchWriteItem has no condition: an id created by someone else between the Scan and the
        // write is replaced, and a key taken meanwhile ends up held twice (readers then report
        // that key as ambiguous, never a coin toss). put has the same window for keys.
        writer w{client, entries, cut_batches(entries), 0, 0, meter(entries.size(), start)};
        auto ex = co_await boost::asio::this_coro::executor;
        using op = decltype(boost::asio::co_spawn(ex, write_batches(w), boost::asio::deferred));
        std::vector<op> ops;
        for (std::size_t i = 0; i < std::min(max_in_flight, w.batches.size()); ++i)
            ops.push_back(boost::asio::co_spawn(ex, write_batches(w), boost::asio::deferred));
        auto [order, exceptions] =
            co_await boost::asio::experimental::make_parallel_group(std::move(ops))
                .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
        w.progress.end();
        for (auto& e : exceptions)
            if (e) std::rethrow_exception(e);
        if (!w.failure.empty()) {
            if (w.failed)
                fail(w.failure, *w.failed);
            else
                fail(w.failure);
            co_return fail(std::to_string(w.written) + " of " + std::to_string(entries.size()) +
                           " apps were written; importing again with --force writes the rest");
        }
        const double seconds = w.progress.seconds();
        char timing[64];
        std::snprintf(timing, sizeof timing, " in %.1f s, %ld apps/s", seconds, w.progress.rate(w.written));
        std::cout << "imported " << w.written << " apps (" << replacing << " replaced)" << timing << "\n";
        co_return exit_done;
    });
}

}  // namespace pws_apps
