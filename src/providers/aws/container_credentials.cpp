#include "tether/providers/aws/container_credentials.h"

#include <arpa/inet.h>

#include <array>

#include "json_answer.h"
#include "token_file.h"

namespace tether::providers::aws {
namespace {

constexpr std::string_view relative_variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr std::string_view full_variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr std::string_view token_file_variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
constexpr std::string_view token_variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
constexpr std::string_view ecs_host = "169.254.170.2";

Error invalid_variable(std::string_view variable, const std::string& what) {
    return {ErrorKind::invalid_argument, std::string(variable) + ": " + what};
}

bool is_loopback(const std::string& host) {
    std::array<unsigned char, 16> address{};
    if (::inet_pton(AF_INET, host.c_str(), address.data()) == 1) return address[0] == 127;
    if (::inet_pton(AF_INET6, host.c_str(), address.data()) == 1) {
        static constexpr std::array<unsigned char, 16> loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return address == loopback;
    }
    return false;
}

bool is_allowed_http_host(const std::string& host) {
    return is_loopback(host) || host == "localhost" || host == ecs_host || host == "169.254.170.23" ||
           host == "fd00:ec2::23";
}

}  // namespace

bool has_container_credentials(const Environment& environment) {
    return environment_value(environment, std::string(relative_variable)) ||
           environment_value(environment, std::string(full_variable));
}

Result<HttpCall> container_credentials_call(const Environment& environment) {
    HttpCall call;
    if (auto relative = environment_value(environment, std::string(relative_variable))) {
        if (relative->front() != '/') return invalid_variable(relative_variable, "'" + *relative + "' does not start with '/'");
        auto url = parse_url("http://" + std::string(ecs_host) + *relative);
        if (!url) return invalid_variable(relative_variable, url.error().message);
        call.url = std::move(url).value();
    } else if (auto full = environment_value(environment, std::string(full_variable))) {
        auto url = parse_url(*full);
        if (!url) return invalid_variable(full_variable, url.error().message);
        if (url.value().scheme == "http" && !is_allowed_http_host(url.value().authority.host)) {
            return invalid_variable(full_variable,
                           "http is allowed only to a loopback address, localhost, 169.254.170.2, "
                           "169.254.170.23 or [fd00:ec2::23], not " +
                               url.value().authority.host);
        }
        call.url = std::move(url).value();
    } else {
        return Error{ErrorKind::failed_precondition,
                     "neither " + std::string(relative_variable) + " nor " + std::string(full_variable) + " is set"};
    }

    Secret token;
    std::string_view origin = token_variable;
    if (auto file = environment_value(environment, std::string(token_file_variable))) {
        auto read = read_token_file(*file, token_file_variable);
        if (!read) return read.error();
        token = std::move(read).value();
        origin = token_file_variable;
    } else if (auto value = environment_value(environment, std::string(token_variable))) {
        token = Secret(*value);
        wipe(*value);
    }
    if (!token.empty()) {
        if (token.reveal().find_first_of("\r\n") != std::string_view::npos ||
            token.reveal().find('\0') != std::string_view::npos) {
            return invalid_variable(origin, "the authorization token holds a line break or NUL");
        }
        call.secret_headers.emplace_back("Authorization", std::move(token));
    }
    call.headers.emplace_back("Accept", "application/json");
    return call;
}

Result<ExpiringCredentials> parse_container_credentials(unsigned status, std::string_view body) {
    auto answer = JsonAnswer::parse(body, "the container credentials endpoint");
    if (status < 200 || status > 299) {
        std::string detail;
        if (answer) {
            auto code = answer.value().optional_text("code");
            auto message = answer.value().optional_text("message");
            if (code && code.value()) detail += ": " + *code.value();
            if (message && message.value()) detail += ": " + *message.value();
        }
        ErrorKind kind = status == 401                    ? ErrorKind::unauthenticated
                         : status == 403                  ? ErrorKind::permission_denied
                         : status >= 500 || status == 429 ? ErrorKind::unavailable
                                                          : ErrorKind::invalid_argument;
        return Error{kind, "the container credentials endpoint answered HTTP " + std::to_string(status) + detail};
    }
    if (!answer) return answer.error();
    const JsonAnswer& json = answer.value();
    return temporary_credentials(json);
}

}  // namespace tether::providers::aws
