// Any bytes as an API request, against the real routes on a real SQLite
// file: the first line is "METHOD PATH?QUERY", the rest the body; sent
// with the admin's key (so every handler's validation is reached) and,
// for one input in four, with none. Every answer is JSON with a status the
// API documents; 5xx only for what the store could not do.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tether/auth/api_key.h"
#include "tether/core/log.h"
#include "tether/server/api_routes.h"
#include "tether/store/identities.h"
#include "tether/store/migrations.h"

namespace server = tether::server;
namespace store = tether::store;

namespace {

// Operations go nowhere: the fuzz target has no runners.
struct NoRunners final : server::RunnerTunnels {
    void access_changed() override {}
    void operation_submitted(const store::Operation&, bool) override {}
    void operation_cancelled(const store::Operation&) override {}
};

struct Api {
    std::filesystem::path dir;
    std::optional<store::Database> database;
    NoRunners tunnels;
    tether::pki::CertificateAuthority ca = tether::pki::create_authority("fuzz CA", std::chrono::hours(24));
    tether::Secret master_key{std::string(32, 'k')};
    std::string admin_key;
    server::Router router;

    Api() {
        tether::log::set_level(tether::log::Level::error);
        char pattern[] = "/tmp/tether-fuzz-XXXXXX";
        dir = ::mkdtemp(pattern);
        database.emplace(std::move(store::Database::open(dir / "tether.db")).value());
        if (!store::migrate(*database)) __builtin_trap();
        auto key = tether::auth::generate_api_key();
        if (!store::create_org_with_admin(*database, "fuzz", key.key_id, key.secret_hash, 1'700'000'000)) __builtin_trap();
        admin_key = std::string(key.token.reveal());
        static server::ApiContext context{*database, tunnels, ca, "fuzz.local", "fuzz", "https://127.0.0.1:1",
                                          "127.0.0.1:2", std::chrono::hours(1), master_key};
        server::add_api_routes(router, context);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Api api;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    server::HttpRequest request;
    std::size_t space = line.find(' ');
    request.method = std::string(line.substr(0, space));
    std::string target(space == std::string_view::npos ? "/" : line.substr(space + 1));
    std::size_t question = target.find('?');
    request.path = target.substr(0, question);
    request.query = question == std::string::npos ? "" : target.substr(question + 1);
    request.body = newline == std::string_view::npos ? "" : std::string(text.substr(newline + 1));
    request.request_id = "fuzz";
    if (size % 4 != 0) request.headers["authorization"] = "Bearer " + api.admin_key;

    server::HttpResponse response = api.router.dispatch(request);
    if (response.status < 200 || response.status >= 600 || response.status == 500) __builtin_trap();
    if (!nlohmann::json::accept(response.body)) __builtin_trap();
    return 0;
}
