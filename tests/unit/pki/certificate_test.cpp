#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

#include "support.h"
#include "tether/crypto/hash.h"
#include "tether/pki/authority.h"
#include "tether/pki/certificate.h"

using namespace std::chrono_literals;
using tether::ErrorKind;
using tether::pki::Certificate;
using tether::pki::CertificateAuthority;
using tether::pki::PrivateKey;

namespace {

Certificate client_cert(const CertificateAuthority& ca, const PrivateKey& key) {
    auto cert = tether::pki::issue_client_certificate(ca, key, "spiffe://example.test/org/acme/runner/r1", "r1", 24h);
    REQUIRE(cert);
    return cert.value();
}

bool is_lower_hex(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
    });
}

}  // namespace

TEST_CASE("a certificate survives a PEM round trip with the same DER, serial and fingerprint") {
    auto ca = tether::pki::create_authority("round trip CA", 24h);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    std::string pem = cert.to_pem();
    CHECK(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    auto parsed = Certificate::from_pem(pem);
    REQUIRE(parsed);
    CHECK(X509_cmp(parsed.value().get(), cert.get()) == 0);
    CHECK(parsed.value().to_pem() == pem);
    CHECK(parsed.value().serial_hex() == cert.serial_hex());
    CHECK(parsed.value().fingerprint_sha256() == cert.fingerprint_sha256());
}

TEST_CASE("fingerprint_sha256 is the lower-case hex SHA-256 of the DER encoding") {
    auto ca = tether::pki::create_authority("fingerprint CA", 24h);
    unsigned char* der = nullptr;
    int size = i2d_X509(ca.certificate.get(), &der);
    REQUIRE(size > 0);
    std::string expected = tether::crypto::sha256_hex(std::string_view(reinterpret_cast<char*>(der), size));
    OPENSSL_free(der);
    CHECK(ca.certificate.fingerprint_sha256() == expected);
    CHECK(expected.size() == 64);
    CHECK(is_lower_hex(expected));
}

TEST_CASE("serial and fingerprint agree with the openssl tool, and its certificates parse") {
    if (!pki_test::have_openssl_tool()) {
        MESSAGE("the openssl command-line tool is not installed; skipping");
        return;
    }
    pki_test::TempDir dir;
    // A certificate tether did not make: SANs of every kind, P-256, one day.
    auto made = pki_test::run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=external"
        " -addext subjectAltName=DNS:example.com,IP:10.0.0.1,IP:fe80::1,URI:spiffe://x.test/org/o/runner/r"
        " -keyout " + (dir.path / "key.pem").string() + " -out " + (dir.path / "cert.pem").string());
    REQUIRE_MESSAGE(made.exit_code == 0, made.output);

    auto cert = Certificate::from_pem(dir.read("cert.pem"));
    REQUIRE(cert);
    CHECK(cert.value().common_name() == "external");
    CHECK(cert.value().dns_sans() == std::vector<std::string>{"example.com"});
    CHECK(cert.value().ip_sans() == std::vector<std::string>{"10.0.0.1", "fe80::1"});
    CHECK(cert.value().uri_sans() == std::vector<std::string>{"spiffe://x.test/org/o/runner/r"});
    CHECK(cert.value().not_after() - cert.value().not_before() == std::chrono::hours{24});
    CHECK(cert.value().not_before() <= std::chrono::system_clock::now());
    auto key = PrivateKey::from_pem(dir.read("key.pem"));
    REQUIRE(key);
    CHECK(cert.value().matches(key.value()));

    auto serial = pki_test::run("openssl x509 -noout -serial -in " + (dir.path / "cert.pem").string());
    REQUIRE(serial.exit_code == 0);
    std::string expected = serial.output.substr(serial.output.find('=') + 1);
    expected.erase(expected.find_last_not_of('\n') + 1);
    std::transform(expected.begin(), expected.end(), expected.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(cert.value().serial_hex() == expected);

    auto fingerprint =
        pki_test::run("openssl x509 -noout -fingerprint -sha256 -in " + (dir.path / "cert.pem").string());
    REQUIRE(fingerprint.exit_code == 0);
    std::string colons = fingerprint.output.substr(fingerprint.output.find('=') + 1);
    std::string hex;
    for (char c : colons) {
        auto byte = static_cast<unsigned char>(c);
        if (std::isxdigit(byte)) hex += static_cast<char>(std::tolower(byte));
    }
    CHECK(cert.value().fingerprint_sha256() == hex);
}

TEST_CASE("Certificate::from_pem refuses garbage, truncated PEM and a private key as invalid_argument") {
    auto ca = tether::pki::create_authority("parse CA", 24h);
    std::string pem = ca.certificate.to_pem();
    for (const std::string& text : {std::string(), std::string("garbage"), pem.substr(0, pem.size() / 2),
                                    std::string(ca.key.to_pem().reveal())}) {
        auto parsed = Certificate::from_pem(text);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == ErrorKind::invalid_argument);
        CHECK(parsed.error().message.find("not a PEM certificate") != std::string::npos);
        CHECK(ERR_peek_error() == 0);
    }
    auto empty = Certificate::from_pem(std::string_view{});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message.find("not a PEM certificate") != std::string::npos);
}

