#pragma once

#include <pws/aws/detail/credentials_blocking.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pws::detail {

PWS_DECL file_contents read_small_file(const std::string& path, std::size_t max_bytes) {
    file_contents out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) return out;
        out.what = file_contents::status::error;
        out.diagnostic = "cannot read " + path + ": " + std::strerror(e);
        return out;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        out.what = file_contents::status::error;
        out.diagnostic = "cannot read " + path + ": it is a directory";
        return out;
    }
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            out.what = file_contents::status::error;
            out.diagnostic = "cannot read " + path + ": " + std::strerror(e);
            out.content.clear();
            return out;
        }
        if (n == 0) break;
        if (out.content.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            out.what = file_contents::status::error;
            out.diagnostic = path + " is larger than " + std::to_string(max_bytes) + " bytes";
            out.content.clear();
            return out;
        }
        out.content.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    out.what = file_contents::status::ok;
    return out;
}

PWS_DECL process_output run_process(const std::string& command, std::chrono::milliseconds timeout,
                                    std::size_t max_output) {
    process_output out;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return out;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);  // the copy on fd 1 loses O_CLOEXEC
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Sockets of the server are not the credential helper's business.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    // Its own process group, so that a timeout kills what the shell started too.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    char sh[] = "/bin/sh", dash_c[] = "-c";
    std::string cmd = command;
    char* argv[] = {sh, dash_c, cmd.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return out;
    }
    out.started = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            out.timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        int pr = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000 * 60 * 60)));
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) continue;  // the deadline check above ends it
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;  // EOF: the output is complete
        if (out.output.size() + static_cast<std::size_t>(n) > max_output) {
            out.too_large = true;
            break;
        }
        out.output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (out.timed_out || out.too_large) ::kill(-pid, SIGKILL);
    int status = 0;
    for (;;) {
        // A helper that closed stdout may still linger: it gets until the deadline to exit.
        pid_t w = ::waitpid(pid, &status, out.timed_out || out.too_large ? 0 : WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) break;
        if (w == 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                out.timed_out = true;
                ::kill(-pid, SIGKILL);
            } else {
                ::usleep(2000);
            }
        }
    }
    if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
    return out;
}

}  // namespace pws::detail
