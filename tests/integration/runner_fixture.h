#pragma once

// A real `tether runner` with credentials from a RunningServer, started as
// an operator would start it, with its own runner.toml.
#include <memory>

#include "server_fixture.h"

namespace tether::testing {

// Creates runner `name` on `server` and writes its credentials into `dir`.
inline std::filesystem::path make_credentials(const RunningServer& server, const std::string& name,
                                              const std::filesystem::path& dir, bool create = true,
                                              bool regenerate = false) {
    if (create) {
        Outcome created = server.admin({"runner", "create", name});
        REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    }
    std::filesystem::create_directories(dir);
    Outcome generated = server.admin({"runner", regenerate ? "regenerate-credentials" : "generate-credentials", name,
                                      "--output-dir", dir.string(), "--force"});
    REQUIRE_MESSAGE(generated.exit_code == 0, generated.err);
    return dir / "credentials.json";
}

struct RunningRunner {
    std::filesystem::path dir;
    std::filesystem::path credentials;
    std::unique_ptr<Process> process;

    // Starts the runner on `credentials` against `server`'s tunnel port;
    // `config` is the runner.toml text.
    RunningRunner(const RunningServer& server, std::filesystem::path credentials_, std::string config = "",
                  Options options = {})
        : dir(credentials_.parent_path()), credentials(std::move(credentials_)) {
        write_file(dir / "runner.toml", config);
        process = std::make_unique<Process>(
            std::vector<std::string>{"runner", "--credentials", credentials.string(), "--config",
                                     (dir / "runner.toml").string(), "--tunnel-endpoint", server.tunnel_address,
                                     "--log-format", "json", "--log-level", "debug"},
            options);
    }

    // Waits for both phases: the tunnel up and the control-plane session
    // over the API (the runner's log says each).
    void wait_until_connected() {
        auto up = process->wait_for_log("tunnel up");
        REQUIRE_MESSAGE(up, process->err());
        auto api = process->wait_for_log("control plane session up");
        REQUIRE_MESSAGE(api, process->err());
    }

    std::filesystem::path audit_file() const { return dir / "audit.jsonl"; }
};

// A started and connected runner named `name` of the server's first org.
inline std::unique_ptr<RunningRunner> connected_runner(const RunningServer& server, const std::string& name,
                                                       std::string config = "") {
    auto credentials = make_credentials(server, name, server.dir / ("runner-" + name));
    auto runner = std::make_unique<RunningRunner>(server, credentials, std::move(config));
    runner->wait_until_connected();
    return runner;
}

}  // namespace tether::testing
