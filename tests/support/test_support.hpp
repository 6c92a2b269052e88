// Small helpers every test executable that talks to dynalite or runs coroutines needs.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

namespace pws::test {

/// Runs `f()` (returning an awaitable) to completion on `ioc`, background work included.
template <class F>
auto run(boost::asio::io_context& ioc, F f) {
    auto fut = boost::asio::co_spawn(ioc, f(), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return fut.get();
}

/// The dynalite fixture's endpoint, "http://127.0.0.1:PORT" ($PWS_DYNALITE_STATE/endpoint).
inline std::string dynalite_endpoint() {
    const char* dir = std::getenv("PWS_DYNALITE_STATE");
    BOOST_TEST_REQUIRE(dir != nullptr, "PWS_DYNALITE_STATE is not set: run through ctest");
    std::ifstream in(std::string(dir) + "/endpoint");
    std::string url;
    std::getline(in, url);
    BOOST_TEST_REQUIRE(!url.empty(), "no endpoint file: did the dynalite fixture start?");
    BOOST_TEST_REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0u, "unexpected endpoint: " + url);
    return url;
}

/// The dynalite fixture's port.
inline unsigned short dynalite_port() {
    return static_cast<unsigned short>(std::stoi(dynalite_endpoint().substr(17)));
}

}  // namespace pws::test
