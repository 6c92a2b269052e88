// pws::dynamodb::response — what one DynamoDB call comes to, from the client to the driver.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>

namespace pws::dynamodb {

/// The outcome of one DynamoDB call.
struct response {
    boost::system::error_code ec; ///< transport error, or the DynamoDB error the server answered
    std::string diagnostic;       ///< what went wrong, for humans; never holds a secret
    unsigned status = 0;          ///< HTTP status, 0 when no response arrived
    std::string body;             ///< the JSON body of a successful (2xx) response
    int attempts = 0;             ///< attempts made at the replica that answered (retries included; stale-connection re-sends not)
    /// The failure is the region's, not the request's: it could not be resolved or reached
    /// (DNS, connect refused or timed out, reset, a failed TLS handshake other than a rejected
    /// certificate), did not answer in time, answered 5xx or a corrupt body, or throttled once the
    /// retries were spent. Another replica may answer. Never for this process's own limits (pool
    /// full, out of descriptors), validation, auth, a rejected certificate or a cancellation.
    bool regional = false;
    std::size_t replica = 0;      ///< who answered: 0 the primary, i DynamoDbConfig::failover[i - 1]
};

}  // namespace pws::dynamodb
