// Random requests signed by tether and by botocore's SigV4 signer (an
// independent implementation, tests/oracles/botocore_sigv4.py) must give
// the same canonical request, string to sign and signature. The seed is
// printed on failure; TETHER_SIGV4_SEED replays one.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/botocore.h"
#include "tether/core/text.h"
#include "tether/providers/aws/sigv4.h"

namespace aws = tether::providers::aws;
using nlohmann::json;

namespace {

constexpr int request_count = 400;

struct RequestGenerator {
    std::mt19937_64 random;

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); }
    bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

    // Text with what trips signers up: reserved characters, spaces, UTF-8.
    std::string text(std::size_t longest) {
        static const std::vector<std::string> pieces = {
            "a", "Z", "0", "-", "_", ".", "~", " ", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":",
            "@", "%", "/", "?", "#", "[", "]", "\xc3\xa9", "\xe1\x88\xb4", "\xf0\x9f\x98\x80", "key", "Value"};
        std::string out;
        std::size_t length = 1 + below(longest);
        for (std::size_t i = 0; i < length; ++i) out += pieces[below(pieces.size())];
        return out;
    }

    std::string header_value() {
        static const std::vector<std::string> pieces = {"a", "B", "1", " ", "  ", "\t", ",", ";", "=", "\"q\"", "/"};
        std::string out;
        std::size_t length = below(8);
        for (std::size_t i = 0; i < length; ++i) out += pieces[below(pieces.size())];
        return out;
    }

    std::string name_case(std::string name) {
        for (char& c : name) {
            if (chance(50)) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        return name;
    }
};

struct SigningCase {
    aws::RequestToSign request;
    std::string body;
    aws::Credentials credentials;
    aws::Scope scope;
    bool s3 = false;
    json oracle_input;
};

SigningCase random_case(RequestGenerator& generate) {
    SigningCase c;
    static const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "HEAD"};
    static const std::vector<std::string> services = {"ec2", "sts", "iam", "execute-api", "s3"};
    static const std::vector<std::string> regions = {"us-east-1", "eu-west-3", "ap-southeast-2"};
    c.request.method = methods[generate.below(methods.size())];
    c.scope.service = services[generate.below(services.size())];
    c.scope.region = regions[generate.below(regions.size())];
    c.s3 = c.scope.service == "s3";
    c.scope.time = std::chrono::system_clock::from_time_t(1'400'000'000 + static_cast<std::time_t>(generate.below(400'000'000)));
    std::string host = c.scope.service + "." + c.scope.region + ".amazonaws.com";

    // The path as it goes on the wire: segments encoded once, with dot and
    // empty segments left for the signer's normalisation to meet.
    std::string path;
    for (std::size_t i = 0, n = generate.below(5); i < n; ++i) {
        std::size_t kind = generate.below(10);
        path += "/";
        if (kind == 0) path += ".";
        else if (kind == 1) path += "..";
        else if (kind == 2) path += "";
        else path += tether::text::percent_encode(generate.text(6), false);
    }
    if (path.empty() || generate.chance(20)) path += "/";
    c.request.path = path;

    // The query in canonical encoding, as tether's HTTP client writes it.
    std::string query;
    for (std::size_t i = 0, n = generate.below(5); i < n; ++i) {
        if (!query.empty()) query += "&";
        query += tether::text::percent_encode(generate.text(4), false) + "=";
        if (!generate.chance(15)) query += tether::text::percent_encode(generate.text(6), false);
    }
    c.request.query = query;

    c.request.headers.emplace_back(generate.name_case("host"), host);
    static const std::vector<std::string> names = {"x-tether-one", "x-tether-two", "content-type", "x-amz-meta-a",
                                                   "user-agent", "x-amzn-trace-id", "expect"};
    for (std::size_t i = 0, n = generate.below(6); i < n; ++i) {
        c.request.headers.emplace_back(generate.name_case(names[generate.below(names.size())]), generate.header_value());
    }
    if (c.request.method == "POST" || c.request.method == "PUT") c.body = generate.text(40);

    c.credentials.access_key_id = "AKIA" + std::to_string(generate.below(1'000'000));
    c.credentials.secret_access_key = tether::Secret("secret/" + std::to_string(generate.below(1'000'000)) + "+key");
    if (generate.chance(40)) c.credentials.session_token = tether::Secret("token" + std::to_string(generate.below(1'000'000)));

    json headers = json::array();
    for (const auto& [name, value] : c.request.headers) headers.push_back({name, value});
    char timestamp[32];
    std::time_t seconds = std::chrono::system_clock::to_time_t(c.scope.time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    std::strftime(timestamp, sizeof timestamp, "%Y%m%dT%H%M%SZ", &utc);
    // botocore over http signs the payload's hash, as tether always does.
    c.oracle_input = {{"method", c.request.method},
                      {"url", "http://" + host + c.request.path + (query.empty() ? "" : "?" + query)},
                      {"headers", headers},
                      {"body", c.body},
                      {"access_key", c.credentials.access_key_id},
                      {"secret_key", std::string(c.credentials.secret_access_key.reveal())},
                      {"token", std::string(c.credentials.session_token.reveal())},
                      {"region", c.scope.region},
                      {"service", c.scope.service},
                      {"timestamp", timestamp},
                      {"s3", c.s3}};
    return c;
}

}  // namespace

TEST_CASE("random requests: tether's SigV4 signatures are botocore's") {
    std::uint64_t seed = std::random_device{}();
    if (const char* fixed = std::getenv("TETHER_SIGV4_SEED")) seed = std::strtoull(fixed, nullptr, 10);
    CAPTURE(seed);
    RequestGenerator generate{std::mt19937_64(seed)};
    std::vector<SigningCase> cases;
    for (int i = 0; i < request_count; ++i) cases.push_back(random_case(generate));

    auto input = std::filesystem::temp_directory_path() / ("tether-sigv4-" + std::to_string(::getpid()) + ".jsonl");
    {
        std::ofstream out(input);
        for (const auto& c : cases) out << c.oracle_input.dump() << '\n';
    }
    std::string output = tether::testing::run_oracle("botocore_sigv4.py", "< " + input.string());
    std::filesystem::remove(input);

    std::istringstream lines(output);
    std::size_t compared = 0;
    for (const auto& c : cases) {
        std::string line;
        REQUIRE(std::getline(lines, line));
        json expected = json::parse(line);
        CAPTURE(c.oracle_input.dump());
        auto rules = c.s3 ? aws::Rules::s3() : aws::Rules{};
        aws::RequestToSign request = c.request;
        request.body = c.body;  // a view: set once the case has its final place
        auto signed_request = aws::sign_headers(request, c.credentials, c.scope, rules);
        REQUIRE_MESSAGE(signed_request, (signed_request ? "" : signed_request.error().message));
        CHECK(signed_request.value().signature.canonical_request == expected["canonical_request"].get<std::string>());
        CHECK(signed_request.value().signature.string_to_sign == expected["string_to_sign"].get<std::string>());
        CHECK(signed_request.value().signature.signature == expected["signature"].get<std::string>());
        ++compared;
    }
    CHECK(compared == cases.size());
}
