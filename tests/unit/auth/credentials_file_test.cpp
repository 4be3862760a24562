#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tether/auth/api_key.h"
#include "tether/auth/credentials_file.h"
#include "tether/auth/runner_credentials.h"
#include "tether/pki/authority.h"

using namespace std::chrono_literals;
using namespace tether;
using namespace tether::auth;
using tether::pki::Certificate;
using tether::pki::PrivateKey;

namespace {

const std::string runner_uri = "spiffe://example.test/org/acme/runner/build-1";

// A CA and a runner's certificate, key and API key, as the server mints them.
struct Minted {
    pki::CertificateAuthority ca = pki::create_authority("credentials test CA", 24h * 365);
    PrivateKey key = PrivateKey::generate();
    Certificate certificate = issue(ca, key, runner_uri);
    NewApiKey api_key = generate_api_key();

    static Certificate issue(const pki::CertificateAuthority& authority, const PrivateKey& subject,
                             const std::string& uri) {
        auto cert = pki::issue_client_certificate(authority, subject, uri, "build-1", 24h * 90);
        REQUIRE(cert);
        return cert.value();
    }

    CredentialsFile file() const {
        return CredentialsFile{"acme",
                               "build-1",
                               "rn_0123456789abcdef",
                               "tether.example.test:7443",
                               "https://tether.example.test:8443",
                               ca.certificate.to_pem(),
                               certificate.to_pem(),
                               key.to_pem(),
                               api_key.token.copy()};
    }

    std::string json() const { return to_json(file()); }

    // The file's JSON with one field replaced.
    std::string json_with(const std::string& field, const nlohmann::json& value) const {
        auto json = nlohmann::json::parse(this->json());
        json[field] = value;
        return json.dump();
    }

    // No failure message may quote a secret: the key's PEM body or the API key's secret part.
    void check_no_secret(const std::string& message) const {
        std::string token(api_key.token.reveal());
        CHECK(message.find(token.substr(token.size() - 20)) == std::string::npos);
        std::string pem(key.to_pem().reveal());
        CHECK(message.find(pem.substr(40, 20)) == std::string::npos);
    }
};

Error load_error(const Minted& minted, const std::string& json,
                 std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
    auto loaded = load_runner_credentials(json, now);
    REQUIRE_FALSE(loaded);
    minted.check_no_secret(loaded.error().message);
    return loaded.error();
}

}  // namespace

TEST_CASE("a written credentials file parses back field for field") {
    Minted minted;
    auto parsed = parse_credentials_file(minted.json());
    REQUIRE(parsed);
    CredentialsFile expected = minted.file();
    const CredentialsFile& file = parsed.value();
    CHECK(file.org == expected.org);
    CHECK(file.runner == expected.runner);
    CHECK(file.runner_id == expected.runner_id);
    CHECK(file.tunnel_endpoint == expected.tunnel_endpoint);
    CHECK(file.api_endpoint == expected.api_endpoint);
    CHECK(file.ca_certificate == expected.ca_certificate);
    CHECK(file.certificate == expected.certificate);
    CHECK(file.private_key.reveal() == expected.private_key.reveal());
    CHECK(file.api_key.reveal() == expected.api_key.reveal());
}

TEST_CASE("a file from a newer tether asks for an upgrade; an unknown older version is invalid") {
    Minted minted;
    auto newer = parse_credentials_file(minted.json_with("version", CredentialsFile::current_version + 1));
    REQUIRE_FALSE(newer);
    CHECK(newer.error().kind == ErrorKind::failed_precondition);
    CHECK(newer.error().message.find("written by a newer tether; upgrade the runner") != std::string::npos);

    auto zero = parse_credentials_file(minted.json_with("version", 0));
    REQUIRE_FALSE(zero);
    CHECK(zero.error().kind == ErrorKind::invalid_argument);
    CHECK(zero.error().message == "credentials file: unknown version 0");

    auto text = parse_credentials_file(minted.json_with("version", "1"));
    REQUIRE_FALSE(text);
    CHECK(text.error().message == "credentials file: \"version\" must be a whole number");
}

