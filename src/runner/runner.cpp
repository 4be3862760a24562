#include "tether/runner/runner.h"

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent.h"
#include "tether/auth/runner_credentials.h"
#include "tether/core/error.h"
#include "tether/core/log.h"
#include "tether/crypto/secret_file.h"
#include "runner_log.h"

namespace tether::runner {
namespace {

// The credentials file holds a private key and an API key: like ssh with a
// private key, refuse one that other users can read.
void check_credentials_file(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        fail(ExitCode::config, "cannot read credentials file " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) fail(ExitCode::config, "credentials file " + path.string() + " is not a regular file");
    if (auto private_mode = crypto::check_private_mode(path); !private_mode) {
        fail(ExitCode::config, "credentials file " + private_mode.error().message);
    }
}

// Takes the credentials out of the environment: the variable's bytes are
// overwritten in place (so /proc/PID/environ no longer shows them) and it is
// unset, so that no program the runner starts (credential_process, exec
// plugins) inherits it.
Secret take_credentials_variable() {
    char* value = std::getenv(credentials_variable);
    if (value == nullptr) fail(ExitCode::config, std::string(credentials_variable) + " is not set");
    Secret text(value);
    OPENSSL_cleanse(value, std::strlen(value));
    ::unsetenv(credentials_variable);
    return text;
}

// Where the credentials came from, for messages.
std::string credentials_source(const RunnerConfig& config) {
    return config.credentials_in_environment() ? credentials_variable : config.credentials.string();
}

auth::RunnerCredentials load_credentials(const RunnerConfig& config) {
    Secret text;
    if (config.credentials_in_environment()) {
        text = take_credentials_variable();
    } else {
        check_credentials_file(config.credentials);
        auto read = crypto::read_private_file(config.credentials);
        if (!read) {
            fail(ExitCode::config,
                 "cannot read credentials file " + config.credentials.string() + ": " + read.error().message);
        }
        text = std::move(read).value();
    }
    auto credentials = auth::load_runner_credentials(text.reveal(), std::chrono::system_clock::now());
    if (!credentials) {
        // An expired or not-yet-valid certificate is refused authentication;
        // anything else is a broken file.
        ExitCode code = credentials.error().kind == ErrorKind::unauthenticated ? ExitCode::refused : ExitCode::config;
        fail(code, credentials.error().message + " (" + credentials_source(config) + ")");
    }
    return std::move(credentials).value();
}

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

nlohmann::json policy_summary(const Policy& policy) {
    return {{"operations", policy.operations}, {"connections", policy.connections}, {"auth_modes", policy.auth_modes},
            {"providers", policy.providers},   {"endpoints", policy.endpoints},     {"secrets", policy.secrets},
            {"variables", policy.variables},   {"environment", policy.environment}, {"files", policy.files}};
}

std::optional<AuditTrail> open_audit(const AuditConfig& config) {
    auto trail = AuditTrail::open(config.path, config.max_bytes, config.keep_files);
    if (!trail) fail(ExitCode::config, "cannot open the audit trail " + config.path.string() + ": " + trail.error().message);
    return std::move(trail).value();
}

}  // namespace

int run(const RunnerConfig& config) {
    auth::RunnerCredentials credentials = load_credentials(config);
    const auth::CredentialsFile& file = credentials.file;
    std::string endpoint_text = config.tunnel_endpoint.empty() ? file.tunnel_endpoint : config.tunnel_endpoint;
    auto endpoint = parse_host_port(endpoint_text);
    if (!endpoint || endpoint.value().port == 0) {
        fail(ExitCode::config, "tunnel endpoint '" + endpoint_text + "' is not host:port");
    }
    std::optional<AuditTrail> audit = open_audit(config.audit);

    tunnel::DialOptions options{endpoint.value(),
                                credentials.ca,
                                credentials.certificate,
                                std::move(credentials.key),
                                file.api_key.copy(),
                                http::ProxyEnvironment::from(config::process_environment()),
                                config.connect_timeout,
                                // Requests may carry inline credentials: the read buffer is wiped after each.
                                {config.max_message_bytes, config.liveness_timeout, true}};
    boost::asio::io_context io;
    auto dialer = tunnel::Dialer::create(io, std::move(options));
    if (!dialer) fail(ExitCode::config, "credentials " + credentials_source(config) + ": " + dialer.error().message);

    // The API and the tunnel are two listeners of one server (docs/secrets.md).
    std::string api_text = config.api_endpoint.empty() ? file.api_endpoint : config.api_endpoint;
    auto api = parse_url(api_text);
    if (!api || api.value().scheme != "https") {
        fail(ExitCode::config, "API endpoint '" + api_text + "' is not an https URL");
    }
    ControlPlaneTarget control_plane{std::move(api).value(), credentials.ca, file.api_key.copy()};

    ops::RunnerFacts facts{TETHER_VERSION, host_name(), file.org, file.runner, std::chrono::steady_clock::now(), {},
                           policy_summary(config.policy)};
    Agent agent(io, config, std::move(dialer).value(), std::move(control_plane), std::move(facts), std::move(audit));

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        runner_log.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
        agent.stop();
    });

    runner_log.info("runner starting", {{"org", file.org},
                                    {"runner", file.runner},
                                    {"tunnel_endpoint", endpoint.value().to_string()},
                                    {"api_endpoint", api_text},
                                    {"credentials", credentials_source(config)}});
    std::exception_ptr failure;
    boost::asio::co_spawn(io, agent.run(), [&](std::exception_ptr error) {
        failure = error;
        io.stop();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    if (agent.outcome().code != ExitCode::ok) fail(agent.outcome().code, agent.outcome().message);
    runner_log.info("stopped");
    return 0;
}

}  // namespace tether::runner
