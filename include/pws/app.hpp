// pws::App — one Pusher application as every driver returns it.
//
// Field names follow soketi's app model (camelCase there, snake_case here); defaults are soketi's
// (`-1` means unlimited; the presence/channel/event limits default to soketi's server limits).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pws {

/// Options of a webhook delivered through AWS Lambda instead of HTTP.
struct LambdaOptions {
    bool async = false;                  ///< invoke with InvocationType=Event
    std::string region;                  ///< Lambda region ("" = the server's default)
    boost::json::object client_options;  ///< extra client options, passed through untouched
    bool operator==(const LambdaOptions&) const = default;
};

/// Which channels a webhook fires for (both empty = every channel).
struct WebhookFilter {
    std::string channel_name_starts_with;  ///< only channels with this prefix
    std::string channel_name_ends_with;    ///< only channels with this suffix
    bool operator==(const WebhookFilter&) const = default;
};

/// One webhook of an app: an HTTP `url` or a `lambda_function`, and the events it wants.
struct Webhook {
    std::string url;                            ///< HTTP(S) target, or empty
    std::string lambda_function;                ///< Lambda function name, or empty
    std::vector<std::string> event_types;       ///< e.g. "channel_occupied", "client_event"
    std::map<std::string, std::string> headers; ///< extra HTTP headers to send
    WebhookFilter filter;                       ///< channel-name filter
    std::optional<LambdaOptions> lambda;        ///< present when the item had a `lambda` object
    bool operator==(const Webhook&) const = default;
};

/// A Pusher app: credentials, switches and limits.
struct App {
    std::string id;      ///< app id (DynamoDB `AppId`)
    std::string key;     ///< public key clients connect with (`AppKey`)
    std::string secret;  ///< signing secret (`AppSecret`); never logged by this library

    bool enabled = true;                 ///< `Enabled`: a disabled app refuses connections
    bool enable_client_messages = false; ///< `EnableClientMessages`: allow client-* events
    bool enable_user_authentication = false; ///< `EnableUserAuthentication`

    std::int64_t max_connections = -1;               ///< `MaxConnections`, -1 = unlimited
    std::int64_t max_backend_events_per_second = -1; ///< `MaxBackendEventsPerSecond`
    std::int64_t max_client_events_per_second = -1;  ///< `MaxClientEventsPerSecond`
    std::int64_t max_read_requests_per_second = -1;  ///< `MaxReadRequestsPerSecond`

    std::int64_t max_presence_members_per_channel = 100; ///< `MaxPresenceMembersPerChannel`
    double max_presence_member_size_in_kb = 2;           ///< `MaxPresenceMemberSizeInKb`
    std::int64_t max_channel_name_length = 200;          ///< `MaxChannelNameLength`
    std::int64_t max_event_channels_at_once = 100;       ///< `MaxEventChannelsAtOnce`
    std::int64_t max_event_name_length = 200;            ///< `MaxEventNameLength`
    double max_event_payload_in_kb = 100;                ///< `MaxEventPayloadInKb`
    std::int64_t max_event_batch_size = 10;              ///< `MaxEventBatchSize`

    std::vector<Webhook> webhooks; ///< `Webhooks` (a JSON-encoded array in DynamoDB)

    bool operator==(const App&) const = default;
};

}  // namespace pws