TEST_CASE("a missing, non-string or empty field is named, and extra fields are ignored") {
    Minted minted;
    for (const char* field : {"version", "org", "runner", "runner_id", "tunnel_endpoint", "api_endpoint",
                              "ca_certificate", "certificate", "private_key", "api_key"}) {
        auto json = nlohmann::json::parse(minted.json());
        json.erase(field);
        auto parsed = parse_credentials_file(json.dump());
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == ErrorKind::invalid_argument);
        CHECK(parsed.error().message == std::string("credentials file: no \"") + field + "\" field");
    }
    for (const char* field : {"org", "private_key", "api_key"}) {
        auto number = parse_credentials_file(minted.json_with(field, 7));
        REQUIRE_FALSE(number);
        CHECK(number.error().message == std::string("credentials file: \"") + field + "\" must be a string");
        auto empty = parse_credentials_file(minted.json_with(field, ""));
        REQUIRE_FALSE(empty);
        CHECK(empty.error().message == std::string("credentials file: \"") + field + "\" is empty");
    }
    CHECK(parse_credentials_file(minted.json_with("comment", "added by hand")));
}

TEST_CASE("text that is not a JSON object is refused by line, without quoting it") {
    Minted minted;
    std::string json = minted.json();
    // Cut inside the private key: the parser's own message would quote it.
    std::string cut = json.substr(0, json.find("PRIVATE KEY-----") + 40);
    auto parsed = parse_credentials_file(cut);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    CHECK_MESSAGE(parsed.error().message.rfind("credentials file: not valid JSON (line 10, byte ", 0) == 0,
                  parsed.error().message);
    minted.check_no_secret(parsed.error().message);

    auto array = parse_credentials_file("[1, 2]");
    REQUIRE_FALSE(array);
    CHECK(array.error().message.rfind("credentials file: expected a JSON object", 0) == 0);
    CHECK_FALSE(parse_credentials_file(""));
}

TEST_CASE("credentials that fit together load, with the identity from the certificate") {
    Minted minted;
    auto loaded = load_runner_credentials(minted.json(), std::chrono::system_clock::now());
    REQUIRE(loaded);
    const RunnerCredentials& credentials = loaded.value();
    CHECK(credentials.identity == pki::RunnerIdentity{"example.test", "acme", "build-1"});
    CHECK(credentials.ca.fingerprint_sha256() == minted.ca.certificate.fingerprint_sha256());
    CHECK(credentials.certificate.fingerprint_sha256() == minted.certificate.fingerprint_sha256());
    CHECK(credentials.certificate.matches(credentials.key));
    CHECK(credentials.file.api_key.reveal() == minted.api_key.token.reveal());
}

TEST_CASE("a CA field that is not a CA, or not a certificate, is named") {
    Minted minted;
    Error leaf = load_error(minted, minted.json_with("ca_certificate", minted.certificate.to_pem()));
    CHECK(leaf.kind == ErrorKind::invalid_argument);
    CHECK(leaf.message == "credentials file: ca_certificate is not a CA certificate");

    Error garbage = load_error(minted, minted.json_with("ca_certificate", "not a certificate"));
    CHECK(garbage.message == "credentials file: ca_certificate is not a PEM certificate");
    Error cert = load_error(minted, minted.json_with("certificate", "not a certificate"));
    CHECK(cert.message == "credentials file: certificate is not a PEM certificate");
}

TEST_CASE("a certificate from another CA is unauthenticated") {
    Minted minted;
    auto other = pki::create_authority("another CA", 24h);
    Error error = load_error(minted, minted.json_with("certificate", Minted::issue(other, minted.key, runner_uri).to_pem()));
    CHECK(error.kind == ErrorKind::unauthenticated);
    CHECK(error.message.rfind("credentials file: certificate was not issued by ca_certificate (", 0) == 0);
}

