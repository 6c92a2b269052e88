#pragma once

#include <pws/dynamodb/scan.hpp>

#include <pws/detail/json.hpp>
#include <pws/dynamodb/attribute_value.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <utility>

namespace pws::dynamodb {

PWS_DECL std::string scan::body() const {
    boost::json::object body;
    body["TableName"] = table;
    if (exclusive_start_key && !exclusive_start_key->empty()) body["ExclusiveStartKey"] = *exclusive_start_key;
    if (limit > 0) body["Limit"] = limit;
    if (!projection.empty()) body["ProjectionExpression"] = projection;
    return boost::json::serialize(body);
}

PWS_DECL scan_page scan::parse(std::string_view body, const AppDefaults& defaults) {
    scan_page page;
    boost::json::object root;
    if (!detail::parse_json_object(body, root, page.diagnostic, "the Scan response"))
        return scan_page::failed(error::malformed_response, std::move(page.diagnostic));
    auto* items = detail::json_array(root, "Items");
    if (!items) return scan_page::failed(error::malformed_response, "the Scan response has no Items array");
    if (auto* lek = root.if_contains("LastEvaluatedKey"); lek && !lek->is_null()) {
        if (!lek->is_object())
            return scan_page::failed(error::malformed_response, "the Scan response's LastEvaluatedKey is not an object");
        page.last_evaluated_key = std::move(lek->get_object());
    }

    page.items.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        scan_item& out = page.items.emplace_back();
        const auto* item = (*items)[i].if_object();
        if (!item) {
            out.ec = error::malformed_item;
            out.diagnostic = "Items[" + std::to_string(i) + "] is not an object";
            continue;
        }
        // The id names a broken item to whoever reads the error; take it before decoding.
        out.id = detail::s_attribute(*item, "AppId");
        auto app = std::make_shared<App>();
        if (auto ec = decode_app(*item, *app, out.diagnostic, defaults)) {
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

}  // namespace pws::dynamodb
