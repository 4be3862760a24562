#include "tether/server/server.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>

#include "tether/core/log.h"
#include "tether/core/timestamp.h"
#include "tether/crypto/envelope.h"
#include "tether/crypto/secret_file.h"
#include "tether/pki/authority.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"
#include "tether/pki/tls.h"
#include "tether/server/api_listener.h"
#include "tether/server/api_routes.h"
#include "tether/server/authenticator.h"
#include "tether/server/data_dir.h"
#include "tether/server/health.h"
#include "tether/store/database.h"
#include "tether/store/migrations.h"
#include "tether/store/server_settings.h"
#include "tunnel_hub.h"
#include "tunnel_listener.h"
#include "loggers.h"

namespace tether::server {
namespace {

// The data dir holds keys: a looser one is reported (the operator may have a
// reason, such as a group-readable backup), an uninitialised one refused.
void check_data_dir(const DataDir& data) {
    struct stat info {};
    if (::stat(data.root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
        !std::filesystem::exists(data.ca_certificate())) {
        fail(ExitCode::config, "data dir " + data.root.string() +
                                   " is not initialised: run tether server init --data-dir " + data.root.string() +
                                   " --hostname HOST");
    }
    if ((info.st_mode & 0077) != 0) {
        server_log.warn("data dir is accessible to other users; chmod 700 it",
                    {{"path", data.root.string()}, {"mode", static_cast<unsigned>(info.st_mode & 0777)}});
    }
}

template <typename T>
T loaded(Result<T> result, const std::filesystem::path& path) {
    if (!result) fail(ExitCode::config, "cannot load " + path.string() + ": " + result.error().message);
    return std::move(result).value();
}

pki::CertificateAuthority load_authority(const DataDir& data) {
    auto certificate_pem = loaded(crypto::read_private_file(data.ca_certificate()), data.ca_certificate());
    auto key_pem = loaded(crypto::read_private_file(data.ca_key()), data.ca_key());
    return {loaded(pki::PrivateKey::from_pem(key_pem.reveal()), data.ca_key()),
            loaded(pki::Certificate::from_pem(certificate_pem.reveal()), data.ca_certificate())};
}

// The key that seals org keys and inline connection credentials. An
// unfinished rotation leaves the store sealed under a key this file may not
// hold: finishing it comes first.
Secret load_master_key(const DataDir& data) {
    if (std::filesystem::exists(data.next_master_key())) {
        fail(ExitCode::config, "a master-key rotation did not finish (" + data.next_master_key().string() +
                                   " exists): run `tether server rotate-master-key` again to finish it");
    }
    auto key = read_master_key(data.master_key());
    if (!key) fail(ExitCode::config, "cannot use " + data.master_key().string() + ": " + key.error().message);
    return std::move(key).value();
}

std::string setting(const store::Database& database, std::string_view key) {
    auto value = store::get_setting(database, key);
    if (!value) fail(ExitCode::config, "the database lacks setting '" + std::string(key) + "': " + value.error().message);
    return value.value();
}

// A TLS context with the server certificate and key of the data dir; with
// `client_ca`, one that requires client certificates from it (the tunnel).
std::shared_ptr<boost::asio::ssl::context> server_tls(const DataDir& data, const pki::Certificate* client_ca = nullptr) {
    auto certificate_pem = loaded(crypto::read_private_file(data.server_certificate()), data.server_certificate());
    auto key_pem = loaded(crypto::read_private_file(data.server_key()), data.server_key());
    auto certificate = loaded(pki::Certificate::from_pem(certificate_pem.reveal()), data.server_certificate());
    auto key = loaded(pki::PrivateKey::from_pem(key_pem.reveal()), data.server_key());
    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    if (auto configured = pki::configure_server_tls(context->native_handle(), certificate, key, client_ca); !configured) {
        fail(ExitCode::config, "cannot use the server certificate: " + configured.error().message);
    }
    return context;
}

// Names this server process's tunnels in the store.
std::string instance_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "tether-server";
    return name;
}

// Each runner holds a tunnel and each client a connection; the soft limit
// systemd and shells start with (1,024) would refuse them long before the
// listeners' own limits. The hard limit stays the operator's (LimitNOFILE=).
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        server_log.warn("cannot raise the open-file limit", {{"limit", static_cast<long long>(before)},
                                                             {"error", std::strerror(errno)}});
    }
}

}  // namespace

