#include "identities.h"

#include <openssl/ssl.h>

#include "measure.h"
#include "tether/crypto/secret_file.h"
#include "tether/pki/tls.h"
#include "tether/server/data_dir.h"

namespace tether::bench {
namespace {

template <typename T>
T loaded(Result<T> result, const std::filesystem::path& path) {
    if (!result) die("cannot load " + path.string() + ": " + result.error().message);
    return std::move(result).value();
}

Secret read(const std::filesystem::path& path) { return loaded(crypto::read_private_file(path), path); }

}  // namespace

Identities load_identities(const std::filesystem::path& data_dir, const std::filesystem::path& credentials) {
    server::DataDir data{data_dir};
    auto ca = loaded(pki::Certificate::from_pem(read(data.ca_certificate()).reveal()), data.ca_certificate());
    auto certificate =
        loaded(pki::Certificate::from_pem(read(data.server_certificate()).reveal()), data.server_certificate());
    auto key = loaded(pki::PrivateKey::from_pem(read(data.server_key()).reveal()), data.server_key());
    auto runner = loaded(auth::load_runner_credentials(read(credentials).reveal(), std::chrono::system_clock::now()),
                         credentials);
    return {std::move(ca), std::move(certificate), std::move(key), std::move(runner)};
}

SSL_CTX* server_context(const Identities& identities) {
    SSL_CTX* context = SSL_CTX_new(TLS_server_method());
    auto configured =
        pki::configure_server_tls(context, identities.server_certificate, identities.server_key, &identities.ca);
    if (!configured) die(configured.error().message);
    return context;
}

SSL_CTX* client_context(const Identities& identities) {
    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    auto configured =
        pki::configure_client_tls(context, identities.runner.ca, &identities.runner.certificate, &identities.runner.key);
    if (!configured) die(configured.error().message);
    return context;
}

}  // namespace tether::bench
