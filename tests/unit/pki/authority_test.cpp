#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "support.h"
#include "tether/pki/authority.h"
#include "tether/pki/identity.h"

using namespace std::chrono_literals;
using tether::ErrorKind;
using tether::pki::Certificate;
using tether::pki::CertificateAuthority;
using tether::pki::PrivateKey;
using tether::pki::ServerNames;

namespace {

const std::string runner_uri = "spiffe://example.test/org/acme/runner/build-1";

bool extension_is_critical(X509* cert, int nid) {
    int index = X509_get_ext_by_NID(cert, nid, -1);
    REQUIRE(index >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

// The leaf's authorityKeyIdentifier is its CA's subjectKeyIdentifier.
void check_leaf_basics(const Certificate& leaf, const CertificateAuthority& ca, const PrivateKey& key) {
    X509* x = leaf.get();
    CHECK(X509_get_version(x) == X509_VERSION_3);
    CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
    CHECK_FALSE(leaf.is_ca());
    CHECK((X509_get_extension_flags(x) & EXFLAG_BCONS) != 0);  // CA:FALSE is present, not just implied
    CHECK(extension_is_critical(x, NID_basic_constraints));
    CHECK(X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
    CHECK(extension_is_critical(x, NID_key_usage));
    REQUIRE(X509_get0_authority_key_id(x) != nullptr);
    CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(ca.certificate.get())) == 0);
    CHECK(X509_get0_subject_key_id(x) != nullptr);
    CHECK(leaf.matches(key));
    CHECK(leaf.verify_issued_by(ca.certificate, std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("a new CA is a self-signed v3 ECDSA-SHA256 P-256 certificate with critical CA:TRUE pathlen:0") {
    auto ca = tether::pki::create_authority("tether test CA", 24h);
    X509* x = ca.certificate.get();
    CHECK(ca.certificate.common_name() == "tether test CA");
    CHECK(ca.certificate.is_ca());
    CHECK(ca.certificate.matches(ca.key));
    CHECK(X509_get_version(x) == X509_VERSION_3);
    CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
    CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(x)) == 256);
    CHECK((X509_get_extension_flags(x) & EXFLAG_SS) != 0);
    CHECK(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0);
    CHECK(X509_get_pathlen(x) == 0);
    CHECK(extension_is_critical(x, NID_basic_constraints));
    CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    CHECK(extension_is_critical(x, NID_key_usage));
    CHECK(X509_get0_subject_key_id(x) != nullptr);
    CHECK(ca.certificate.uri_sans().empty());
    CHECK(ca.certificate.dns_sans().empty());
}

TEST_CASE("validity runs from 5 minutes before issuance to issuance plus the lifetime") {
    auto before = std::chrono::system_clock::now();
    auto ca = tether::pki::create_authority("validity CA", 24h * 365);
    auto cert = tether::pki::issue_client_certificate(ca, PrivateKey::generate(), runner_uri, "build-1", 24h * 90);
    auto after = std::chrono::system_clock::now();
    REQUIRE(cert);
    for (const auto& [c, lifetime] : {std::pair{ca.certificate, std::chrono::hours{24 * 365}},
                                      std::pair{cert.value(), std::chrono::hours{24 * 90}}}) {
        // ASN.1 times hold whole seconds: allow one second of truncation.
        CHECK(c.not_before() >= before - 5min - 1s);
        CHECK(c.not_before() <= after - 5min);
        CHECK(c.not_after() >= before + lifetime - 1s);
        CHECK(c.not_after() <= after + lifetime);
    }
}

TEST_CASE("create_authority throws Fatal for a bad lifetime or common name") {
    CHECK_THROWS_AS(tether::pki::create_authority("ca", 0s), tether::Fatal);
    CHECK_THROWS_AS(tether::pki::create_authority("ca", -1h), tether::Fatal);
    CHECK_THROWS_AS(tether::pki::create_authority("ca", tether::pki::max_lifetime + 1s), tether::Fatal);
    CHECK_THROWS_AS(tether::pki::create_authority("", 1h), tether::Fatal);
    CHECK_THROWS_AS(tether::pki::create_authority(std::string(65, 'x'), 1h), tether::Fatal);
    CHECK_NOTHROW(tether::pki::create_authority(std::string(64, 'x'), tether::pki::max_lifetime));
}

TEST_CASE("a server certificate carries its DNS names, IPv4 and IPv6 addresses, and serverAuth only") {
    auto ca = tether::pki::create_authority("server CA", 24h);
    PrivateKey key = PrivateKey::generate();
    ServerNames names{{"tether.example.com", "localhost"}, {"127.0.0.1", "::1"}};
    auto cert = tether::pki::issue_server_certificate(ca, key, names, 12h);
    REQUIRE(cert);
    const Certificate& c = cert.value();
    CHECK(c.common_name() == "tether.example.com");
    CHECK(c.dns_sans() == std::vector<std::string>{"tether.example.com", "localhost"});
    CHECK(c.ip_sans() == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(c.uri_sans().empty());
    CHECK(X509_get_extended_key_usage(c.get()) == XKU_SSL_SERVER);
    CHECK(X509_check_purpose(c.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
    CHECK(X509_check_purpose(c.get(), X509_PURPOSE_SSL_CLIENT, 0) != 1);
    CHECK(X509_check_host(c.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(c.get(), "::1", 0) == 1);
    CHECK(X509_check_host(c.get(), "other.example.com", 0, 0, nullptr) != 1);
    check_leaf_basics(c, ca, key);
}

TEST_CASE("a server certificate with only IP addresses takes the first IP as its common name") {
    auto ca = tether::pki::create_authority("server CA", 24h);
    auto cert = tether::pki::issue_server_certificate(ca, PrivateKey::generate(), ServerNames{{}, {"10.1.2.3"}}, 1h);
    REQUIRE(cert);
    CHECK(cert.value().common_name() == "10.1.2.3");
    CHECK(cert.value().dns_sans().empty());
}

TEST_CASE("a client certificate carries exactly its URI SAN and clientAuth only") {
    auto ca = tether::pki::create_authority("client CA", 24h);
    PrivateKey key = PrivateKey::generate();
    auto cert = tether::pki::issue_client_certificate(ca, key, runner_uri, "acme/build-1", 12h);
    REQUIRE(cert);
    const Certificate& c = cert.value();
    CHECK(c.uri_sans() == std::vector<std::string>{runner_uri});
    CHECK(c.dns_sans().empty());
    CHECK(c.ip_sans().empty());
    CHECK(c.common_name() == "acme/build-1");
    CHECK(X509_get_extended_key_usage(c.get()) == XKU_SSL_CLIENT);
    CHECK(X509_check_purpose(c.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
    CHECK(X509_check_purpose(c.get(), X509_PURPOSE_SSL_SERVER, 0) != 1);
    check_leaf_basics(c, ca, key);

    auto identity = tether::pki::parse_runner_identity(c.uri_sans().front());
    REQUIRE(identity);
    CHECK(identity.value().org == "acme");
    CHECK(identity.value().runner == "build-1");
}

TEST_CASE("every certificate gets a distinct, positive, non-zero serial of at most 128 bits") {
    auto ca = tether::pki::create_authority("serial CA", 24h);
    PrivateKey key = PrivateKey::generate();
    std::set<std::string> serials{ca.certificate.serial_hex()};
    int max_bits = 0;
    constexpr int issued = 300;
    for (int i = 0; i < issued; ++i) {
        auto cert = i % 2 == 0 ? tether::pki::issue_client_certificate(ca, key, runner_uri, "build-1", 1h)
                               : tether::pki::issue_server_certificate(ca, key, ServerNames{{"localhost"}, {}}, 1h);
        REQUIRE(cert);
        serials.insert(cert.value().serial_hex());
        BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.value().get()), nullptr);
        REQUIRE(serial != nullptr);
        CHECK_FALSE(BN_is_negative(serial));
        CHECK_FALSE(BN_is_zero(serial));
        CHECK(BN_num_bits(serial) <= 127);
        max_bits = std::max(max_bits, BN_num_bits(serial));
        BN_free(serial);
    }
    CHECK(serials.size() == issued + 1);
    CHECK(max_bits >= 120);  // random, not a counter: some serial uses the high bits
}

TEST_CASE("issuing refuses a lifetime of zero, a negative one or one over 10 years") {
    auto ca = tether::pki::create_authority("lifetime CA", 24h);
    PrivateKey key = PrivateKey::generate();
    for (std::chrono::seconds lifetime : {0s, -1s, std::chrono::seconds{tether::pki::max_lifetime + 1s}}) {
        auto client = tether::pki::issue_client_certificate(ca, key, runner_uri, "build-1", lifetime);
        REQUIRE_FALSE(client);
        CHECK(client.error().kind == ErrorKind::invalid_argument);
        CHECK(client.error().message.find("lifetime") != std::string::npos);
        auto server = tether::pki::issue_server_certificate(ca, key, ServerNames{{"localhost"}, {}}, lifetime);
        REQUIRE_FALSE(server);
        CHECK(server.error().kind == ErrorKind::invalid_argument);
    }
    CHECK(tether::pki::issue_client_certificate(ca, key, runner_uri, "build-1", tether::pki::max_lifetime));
}

TEST_CASE("a server certificate refuses malformed IP addresses and DNS names") {
    auto ca = tether::pki::create_authority("names CA", 24h);
    PrivateKey key = PrivateKey::generate();
    for (const char* ip : {"", "256.0.0.1", "1.2.3", "01.2.3.4", " 127.0.0.1", "127.0.0.1 ", "10.0.0.1/8", "::g",
                           "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "localhost"}) {
        CAPTURE(ip);
        auto cert = tether::pki::issue_server_certificate(ca, key, ServerNames{{"localhost"}, {ip}}, 1h);
        REQUIRE_FALSE(cert);
        CHECK(cert.error().kind == ErrorKind::invalid_argument);
        CHECK(cert.error().message.find("not an IPv4 or IPv6 address") != std::string::npos);
    }
    for (const std::string& dns : {std::string(), std::string("-bad.example"), std::string("bad-.example"),
                                   std::string("a..b"), std::string(".lead"), std::string("trail."),
                                   std::string("under_score"), std::string("sp ace"), std::string("comma,IP:1.2.3.4"),
                                   std::string("*.example.com"), std::string(64, 'a') + ".com",
                                   std::string("127.0.0.1")}) {
        CAPTURE(dns);
        auto cert = tether::pki::issue_server_certificate(ca, key, ServerNames{{dns}, {}}, 1h);
        REQUIRE_FALSE(cert);
        CHECK(cert.error().kind == ErrorKind::invalid_argument);
    }
    auto none = tether::pki::issue_server_certificate(ca, key, ServerNames{}, 1h);
    REQUIRE_FALSE(none);
    CHECK(none.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("a client certificate refuses a URI that is not absolute and a bad common name") {
    auto ca = tether::pki::create_authority("uri CA", 24h);
    PrivateKey key = PrivateKey::generate();
    for (const char* uri : {"", "no-scheme", ":empty-scheme", "1spiffe://x", "spiffe:", "spiffe://a b",
                            "spiffe://x/\n"}) {
        CAPTURE(uri);
        auto cert = tether::pki::issue_client_certificate(ca, key, uri, "cn", 1h);
        REQUIRE_FALSE(cert);
        CHECK(cert.error().kind == ErrorKind::invalid_argument);
    }
    for (const std::string& cn : {std::string(), std::string(65, 'x'), std::string("line\nbreak")}) {
        auto cert = tether::pki::issue_client_certificate(ca, key, runner_uri, cn, 1h);
        REQUIRE_FALSE(cert);
        CHECK(cert.error().kind == ErrorKind::invalid_argument);
    }
}

TEST_CASE("issuing refuses a CA whose key does not match its certificate, and a leaf posing as a CA") {
    auto ca = tether::pki::create_authority("real CA", 24h);
    CertificateAuthority mismatched{PrivateKey::generate(), ca.certificate};
    auto cert = tether::pki::issue_client_certificate(mismatched, PrivateKey::generate(), runner_uri, "r", 1h);
    REQUIRE_FALSE(cert);
    CHECK(cert.error().kind == ErrorKind::invalid_argument);
    CHECK(cert.error().message.find("does not belong") != std::string::npos);

    PrivateKey leaf_key = PrivateKey::generate();
    auto leaf = tether::pki::issue_client_certificate(ca, leaf_key, runner_uri, "r", 1h);
    REQUIRE(leaf);
    CertificateAuthority fake{std::move(leaf_key), leaf.value()};
    auto from_leaf = tether::pki::issue_client_certificate(fake, PrivateKey::generate(), runner_uri, "r", 1h);
    REQUIRE_FALSE(from_leaf);
    CHECK(from_leaf.error().message.find("not a CA certificate") != std::string::npos);
}

TEST_CASE("issuing refuses a CA that has expired") {
    auto ca = tether::pki::create_authority("short-lived CA", 1s);
    std::this_thread::sleep_until(ca.certificate.not_after() + 100ms);
    auto cert = tether::pki::issue_client_certificate(ca, PrivateKey::generate(), runner_uri, "r", 1h);
    REQUIRE_FALSE(cert);
    CHECK(cert.error().kind == ErrorKind::invalid_argument);
    CHECK(cert.error().message.find("expired") != std::string::npos);
}

TEST_CASE("the openssl tool verifies issued certificates for their purpose and refuses another CA") {
    if (!pki_test::have_openssl_tool()) {
        MESSAGE("the openssl command-line tool is not installed; skipping");
        return;
    }
    auto ca = tether::pki::create_authority("oracle CA", 24h);
    auto other = tether::pki::create_authority("oracle CA", 24h);  // same name, different key
    auto client = tether::pki::issue_client_certificate(ca, PrivateKey::generate(), runner_uri, "build-1", 1h);
    ServerNames names{{"localhost"}, {"127.0.0.1", "::1"}};
    auto server = tether::pki::issue_server_certificate(ca, PrivateKey::generate(), names, 1h);
    REQUIRE(client);
    REQUIRE(server);
    pki_test::TempDir dir;
    std::string ca_pem = dir.write("ca.pem", ca.certificate.to_pem());
    std::string other_pem = dir.write("other.pem", other.certificate.to_pem());
    std::string client_pem = dir.write("client.pem", client.value().to_pem());
    std::string server_pem = dir.write("server.pem", server.value().to_pem());
    // Only the given CA file: no system trust store, and RFC 5280 strict checks.
    auto verify = [](const std::string& ca_file, const std::string& purpose, const std::string& cert_file) {
        return pki_test::run("openssl verify -no-CApath -no-CAstore -x509_strict -CAfile " + ca_file + " -purpose " +
                             purpose + " " + cert_file);
    };

    auto ok_client = verify(ca_pem, "sslclient", client_pem);
    CHECK_MESSAGE(ok_client.exit_code == 0, ok_client.output);
    auto ok_server = verify(ca_pem, "sslserver", server_pem);
    CHECK_MESSAGE(ok_server.exit_code == 0, ok_server.output);
    auto ok_ca = verify(ca_pem, "any", ca_pem);
    CHECK_MESSAGE(ok_ca.exit_code == 0, ok_ca.output);

    auto wrong_ca = verify(other_pem, "sslclient", client_pem);
    CHECK(wrong_ca.exit_code != 0);
    auto wrong_ca_server = verify(other_pem, "sslserver", server_pem);
    CHECK(wrong_ca_server.exit_code != 0);
    auto wrong_purpose = verify(ca_pem, "sslserver", client_pem);
    CHECK_MESSAGE(wrong_purpose.exit_code != 0, wrong_purpose.output);
    auto wrong_purpose_server = verify(ca_pem, "sslclient", server_pem);
    CHECK(wrong_purpose_server.exit_code != 0);

    auto text = pki_test::run("openssl x509 -noout -text -in " + server_pem);
    REQUIRE(text.exit_code == 0);
    CHECK(text.output.find("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1") != std::string::npos);
    CHECK(text.output.find("ecdsa-with-SHA256") != std::string::npos);
}
