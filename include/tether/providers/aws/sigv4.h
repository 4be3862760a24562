#pragma once

// AWS Signature Version 4: a request's canonical form, the string to sign,
// and the signature, in the Authorization header or in the query string
// (a presigned URL). What is signed and how is the public algorithm
// (docs.aws.amazon.com, "Create a signed AWS API request"); the official
// test suite in tests/ pins every step. Nothing here sends anything.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::providers::aws {

struct Credentials {
    std::string access_key_id;
    Secret secret_access_key;
    Secret session_token;  // empty for long-term keys
};

using Header = std::pair<std::string, std::string>;

// A request as it will go on the wire.
struct RequestToSign {
    std::string method;
    std::string path = "/";       // percent-encoded as sent, without the query
    std::string query;            // as sent, without '?'; may be empty
    std::vector<Header> headers;  // must hold Host; not X-Amz-Date or Authorization (the signer sets them)
    std::string_view body;
    // Instead of hashing the body: a known hash, or "UNSIGNED-PAYLOAD".
    std::optional<std::string> payload_hash;
};

struct Scope {
    std::string region;
    std::string service;
    std::chrono::system_clock::time_point time;
};

// Where services differ. The defaults are every service's but S3's.
struct Rules {
    // Remove "." and ".." segments and empty segments from the path.
    bool normalize_path = true;
    // Percent-encode the path once more for the canonical request (S3
    // signs the path exactly as sent).
    bool encode_path = true;
    // Sign and send x-amz-content-sha256 (S3 requires it).
    bool content_sha256_header = false;
    // A session token is signed like any header (or query parameter); a
    // few services want it added after signing instead.
    bool sign_session_token = true;

    static Rules s3() { return {false, false, true, true}; }
};

// Headers signed by nobody: proxies and clients change them in transit.
// The same list as botocore's, so that both sign the same request alike.
bool is_unsigned_header(std::string_view lower_case_name);

struct Signature {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;  // lower-case hex
};

struct SignedHeaders {
    Signature signature;
    // To add to the request, in this order: X-Amz-Security-Token,
    // X-Amz-Date, x-amz-content-sha256, Authorization.
    std::vector<Header> headers;
};

// invalid_argument names what is wrong with the request (a header name or
// value that cannot be sent, a bad escape in the query, no Host, …).
Result<SignedHeaders> sign_headers(const RequestToSign& request, const Credentials& credentials, const Scope& scope,
                                   const Rules& rules = {});

struct PresignedQuery {
    Signature signature;
    std::string query;  // the request's query with the X-Amz-* parameters and the signature appended
};

// `expires` from 1 s to 7 days, as AWS accepts.
Result<PresignedQuery> presign_query(const RequestToSign& request, const Credentials& credentials, const Scope& scope,
                                     std::chrono::seconds expires, const Rules& rules = {});

}  // namespace tether::providers::aws
