#include "tunnel_admission.h"

#include "tether/auth/api_key.h"
#include "tether/pki/identity.h"
#include "tether/store/identities.h"

namespace tether::server {
namespace {

Error unknown_runner(std::string detail) { return {ErrorKind::not_found, std::move(detail)}; }
Error refused(std::string message) { return {ErrorKind::unauthenticated, std::move(message)}; }

// The runner's current record and the certificate's standing with it.
Result<Done> check_certificate_record(const store::Database& database, const store::Runner& runner,
                                      std::string_view fingerprint) {
    auto record = store::find_certificate(database, fingerprint);
    if (!record) {
        if (record.error().kind == ErrorKind::not_found) return unknown_runner("certificate was never issued here");
        return record.error();
    }
    if (record.value().runner_id != runner.id) return unknown_runner("certificate belongs to another runner");
    if (record.value().revoked_at) {
        return Error{ErrorKind::permission_denied, "certificate revoked or superseded by regenerate-credentials"};
    }
    return Done{};
}

Result<store::Runner> live_runner(const store::Database& database, std::string_view org_name, std::string_view name) {
    auto org = store::find_org(database, org_name);
    if (!org) return org.error().kind == ErrorKind::not_found ? unknown_runner("no org " + std::string(org_name)) : org.error();
    auto runner = store::find_runner(database, org.value().id, name);
    if (!runner && runner.error().kind == ErrorKind::not_found) {
        return unknown_runner("no live runner " + std::string(org_name) + "/" + std::string(name) + " (deleted?)");
    }
    return runner;
}

Result<Done> check_account(const store::Database& database, const store::Runner& runner) {
    auto account = store::find_service_account_by_id(database, runner.service_account_id);
    if (!account) {
        if (account.error().kind != ErrorKind::not_found) return account.error();
        return refused("the runner's service account was deleted");
    }
    if (!account.value().active) return refused("the runner's service account is disabled");
    return Done{};
}

Result<Done> check_key(const store::Database& database, const store::Runner& runner, const store::ApiKeyRecord& key,
                       std::int64_t now) {
    if (key.service_account_id != runner.service_account_id) return refused("the API key is not this runner's");
    if (key.revoked_at) return refused("the API key was revoked (regenerate-credentials or api-key revoke)");
    if (key.expires_at && *key.expires_at <= now) return refused("the API key expired");
    return check_account(database, runner);
}

}  // namespace

Result<AdmittedCertificate> admit_certificate(const store::Database& database, const pki::Certificate& certificate,
                                              std::string_view trust_domain) {
    auto sans = certificate.uri_sans();
    if (sans.size() != 1) return unknown_runner("certificate has no single URI SAN");
    auto identity = pki::parse_runner_identity(sans.front());
    if (!identity) return unknown_runner(identity.error().message);
    if (identity.value().trust_domain != trust_domain) {
        return unknown_runner("certificate is for trust domain " + identity.value().trust_domain);
    }
    auto runner = live_runner(database, identity.value().org, identity.value().runner);
    if (!runner) return runner.error();
    std::string fingerprint = certificate.fingerprint_sha256();
    if (auto current = check_certificate_record(database, runner.value(), fingerprint); !current) return current.error();
    return AdmittedCertificate{std::move(runner).value(), std::move(fingerprint)};
}

Result<Admission> admit_api_key(const store::Database& database, const AdmittedCertificate& certificate,
                                std::string_view bearer, std::int64_t now) {
    auto presented = auth::parse_api_key(bearer);
    if (!presented) return refused("the API key is malformed");
    const std::string& key_id = presented.value().key_id;
    auto key = store::find_api_key(database, key_id);
    if (!key) {
        if (key.error().kind == ErrorKind::not_found) return refused("the API key is unknown to this server");
        return key.error();
    }
    if (!auth::key_secret_matches(presented.value().secret.reveal(), key.value().secret_sha256)) {
        return refused("the API key is wrong");
    }
    if (auto valid = check_key(database, certificate.runner, key.value(), now); !valid) return valid.error();
    (void)store::touch_api_key(database, key.value().id, now);
    return Admission{certificate.runner, certificate.fingerprint, key_id};
}

Result<Done> still_admitted(const store::Database& database, const Admission& admission, std::int64_t now) {
    auto runner = live_runner(database, admission.runner.org, admission.runner.name);
    if (!runner) {
        if (runner.error().kind == ErrorKind::not_found) return refused("the runner was deleted");
        return runner.error();
    }
    if (runner.value().id != admission.runner.id) return refused("the runner was deleted");
    auto current = check_certificate_record(database, runner.value(), admission.fingerprint);
    if (!current) {
        if (current.error().kind == ErrorKind::internal) return current.error();
        return refused("the runner's certificate was revoked or superseded by regenerate-credentials");
    }
    auto key = store::find_api_key(database, admission.key_id);
    if (!key) return key.error().kind == ErrorKind::not_found ? refused("the API key is gone") : key.error();
    return check_key(database, runner.value(), key.value(), now);
}

}  // namespace tether::server
