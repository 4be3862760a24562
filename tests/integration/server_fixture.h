#pragma once

// A real `tether server`, initialised in a private data dir and started on a
// free port of 127.0.0.1, as an operator would run it.
#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "process.h"
#include "tether/http/client.h"
#include "tether/pki/certificate.h"

namespace tether::testing {

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct RunningServer {
    TempDir dir;
    std::filesystem::path data = dir / "data";
    std::string init_output;  // what `server init` printed: holds the admin key
    std::unique_ptr<Process> process;
    std::string address;  // 127.0.0.1:port
    std::optional<pki::Certificate> ca;

    explicit RunningServer(std::vector<std::string> extra = {}) {
        Outcome init = run({"server", "init", "--data-dir", data.string(), "--hostname", "localhost"});
        REQUIRE_MESSAGE(init.exit_code == 0, init.err);
        init_output = init.out;
        ca = pki::Certificate::from_pem(read_text(data / "ca.crt")).value();

        std::vector<std::string> args = {"server", "--data-dir", data.string(), "--api-listen", "127.0.0.1:0",
                                         "--log-format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        process = std::make_unique<Process>(args);
        auto listening = process->wait_for_log("api listening");
        REQUIRE_MESSAGE(listening, process->err());
        address = listening->at("address").get<std::string>();
    }

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
};

}  // namespace tether::testing
