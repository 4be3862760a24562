#include "tether/server/server.h"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>

#include "tether/core/log.h"
#include "tether/crypto/secret_file.h"
#include "tether/pki/authority.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"
#include "tether/pki/tls.h"
#include "tether/server/api_listener.h"
#include "tether/server/api_routes.h"
#include "tether/server/data_dir.h"
#include "tether/server/health.h"
#include "tether/store/database.h"
#include "tether/store/migrations.h"
#include "tether/store/server_settings.h"

namespace tether::server {
namespace {

const log::Logger logger("server");

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
        logger.warn("data dir is accessible to other users; chmod 700 it",
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

std::string setting(const store::Database& database, std::string_view key) {
    auto value = store::get_setting(database, key);
    if (!value) fail(ExitCode::config, "the database lacks setting '" + std::string(key) + "': " + value.error().message);
    return value.value();
}

// The API's TLS context from the server certificate and key of the data dir.
std::shared_ptr<boost::asio::ssl::context> api_tls(const DataDir& data) {
    auto certificate_pem = loaded(crypto::read_private_file(data.server_certificate()), data.server_certificate());
    auto key_pem = loaded(crypto::read_private_file(data.server_key()), data.server_key());
    auto certificate = loaded(pki::Certificate::from_pem(certificate_pem.reveal()), data.server_certificate());
    auto key = loaded(pki::PrivateKey::from_pem(key_pem.reveal()), data.server_key());
    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    if (auto configured = pki::configure_server_tls(context->native_handle(), certificate, key); !configured) {
        fail(ExitCode::config, "cannot use the server certificate: " + configured.error().message);
    }
    return context;
}

}  // namespace

int run(const ServerConfig& config) {
    DataDir data{config.data_dir};
    check_data_dir(data);
    auto tls = api_tls(data);
    auto database = store::Database::open(data.database());
    if (!database) fail(ExitCode::unavailable, database.error().message);
    auto before = store::schema_version(database.value());
    auto version = store::migrate(database.value());
    if (!version) fail(version.error());
    if (before && before.value() != version.value()) {
        logger.info("database migrated", {{"from_version", before.value()}, {"to_version", version.value()}});
    }

    pki::CertificateAuthority ca = load_authority(data);
    std::string hostname = setting(database.value(), "hostname");
    std::uint16_t api_port = config.api_listen.port != 0 ? config.api_listen.port : 8443;
    ApiContext api_context{database.value(),
                           ca,
                           setting(database.value(), "trust_domain"),
                           setting(database.value(), "system_org"),
                           config.public_api_url.empty() ? "https://" + HostPort{hostname, api_port}.to_string()
                                                         : config.public_api_url,
                           config.public_tunnel_address.empty() ? HostPort{hostname, 7443}.to_string()
                                                                : config.public_tunnel_address,
                           config.runner_certificate_lifetime};

    boost::asio::io_context io;
    bool stopping = false;  // io runs on this thread only: no lock needed
    Router router;
    add_health_routes(router, database.value(), [&stopping] { return !stopping; });
    add_api_routes(router, api_context);
    ApiListener listener(io, std::move(router), {}, tls);

    // Handlers go in before anything announces readiness: a SIGTERM that
    // follows "api listening" at once must find them (and is queued until
    // io.run() starts).
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        logger.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
        stopping = true;
        listener.stop();
    });

    auto bound = listener.listen(config.api_listen);
    if (!bound) fail(bound.error());
    logger.info("api listening", {{"address", bound.value().to_string()}, {"data_dir", config.data_dir.string()}});

    io.run();
    logger.info("stopped");
    return 0;
}

}  // namespace tether::server
