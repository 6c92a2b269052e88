// A paginated Scan of the apps table, sans-io: the request of one page (dynamodb::scan), what one
// page holds (scan_page, scan_item), and the guard that keeps a Scan moving (scan_progress). Used
// by the cache's preload, by DynamoDbPolicy::scan and by `pws-apps list`.
//
// A page is read in full, and every item of it comes back: decoded, or with the error that kept
// it from decoding. Nothing is skipped in silence, because a caller listing or preloading apps
// must be able to tell "the table holds 10 apps" from "the table holds 10 apps and 1 broken item".
// What to do with a broken item is the caller's decision (the cache counts it and leaves its
// lookups to the driver, which reports the same error; the CLI prints it).
//
//   dynamodb::scan op{table, start, limit};
//   auto r = co_await client.call(op.operation_name, op.body());
//   dynamodb::scan_page page = r.ec ? dynamodb::scan_page::failed(r.ec, r.diagnostic) : op.parse(r.body, defaults);
#pragma once

#include <pws/app_defaults.hpp>
#include <pws/detail/config.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace pws::dynamodb {

/// One item of a Scan page: its decoded app, or why it could not be decoded.
struct scan_item {
    std::string id;                ///< the item's AppId if it holds one as S, else "": names a broken item
    app_ptr app;                   ///< the app, when the item decoded (`ec` empty)
    boost::system::error_code ec;  ///< pws::error::malformed_item when it did not
    std::string diagnostic;        ///< what is wrong with it, naming the attribute (never the secret)

    bool ok() const noexcept { return !ec; } ///< the item decoded into `app`
};

/// One page of a Scan: every item of it, in the server's order, and where the next page starts.
struct scan_page {
    boost::system::error_code ec;   ///< the request failed, or the body is unusable (nothing else is set)
    std::string diagnostic;         ///< what went wrong with the page
    std::vector<scan_item> items;   ///< every item the page held, none skipped
    boost::json::object last_evaluated_key; ///< the server's LastEvaluatedKey; empty on the last page

    bool more() const noexcept { return !ec && !last_evaluated_key.empty(); } ///< another page follows

    /// The page of a call that failed: `ec` and `diagnostic` set, nothing else.
    static scan_page failed(boost::system::error_code ec, std::string diagnostic) {
        scan_page p;
        p.ec = ec;
        p.diagnostic = std::move(diagnostic);
        return p;
    }
};

/// Scan: one page of the whole table.
struct scan {
    static constexpr std::string_view operation_name = "Scan"; ///< the X-Amz-Target operation

    std::string_view table;                                  ///< the apps table
    const boost::json::object* exclusive_start_key = nullptr; ///< nullptr: the first page; else the previous page's last_evaluated_key, as it came
    int limit = 0;                                           ///< at most this many items; <= 0: no Limit (DynamoDB's 1 MB pages)
    std::string_view projection = {};                        ///< a ProjectionExpression ("AppId, AppKey"); empty: whole items

    /// The request body: {"TableName", "ExclusiveStartKey" (when set), "Limit" (when > 0),
    /// "ProjectionExpression" (when set)}. Items of a projected Scan lack what parse needs to
    /// decode them: read such a body yourself.
    PWS_DECL std::string body() const;

    /// Interprets a success body. A body that is not JSON, not an object, or has no `Items`
    /// array, or a `LastEvaluatedKey` that is neither an object nor null, sets `ec` =
    /// error::malformed_response. Otherwise each item is decoded with dynamodb::decode_app (the
    /// limits it leaves out take `defaults`); an item that is not an object or does not decode
    /// is kept, with `ec` = error::malformed_item and a diagnostic.
    PWS_DECL static scan_page parse(std::string_view body, const AppDefaults& defaults = {});
};

/// Most pages one Scan of the apps table may take before it is abandoned: 10,000 of DynamoDB's
/// 1 MB pages is ~10 GB, far past any apps table; a server that never ends the Scan stops here.
inline constexpr std::size_t max_scan_pages = 10'000;

/// Holds a paginated Scan to progress, whatever the server answers: every LastEvaluatedKey must
/// be new (a server repeating one, or cycling, would never end the Scan), and at most
/// `max_pages` pages are read.
class scan_progress {
public:
    explicit scan_progress(std::size_t max_pages = max_scan_pages) : max_pages_(max_pages) {}

    /// Accounts for `page`, just read; when another page follows, checks its start key. Returns
    /// error::malformed_response with `diagnostic` set when the Scan must stop here.
    PWS_DECL boost::system::error_code next(const scan_page& page, std::string& diagnostic);

    std::size_t pages() const noexcept { return pages_; } ///< pages accounted for

    /// Whether a page the client refused as too large (error::response_too_large) is worth asking
    /// for again with a smaller Limit, and that Limit in `limit`: DynamoDB's 1 MB page counts
    /// item bytes, and the JSON carrying them may be several times larger (escaped Webhooks,
    /// many small attributes). An unlimited page is retried with 1000 items, a limited one with
    /// half; false for any other error, or once `limit` is 1, so a page is asked for at most
    /// ~11 times.
    static bool retry_smaller(const boost::system::error_code& ec, int& limit) noexcept {
        if (ec != error::response_too_large || limit == 1) return false;
        limit = limit <= 0 || limit > 2000 ? 1000 : limit / 2;
        return true;
    }

private:
    std::size_t max_pages_;
    std::size_t pages_ = 0;
    std::unordered_set<std::string> seen_;  // every LastEvaluatedKey so far, serialized
};

}  // namespace pws::dynamodb

#ifdef PWS_HEADER_ONLY
#include <pws/dynamodb/impl/scan.ipp>
#endif
