// Who is connected to which app and subscribed to which channel, and the per-app counters the
// limits need. Pure bookkeeping on one thread (the io_context's): no locks, no I/O. A connection
// is reached only through `subscriber::deliver`, which server.hpp implements with a write queue.
#pragma once

#include "pusher_protocol.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gate {

/// A message serialized once and shared by every connection it goes to.
using message_ptr = std::shared_ptr<const std::string>;

/// A connection as the hub sees it.
class subscriber {
public:
    virtual ~subscriber() = default;
    /// Queues `m` for sending; never blocks, never throws.
    virtual void deliver(message_ptr m) = 0;

    std::string socket_id; ///< "1234.5678"
    std::string app_id;    ///< the app it connected to
    std::map<std::string, std::string> channels; ///< subscribed channel -> presence user_id ("" otherwise)
};

/// Events allowed per one-second window (soketi's limiters count the same way). -1 = unlimited.
class rate_window {
public:
    /// Takes `points` from the window of second `now_s`; false (and nothing taken) when that
    /// would exceed `limit`.
    bool try_take(std::int64_t limit, std::int64_t points, std::int64_t now_s) {
        if (limit < 0) return true;
        if (now_s != second_) { second_ = now_s; used_ = 0; }
        if (used_ + points > limit) return false;
        used_ += points;
        return true;
    }

private:
    std::int64_t second_ = -1;
    std::int64_t used_ = 0;
};

/// The live state of all apps on this server.
class hub {
public:
    /// Counts a new connection of `app_id`; false when it already has `max_connections` (-1 = no limit).
    bool try_add_connection(const std::string& app_id, std::int64_t max_connections) {
        auto& a = apps_[app_id];
        if (max_connections >= 0 && static_cast<std::int64_t>(a.connections) >= max_connections) return false;
        ++a.connections;
        return true;
    }

    /// Forgets a connection counted by try_add_connection, unsubscribing it everywhere.
    void remove_connection(subscriber& s) {
        while (!s.channels.empty()) unsubscribe(s, s.channels.begin()->first);
        if (auto it = apps_.find(s.app_id); it != apps_.end() && it->second.connections) --it->second.connections;
    }

    /// Subscribes `s` to a public or private channel. Idempotent.
    void subscribe(subscriber& s, const std::string& channel) {
        apps_[s.app_id].channels[channel].members.insert(&s);
        s.channels.emplace(channel, std::string{});
    }

    /// Subscribes `s` to a presence channel as `user_id`; returns the presence object for
    /// subscription_succeeded ({ids, hash, count}). Others see member_added when the user is new.
    boost::json::value subscribe_presence(subscriber& s, const std::string& channel, const std::string& user_id,
                                          const boost::json::value& user_info) {
        auto& ch = apps_[s.app_id].channels[channel];
        if (!s.channels.contains(channel)) {
            auto& member = ch.users[user_id];
            if (member.sockets++ == 0) {
                member.info = user_info;
                publish(s.app_id, channel,
                        std::make_shared<const std::string>(pusher::member_added(channel, user_id, user_info)), &s);
            }
            ch.members.insert(&s);
            s.channels.emplace(channel, user_id);
        }
        boost::json::array ids;
        boost::json::object hash;
        for (auto& [id, m] : ch.users) {
            ids.emplace_back(id);
            hash[id] = m.info;
        }
        return boost::json::object{{"ids", std::move(ids)}, {"hash", std::move(hash)},
                                   {"count", ch.users.size()}};
    }

    /// Unsubscribes `s` from `channel` (a no-op when it was not subscribed). `channel` is taken
    /// by value: callers may pass a name that lives in `s.channels`, which this erases.
    void unsubscribe(subscriber& s, std::string channel) {
        auto sub = s.channels.find(channel);
        if (sub == s.channels.end()) return;
        const std::string user_id = std::move(sub->second);
        s.channels.erase(sub);
        auto& chans = apps_[s.app_id].channels;
        auto it = chans.find(channel);
        if (it == chans.end()) return;
        it->second.members.erase(&s);
        if (!user_id.empty())
            if (auto u = it->second.users.find(user_id); u != it->second.users.end() && --u->second.sockets == 0) {
                it->second.users.erase(u);
                publish(s.app_id, channel, std::make_shared<const std::string>(pusher::member_removed(channel, user_id)));
            }
        if (it->second.members.empty()) chans.erase(it);
    }

