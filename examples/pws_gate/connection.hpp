// One admitted WebSocket connection: a reader coroutine that answers the client's messages
// (ping, subscribe, unsubscribe, client events) and a writer coroutine that owns every write,
// fed by an outbox so that broadcasts never wait on a slow client.
#pragma once

#include "hub.hpp"
#include "limits.hpp"
#include "log.hpp"
#include "pusher_protocol.hpp"
#include "signatures.hpp"

#include <pws/find_result.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace gate {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

/// use_awaitable that returns (error_code, ...) instead of throwing.
inline constexpr auto nothrow = net::as_tuple(net::use_awaitable);

/// Seconds since the Unix epoch (the limits count per wall-clock second, like soketi's).
inline std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// A close frame's reason: the code and at most 123 bytes of text (the frame's limit).
inline websocket::close_reason close_reason_of(std::uint16_t code, std::string_view why) {
    websocket::close_reason r(code);
    why = why.substr(0, r.reason.max_size());
    r.reason.assign(why.data(), why.size());
    return r;
}

/// A connection that passed the gate (the app exists, is enabled, and had room for it).
class ws_connection final : public subscriber {
public:
    /// Messages queued beyond this mean the client cannot keep up: it is closed with 4100.
    static constexpr std::size_t max_outbox = 1024;

    ws_connection(websocket::stream<beast::tcp_stream>& ws, pws::app_ptr app, std::string sid)
        : ws_(ws), app_(std::move(app)), wake_(ws.get_executor()) {
        socket_id = std::move(sid);
        app_id = app_->id;
    }

    void deliver(message_ptr m) override {
        if (close_ || stopped_) return;
        if (outbox_.size() >= max_outbox) {
            outbox_.clear();
            return close(pusher::over_capacity, "Client too slow: reconnect after backing off");
        }
        outbox_.push_back(std::move(m));
        wake_.cancel();
    }

    /// Sends pusher:error with `code`, then closes with it (after what is already queued).
    void close(std::uint16_t code, std::string reason) {
        if (close_ || stopped_) return;
        outbox_.push_back(std::make_shared<const std::string>(pusher::error(code, reason)));
        close_.emplace(code, std::move(reason));
        wake_.cancel();
    }

    /// The app as the cache re-read it (a rotated secret, new limits): used from the next message on.
    void update_app(pws::app_ptr app) { app_ = std::move(app); }

    /// The close code the server sent (or is sending), if it closed the connection.
    std::optional<std::uint16_t> close_code() const {
        return close_ ? std::optional<std::uint16_t>(close_->first) : std::nullopt;
    }

    /// Serves the connection until it closes. The caller un-counts it from `h` afterwards.
    net::awaitable<void> run(hub& h) {
        using namespace net::experimental::awaitable_operators;
        co_await (read_loop(h) && write_loop());
    }

private:
    net::awaitable<void> write_loop() {
        for (;;) {
            while (!outbox_.empty()) {
                message_ptr m = std::move(outbox_.front());
                outbox_.pop_front();
                auto [ec, n] = co_await ws_.async_write(net::buffer(*m), nothrow);
                if (ec) co_return;
            }
            if (stopped_) co_return;
            if (close_) {
                co_await ws_.async_close(close_reason_of(close_->first, close_->second), nothrow);
                co_return;  // the reader sees the close handshake end and stops too
            }
            wake_.expires_at(net::steady_timer::time_point::max());
            co_await wake_.async_wait(nothrow);
        }
    }

    net::awaitable<void> read_loop(hub& h) {
        beast::flat_buffer buf;
        for (;;) {
            auto [ec, n] = co_await ws_.async_read(buf, nothrow);
            if (ec) break;
            auto m = ws_.got_text() ? pusher::parse_client_message(beast::buffers_to_string(buf.data()))
                                    : std::nullopt;  // binary frames are not part of the protocol
            if (m) {
                on_message(h, *m);
            } else {
                deliver(std::make_shared<const std::string>(pusher::error(0, "Malformed message")));
            }
            buf.consume(buf.size());
        }
        stopped_ = true;  // closed by the client, by the handshake, or broken: stop writing
        wake_.cancel();
    }

    void on_message(hub& h, pusher::client_message& m) {
        if (m.event == "pusher:ping") return deliver(std::make_shared<const std::string>(pusher::pong()));
        if (m.event == "pusher:subscribe") return subscribe(h, pusher::data_object(m.data));
        if (m.event == "pusher:unsubscribe")
            return h.unsubscribe(*this, pusher::string_member(pusher::data_object(m.data), "channel"));
        if (m.event.starts_with("client-")) return client_event(h, m);
        // pusher:pong, pusher:signin and unknown events are ignored, as Pusher does.
    }

