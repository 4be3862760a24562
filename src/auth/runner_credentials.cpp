#include "tether/auth/runner_credentials.h"

#include <optional>
#include <string>
#include <vector>

#include "tether/auth/api_key.h"
#include "tether/core/endpoint.h"
#include "tether/core/log.h"
#include "tether/pki/authority.h"

namespace tether::auth {
namespace {

Error invalid_file(const std::string& what) { return Error{ErrorKind::invalid_argument, "credentials file: " + what}; }
Error refused(const std::string& what) { return Error{ErrorKind::unauthenticated, "credentials file: " + what}; }

std::string regenerate_hint(const CredentialsFile& file) {
    return "make new ones with `tether admin runner generate-credentials " + file.runner + "`";
}

// Validity first, with messages of its own: OpenSSL's "certificate has
// expired" does not say when, nor which certificate.
std::optional<Error> check_validity(const pki::Certificate& cert, const char* field, const CredentialsFile& file,
                                    std::chrono::system_clock::time_point now) {
    if (now < cert.not_before()) {
        return refused(std::string(field) + " is not valid until " + log::format_timestamp(cert.not_before()) +
                       ", but this host's clock says " + log::format_timestamp(now) +
                       "; the clock is probably wrong (certificates allow " +
                       std::to_string(pki::clock_skew.count() / 60) +
                       " minutes of clock skew): synchronise it, e.g. with NTP");
    }
    if (now > cert.not_after()) {
        return refused(std::string(field) + " expired at " + log::format_timestamp(cert.not_after()) + "; " +
                       regenerate_hint(file));
    }
    return std::nullopt;
}

std::optional<Error> check_endpoints(const CredentialsFile& file) {
    if (auto tunnel = parse_host_port(file.tunnel_endpoint); !tunnel) {
        return invalid_file("tunnel_endpoint: " + tunnel.error().message);
    }
    if (auto api = parse_url(file.api_endpoint); !api) return invalid_file("api_endpoint: " + api.error().message);
    return std::nullopt;
}

std::optional<Error> check_identity(const pki::Certificate& cert, const CredentialsFile& file,
                                    pki::RunnerIdentity& identity) {
    std::vector<std::string> uris = cert.uri_sans();
    if (uris.size() != 1) {
        return invalid_file("certificate must name the runner in exactly one URI SAN, but it has " +
                       std::to_string(uris.size()));
    }
    auto parsed = pki::parse_runner_identity(uris.front());
    if (!parsed) return invalid_file("certificate: " + parsed.error().message);
    identity = std::move(parsed).value();
    if (identity.org != file.org) {
        return invalid_file("certificate is for org \"" + identity.org + "\", but the file's org is \"" + file.org + "\"");
    }
    if (identity.runner != file.runner) {
        return invalid_file("certificate is for runner \"" + identity.runner + "\", but the file's runner is \"" +
                       file.runner + "\"");
    }
    return std::nullopt;
}

}  // namespace

Result<RunnerCredentials> load_runner_credentials(std::string_view json, std::chrono::system_clock::time_point now) {
    auto parsed = parse_credentials_file(json);
    if (!parsed) return parsed.error();
    CredentialsFile& file = parsed.value();
    if (auto problem = check_endpoints(file)) return *problem;

    auto ca = pki::Certificate::from_pem(file.ca_certificate);
    if (!ca) return invalid_file("ca_certificate is not a PEM certificate");
    if (!ca.value().is_ca()) return invalid_file("ca_certificate is not a CA certificate");
    if (auto problem = check_validity(ca.value(), "ca_certificate", file, now)) return *problem;

    auto cert = pki::Certificate::from_pem(file.certificate);
    if (!cert) return invalid_file("certificate is not a PEM certificate");
    if (auto problem = check_validity(cert.value(), "certificate", file, now)) return *problem;
    if (auto issued = cert.value().verify_issued_by(ca.value(), now); !issued) {
        if (issued.error().kind == ErrorKind::internal) return issued.error();
        return refused("certificate was not issued by ca_certificate (" + issued.error().message +
                       "); the file mixes parts of different credentials");
    }
    pki::RunnerIdentity identity;
    if (auto problem = check_identity(cert.value(), file, identity)) return *problem;

    auto key = pki::PrivateKey::from_pem(file.private_key.reveal());
    if (!key) {
        // from_pem says "private key: why"; name the field instead.
        std::string_view why = key.error().message;
        if (why.starts_with("private key: ")) why.remove_prefix(std::string_view("private key: ").size());
        return invalid_file("private_key: " + std::string(why));
    }
    if (!cert.value().matches(key.value())) {
        return invalid_file("private_key is not the key of certificate; the file mixes parts of different credentials");
    }
    if (!parse_api_key(file.api_key.reveal())) {
        return invalid_file("api_key is not a tether API key (tth_<key id>_<secret>)");
    }
    return RunnerCredentials{std::move(file), std::move(ca).value(), std::move(cert).value(), std::move(key).value(),
                             std::move(identity)};
}

}  // namespace tether::auth
