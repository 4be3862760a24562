#pragma once

// A real `tether server`, initialised in a private data dir and started on a
// free port of 127.0.0.1, as an operator would run it.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "process.h"
#include "tether/http/client.h"
#include "tether/pki/certificate.h"

namespace tether::testing {

struct RunningServer {
    TempDir dir;
    std::filesystem::path data = dir / "data";
    std::string init_output;  // what `server init` printed: holds the admin key
    std::unique_ptr<Process> process;
    std::string address;         // 127.0.0.1:port of the API
    std::string tunnel_address;  // 127.0.0.1:port of the tunnel listener
    std::optional<pki::Certificate> ca;

    explicit RunningServer(std::vector<std::string> extra = {}) {
        Outcome init = run({"server", "init", "--data-dir", data.string(), "--hostname", "localhost"});
        REQUIRE_MESSAGE(init.exit_code == 0, init.err);
        init_output = init.out;
        ca = pki::Certificate::from_pem(read_text(data / "ca.crt")).value();

        start(std::move(extra));
    }

    // Starts (or, after stop(), restarts) the server process, on the same
    // ports once they are known.
    void start(std::vector<std::string> extra = {}) {
        if (!extra.empty()) extra_ = std::move(extra);
        std::vector<std::string> args = {"server", "--data-dir", data.string(),
                                         "--api-listen", address.empty() ? "127.0.0.1:0" : address,
                                         "--tunnel-listen", tunnel_address.empty() ? "127.0.0.1:0" : tunnel_address,
                                         "--log-format", "json"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        process = std::make_unique<Process>(args);
        auto listening = process->wait_for_log("api listening");
        REQUIRE_MESSAGE(listening, process->err());
        address = listening->at("address").get<std::string>();
        auto tunnel = process->wait_for_log("tunnel listening");
        REQUIRE_MESSAGE(tunnel, process->err());
        tunnel_address = tunnel->at("address").get<std::string>();
    }

    Outcome stop() { return process->stop(SIGTERM); }

    std::string url() const { return "https://" + address; }

    // tether admin with the admin.toml that init wrote, pointed at this server.
    Outcome admin(std::vector<std::string> args, Options options = {}) const {
        std::vector<std::string> full = {"admin", "--config", (data / "admin.toml").string(), "--server", url()};
        full.insert(full.end(), args.begin(), args.end());
        return run(full, options);
    }

    Result<http::Response> get(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) const {
        http::Request request;
        request.url = parse_url(url() + path).value();
        request.ca = &*ca;
        request.headers = std::move(headers);
        return http::fetch(request);
    }

    // The API key `server init` printed for the first org's admin.
    std::string admin_key() const {
        auto at = init_output.find("tth_");
        REQUIRE(at != std::string::npos);
        return init_output.substr(at, init_output.find_first_of(" \n", at) - at);
    }

    // One API call with `key` (the admin's by default); the JSON answer.
    nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body,
                        unsigned expected_status, std::string key = "") const {
        http::Request request;
        request.method = method;
        request.url = parse_url(url() + path).value();
        request.ca = &*ca;
        request.timeout = std::chrono::seconds(60);
        request.max_response_bytes = 64 * 1024 * 1024;
        request.headers = {{"Authorization", "Bearer " + (key.empty() ? admin_key() : key)},
                           {"Content-Type", "application/json"}};
        if (!body.is_null()) request.body = body.dump();
        auto response = http::fetch(request);
        REQUIRE_MESSAGE(response, response.error().message);
        CHECK_MESSAGE(response.value().status == expected_status, response.value().body.substr(0, 500));
        return nlohmann::json::parse(response.value().body, nullptr, false);
    }

private:
    std::vector<std::string> extra_;
};

// Polls an operation until `settled` holds for its status (or `timeout`
// passes); the last answer either way.
template <typename Settled>
nlohmann::json poll_operation(const RunningServer& server, const std::string& id, Settled settled,
                              std::chrono::milliseconds timeout, const std::string& key = "") {
    auto give_up = std::chrono::steady_clock::now() + timeout;
    nlohmann::json operation;
    // Backing off: each answer carries the params and result, and polling a
    // 10 MiB one every 50 ms under the sanitizers starves the server doing it.
    std::chrono::milliseconds pause{20};
    do {
        operation = server.call("GET", "/v1/operations/" + id, nullptr, 200, key);
        if (settled(operation.value("status", ""))) return operation;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(400));
    } while (std::chrono::steady_clock::now() < give_up);
    return operation;
}

// Until the operation has ended.
inline nlohmann::json wait_for_status(const RunningServer& server, const std::string& id,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                      const std::string& key = "") {
    return poll_operation(
        server, id, [](const std::string& status) { return status != "queued" && status != "running"; }, timeout, key);
}

// Until the server has sent the operation to its runner: a test that then
// acts on the runner (a signal, a cancel) does not race the dispatch, which
// takes longer than any fixed sleep on a loaded machine under the sanitizers.
inline nlohmann::json wait_until_sent(const RunningServer& server, const std::string& id,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return poll_operation(server, id, [](const std::string& status) { return status != "queued"; }, timeout);
}

}  // namespace tether::testing
