#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "support.h"
#include "tether/pki/authority.h"
#include "tether/pki/private_key.h"

using tether::ErrorKind;
using tether::pki::PrivateKey;

namespace {

// PEM text of `key` written by one of OpenSSL's PEM writers.
template <typename Write>
std::string pem_of(EVP_PKEY* key, Write write) {
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(bio != nullptr);
    REQUIRE(write(bio, key) == 1);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
}

std::string unencrypted_pkcs8(EVP_PKEY* key) {
    return pem_of(key, [](BIO* bio, EVP_PKEY* k) {
        return PEM_write_bio_PKCS8PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    });
}

struct OwnedKey {
    EVP_PKEY* key;
    explicit OwnedKey(EVP_PKEY* k) : key(k) { REQUIRE(key != nullptr); }
    ~OwnedKey() { EVP_PKEY_free(key); }
};

void check_refused(const tether::Result<PrivateKey>& result, const std::string& expected_words) {
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::invalid_argument);
    CHECK_MESSAGE(result.error().message.find(expected_words) != std::string::npos, result.error().message);
    CHECK(ERR_peek_error() == 0);  // nothing left behind for an unrelated caller to trip on
}

}  // namespace

TEST_CASE("a generated key is EC P-256 and survives a PKCS#8 PEM round trip") {
    PrivateKey key = PrivateKey::generate();
    REQUIRE(key.get() != nullptr);
    CHECK(EVP_PKEY_is_a(key.get(), "EC"));
    CHECK(EVP_PKEY_get_bits(key.get()) == 256);

    tether::Secret pem = key.to_pem();
    CHECK(pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    CHECK(pem.reveal().ends_with("-----END PRIVATE KEY-----\n"));

    auto parsed = PrivateKey::from_pem(pem.reveal());
    REQUIRE(parsed);
    CHECK(EVP_PKEY_eq(parsed.value().get(), key.get()) == 1);
    CHECK(parsed.value().to_pem().reveal() == pem.reveal());
}

TEST_CASE("two generated keys are different") {
    PrivateKey a = PrivateKey::generate();
    PrivateKey b = PrivateKey::generate();
    CHECK(EVP_PKEY_eq(a.get(), b.get()) != 1);
    CHECK(a.to_pem().reveal() != b.to_pem().reveal());
}

TEST_CASE("a P-256 key in SEC1 'EC PRIVATE KEY' PEM is accepted and written back as PKCS#8") {
    PrivateKey key = PrivateKey::generate();
    std::string sec1 = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
        return PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    });
    REQUIRE(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    auto parsed = PrivateKey::from_pem(sec1);
    REQUIRE(parsed);
    CHECK(EVP_PKEY_eq(parsed.value().get(), key.get()) == 1);
    CHECK(parsed.value().to_pem().reveal().starts_with("-----BEGIN PRIVATE KEY-----"));
}

TEST_CASE("garbage, empty text, truncated PEM and a certificate are refused as invalid_argument") {
    check_refused(PrivateKey::from_pem(""), "not a PEM private key");
    check_refused(PrivateKey::from_pem(std::string_view{}), "not a PEM private key");
    check_refused(PrivateKey::from_pem("not a key at all"), "not a PEM private key");
    check_refused(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                  "not a PEM private key");

    std::string pem(PrivateKey::generate().to_pem().reveal());
    check_refused(PrivateKey::from_pem(pem.substr(0, pem.size() / 2)), "not a PEM private key");

    auto ca = tether::pki::create_authority("test CA", std::chrono::hours{1});
    check_refused(PrivateKey::from_pem(ca.certificate.to_pem()), "not a PEM private key");
}

TEST_CASE("an RSA key is refused with a message naming its type") {
    OwnedKey rsa(EVP_RSA_gen(2048));
    check_refused(PrivateKey::from_pem(unencrypted_pkcs8(rsa.key)), "RSA");
}

TEST_CASE("EC keys on other curves (P-384) and Ed25519 keys are refused") {
    OwnedKey p384(EVP_EC_gen("P-384"));
    check_refused(PrivateKey::from_pem(unencrypted_pkcs8(p384.key)), "secp384r1");
    OwnedKey ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    check_refused(PrivateKey::from_pem(unencrypted_pkcs8(ed25519.key)), "ED25519");
}

TEST_CASE("a P-256 key with explicit curve parameters (from the openssl tool) is refused") {
    if (!pki_test::have_openssl_tool()) {
        MESSAGE("the openssl command-line tool is not installed; skipping");
        return;
    }
    pki_test::TempDir dir;
    auto made = pki_test::run("openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out " +
                              (dir.path / "explicit.pem").string());
    REQUIRE_MESSAGE(made.exit_code == 0, made.output);
    check_refused(PrivateKey::from_pem(dir.read("explicit.pem")), "explicit curve parameters");

    auto named =
        pki_test::run("openssl ecparam -name prime256v1 -genkey -noout -out " + (dir.path / "named.pem").string());
    REQUIRE_MESSAGE(named.exit_code == 0, named.output);
    CHECK(PrivateKey::from_pem(dir.read("named.pem")));
}

TEST_CASE("encrypted keys are refused as encrypted, without prompting for a passphrase") {
    PrivateKey key = PrivateKey::generate();
    static char passphrase[] = "correct horse";
    std::string pkcs8 = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
        return PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), passphrase, 13, nullptr, nullptr);
    });
    REQUIRE(pkcs8.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    check_refused(PrivateKey::from_pem(pkcs8), "encrypted");

    std::string traditional = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
        auto* bytes = reinterpret_cast<unsigned char*>(passphrase);
        return PEM_write_bio_PrivateKey_traditional(bio, k, EVP_aes_256_cbc(), bytes, 13, nullptr, nullptr);
    });
    REQUIRE(traditional.find("Proc-Type: 4,ENCRYPTED") != std::string::npos);
    check_refused(PrivateKey::from_pem(traditional), "encrypted");
}

TEST_CASE("moving a key hands it over and leaves the source empty") {
    PrivateKey source = PrivateKey::generate();
    EVP_PKEY* raw = source.get();
    PrivateKey target(std::move(source));
    CHECK(target.get() == raw);
    CHECK(source.get() == nullptr);  // NOLINT(bugprone-use-after-move): the point of the test

    PrivateKey other = PrivateKey::generate();
    other = std::move(target);
    CHECK(other.get() == raw);
}
