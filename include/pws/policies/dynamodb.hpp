// pws::DynamoDbPolicy — apps read from a DynamoDB table in soketi's schema.
//
//   by id:  GetItem {AppId: {S: id}}
//   by key: Query on the AppKeyIndex GSI, KeyConditionExpression "AppKey = :app_key"
//   all:    Scan, one page per call (preloading a cache, listing apps)
#pragma once

#include <pws/config.hpp>
#include <pws/dynamodb/client.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace pws {

/// The DynamoDB driver. Cheap to call from many coroutines at once; see dynamodb::client.
class DynamoDbPolicy {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Throws boost::system::system_error when `cfg` names an unusable region or endpoint.
    DynamoDbPolicy(executor_type ex, DynamoDbConfig cfg) : client_(std::move(ex), std::move(cfg)) {}

    /// The executor lookups run on.
    executor_type get_executor() const noexcept { return client_.get_executor(); }

    /// Looks an app up by id (GetItem). `id` must stay valid until the lookup completes.
    boost::asio::awaitable<find_result> find_by_id(std::string_view id) {
        std::string diag;
        if (auto ec = dynamodb::validate_key_value("app id", id, diag)) co_return find_result::failure(ec, std::move(diag));
        const dynamodb::get_item op{client_.config().table, id};
        auto r = co_await client_.call(op.operation_name, &write_body<dynamodb::get_item>, &op);
        if (r.ec) co_return find_result::failure(r.ec, std::move(r.diagnostic));
        co_return op.parse(r.body, client_.config().defaults);
    }

    /// Looks an app up by key (Query on the key index). `key` must stay valid until completion.
    boost::asio::awaitable<find_result> find_by_key(std::string_view key) {
        std::string diag;
        if (auto ec = dynamodb::validate_key_value("app key", key, diag)) co_return find_result::failure(ec, std::move(diag));
        const auto& cfg = client_.config();
        const dynamodb::query_by_key op{cfg.table, cfg.key_index, key};
        auto r = co_await client_.call(op.operation_name, &write_body<dynamodb::query_by_key>, &op);
        if (r.ec) co_return find_result::failure(r.ec, std::move(r.diagnostic));
        co_return op.parse(r.body, cfg.defaults);
    }

    /// One page of a Scan of the whole table: at most `limit` items (<= 0: DynamoDB's 1 MB page)
    /// from `start` (nullptr: the first page; else the previous page's last_evaluated_key, which
    /// must stay valid until this completes). Broken items come back with their error, see
    /// dynamodb/scan.hpp.
    boost::asio::awaitable<dynamodb::scan_page> scan(const boost::json::object* start, int limit) {
        const dynamodb::scan op{client_.config().table, start, limit};
        auto r = co_await client_.call(op.operation_name, op.body());
        if (r.ec) co_return dynamodb::scan_page::failed(r.ec, std::move(r.diagnostic));
        co_return op.parse(r.body, client_.config().defaults);
    }

    /// The underlying client (for stats, or other operations on the same connections).
    dynamodb::client& client() noexcept { return client_; }

private:
    // The body of `op` (a get_item or query_by_key), written into the call's own buffer.
    template <class Op>
    static void write_body(const void* op, std::string& out) {
        static_cast<const Op*>(op)->write_body(out);
    }

    dynamodb::client client_;
};

}  // namespace pws
