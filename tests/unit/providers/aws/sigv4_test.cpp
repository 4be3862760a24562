// The official SigV4 test suite (tests/data/aws-sigv4, from awslabs/aws-c-auth):
// every case is signed both ways, in the Authorization header and in the
// query string, and its canonical request, string to sign and signature
// compared byte for byte with the published ones.
#include <doctest/doctest.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tether/providers/aws/sigv4.h"

namespace aws = tether::providers::aws;
namespace fs = std::filesystem;

namespace {

const fs::path suite = fs::path(TETHER_SOURCE_DIR) / "tests" / "data" / "aws-sigv4";

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot read " << path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string trim(std::string_view text) {
    std::size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) return {};
    std::size_t end = text.find_last_not_of(" \t");
    return std::string(text.substr(start, end - start + 1));
}

// request.txt: "METHOD target HTTP/1.1", headers (a line starting with
// white space continues the previous value), a blank line, the body.
struct ParsedRequest {
    aws::RequestToSign request;
    std::string body;
};

ParsedRequest parse_request(const std::string& text) {
    ParsedRequest parsed;
    std::size_t line_end = text.find('\n');
    std::string first = text.substr(0, line_end);
    std::size_t method_end = first.find(' ');
    std::size_t version = first.rfind(" HTTP/1.1");
    REQUIRE(method_end != std::string::npos);
    REQUIRE(version != std::string::npos);
    parsed.request.method = first.substr(0, method_end);
    std::string target = first.substr(method_end + 1, version - method_end - 1);
    std::size_t question = target.find('?');
    parsed.request.path = target.substr(0, question);
    if (question != std::string::npos) parsed.request.query = target.substr(question + 1);

    std::size_t position = line_end == std::string::npos ? text.size() : line_end + 1;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(position, end - position);
        position = end + 1;
        if (line.empty()) {
            parsed.body = position < text.size() ? text.substr(position) : std::string();
            break;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            REQUIRE_FALSE(parsed.request.headers.empty());
            parsed.request.headers.back().second += ' ' + trim(line);
            continue;
        }
        std::size_t colon = line.find(':');
        REQUIRE(colon != std::string::npos);
        parsed.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    return parsed;
}

struct Context {
    aws::Credentials credentials;
    aws::Scope scope;
    aws::Rules rules;
    std::chrono::seconds expires{0};
};

Context parse_context(const std::string& text) {
    auto json = nlohmann::json::parse(text);
    Context context;
    context.credentials.access_key_id = json["credentials"]["access_key_id"].get<std::string>();
    context.credentials.secret_access_key = tether::Secret(json["credentials"]["secret_access_key"].get<std::string>());
    if (json["credentials"].contains("token")) {
        context.credentials.session_token = tether::Secret(json["credentials"]["token"].get<std::string>());
    }
    context.scope.region = json["region"].get<std::string>();
    context.scope.service = json["service"].get<std::string>();
    std::tm utc{};
    std::istringstream(json["timestamp"].get<std::string>()) >> std::get_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
    context.scope.time = std::chrono::system_clock::from_time_t(::timegm(&utc));
    context.rules.normalize_path = json.value("normalize", true);
    context.rules.content_sha256_header = json.value("sign_body", false);
    context.rules.sign_session_token = !json.value("omit_session_token", false);
    context.expires = std::chrono::seconds(json.value("expiration_in_seconds", 3600));
    return context;
}

std::vector<fs::path> cases() {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(suite)) {
        if (entry.is_directory()) found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

// The published Authorization value, from header-signed-request.txt.
std::string published_authorization(const fs::path& dir) {
    std::istringstream lines(read(dir / "header-signed-request.txt"));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Authorization:", 0) == 0) return line.substr(std::string("Authorization:").size());
    }
    FAIL("no Authorization line in " << dir);
    return {};
}

}  // namespace

TEST_CASE("every case of the official SigV4 test suite, signed in the Authorization header") {
    auto all = cases();
    REQUIRE(all.size() == 38);  // the suite as vendored: a missing folder is a failure, not a smaller test
    for (const auto& dir : all) {
        CAPTURE(dir.filename().string());
        ParsedRequest parsed = parse_request(read(dir / "request.txt"));
        parsed.request.body = parsed.body;
        Context context = parse_context(read(dir / "context.json"));
        auto signed_request = aws::sign_headers(parsed.request, context.credentials, context.scope, context.rules);
        REQUIRE_MESSAGE(signed_request, (signed_request ? "" : signed_request.error().message));
        CHECK(signed_request.value().signature.canonical_request == read(dir / "header-canonical-request.txt"));
        CHECK(signed_request.value().signature.string_to_sign == read(dir / "header-string-to-sign.txt"));
        CHECK(signed_request.value().signature.signature == read(dir / "header-signature.txt"));
        REQUIRE_FALSE(signed_request.value().headers.empty());
        CHECK(signed_request.value().headers.back().first == "Authorization");
        CHECK(signed_request.value().headers.back().second == published_authorization(dir));
    }
}

