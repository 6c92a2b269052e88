// pws-bench-micro — micro-benchmarks (Google Benchmark) of the lookup path's pure pieces.
//
//   pws-bench-micro [--print-signature] [Google Benchmark flags, e.g. --benchmark_format=json]
//
// Every benchmark reports `allocs`, the heap allocations per iteration (operator new is counted
// below). The signing benchmarks sign the request that benchmarks/peers/sign_*.{py,mjs} sign, and
// --print-signature prints its Authorization value so benchmarks/run can check that all three
// signers produced the same one (the same request, byte for byte). The cache hits run through
// AppManager<Cached<StaticPolicy>>, warmed by one lookup.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <pws/app_manager.hpp>
#include <pws/aws/sigv4.hpp>
#include <pws/cache_config.hpp>
#include <pws/dynamodb/operations.hpp>
#include <pws/dynamodb/attribute_value.hpp>
// A baseline revision built by `benchmarks/run --baseline` may predate the one-pass reading.
#if __has_include(<pws/dynamodb/detail/answer_scan.hpp>)
#include <pws/dynamodb/detail/answer_scan.hpp>
#define PWS_BENCH_HAS_ANSWER_SCAN 1
#endif
#include <pws/policies/cached.hpp>
#include <pws/policies/static.hpp>
#include <sstream>
#include <string>
#include <string_view>

