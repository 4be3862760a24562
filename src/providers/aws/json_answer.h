#pragma once

// The JSON objects credential sources answer with hold secrets: parsed
// without exceptions (their messages quote the input) and wiped after use.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/providers/aws/credentials.h"

namespace tether::providers::aws {

class JsonAnswer {
public:
    // `source` names the answer in messages ("the credential process /bin/x").
    static Result<JsonAnswer> parse(std::string_view text, std::string source);

    JsonAnswer(JsonAnswer&&) = default;
    JsonAnswer& operator=(JsonAnswer&&) = default;
    JsonAnswer(const JsonAnswer&) = delete;
    JsonAnswer& operator=(const JsonAnswer&) = delete;
    ~JsonAnswer();

    const nlohmann::json& json() const { return json_; }
    bool has(const char* key) const { return json_.contains(key) && !json_[key].is_null(); }
    // invalid_argument naming the key if it is absent, empty or not a string.
    Result<std::string> text(const char* key) const;
    // nullopt if absent or null.
    Result<std::optional<std::string>> optional_text(const char* key) const;
    Result<std::optional<std::chrono::system_clock::time_point>> optional_time(const char* key) const;
    Error invalid(const std::string& what) const;

private:
    JsonAnswer(nlohmann::json json, std::string source) : json_(std::move(json)), source_(std::move(source)) {}

    nlohmann::json json_;
    std::string source_;
};

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}: temporary
// credentials as the ECS agent and instance metadata hand them out.
Result<ExpiringCredentials> temporary_credentials(const JsonAnswer& json);

}  // namespace tether::providers::aws
