#pragma once

#include <pws/detail/scan.hpp>
#include <pws/dynamodb/attribute_value.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <utility>

namespace pws::detail {

PWS_DECL std::string scan_body(std::string_view table, const boost::json::object* exclusive_start_key,
                               int limit) {
    boost::json::object body;
    body["TableName"] = table;
    if (exclusive_start_key && !exclusive_start_key->empty())
        body["ExclusiveStartKey"] = *exclusive_start_key;
    if (limit > 0) body["Limit"] = limit;
    return boost::json::serialize(body);
}

PWS_DECL scan_page parse_scan_page(std::string_view body, const AppDefaults& defaults) {
    scan_page page;
    auto fail = [&](std::string why) {
        page = {};
        page.ec = error::malformed_response;
        page.diagnostic = std::move(why);
        return std::move(page);
    };
    boost::system::error_code jec;
    boost::json::value doc = boost::json::parse(body, jec);
    if (jec) return fail("the Scan response is not valid JSON (" + jec.message() + ")");
    auto* root = doc.if_object();
    if (!root) return fail("the Scan response is not a JSON object");
    auto* items = root->if_contains("Items");
    if (!items || !items->is_array()) return fail("the Scan response has no Items array");
    if (auto* lek = root->if_contains("LastEvaluatedKey"); lek && !lek->is_null()) {
        if (!lek->is_object()) return fail("the Scan response's LastEvaluatedKey is not an object");
        page.last_evaluated_key = std::move(lek->get_object());
    }

    const auto& arr = items->get_array();
    page.items.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        scan_item& out = page.items.emplace_back();
        const auto* item = arr[i].if_object();
        if (!item) {
            out.ec = error::malformed_item;
            out.diagnostic = "Items[" + std::to_string(i) + "] is not an object";
            continue;
        }
        // The id names a broken item to whoever reads the error; take it before decoding.
        if (auto* v = item->if_contains("AppId"); v && v->is_object())
            if (auto* s = v->get_object().if_contains("S"); s && s->is_string()) out.id = s->get_string();
        auto app = std::make_shared<App>();
        if (auto ec = dynamodb::decode_app(*item, *app, out.diagnostic, defaults)) {
            out.ec = ec;
            continue;
        }
        out.app = std::move(app);
    }
    return page;
}

PWS_DECL boost::system::error_code scan_progress::next(const scan_page& page, std::string& diagnostic) {
    ++pages_;
    if (!page.more()) return {};
    if (pages_ >= max_pages_) {
        diagnostic = "the Scan did not end within " + std::to_string(max_pages_) + " pages";
        return error::malformed_response;
    }
    if (!seen_.insert(boost::json::serialize(page.last_evaluated_key)).second) {
        diagnostic = "the Scan's LastEvaluatedKey repeated an earlier page's (after " + std::to_string(pages_) +
                     " pages): the server would never end the Scan";
        return error::malformed_response;
    }
    return {};
}

}  // namespace pws::detail
