#include "tether/providers/aws/endpoints.h"

#include <algorithm>

#include "tether/core/endpoint.h"
#include "tether/core/text.h"

namespace tether::providers::aws {
namespace {

std::string dns_suffix(std::string_view region) {
    if (region.rfind("cn-", 0) == 0) return "amazonaws.com.cn";
    if (region.rfind("us-isob-", 0) == 0) return "sc2s.sgov.gov";
    if (region.rfind("us-iso-", 0) == 0) return "c2s.ic.gov";
    return "amazonaws.com";
}

// "Secrets Manager" -> "SECRETS_MANAGER" for the variable, "secrets_manager"
// for the services section.
std::string snake_id(std::string_view service_id) {
    std::string out = text::ascii_lower(service_id);
    for (char& c : out) {
        if (c == ' ' || c == '-') c = '_';
    }
    return out;
}

std::string upper(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

bool is_true(const std::optional<std::string>& value) { return value && text::ascii_lower(*value) == "true"; }

Result<std::string> checked(std::string url, const std::string& origin) {
    auto parsed = parse_url(url);
    if (!parsed) {
        return Error{ErrorKind::invalid_argument,
                     origin + ": endpoint URL '" + url + "' is not an http(s) URL: " + parsed.error().message};
    }
    return url;
}

}  // namespace

std::optional<std::string> configured_region(const Environment& environment, const Profile& profile) {
    for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (auto region = environment_value(environment, variable)) return region;
    }
    return profile.region();
}

bool is_region(std::string_view region) {
    return !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

std::string default_endpoint(std::string_view service, std::string_view region) {
    return "https://" + std::string(service) + "." + std::string(region) + "." + dns_suffix(region);
}

Result<std::string> configured_endpoint(std::string_view service_id, const Environment& environment,
                                        const Profile& profile) {
    if (is_true(environment_value(environment, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
        is_true(profile.value("ignore_configured_endpoint_urls"))) {
        return std::string();
    }
    std::string key = snake_id(service_id);
    std::string service_variable = "AWS_ENDPOINT_URL_" + upper(key);
    if (auto url = environment_value(environment, service_variable)) return checked(*url, service_variable);
    if (auto url = environment_value(environment, "AWS_ENDPOINT_URL")) return checked(*url, "AWS_ENDPOINT_URL");
    auto from_services = profile.service_endpoint_url(key);
    if (!from_services) return from_services.error();
    if (from_services.value()) return checked(*from_services.value(), profile.where("services"));
    if (auto url = profile.endpoint_url()) return checked(*url, profile.where("endpoint_url"));
    return std::string();
}

Result<std::string> service_endpoint(std::string_view service_id, std::string_view region,
                                     const Environment& environment, const Profile& profile) {
    auto configured = configured_endpoint(service_id, environment, profile);
    if (!configured || !configured.value().empty()) return configured;
    if (region.empty()) {
        return Error{ErrorKind::invalid_argument,
                     "no region for " + std::string(service_id) + ": set AWS_REGION or the profile's region"};
    }
    if (!is_region(region)) {
        return Error{ErrorKind::invalid_argument, "'" + std::string(region) + "' is not a region name"};
    }
    return default_endpoint(text::ascii_lower(service_id), region);
}

}  // namespace tether::providers::aws
