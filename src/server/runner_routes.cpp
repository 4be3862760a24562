#include "runner_routes.h"

#include "api_support.h"
#include "tether/auth/api_key.h"
#include "tether/auth/credentials_file.h"
#include "tether/crypto/random.h"
#include "tether/pki/identity.h"
#include "tether/store/runners.h"
#include "tether/store/statement.h"
#include "tether/store/tunnels.h"

namespace tether::server {
namespace {

using api::Call;
using api::in_transaction;

std::string account_name(const std::string& runner) { return "runner:" + runner; }

std::int64_t unix_seconds(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

// A runner with its live tunnels (several when replicas share its
// credentials: they form one pool).
nlohmann::json runner_json(const store::Runner& runner, const std::vector<store::TunnelRecord>& tunnels = {}) {
    nlohmann::json live = nlohmann::json::array();
    for (const auto& tunnel : tunnels) {
        if (tunnel.runner_id != runner.id) continue;
        live.push_back({{"tunnel_id", tunnel.id},
                        {"connected_at_ms", tunnel.connected_at_ms},
                        {"address", tunnel.peer_address},
                        {"version", tunnel.runner_version},
                        {"hostname", tunnel.hostname}});
    }
    return {{"name", runner.name},
            {"org", runner.org},
            {"runner_id", runner.public_id},
            {"created_at", runner.created_at},
            {"last_seen_at", runner.last_seen_at ? nlohmann::json(*runner.last_seen_at) : nlohmann::json()},
            {"connected", !live.empty()},
            {"tunnels", live}};
}


Result<store::Runner> named_runner(const store::Database& database, const Call& call) {
    const std::string& name = call.request.params.at("name");
    if (auto valid = api::check_name("runner", name); !valid) return valid.error();
    return store::find_runner(database, call.org.id, name);
}

// Mints a key pair, a certificate and an API key, records the certificate
// and the key hash, and (to regenerate) revokes every earlier one — all in
// one transaction. The private key and the API key leave only in the answer.
Result<HttpResponse> issue_credentials(const ApiContext& context, const Call& call, const store::Runner& runner,
                                       bool revoke_others) {
    const store::Database& database = context.database;
    pki::RunnerIdentity identity{context.trust_domain, call.org.name, runner.name};
    pki::PrivateKey key = pki::PrivateKey::generate();
    auto certificate = pki::issue_client_certificate(context.ca, key, identity.uri(), runner.name,
                                                     context.runner_certificate_lifetime);
    if (!certificate) return certificate.error();
    auth::NewApiKey api_key = auth::generate_api_key();

    return in_transaction(database, [&]() -> Result<HttpResponse> {
        auto recorded = store::insert_certificate(
            database, {0, certificate.value().serial_hex(), certificate.value().fingerprint_sha256(), runner.id,
                       unix_seconds(certificate.value().not_before()), unix_seconds(certificate.value().not_after()),
                       call.now, std::nullopt});
        if (!recorded) return recorded.error();
        auto stored_key = store::insert_api_key(database, api_key.key_id, runner.service_account_id,
                                                api_key.secret_hash, call.now, std::nullopt);
        if (!stored_key) return stored_key.error();
        if (revoke_others) {
            auto certificates = store::revoke_certificates_of(database, runner.id, call.now, recorded.value().id);
            if (!certificates) return certificates.error();
            auto keys = store::revoke_api_keys_of(database, runner.service_account_id, call.now, stored_key.value().id);
            if (!keys) return keys.error();
        }
        auto audited = api::audit(database, call, revoke_others ? "runner.credentials.regenerate" : "runner.credentials.generate",
                                  "runner:" + call.org.name + "/" + runner.name,
                                  {{"certificate_serial", recorded.value().serial}, {"key_id", api_key.key_id}});
        if (!audited) return audited.error();

        auth::CredentialsFile file{call.org.name,           runner.name,          runner.public_id,
                                   context.tunnel_endpoint, context.api_endpoint, context.ca.certificate.to_pem(),
                                   certificate.value().to_pem(), key.to_pem(),  api_key.token.copy()};
        std::string text = auth::to_json(file);
        HttpResponse response{201, text};
        wipe(text);
        return response;
    });
}

}  // namespace

void add_runner_routes(Router& router, const ApiContext& context) {
    const store::Database& database = context.database;

    router.add("POST", "/v1/runners",
               api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"name"});
                   if (!body) return body.error();
                   auto name = api::string_field(body.value(), "name");
                   if (!name) return name.error();
                   if (auto valid = api::check_name("runner", name.value()); !valid) return valid.error();
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       if (store::find_runner(database, call.org.id, name.value())) {
                           return Error{ErrorKind::already_exists, "runner '" + name.value() + "' already exists"};
                       }
                       auto account = store::create_service_account(database, call.org, account_name(name.value()),
                                                                    store::AccountKind::runner, auth::Role::viewer, call.now);
                       if (!account) return account.error();
                       auto runner = store::insert_runner(database, call.org.id, name.value(),
                                                          "rn_" + crypto::random_base62(16), account.value().id, call.now);
                       if (!runner) return runner.error();
                       auto audited = api::audit(database, call, "runner.create", "runner:" + call.org.name + "/" + name.value());
                       if (!audited) return audited.error();
                       return api::json_response(201, runner_json(runner.value()));
                   });
               }));

    router.add("GET", "/v1/runners",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   auto runners = store::list_runners(database, call.org.id);
                   if (!runners) return runners.error();
                   auto tunnels = store::list_tunnels_of_org(database, call.org.id);
                   if (!tunnels) return tunnels.error();
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& runner : runners.value()) list.push_back(runner_json(runner, tunnels.value()));
                   return api::json_response(200, {{"runners", list}});
               }));

    router.add("GET", "/v1/runners/{name}",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   auto runner = named_runner(database, call);
                   if (!runner) return runner.error();
                   auto tunnels = store::list_tunnels_of_runner(database, runner.value().id);
                   if (!tunnels) return tunnels.error();
                   nlohmann::json answer = runner_json(runner.value(), tunnels.value());
                   auto certificates = store::list_certificates(database, runner.value().id);
                   if (!certificates) return certificates.error();
                   answer["certificates"] = nlohmann::json::array();
                   for (const auto& c : certificates.value()) {
                       answer["certificates"].push_back(
                           {{"serial", c.serial}, {"fingerprint_sha256", c.fingerprint}, {"not_before", c.not_before},
                            {"not_after", c.not_after}, {"created_at", c.created_at},
                            {"revoked_at", c.revoked_at ? nlohmann::json(*c.revoked_at) : nlohmann::json()}});
                   }
                   auto keys = store::list_api_keys(database, runner.value().service_account_id);
                   if (!keys) return keys.error();
                   answer["api_keys"] = nlohmann::json::array();
                   for (const auto& k : keys.value()) {
                       answer["api_keys"].push_back(
                           {{"key_id", k.key_id}, {"created_at", k.created_at},
                            {"revoked_at", k.revoked_at ? nlohmann::json(*k.revoked_at) : nlohmann::json()},
                            {"last_used_at", k.last_used_at ? nlohmann::json(*k.last_used_at) : nlohmann::json()}});
                   }
                   return api::json_response(200, answer);
               }));

    router.add("DELETE", "/v1/runners/{name}",
               api::guarded(database, auth::Role::admin, api::revoking(context.tunnels, [&database](const Call& call) -> Result<HttpResponse> {
                   auto runner = named_runner(database, call);
                   if (!runner) return runner.error();
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       const store::Runner& r = runner.value();
                       if (auto done = store::mark_runner_deleted(database, r.id, call.now); !done) return done.error();
                       if (auto done = store::revoke_certificates_of(database, r.id, call.now); !done) return done.error();
                       if (auto done = store::delete_service_account(database, r.service_account_id, call.now); !done) {
                           return done.error();
                       }
                       auto audited = api::audit(database, call, "runner.delete", "runner:" + call.org.name + "/" + r.name);
                       if (!audited) return audited.error();
                       return api::json_response(200, {{"deleted", r.name}});
                   });
               })));

    // The answer holds the runner's private key and API key.
    router.add("POST", "/v1/runners/{name}/credentials",
               api::holding_secrets(api::guarded(database, auth::Role::admin, api::revoking(context.tunnels, [&context](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"revoke_others"});
                   if (!body) return body.error();
                   bool revoke_others = false;
                   if (body.value().contains("revoke_others")) {
                       if (!body.value()["revoke_others"].is_boolean()) {
                           return Error{ErrorKind::invalid_argument, "revoke_others must be true or false"};
                       }
                       revoke_others = body.value()["revoke_others"].get<bool>();
                   }
                   auto runner = named_runner(context.database, call);
                   if (!runner) return runner.error();
                   return issue_credentials(context, call, runner.value(), revoke_others);
               }))));

    // One set of credentials, named by its API key id and certificate
    // fingerprint: what `generate-credentials` revokes when it cannot write
    // the file it was minted for.
    router.add("POST", "/v1/runners/{name}/credentials/revoke",
               api::guarded(database, auth::Role::admin, api::revoking(context.tunnels, [&context](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"key_id", "certificate_fingerprint"});
                   if (!body) return body.error();
                   auto key_id = api::string_field(body.value(), "key_id");
                   if (!key_id) return key_id.error();
                   auto fingerprint = api::string_field(body.value(), "certificate_fingerprint");
                   if (!fingerprint) return fingerprint.error();
                   auto runner = named_runner(context.database, call);
                   if (!runner) return runner.error();
                   const store::Database& database = context.database;
                   auto key = store::find_api_key(database, key_id.value());
                   auto certificate = store::find_certificate(database, fingerprint.value());
                   // Another runner's (or org's) credentials read as absent.
                   if (!key || key.value().service_account_id != runner.value().service_account_id) {
                       return Error{ErrorKind::not_found, "runner " + runner.value().name + " has no API key " + key_id.value()};
                   }
                   if (!certificate || certificate.value().runner_id != runner.value().id) {
                       return Error{ErrorKind::not_found, "runner " + runner.value().name + " has no such certificate"};
                   }
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       if (auto revoked = store::revoke_api_key(database, key_id.value(), call.now); !revoked) {
                           return revoked.error();
                       }
                       if (auto revoked = store::revoke_certificate(database, certificate.value().id, call.now); !revoked) {
                           return revoked.error();
                       }
                       auto audited = api::audit(database, call, "runner.credentials.revoke",
                                                 "runner:" + call.org.name + "/" + runner.value().name,
                                                 {{"certificate_serial", certificate.value().serial}, {"key_id", key_id.value()}});
                       if (!audited) return audited.error();
                       return api::json_response(200, {{"revoked", {{"key_id", key_id.value()},
                                                                    {"certificate_serial", certificate.value().serial}}}});
                   });
               })));
}

}  // namespace tether::server
