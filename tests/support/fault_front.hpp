// A fault-injecting HTTP front for tests: listens on 127.0.0.1 (a free port), forwards each
// request to an upstream DynamoDB (dynalite) and, per request, can instead drop the connection,
// stall, answer an error, corrupt the body or its CRC, or pretend its clock is off. It can speak
// TLS, close keep-alive connections left idle, and records what it receives (headers included)
// so tests can assert attempts. Runs on its own thread; stops in its destructor.
//
// Faults are bound to requests in arrival order: a request takes the next queued fault when its
// first bytes arrive, whichever connection it comes on.
//
// The bodies are in fault_front.cpp, compiled once into the tests' support library: the
// coroutines instantiate most of Beast, and each test executable would otherwise pay for it.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pws::test {

/// What the front does with one request.
enum class fault {
    none,                 ///< forward to upstream, answer its response
    drop_before_request,  ///< close the connection as the request arrives, without reading it
    drop_after_request,   ///< read the request, then close without answering
    stall,                ///< read the request and never answer (until the client gives up)
    status_500,           ///< 500 InternalServerError
    status_503,           ///< 503 with an empty body
    throttle,             ///< 400 ProvisionedThroughputExceededException
    corrupt_body,         ///< forward, then flip a byte of the body (its x-amz-crc32 no longer matches)
    bad_crc,              ///< forward, with a wrong x-amz-crc32 header
    validation,           ///< 400 ValidationException (must never be retried)
};

/// One request as the front saw it (headers are empty for drop_before_request).
struct request_record {
    fault applied = fault::none;
    std::string target;         ///< X-Amz-Target
    std::string invocation_id;  ///< amz-sdk-invocation-id
    std::string sdk_request;    ///< amz-sdk-request ("attempt=N; max=M")
    std::string amz_date;       ///< X-Amz-Date
    std::string scope;          ///< the Authorization's credential scope: DATE/REGION/SERVICE/aws4_request
};

class fault_front {
public:
    /// Forwards to `upstream_host:upstream_port` (plain HTTP). With `tls`, the front speaks TLS.
    /// It listens on 127.0.0.1:`listen_port` (0: a free port; another: e.g. the port of a front
    /// just destroyed, to stand for a server that came back).
    fault_front(std::string upstream_host, unsigned short upstream_port,
                boost::asio::ssl::context* tls = nullptr, unsigned short listen_port = 0);
    ~fault_front();
    fault_front(const fault_front&) = delete;
    fault_front& operator=(const fault_front&) = delete;

    /// A TLS server context with `chain_file` (PEM, leaf first) and its `key_file`.
    static std::unique_ptr<boost::asio::ssl::context> server_tls(const std::string& chain_file,
                                                                 const std::string& key_file);

    /// "http://127.0.0.1:PORT" (https with TLS), or with another `host` that reaches 127.0.0.1.
    std::string endpoint(const std::string& host = "127.0.0.1") const {
        return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port());
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    /// The next `times` requests get `f` (queued after faults already pushed).
    void push(fault f, int times = 1) {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < times; ++i) faults_.push_back(f);
    }
    /// Faults still queued.
    std::size_t pending_faults() const {
        std::lock_guard lock(mutex_);
        return faults_.size();
    }
    /// The front's clock runs `offset` away from the real one: it sends that Date, and refuses
    /// requests whose X-Amz-Date is more than 5 minutes from it ("Signature expired").
    void set_clock_offset(std::chrono::seconds offset) { clock_offset_ = offset.count(); }
    /// While down, every connection is closed as soon as it is accepted.
    void set_down(bool down) { down_ = down; }
    /// Keep-alive connections idle for `d` are closed by the front (zero: never, the default).
    void close_idle_after(std::chrono::milliseconds d) { idle_close_ms_ = d.count(); }

    int requests() const { return requests_; }        ///< requests that arrived (dropped ones included)
    int connections() const { return connections_; }  ///< connections accepted
    int open_connections() const { return open_; }    ///< connections being served now
    int peak_connections() const { return peak_; }    ///< most connections served at once
    int idle_closes() const { return idle_closes_; }  ///< connections closed for being idle
    /// Every request that arrived, in order.
    std::vector<request_record> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    /// The X-Amz-Target of every request read, in order.
    std::vector<std::string> targets() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (auto& r : records_)
            if (r.applied != fault::drop_before_request) out.push_back(r.target);
        return out;
    }
    /// Forgets the counters, the records and the queued faults (the clock offset stays).
    void reset() {
        std::lock_guard lock(mutex_);
        faults_.clear();
        records_.clear();
        requests_ = connections_ = idle_closes_ = 0;
        peak_ = open_.load();
    }

private:
    using tcp = boost::asio::ip::tcp;
    template <class T>
    using awaitable = boost::asio::awaitable<T>;
    using response = boost::beast::http::response<boost::beast::http::string_body>;
    using request = boost::beast::http::request<boost::beast::http::string_body>;
    struct open_guard;

    awaitable<void> accept_loop();
    awaitable<void> serve_tls(std::shared_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> s);
    template <class Stream>
    awaitable<void> serve(std::shared_ptr<Stream> s);
    awaitable<response> forward(const request& req);
    fault arrive(std::size_t& index);
    void record_headers(std::size_t index, const request& req);

    std::string upstream_host_;
    unsigned short upstream_port_;
    boost::asio::ssl::context* tls_;
    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::deque<fault> faults_;
    std::vector<request_record> records_;
    std::atomic<long long> clock_offset_{0};
    std::atomic<long long> idle_close_ms_{0};
    std::atomic<bool> down_{false};
    std::atomic<int> requests_{0}, connections_{0}, open_{0}, peak_{0}, idle_closes_{0};
};

}  // namespace pws::test
