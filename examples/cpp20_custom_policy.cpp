// Your own store behind AppManager: a policy is any class with two coroutine lookups returning
// pws::find_result (the pws::AppPolicy concept). Here the "store" is a line-per-app text file
// (`id key secret`) read on every lookup — stand-in for Redis, SQL or an HTTP service: do the
// I/O asynchronously on the executor you are given, and keep the three outcomes apart.
//
//   ./cpp20_custom_policy apps.txt key-1
#include <pws/app_manager.hpp>
#include <pws/error.hpp>
#include <pws/find_result.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

class TextFilePolicy {
public:
    explicit TextFilePolicy(std::string path) : path_(std::move(path)) {}

    boost::asio::awaitable<pws::find_result> find_by_id(std::string_view id) { co_return find(id, true); }
    boost::asio::awaitable<pws::find_result> find_by_key(std::string_view key) { co_return find(key, false); }

private:
    pws::find_result find(std::string_view wanted, bool by_id) const {
        std::ifstream in(path_);
        // The store cannot be read: an error (any error_code: here errno's), never "not found",
        // which a Pusher server answers by telling the client not to reconnect.
        if (!in)
            return pws::find_result::failure({errno, boost::system::generic_category()}, "cannot open " + path_);
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            std::istringstream fields(line);
            pws::App app;  // every other member keeps its soketi default
            if (!(fields >> app.id >> app.key >> app.secret))
                return pws::find_result::failure(pws::error::malformed_item,
                                                 path_ + ":" + std::to_string(n) + ": expected `id key secret`");
            if ((by_id ? app.id : app.key) == wanted)
                return pws::find_result::of(std::make_shared<const pws::App>(std::move(app)));
        }
        return pws::find_result::none();
    }

    std::string path_;
};

// A policy that does not fit fails here, in one line, rather than deep inside AppManager.
static_assert(pws::AppPolicy<TextFilePolicy>);

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: cpp20_custom_policy FILE KEY\n";
        return 2;
    }
    pws::AppManager<TextFilePolicy> apps(argv[1]);
    int status = 2;
    boost::asio::io_context ioc;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        pws::find_result r = co_await apps.find_by_key(argv[2]);
        if (r.found()) std::cout << "app " << r.app->id << "\n", status = 0;
        else if (r.not_found()) std::cout << "no app has key " << argv[2] << "\n", status = 1;
        else std::cout << "lookup failed: " << r.diagnostic << "\n";
    }, boost::asio::detached);
    ioc.run();
    return status;
}