TEST_CASE("an expired certificate and one not yet valid each say so, the latter blaming the clock") {
    Minted minted;
    Error expired = load_error(minted, minted.json(), minted.certificate.not_after() + 1s);
    CHECK(expired.kind == ErrorKind::unauthenticated);
    CHECK(expired.message.rfind("credentials file: certificate expired at ", 0) == 0);
    CHECK(expired.message.find("generate-credentials build-1") != std::string::npos);

    // Validity is in whole seconds: a certificate issued a second after its
    // CA can be judged at an instant when only the CA is valid.
    Minted later;
    std::this_thread::sleep_for(1100ms);
    later.certificate = Minted::issue(later.ca, later.key, runner_uri);
    REQUIRE(later.certificate.not_before() > later.ca.certificate.not_before());
    Error early = load_error(later, later.json(), later.certificate.not_before() - 1ms);
    CHECK(early.kind == ErrorKind::unauthenticated);
    CHECK(early.message.rfind("credentials file: certificate is not valid until ", 0) == 0);
    CHECK(early.message.find("clock") != std::string::npos);
    Error ca_early = load_error(minted, minted.json(), minted.ca.certificate.not_before() - 1h);
    CHECK(ca_early.message.rfind("credentials file: ca_certificate is not valid until ", 0) == 0);

    auto short_ca = pki::create_authority("short CA", 48h);
    Minted with_short_ca;
    auto json = nlohmann::json::parse(with_short_ca.json());
    json["ca_certificate"] = short_ca.certificate.to_pem();
    json["certificate"] = Minted::issue(short_ca, with_short_ca.key, runner_uri).to_pem();
    Error ca_expired = load_error(with_short_ca, json.dump(), std::chrono::system_clock::now() + 72h);
    CHECK(ca_expired.message.rfind("credentials file: ca_certificate expired at ", 0) == 0);
}

TEST_CASE("the certificate must name this file's org and runner") {
    Minted minted;
    Error org = load_error(minted, minted.json_with("org", "globex"));
    CHECK(org.kind == ErrorKind::invalid_argument);
    CHECK(org.message == "credentials file: certificate is for org \"acme\", but the file's org is \"globex\"");
    Error runner = load_error(minted, minted.json_with("runner", "build-2"));
    CHECK(runner.message ==
          "credentials file: certificate is for runner \"build-1\", but the file's runner is \"build-2\"");

    Error not_runner = load_error(
        minted, minted.json_with("certificate",
                                 Minted::issue(minted.ca, minted.key, "spiffe://example.test/service/x").to_pem()));
    CHECK(not_runner.message.rfind("credentials file: certificate: \"spiffe://example.test/service/x\" is not a "
                                   "runner identity",
                                   0) == 0);
}

TEST_CASE("a private key that is not the certificate's, or not a key, is named without quoting it") {
    Minted minted;
    Error other = load_error(minted, minted.json_with("private_key", std::string(PrivateKey::generate().to_pem().reveal())));
    CHECK(other.kind == ErrorKind::invalid_argument);
    CHECK(other.message.rfind("credentials file: private_key is not the key of certificate", 0) == 0);

    std::string fake = "-----BEGIN PRIVATE KEY-----\nU0VDUkVUU0VDUkVU\n-----END PRIVATE KEY-----\n";
    Error garbage = load_error(minted, minted.json_with("private_key", fake));
    CHECK(garbage.message.rfind("credentials file: private_key: not a PEM private key", 0) == 0);
    CHECK(garbage.message.find("U0VDUkVU") == std::string::npos);
}

TEST_CASE("a malformed API key or endpoint is named; the key is not quoted") {
    Minted minted;
    std::string bad_key = std::string(minted.api_key.token.reveal()) + "!";
    Error key = load_error(minted, minted.json_with("api_key", bad_key));
    CHECK(key.message == "credentials file: api_key is not a tether API key (tth_<key id>_<secret>)");

    Error tunnel = load_error(minted, minted.json_with("tunnel_endpoint", "tether.example.test"));
    CHECK(tunnel.message.rfind("credentials file: tunnel_endpoint: ", 0) == 0);
    Error api = load_error(minted, minted.json_with("api_endpoint", "ftp://tether.example.test"));
    CHECK(api.message.rfind("credentials file: api_endpoint: ", 0) == 0);
}
