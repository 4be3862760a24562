#include "tether/server/init.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "tether/auth/api_key.h"
#include "tether/core/error.h"
#include "tether/core/log.h"
#include "tether/crypto/random.h"
#include "tether/crypto/secret_file.h"
#include "tether/pki/authority.h"
#include "tether/pki/identity.h"
#include "tether/server/data_dir.h"
#include "tether/store/audit_log.h"
#include "tether/store/identities.h"
#include "tether/store/migrations.h"
#include "tether/store/server_settings.h"
#include "tether/store/statement.h"
#include "tether/core/timestamp.h"
#include "loggers.h"

namespace tether::server {
namespace {

constexpr auto ca_lifetime = std::chrono::hours(24 * 365 * 10);
constexpr auto server_certificate_lifetime = std::chrono::hours(24 * 365);

template <typename T>
T must(Result<T> result, const std::string& what) {
    if (!result) fail(result.error().kind == ErrorKind::invalid_argument ? ExitCode::usage : ExitCode::internal,
                      what + ": " + result.error().message);
    return std::move(result).value();
}

// Only a new or empty directory: init never mixes with existing data.
void create_empty_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) {
        if (!std::filesystem::is_directory(dir, ec)) fail(ExitCode::config, dir.string() + " exists and is not a directory");
        if (!std::filesystem::is_empty(dir, ec)) {
            fail(ExitCode::config, "data dir " + dir.string() +
                                       " is not empty; tether server init only writes into a new or empty directory");
        }
        ::chmod(dir.c_str(), 0700);  // an empty dir holds nothing yet: tightening it exposes nothing
        return;
    }
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0) {
        fail(ExitCode::config, "cannot create data dir " + dir.string() + ": " + std::strerror(errno));
    }
}

void write_file(const std::filesystem::path& path, std::string_view bytes, bool secret) {
    must(crypto::write_private_file(path, bytes, false), "cannot write " + path.string());
    // Certificates are public: readable by whoever needs to trust them.
    if (!secret) ::chmod(path.c_str(), 0644);
}

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

int init(const InitOptions& options) {
    if (!pki::is_valid_name(options.org)) {
        fail(ExitCode::usage, "invalid org name '" + options.org + "': use a-z, 0-9 and '-', at most 63 characters");
    }
    std::string trust_domain = options.trust_domain.empty() ? options.hostname : options.trust_domain;
    if (!pki::is_valid_trust_domain(trust_domain)) {
        fail(ExitCode::usage, "invalid trust domain '" + trust_domain + "': use a-z, 0-9, '.' and '-'");
    }
    DataDir data{options.data_dir};
    create_empty_dir(data.root);

    pki::CertificateAuthority ca = pki::create_authority("tether CA " + trust_domain, ca_lifetime);
    pki::PrivateKey server_key = pki::PrivateKey::generate();
    pki::ServerNames names{{options.hostname}, {"127.0.0.1", "::1"}};
    if (options.hostname != "localhost") names.dns.push_back("localhost");
    pki::Certificate server_certificate =
        must(pki::issue_server_certificate(ca, server_key, names, server_certificate_lifetime), "server certificate");

    Secret master_key(crypto::random_hex(32));
    write_file(data.master_key(), master_key.reveal(), true);
    write_file(data.ca_key(), ca.key.to_pem().reveal(), true);
    write_file(data.ca_certificate(), ca.certificate.to_pem(), false);
    write_file(data.server_key(), server_key.to_pem().reveal(), true);
    write_file(data.server_certificate(), server_certificate.to_pem(), false);

    store::Database database = must(store::Database::open(data.database()), "database");
    must(store::migrate(database), "database schema");
    std::int64_t now = unix_now_seconds();

    auth::NewApiKey key = auth::generate_api_key();
    {
        auto transaction = must(store::Transaction::begin(database), "database");
        must(store::put_setting(database, "hostname", options.hostname), "settings");
        must(store::put_setting(database, "trust_domain", trust_domain), "settings");
        // Admins of this first org administer the server: only they create orgs.
        must(store::put_setting(database, "system_org", options.org), "settings");
        store::Org org =
            must(store::create_org_with_admin(database, options.org, key.key_id, key.secret_hash, now), "first org").org;
        for (auto [action, target] : {std::pair{"org.create", "org:" + org.name},
                                      std::pair{"service_account.create", "service-account:" + org.name + "/admin"},
                                      std::pair{"api_key.create", "api-key:" + key.key_id}}) {
            must(store::append_audit(database, {"init", "system:init", org.name, action, target, "{}"}, now), "audit");
        }
        must(transaction.commit(), "database");
    }

    std::string url = "https://" + HostPort{options.hostname, options.api_port}.to_string();
    std::string admin_toml = "# Written by tether server init. Holds an admin API key: keep it 0600.\n"
                             "server = " + toml_string(url) + "\n" +
                             "ca = " + toml_string(std::filesystem::absolute(data.ca_certificate()).string()) + "\n" +
                             "org = " + toml_string(options.org) + "\n" +
                             "api_key = " + toml_string(key.token.reveal()) + "\n";
    write_file(data.admin_config(), admin_toml, true);
    wipe(admin_toml);

    init_log.info("initialised", {{"data_dir", data.root.string()}, {"org", options.org}, {"trust_domain", trust_domain},
                                {"api_key", key.token}});
    std::cout << "Initialised " << data.root.string() << " (org " << options.org << ", trust domain " << trust_domain
              << ").\n\nAPI key of service account " << options.org << "/admin, shown only this once:\n\n  "
              << key.token.reveal() << "\n\nIt is also in " << data.admin_config().string()
              << " (mode 0600), so this works at once:\n  tether admin --config " << data.admin_config().string()
              << " whoami\n";
    return 0;
}

}  // namespace tether::server