TEST_CASE("every case of the official SigV4 test suite, presigned in the query string") {
    for (const auto& dir : cases()) {
        CAPTURE(dir.filename().string());
        ParsedRequest parsed = parse_request(read(dir / "request.txt"));
        parsed.request.body = parsed.body;
        Context context = parse_context(read(dir / "context.json"));
        auto presigned =
            aws::presign_query(parsed.request, context.credentials, context.scope, context.expires, context.rules);
        REQUIRE_MESSAGE(presigned, (presigned ? "" : presigned.error().message));
        CHECK(presigned.value().signature.canonical_request == read(dir / "query-canonical-request.txt"));
        CHECK(presigned.value().signature.string_to_sign == read(dir / "query-string-to-sign.txt"));
        CHECK(presigned.value().signature.signature == read(dir / "query-signature.txt"));
        CHECK(presigned.value().query.find("X-Amz-Signature=" + read(dir / "query-signature.txt")) != std::string::npos);
    }
}

TEST_CASE("a request that cannot be signed is refused with the reason") {
    aws::Credentials credentials{"AKIDEXAMPLE", tether::Secret("secret"), tether::Secret()};
    aws::Scope scope{"us-east-1", "sts", std::chrono::system_clock::now()};
    aws::RequestToSign request;
    request.method = "GET";
    request.headers = {{"Host", "sts.amazonaws.com"}};

    SUBCASE("no Host") {
        request.headers.clear();
        auto signed_request = aws::sign_headers(request, credentials, scope);
        REQUIRE_FALSE(signed_request);
        CHECK(signed_request.error().message.find("no Host") != std::string::npos);
    }
    SUBCASE("a header value with a line break: no header injection") {
        request.headers.emplace_back("X-Evil", "a\r\nAuthorization: forged");
        auto signed_request = aws::sign_headers(request, credentials, scope);
        REQUIRE_FALSE(signed_request);
        CHECK(signed_request.error().kind == tether::ErrorKind::invalid_argument);
    }
    SUBCASE("a header name that is not a token") {
        request.headers.emplace_back("Bad Name", "x");
        CHECK_FALSE(aws::sign_headers(request, credentials, scope));
    }
    SUBCASE("the caller's own Authorization or X-Amz-Date") {
        request.headers.emplace_back("authorization", "x");
        auto signed_request = aws::sign_headers(request, credentials, scope);
        REQUIRE_FALSE(signed_request);
        CHECK(signed_request.error().message.find("the signer sets it") != std::string::npos);
    }
    SUBCASE("a broken escape in the query") {
        request.query = "a=%G1";
        CHECK_FALSE(aws::sign_headers(request, credentials, scope));
        request.query = "a=%4";
        CHECK_FALSE(aws::sign_headers(request, credentials, scope));
    }
    SUBCASE("a presign past 7 days") {
        CHECK_FALSE(aws::presign_query(request, credentials, scope, std::chrono::seconds(7 * 24 * 3600 + 1)));
        CHECK(aws::presign_query(request, credentials, scope, std::chrono::seconds(7 * 24 * 3600)));
    }
    SUBCASE("no secret") {
        credentials.secret_access_key = tether::Secret();
        CHECK_FALSE(aws::sign_headers(request, credentials, scope));
    }
}

TEST_CASE("S3 rules: the path is signed as sent, and x-amz-content-sha256 goes along") {
    aws::Credentials credentials{"AKIDEXAMPLE", tether::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 tether::Secret()};
    aws::Scope scope{"us-east-1", "s3", std::chrono::system_clock::from_time_t(1440938160)};
    aws::RequestToSign request;
    request.method = "GET";
    request.path = "/bucket//a%20b/./c";
    request.headers = {{"Host", "s3.amazonaws.com"}};
    request.payload_hash = "UNSIGNED-PAYLOAD";
    auto signed_request = aws::sign_headers(request, credentials, scope, aws::Rules::s3());
    REQUIRE(signed_request);
    const std::string& canonical = signed_request.value().signature.canonical_request;
    CHECK(canonical.rfind("GET\n/bucket//a%20b/./c\n\n", 0) == 0);
    CHECK(canonical.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n") != std::string::npos);
    CHECK(canonical.substr(canonical.rfind('\n') + 1) == "UNSIGNED-PAYLOAD");
    // Other services encode the wire path once more, after normalising it.
    auto other = aws::sign_headers(request, credentials, scope);
    REQUIRE(other);
    CHECK(other.value().signature.canonical_request.rfind("GET\n/bucket/a%2520b/c\n\n", 0) == 0);
}

TEST_CASE("headers signed by nobody are left out, as botocore leaves them") {
    aws::Credentials credentials{"AKIDEXAMPLE", tether::Secret("secret"), tether::Secret()};
    aws::Scope scope{"us-east-1", "ec2", std::chrono::system_clock::from_time_t(1440938160)};
    aws::RequestToSign request;
    request.method = "GET";
    request.headers = {{"Host", "ec2.amazonaws.com"}, {"User-Agent", "tether"}, {"X-Amzn-Trace-Id", "Root=1"}};
    auto signed_request = aws::sign_headers(request, credentials, scope);
    REQUIRE(signed_request);
    CHECK(signed_request.value().headers.back().second.find("SignedHeaders=host;x-amz-date,") != std::string::npos);
}