TEST_CASE("copies of a certificate share one X509 and outlive the original") {
    auto ca = tether::pki::create_authority("copy CA", 24h);
    std::string fingerprint = ca.certificate.fingerprint_sha256();
    Certificate copy = ca.certificate;
    CHECK(copy.get() == ca.certificate.get());
    Certificate assigned = client_cert(ca, PrivateKey::generate());
    assigned = copy;
    Certificate& alias = assigned;
    assigned = alias;  // self-assignment keeps the reference count right (ASan would see a use-after-free)
    {
        Certificate moved(std::move(ca.certificate));
        CHECK(ca.certificate.get() == nullptr);  // NOLINT(bugprone-use-after-move): the point of the test
    }
    CHECK(copy.fingerprint_sha256() == fingerprint);
    CHECK(assigned.fingerprint_sha256() == fingerprint);
}

TEST_CASE("matches accepts the certificate's own key and refuses any other") {
    auto ca = tether::pki::create_authority("match CA", 24h);
    PrivateKey key = PrivateKey::generate();
    Certificate cert = client_cert(ca, key);
    CHECK(cert.matches(key));
    CHECK_FALSE(cert.matches(ca.key));
    CHECK_FALSE(cert.matches(PrivateKey::generate()));
    CHECK(ca.certificate.matches(ca.key));
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("is_ca holds for the CA certificate and not for the certificates it issues") {
    auto ca = tether::pki::create_authority("is_ca CA", 24h);
    CHECK(ca.certificate.is_ca());
    CHECK_FALSE(client_cert(ca, PrivateKey::generate()).is_ca());
}

TEST_CASE("verify_issued_by accepts a certificate under its own CA, now and within its validity") {
    auto ca = tether::pki::create_authority("verify CA", 48h);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    auto now = std::chrono::system_clock::now();
    CHECK(cert.verify_issued_by(ca.certificate, now));
    CHECK(cert.verify_issued_by(ca.certificate, now + 23h));
    CHECK(cert.verify_issued_by(ca.certificate, now - 4min));  // inside the clock-skew allowance
    CHECK(ca.certificate.verify_issued_by(ca.certificate, now));
}

TEST_CASE("verify_issued_by refuses a certificate from another CA, naming OpenSSL's reason") {
    auto ca = tether::pki::create_authority("first CA", 24h);
    auto other = tether::pki::create_authority("second CA", 24h);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    auto result = cert.verify_issued_by(other.certificate, std::chrono::system_clock::now());
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::unauthenticated);
    CHECK_MESSAGE(result.error().message.find("unable to get local issuer certificate") != std::string::npos,
                  result.error().message);
    CHECK(result.error().message.find("second CA") != std::string::npos);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("verify_issued_by refuses a certificate from a different CA that has the same name") {
    // Same issuer name, different key: only the signature check tells them apart.
    auto ca = tether::pki::create_authority("twin CA", 24h);
    auto twin = tether::pki::create_authority("twin CA", 24h);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    auto result = cert.verify_issued_by(twin.certificate, std::chrono::system_clock::now());
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::unauthenticated);
    CHECK_FALSE(result.error().message.empty());
}

TEST_CASE("verify_issued_by refuses a certificate after notAfter as expired") {
    auto ca = tether::pki::create_authority("expiry CA", 24h * 30);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    auto result = cert.verify_issued_by(ca.certificate, cert.not_after() + 1h);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::unauthenticated);
    CHECK_MESSAGE(result.error().message.find("certificate has expired") != std::string::npos, result.error().message);
}

TEST_CASE("verify_issued_by refuses a certificate before notBefore as not yet valid") {
    auto ca = tether::pki::create_authority("future CA", 24h);
    Certificate cert = client_cert(ca, PrivateKey::generate());
    auto result = cert.verify_issued_by(ca.certificate, cert.not_before() - 1h);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::unauthenticated);
    CHECK_MESSAGE(result.error().message.find("not yet valid") != std::string::npos, result.error().message);
}

TEST_CASE("verify_issued_by refuses a leaf certificate used as the trust anchor") {
    auto ca = tether::pki::create_authority("anchor CA", 24h);
    PrivateKey key = PrivateKey::generate();
    Certificate leaf = client_cert(ca, key);
    Certificate sibling = client_cert(ca, PrivateKey::generate());
    CHECK_FALSE(sibling.verify_issued_by(leaf, std::chrono::system_clock::now()));
    CHECK_FALSE(ca.certificate.verify_issued_by(leaf, std::chrono::system_clock::now()));
}
