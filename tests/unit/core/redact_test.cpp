#include <doctest/doctest.h>

#include "tether/core/redact.h"

using tether::redact;
using tether::scrub_secrets;

TEST_CASE("redact keeps only the public id of an API key") {
    CHECK(redact("tth_abc123_SECRETSECRETSECRET") == "tth_abc123_[redacted]");
}

TEST_CASE("redact shows nothing of other secrets, not even their length") {
    CHECK(redact("hunter2") == "[redacted]");
    CHECK(redact("a much longer secret value") == "[redacted]");
    CHECK(redact("") == "[redacted]");
    CHECK(redact("tth_") == "[redacted]");
    CHECK(redact("tth__secret") == "[redacted]");
}

TEST_CASE("scrub_secrets masks API keys inside text") {
    CHECK(scrub_secrets("key tth_id1_abcDEF123 rejected") == "key tth_id1_[redacted] rejected");
    CHECK(scrub_secrets("tth_id1_abc,tth_id2_def") == "tth_id1_[redacted],tth_id2_[redacted]");
    // Not a key: part of a longer word, or no secret part.
    CHECK(scrub_secrets("xtth_id1_abc") == "xtth_id1_abc");
    CHECK(scrub_secrets("tth_id1_") == "tth_id1_");
}

TEST_CASE("scrub_secrets masks bearer tokens whatever the case of 'Bearer'") {
    CHECK(scrub_secrets("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer [redacted]");
    CHECK(scrub_secrets("authorization: bearer abc==") == "authorization: bearer [redacted]");
    // Over-eager by design: prose may lose a word rather than a token slip through.
    CHECK(scrub_secrets("the bearer of bad news") == "the bearer [redacted] bad news");
}

TEST_CASE("scrub_secrets removes PEM private keys, even cut short") {
    std::string pem =
        "before -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBase64Data\n-----END EC PRIVATE KEY----- after";
    CHECK(scrub_secrets(pem) == "before [redacted private key] after");
    CHECK(scrub_secrets("-----BEGIN PRIVATE KEY-----\nMIIEv") == "[redacted private key]");
    std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    CHECK(scrub_secrets(cert) == cert);
}

TEST_CASE("scrub_secrets leaves ordinary text alone") {
    CHECK(scrub_secrets("") == "");
    CHECK(scrub_secrets("listening on 127.0.0.1:8443") == "listening on 127.0.0.1:8443");
}