    /// Sends `m` to every subscriber of `channel` in `app_id` but `except`; returns how many.
    std::size_t publish(const std::string& app_id, const std::string& channel, const message_ptr& m,
                        const subscriber* except = nullptr) {
        auto a = apps_.find(app_id);
        if (a == apps_.end()) return 0;
        auto c = a->second.channels.find(channel);
        if (c == a->second.channels.end()) return 0;
        std::size_t n = 0;
        for (subscriber* s : c->second.members)
            if (s != except) { s->deliver(m); ++n; }
        return n;
    }

    /// The subscriber of `app_id` with this socket id, if it is subscribed to `channel` (used to
    /// exclude the sender of an HTTP API event, which names itself by socket_id).
    const subscriber* find_in_channel(const std::string& app_id, const std::string& channel,
                                      std::string_view socket_id) const {
        auto a = apps_.find(app_id);
        if (a == apps_.end()) return nullptr;
        auto c = a->second.channels.find(channel);
        if (c == a->second.channels.end()) return nullptr;
        for (subscriber* s : c->second.members)
            if (s->socket_id == socket_id) return s;
        return nullptr;
    }

    /// The per-second budget of HTTP API events of an app.
    rate_window& backend_events(const std::string& app_id) { return apps_[app_id].backend_events; }

    /// The per-second budget of HTTP API reads (channels, channel, users) of an app.
    rate_window& read_requests(const std::string& app_id) { return apps_[app_id].read_requests; }

    /// Who is in a channel: sockets subscribed, and (presence channels) distinct users.
    struct occupancy {
        std::size_t sockets = 0;
        std::size_t users = 0;
    };

    /// The occupancy of `channel` in `app_id` (zeros when nobody is subscribed).
    occupancy channel(const std::string& app_id, const std::string& channel) const {
        const channel_state* c = find(app_id, channel);
        return c ? occupancy{c->members.size(), c->users.size()} : occupancy{};
    }

    /// Whether `user_id` is already a member of presence channel `channel` (by any socket).
    bool has_user(const std::string& app_id, const std::string& channel, const std::string& user_id) const {
        const channel_state* c = find(app_id, channel);
        return c && c->users.contains(user_id);
    }

    /// Calls f(name, occupancy) for every occupied channel of `app_id`, in no particular order.
    template <class F>
    void for_each_channel(const std::string& app_id, F&& f) const {
        auto a = apps_.find(app_id);
        if (a == apps_.end()) return;
        for (auto& [name, c] : a->second.channels) f(name, occupancy{c.members.size(), c.users.size()});
    }

    /// Calls f(user_id, user_info) for every member of presence channel `channel`, by user id.
    template <class F>
    void for_each_user(const std::string& app_id, const std::string& channel, F&& f) const {
        if (const channel_state* c = find(app_id, channel))
            for (auto& [id, u] : c->users) f(id, u.info);
    }

    /// The live connections of `app_id`.
    std::size_t connections(const std::string& app_id) const {
        auto a = apps_.find(app_id);
        return a == apps_.end() ? 0 : a->second.connections;
    }

private:
    struct channel_state;
    const channel_state* find(const std::string& app_id, const std::string& channel) const {
        auto a = apps_.find(app_id);
        if (a == apps_.end()) return nullptr;
        auto c = a->second.channels.find(channel);
        return c == a->second.channels.end() ? nullptr : &c->second;
    }

    struct presence_user {
        std::size_t sockets = 0;  // one user may hold several connections
        boost::json::value info;
    };
    struct channel_state {
        std::unordered_set<subscriber*> members;
        std::map<std::string, presence_user> users; // presence channels only
    };
    struct app_state {
        std::size_t connections = 0;
        std::unordered_map<std::string, channel_state> channels;
        rate_window backend_events;
        rate_window read_requests;
    };
    std::unordered_map<std::string, app_state> apps_;
};

}  // namespace gate
