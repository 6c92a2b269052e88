// A wall-clock deadline over a socket, whatever the peer does.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <mutex>

namespace pws::detail::http {

/// Shuts a socket down at `deadline`, so that whatever I/O is pending on it fails at once.
/// Beast's stream timeout did not hold while data kept coming (a server sending 1-byte chunks
/// with long extensions kept one lookup reading for minutes); this timer does not depend on
/// reads completing, and fired() tells the caller why its I/O failed. It touches the socket only
/// through its file descriptor, under a mutex the destructor also takes: the executor need not
/// be a strand. Destroy it before the socket is closed: from then on it never touches it.
class deadline_guard {
public:
    deadline_guard(const boost::asio::any_io_executor& ex, int socket_fd,
                   std::chrono::steady_clock::time_point deadline)
        : state_(std::make_shared<state>(ex, deadline, socket_fd)) {
        state_->timer.async_wait([st = state_](boost::system::error_code ec) {
            std::lock_guard lock(st->mutex);
            if (ec || st->done) return;
            st->fired = true;
            ::shutdown(st->fd, SHUT_RDWR);
        });
    }
    ~deadline_guard() {
        {
            std::lock_guard lock(state_->mutex);
            state_->done = true;
        }
        state_->timer.cancel();
    }
    deadline_guard(const deadline_guard&) = delete;
    deadline_guard& operator=(const deadline_guard&) = delete;

    /// Whether the deadline passed and the socket was shut down.
    bool fired() const {
        std::lock_guard lock(state_->mutex);
        return state_->fired;
    }

private:
    struct state {
        state(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point deadline, int socket_fd)
            : timer(ex, deadline), fd(socket_fd) {}
        std::mutex mutex;
        boost::asio::steady_timer timer;
        int fd;
        bool done = false, fired = false;
    };
    std::shared_ptr<state> state_;
};

}  // namespace pws::detail::http