    void subscribe(hub& h, const boost::json::object& d) {
        const std::string channel = pusher::string_member(d, "channel");
        auto refuse = [&](std::string_view type, std::string_view why, int status) {
            deliver(std::make_shared<const std::string>(pusher::subscription_error(channel, type, why, status)));
        };
        if (auto over = limits::channel_name(*app_, channel)) return refuse("LimitReached", *over, 4009);
        if (!pusher::valid_channel_name(channel, app_->max_channel_name_length))
            return refuse("InvalidChannel", "Invalid channel name", 400);
        if (!pusher::needs_auth(channel)) {
            h.subscribe(*this, channel);
            return deliver(std::make_shared<const std::string>(pusher::subscription_succeeded(channel)));
        }
        const std::string auth = pusher::string_member(d, "auth");
        const bool presence = pusher::kind_of(channel) == pusher::channel_kind::presence;
        const std::string channel_data = presence ? pusher::string_member(d, "channel_data") : std::string{};
        switch (check_channel_auth(auth, app_->key, app_->secret, socket_id, channel, channel_data)) {
        case channel_auth_check::ok: break;
        case channel_auth_check::crypto_failed:
            // Fail closed, and tell the operator: no private subscription can succeed now.
            log_line("ws app=" + app_->id + " socket=" + socket_id + " subscription to " + channel +
                     " refused: OpenSSL could not compute HMAC-SHA256");
            return refuse("AuthError", "Invalid signature", 401);
        case channel_auth_check::refused: return refuse("AuthError", "Invalid signature", 401);
        }
        if (!presence) {
            h.subscribe(*this, channel);
            return deliver(std::make_shared<const std::string>(pusher::subscription_succeeded(channel)));
        }
        // channel_data is signed, so what it says about the user can be trusted.
        const auto member = pusher::data_object(boost::json::value(channel_data));
        const auto* uid = member.if_contains("user_id");
        std::string user_id = !uid ? "" : uid->is_string() ? std::string(uid->as_string()) : boost::json::serialize(*uid);
        if (user_id.empty()) return refuse("InvalidChannelData", "channel_data needs a user_id", 400);
        // The limits come after the signature (soketi checks them first): an unsigned request
        // learns nothing about a channel. Then soketi's order: members, then the member's size.
        // Another socket of a member already in is not a new member.
        if (!channels.contains(channel) && !h.has_user(app_id, channel, user_id))
            if (auto over = limits::presence_members(*app_, h.channel(app_id, channel).users))
                return refuse("LimitReached", *over, 4100);
        const auto* info = member.if_contains("user_info");
        const boost::json::value user_info = info ? *info : boost::json::value();
        if (auto over = limits::presence_member_size(*app_, user_info)) return refuse("LimitReached", *over, 4301);
        auto presence_data = h.subscribe_presence(*this, channel, user_id, user_info);
        deliver(std::make_shared<const std::string>(pusher::subscription_succeeded(channel, presence_data)));
    }

    // soketi's checks in soketi's order, with its codes and texts (limits.hpp); where soketi drops
    // an event silently (wrong channel kind, not subscribed) the sender is told, with code null.
    void client_event(hub& h, const pusher::client_message& m) {
        auto reject = [&](int code, std::string_view why) {
            deliver(std::make_shared<const std::string>(pusher::error(code, why, m.channel)));
        };
        if (!app_->enable_client_messages) return reject(4301, limits::client_messages_disabled);
        if (auto over = limits::event_name(*app_, m.event)) return reject(4301, *over);
        if (auto over = limits::event_payload(*app_, m.data)) return reject(4301, *over);
        const auto kind = pusher::kind_of(m.channel);
        if (kind != pusher::channel_kind::private_channel && kind != pusher::channel_kind::presence)
            return reject(0, "Client events are only allowed on private and presence channels");
        auto sub = channels.find(m.channel);
        if (sub == channels.end()) return reject(0, "Client events need a subscription to the channel");
        if (!client_events_.try_take(app_->max_client_events_per_second, 1, unix_now()))
            return reject(4301, limits::client_events_rate);
        h.publish(app_id, m.channel,
                  std::make_shared<const std::string>(pusher::event(m.channel, m.event, m.data, sub->second)), this);
    }

    websocket::stream<beast::tcp_stream>& ws_;
    pws::app_ptr app_;  // the app as admitted, or as a refresh re-read it since (update_app)
    net::steady_timer wake_;
    std::deque<message_ptr> outbox_;
    std::optional<std::pair<std::uint16_t, std::string>> close_;
    bool stopped_ = false;
    rate_window client_events_;
};

}  // namespace gate
