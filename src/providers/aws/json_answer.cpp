#include "json_answer.h"

#include "tether/core/json.h"
#include "tether/core/secret.h"
#include "tether/core/timestamp.h"

namespace tether::providers::aws {
namespace {

void wipe_strings(nlohmann::json& value) {
    if (value.is_string()) {
        wipe(value.get_ref<std::string&>());
    } else if (value.is_structured()) {
        for (auto& element : value) wipe_strings(element);
    }
}

}  // namespace

Result<JsonAnswer> JsonAnswer::parse(std::string_view text, std::string source) {
    auto parsed = parse_json(text);
    if (!parsed) {
        return Error{ErrorKind::invalid_argument,
                     source + " answered with text that is not JSON (" + parsed.error().message + ")"};
    }
    nlohmann::json json = std::move(parsed).value();
    if (!json.is_object()) {
        wipe_strings(json);
        return Error{ErrorKind::invalid_argument, source + " answered with JSON that is not an object"};
    }
    return JsonAnswer(std::move(json), std::move(source));
}

JsonAnswer::~JsonAnswer() { wipe_strings(json_); }

Error JsonAnswer::invalid(const std::string& what) const {
    return {ErrorKind::invalid_argument, source_ + " answered without a valid credential: " + what};
}

Result<std::string> JsonAnswer::text(const char* key) const {
    auto value = optional_text(key);
    if (!value) return value.error();
    if (!value.value() || value.value()->empty()) return invalid(std::string("no ") + key);
    return std::move(*value.value());
}

Result<std::optional<std::string>> JsonAnswer::optional_text(const char* key) const {
    if (!has(key)) return std::optional<std::string>();
    const auto& value = json_[key];
    if (!value.is_string()) return invalid(std::string(key) + " is not a string");
    return std::optional<std::string>(value.get<std::string>());
}

Result<std::optional<std::chrono::system_clock::time_point>> JsonAnswer::optional_time(const char* key) const {
    using Time = std::optional<std::chrono::system_clock::time_point>;
    auto value = optional_text(key);
    if (!value) return value.error();
    if (!value.value()) return Time();
    auto time = parse_timestamp(*value.value());
    if (!time) return invalid(std::string(key) + ": " + time.error().message);
    return Time(time.value());
}

Result<ExpiringCredentials> temporary_credentials(const JsonAnswer& json) {
    auto key_id = json.text("AccessKeyId");
    auto secret = json.text("SecretAccessKey");
    auto token = json.text("Token");
    auto expiration = json.optional_time("Expiration");
    for (const Result<std::string>* field : {&key_id, &secret, &token}) {
        if (!*field) return field->error();
    }
    if (!expiration) return expiration.error();
    if (!expiration.value()) return json.invalid("no Expiration");
    ExpiringCredentials out;
    out.credentials.access_key_id = std::move(key_id).value();
    out.credentials.secret_access_key = Secret(secret.value());
    out.credentials.session_token = Secret(token.value());
    wipe(secret.value());
    wipe(token.value());
    out.expiration = expiration.value();
    return out;
}

}  // namespace tether::providers::aws
