#pragma once

// moto (tests/fakes/moto_server.py), a real AWS emulator that checks every
// request's signature and IAM policy, and the keys it made for its users.
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/script_server.h"

namespace tether::testing {

inline const std::string moto_script = TETHER_SOURCE_DIR "/tests/fakes/moto_server.py";

// moto, with signature and policy checks unless told otherwise, and the
// keys it made.
struct Moto {
    ScriptServer server;
    nlohmann::json keys;

    explicit Moto(bool check_auth = true)
        : server(moto_script, check_auth ? std::vector<std::string>{"--check-auth"} : std::vector<std::string>{}) {
        std::string out = server.output();
        std::size_t at = out.find("keys ");  // printed right after "listening"
        for (int wait = 0; wait < 100 && (at == std::string::npos || out.find('\n', at) == std::string::npos); ++wait) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            out = server.output();
            at = out.find("keys ");
        }
        REQUIRE_MESSAGE(at != std::string::npos, "moto_server.py printed no keys: ", out);
        keys = nlohmann::json::parse(out.substr(at + 5, out.find('\n', at) - at - 5));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
    std::string credentials(const std::string& user) const { return keys[user].dump(); }
};

}  // namespace tether::testing
