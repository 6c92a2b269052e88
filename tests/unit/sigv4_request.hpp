// A SigV4 test request that owns its text, shared by the suite and botocore tests.
#pragma once

#include <pws/aws/sigv4.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace pws_test {

// A request that owns its text; input() views into it.
struct request {
    std::string method = "POST", path = "/", query, body;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<pws::aws::header> views;

    pws::aws::signing_input input() {
        views.clear();
        for (const auto& [name, value] : fields) views.push_back({name, value});
        return {method, path, query, views, body};
    }
};

/// The whole content of a file (empty when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace pws_test
