#include "tether/admin/config.h"

#include <cstdlib>

#include "tether/core/error.h"
#include "tether/crypto/secret_file.h"

namespace tether::admin {
namespace {

// Trailing newlines are what editors and `echo` add to a key file.
Secret trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    return Secret(text);
}

// Like ssh with a private key: a file holding an API key that other users
// can read is refused, not used.
void check_key_holder(const std::filesystem::path& path, const std::string& what) {
    if (auto mode = crypto::check_private_mode(path); !mode) {
        fail(ExitCode::config, what + " holds an API key, and " + mode.error().message);
    }
}

Secret read_key_file(const std::string& path) {
    auto key = crypto::read_private_file(path, 4096);
    if (!key) fail(ExitCode::config, "cannot read the API key file: " + key.error().message);
    check_key_holder(path, "the API key file");
    return trimmed(key.value().reveal());
}

}  // namespace

std::vector<config::Spec> admin_specs() {
    using config::Kind;
    std::vector<config::Spec> specs = {
        {"server", Kind::url, "https://127.0.0.1:8443", "URL of the server's API"},
        {"ca", Kind::path, "", "CA certificate the server's certificate must chain to (DATA_DIR/ca.crt)"},
        {"org", Kind::text, "", "org to act in (default: the API key's own)"},
        {"api_key_file", Kind::path, "", "file holding the API key"},
        {"api_key", Kind::text, "", "the API key itself: environment or config file only", {}, true, 0, false},
        {"output", Kind::choice, "table", "table for people, json for scripts", {"table", "json"}, false, 'o'},
        {"timeout", Kind::duration, "10s", "how long to wait for the server"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

AdminConfig admin_config(const config::Settings& settings) {
    AdminConfig config;
    config.server = parse_url(settings.text("server")).value();
    config.output = settings.text("output") == "json" ? Output::json : Output::table;
    config.timeout = settings.duration("timeout");
    if (settings.has("org")) config.org = settings.text("org");
    if (settings.has("ca")) {
        auto pem = crypto::read_private_file(settings.text("ca"));
        if (!pem) fail(ExitCode::config, "cannot read the CA certificate: " + pem.error().message);
        auto ca = pki::Certificate::from_pem(pem.value().reveal());
        if (!ca) fail(ExitCode::config, "CA certificate " + settings.text("ca") + ": " + ca.error().message);
        config.ca = std::move(ca).value();
    }
    // --api-key-file, then TETHER_API_KEY, then the config file.
    const config::Value* key_file = settings.find("api_key_file");
    const config::Value* key = settings.find("api_key");
    if (key_file != nullptr && key_file->origin == config::Origin::flag) {
        config.api_key = read_key_file(key_file->text);
    } else if (key != nullptr) {
        if (key->origin == config::Origin::file) {
            // where is "PATH:LINE".
            check_key_holder(key->where.substr(0, key->where.rfind(':')), "the admin config");
        }
        config.api_key = trimmed(key->text);
    } else if (key_file != nullptr) {
        config.api_key = read_key_file(key_file->text);
    }
    return config;
}

std::optional<std::filesystem::path> default_admin_config_path() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
        return std::filesystem::path(xdg) / "tether" / "admin.toml";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
        return std::filesystem::path(home) / ".config" / "tether" / "admin.toml";
    }
    return std::nullopt;
}

}  // namespace tether::admin