int run(const ServerConfig& config) {
    raise_open_file_limit();
    DataDir data{config.data_dir};
    check_data_dir(data);
    auto lock = DataDirLock::acquire(data);
    if (!lock) fail(lock.error());
    auto tls = server_tls(data);
    auto database = store::Database::open(data.database());
    if (!database) fail(ExitCode::unavailable, database.error().message);
    auto before = store::schema_version(database.value());
    auto version = store::migrate(database.value());
    if (!version) fail(version.error());
    if (auto writable = database.value().check_writable(); !writable) fail(writable.error());
    if (before && before.value() != version.value()) {
        server_log.info("database migrated", {{"from_version", before.value()}, {"to_version", version.value()}});
    }

    pki::CertificateAuthority ca = load_authority(data);
    Secret master_key = load_master_key(data);
    std::string hostname = setting(database.value(), "hostname");
    std::string trust_domain = setting(database.value(), "trust_domain");

    boost::asio::io_context io;
    HubSettings hub_settings;
    hub_settings.server_instance = instance_name();
    hub_settings.trust_domain = trust_domain;
    hub_settings.limits = {config.max_message_bytes, config.liveness_timeout};
    hub_settings.max_in_flight = config.max_in_flight;
    hub_settings.max_result_bytes = config.max_result_bytes;
    hub_settings.master_key = &master_key;
    TunnelHub hub(io, database.value(), hub_settings);
    TunnelListener tunnel_listener(io, server_tls(data, &ca.certificate), hub);

    ApiContext api_context{database.value(),
                           hub,
                           ca,
                           trust_domain,
                           setting(database.value(), "system_org"),
                           config.public_api_url.empty()
                               ? "https://" + HostPort{hostname, config.advertised_api_port()}.to_string()
                               : config.public_api_url,
                           config.public_tunnel_address.empty()
                               ? HostPort{hostname, config.advertised_tunnel_port()}.to_string()
                               : config.public_tunnel_address,
                           config.runner_certificate_lifetime,
                           master_key};

    bool stopping = false;  // io runs on this thread only: no lock needed
    Router router;
    add_health_routes(router, database.value(), [&stopping] { return !stopping; });
    add_api_routes(router, api_context);
    ListenerLimits api_limits;
    // An operation's parameters may be as large as a tunnel message.
    api_limits.max_body_bytes = config.max_message_bytes + 64 * 1024;
    auto key_check = [&database](const HttpRequest& request) {
        return carries_valid_key(database.value(), request, unix_now_seconds());
    };
    ApiListener listener(io, std::move(router), key_check, api_limits, tls);

    // Handlers go in before anything announces readiness: a SIGTERM that
    // follows "api listening" at once must find them (and is queued until
    // io.run() starts).
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        server_log.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
        stopping = true;
        listener.stop();
        tunnel_listener.stop();
        hub.stop();
    });

    hub.start();
    auto tunnel_bound = tunnel_listener.listen(config.tunnel_listen);
    if (!tunnel_bound) fail(tunnel_bound.error());
    server_log.info("tunnel listening", {{"address", tunnel_bound.value().to_string()}});
    auto bound = listener.listen(config.api_listen);
    if (!bound) fail(bound.error());
    // Port 0 picks a free port: credentials files name the one it picked.
    if (config.public_api_url.empty() && config.api_listen.port == 0) {
        api_context.api_endpoint = "https://" + HostPort{hostname, bound.value().port}.to_string();
    }
    if (config.public_tunnel_address.empty() && config.tunnel_listen.port == 0) {
        api_context.tunnel_endpoint = HostPort{hostname, tunnel_bound.value().port}.to_string();
    }
    server_log.info("api listening", {{"address", bound.value().to_string()}, {"data_dir", config.data_dir.string()}});

    io.run();
    server_log.info("stopped");
    return 0;
}

}  // namespace tether::server
