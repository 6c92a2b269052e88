// The blocking work of the credentials chain — reading small files and running
// credential_process — and the one way it is run: on the provider's own thread, with the result
// handed back to the awaiting coroutine's executor. Nothing here may run on an io_context thread.
#pragma once

#include <pws/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace pws::detail {

/// A small file's contents, or why not.
struct file_contents {
    enum class status { ok, missing, error };
    status what = status::missing; ///< missing = ENOENT (or ENOTDIR): "not configured", not an error
    std::string content;           ///< the bytes, when ok
    std::string diagnostic;        ///< "cannot read <path>: Permission denied", when error
};

/// Reads `path` (blocking). Files over `max_bytes` are an error.
PWS_DECL file_contents read_small_file(const std::string& path, std::size_t max_bytes);

/// What a child process did.
struct process_output {
    bool started = false;   ///< the shell could be spawned
    bool timed_out = false; ///< killed at the deadline (with its process group)
    bool too_large = false; ///< killed for writing more than the cap
    int exit_code = -1;     ///< its exit status, when it exited
    int signal = 0;         ///< the signal that ended it, if any
    std::string output;     ///< its stdout (stderr is inherited, as the AWS CLI does)
};

/// Runs `command` with /bin/sh -c (blocking), stdin /dev/null, in a process group of its own so
/// that the whole group is killed at `timeout`; stdout is captured up to `max_output` bytes.
PWS_DECL process_output run_process(const std::string& command, std::chrono::milliseconds timeout,
                                    std::size_t max_output);

/// Runs `f` (blocking, noexcept in practice) on `pool` and resumes the awaiting coroutine on its
/// own executor with the result. The io_context stays busy (a work guard) until then.
template <class F, class R = std::invoke_result_t<F&>>
boost::asio::awaitable<R> run_blocking(boost::asio::thread_pool& pool, F f) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(R)>(
        [&pool](auto handler, F fn) {
            auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
            boost::asio::post(pool, [fn = std::move(fn), h = std::move(handler), work = std::move(work)]() mutable {
                R r = fn();
                auto ex = work.get_executor();
                boost::asio::post(ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
                work.reset();
            });
        },
        boost::asio::use_awaitable, std::move(f));
}

/// read_small_file on `pool`. (Not a coroutine, so that no lambda lives in a coroutine frame:
/// GCC 12 warns about those in headers.)
inline boost::asio::awaitable<file_contents> async_read_small_file(boost::asio::thread_pool& pool, std::string path,
                                                                   std::size_t max_bytes) {
    return run_blocking(pool, [path = std::move(path), max_bytes] { return read_small_file(path, max_bytes); });
}

/// run_process on `pool`.
inline boost::asio::awaitable<process_output> async_run_process(boost::asio::thread_pool& pool, std::string command,
                                                                std::chrono::milliseconds timeout,
                                                                std::size_t max_output) {
    return run_blocking(pool, [command = std::move(command), timeout, max_output] {
        return run_process(command, timeout, max_output);
    });
}

}  // namespace pws::detail

#ifdef PWS_HEADER_ONLY
#include <pws/aws/impl/credentials_blocking.ipp>
#endif
