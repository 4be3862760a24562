#pragma once

// Shared by the Kubernetes provider tests: a scratch directory, a client
// certificate and key issued by a throw-away CA, and base64 from OpenSSL
// (an implementation independent of the one under test).
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "tether/pki/authority.h"
#include "common/files.h"

namespace kube_test {

using tether::testing::TempDir;

inline std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

inline std::string unbase64(std::string_view text) {
    std::string out(3 * (text.size() / 4) + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    REQUIRE(n >= 0);
    std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

struct KeyPair {
    std::string certificate_pem;
    std::string key_pem;
};

inline const tether::pki::CertificateAuthority& authority() {
    static const auto ca = tether::pki::create_authority("tether kube test CA", std::chrono::hours(1));
    return ca;
}

inline std::string ca_pem() { return authority().certificate.to_pem(); }

inline KeyPair client_pair(const std::string& name) {
    auto key = tether::pki::PrivateKey::generate();
    auto certificate = tether::pki::issue_client_certificate(authority(), key, "spiffe://kube.test/" + name, name,
                                                             std::chrono::hours(1));
    REQUIRE(certificate);
    return {certificate.value().to_pem(), std::string(key.to_pem().reveal())};
}

}  // namespace kube_test