// ---- allocation counting: every operator new of the program goes through here ----
namespace {
thread_local std::uint64_t allocations = 0;

void* counted_alloc(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* counted_alloc(std::size_t n, std::align_val_t a) {
    ++allocations;
    if (void* p =
            std::aligned_alloc(std::size_t(a), (n + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a)))
        return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
    return counted_alloc(n);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return counted_alloc(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return counted_alloc(n, a);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

namespace {

// Allocations per iteration, as a counter next to the time.
class alloc_meter {
public:
    explicit alloc_meter(benchmark::State& s) : state_(s), start_(allocations) {}
    ~alloc_meter() {
        state_.counters["allocs"] =
            benchmark::Counter(double(allocations - start_), benchmark::Counter::kAvgIterations);
    }

private:
    benchmark::State& state_;
    std::uint64_t start_;
};

// ---- the request every signer signs (keep in step with peers/sign_request.json) ----
constexpr std::string_view host = "dynamodb.us-east-1.amazonaws.com";
constexpr std::string_view amz_date = "20150830T123600Z";
constexpr std::string_view body = R"({"TableName":"apps","Key":{"AppId":{"S":"app-id"}}})";
const pws::aws::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const pws::aws::header headers[] = {
    {"content-type", "application/x-amz-json-1.0"},
    {"host", host},
    {"x-amz-date", amz_date},
    {"x-amz-target", "DynamoDB_20120810.GetItem"},
};
const pws::aws::signing_input request{"POST", "/", "", headers, body};

std::string sign_once(pws::aws::sigv4_signer& s) {
    return s.authorization(request, creds, "us-east-1", "dynamodb", amz_date);
}

// What the client does per request: sign with a warm signer (the signing key is derived once a
// day and cached); the one allocation is the returned Authorization string.
void sigv4_sign_get_item(benchmark::State& state) {
    pws::aws::sigv4_signer signer;
    sign_once(signer);
    alloc_meter m(state);
    for (auto _ : state) benchmark::DoNotOptimize(sign_once(signer));
}
BENCHMARK(sigv4_sign_get_item);

// The same with a cold signer: the signing key's four HMACs included (botocore's every request).
void sigv4_sign_get_item_cold_key(benchmark::State& state) {
    alloc_meter m(state);
    for (auto _ : state) {
        pws::aws::sigv4_signer signer;
        benchmark::DoNotOptimize(sign_once(signer));
    }
}
BENCHMARK(sigv4_sign_get_item_cold_key);

// ---- the seed's item (tests/data/seed_item.json) ----
std::string read_seed_item() {
    std::ifstream f(PWS_BENCH_SEED_ITEM);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    if (!f || s.empty()) {
        std::cerr << "pws-bench-micro: cannot read " << PWS_BENCH_SEED_ITEM << "\n";
        std::exit(1);
    }
    return s;
}
const std::string seed_item = read_seed_item();

// decode_app on an already parsed item: attribute checks, base64 flags, Webhooks JSON.
void decode_seed_item(benchmark::State& state) {
    const boost::json::object item = boost::json::parse(seed_item).as_object();
    std::string diag;
    alloc_meter m(state);
    for (auto _ : state) {
        pws::App app;
        if (pws::dynamodb::decode_app(item, app, diag)) state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(app);
    }
}
BENCHMARK(decode_seed_item);

// A lookup's answer read `parse` (a callable: body -> find_result) at a time.
const std::string get_item_answer = "{\"Item\":" + seed_item + "}";
const std::string query_answer = "{\"Count\":1,\"Items\":[" + seed_item + "],\"ScannedCount\":1}";

template <class Parse>
void parse_answer(benchmark::State& state, const std::string& response, Parse parse) {
    alloc_meter m(state);
    for (auto _ : state) {
        auto r = parse(response);
        if (!r.found()) state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(r);
    }
}

// What the policy does with a GetItem answer: parse the body, decode, make the shared App.
void parse_get_item_response(benchmark::State& state) {
    parse_answer(state, get_item_answer, [](const std::string& b) { return pws::dynamodb::get_item{"apps", "app-id"}.parse(b); });
}
BENCHMARK(parse_get_item_response);

// The same for a Query answer (find_by_key).
void parse_query_response(benchmark::State& state) {
    parse_answer(state, query_answer, [](const std::string& b) {
        return pws::dynamodb::query_by_key{"apps", "AppKeyIndex", "app-key"}.parse(b);
    });
}
BENCHMARK(parse_query_response);

#ifdef PWS_BENCH_HAS_ANSWER_SCAN
// The same two answers through the general path alone (Boost.JSON, then decode_app): what every
// answer cost before the one-pass reading, and what a body it declines still costs.
void parse_get_item_response_general(benchmark::State& state) {
    parse_answer(state, get_item_answer, [](const std::string& b) {
        return pws::detail::parse_answer_general(b, pws::detail::answer_shape::get_item, "app-id", {});
    });
}
BENCHMARK(parse_get_item_response_general);

void parse_query_response_general(benchmark::State& state) {
    parse_answer(state, query_answer, [](const std::string& b) {
        return pws::detail::parse_answer_general(b, pws::detail::answer_shape::query, "app-key", {});
    });
}
BENCHMARK(parse_query_response_general);
#endif

// The request body of find_by_id.
void get_item_body(benchmark::State& state) {
    alloc_meter m(state);
    for (auto _ : state) benchmark::DoNotOptimize(pws::dynamodb::get_item{"apps", "app-id"}.body());
}
BENCHMARK(get_item_body);

// ---- a cache hit ----
pws::App seed_app() {
    pws::App app;
    std::string diag;
    if (pws::dynamodb::decode_app(boost::json::parse(seed_item).as_object(), app, diag)) {
        std::cerr << "pws-bench-micro: the seed item does not decode: " << diag << "\n";
        std::exit(1);
    }
    return app;
}

using cached_manager = pws::AppManager<pws::Cached<pws::StaticPolicy>>;

pws::CacheConfig cache_on() {
    pws::CacheConfig c;
    c.enabled = true;
    return c;
}

// What a server's connection handler does on a hit: co_await find_by_key through AppManager, on
// an io_context (the coroutine frame comes from Asio's per-thread recycling allocator).
void cache_hit_by_key(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    cached_manager apps(cache_on(), std::vector<pws::App>{seed_app()});
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            if (!(co_await apps.find_by_key("app-key")).found()) state.SkipWithError("warm-up lookup failed");
            alloc_meter m(state);
            for (auto _ : state) {
                pws::find_result r = co_await apps.find_by_key("app-key");
                benchmark::DoNotOptimize(r);
            }
        },
        boost::asio::detached);
    ioc.run();
}
BENCHMARK(cache_hit_by_key);

// The same by id.
void cache_hit_by_id(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    cached_manager apps(cache_on(), std::vector<pws::App>{seed_app()});
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            if (!(co_await apps.find_by_id("app-id")).found()) state.SkipWithError("warm-up lookup failed");
            alloc_meter m(state);
            for (auto _ : state) {
                pws::find_result r = co_await apps.find_by_id("app-id");
                benchmark::DoNotOptimize(r);
            }
        },
        boost::asio::detached);
    ioc.run();
}
BENCHMARK(cache_hit_by_id);

// The floor under cache_hit_by_key: what `co_await` on an awaitable<find_result> costs in Asio
// when it completes at once with an app held elsewhere (its shared_ptr copied, as a hit copies
// the cached one) and no cache at all: the coroutine frame from Asio's per-thread cache, the
// resume through the awaitable thread, the result moved out and destroyed.
boost::asio::awaitable<pws::find_result> held_app(const pws::app_ptr& app) { co_return pws::find_result::of(app); }

void cache_hit_awaitable_floor(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    const auto app = std::make_shared<const pws::App>(seed_app());
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            alloc_meter m(state);
            for (auto _ : state) {
                pws::find_result r = co_await held_app(app);
                benchmark::DoNotOptimize(r);
            }
        },
        boost::asio::detached);
    ioc.run();
}
BENCHMARK(cache_hit_awaitable_floor);

// The synchronous form, no coroutine at all: Cached::try_get_by_key.
void cache_hit_try_get_by_key(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    cached_manager apps(cache_on(), std::vector<pws::App>{seed_app()});
    boost::asio::co_spawn(
        ioc, [&]() -> boost::asio::awaitable<void> { co_await apps.find_by_key("app-key"); },
        boost::asio::detached);
    ioc.run();
    if (!apps.policy().try_get_by_key("app-key")) state.SkipWithError("warm-up lookup failed");
    alloc_meter m(state);
    for (auto _ : state) benchmark::DoNotOptimize(apps.policy().try_get_by_key("app-key"));
}
BENCHMARK(cache_hit_try_get_by_key);

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == "--print-signature") {
        pws::aws::sigv4_signer signer;
        std::cout << sign_once(signer) << "\n";
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
