// The settings and inline credentials of an aws connection: checked by the
// server when it is defined and by the runner before it signs with it.
#include <algorithm>
#include <charconv>

#include "tether/core/duration.h"
#include "tether/core/json.h"
#include "tether/core/references.h"
#include "tether/providers/aws/endpoints.h"
#include "tether/providers/aws/provider.h"

namespace tether::providers::aws {
namespace {

using nlohmann::json;

bool is_alphanumeric(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

std::optional<std::string> region(std::string_view value) {
    if (!is_region(value)) return "a region such as eu-west-1";
    return std::nullopt;
}

// arn:<partition>:iam::<12 digits>:role/<path and name>
std::optional<std::string> role_arn(std::string_view value) {
    constexpr std::string_view what = "an IAM role ARN such as arn:aws:iam::123456789012:role/Deploy";
    auto partition_ok = [](std::string_view p) {
        return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
    };
    if (!value.starts_with("arn:aws")) return std::string(what);
    std::size_t iam = value.find(":iam::");
    if (iam == std::string_view::npos || !partition_ok(value.substr(4, iam - 4))) return std::string(what);
    std::string_view rest = value.substr(iam + 6);
    if (rest.size() < 18 || !std::all_of(rest.begin(), rest.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }) ||
        rest.substr(12, 6) != ":role/") {
        return std::string(what);
    }
    std::string_view name = rest.substr(18);
    bool name_ok = !name.empty() && name.size() <= 512 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_+=,.@/-").find(c) != std::string_view::npos;
    });
    if (!name_ok) return std::string(what);
    return std::nullopt;
}

std::optional<std::string> duration(std::string_view value) {
    if (!session_duration(value)) return "from 900 to 43200 seconds (15m to 12h), as AWS STS accepts";
    return std::nullopt;
}

// {"access_key_id": "...", "secret_access_key": "...", "session_token": "..."}
std::optional<std::string> inline_keys(std::string_view text) {
    auto answer = parse_json(text);
    json parsed = answer ? std::move(answer).value() : json();
    std::optional<std::string> problem;
    if (!parsed.is_object()) {
        problem = "a JSON object with access_key_id and secret_access_key (and optionally session_token)";
    } else {
        for (const auto& [key, value] : parsed.items()) {
            if (key != "access_key_id" && key != "secret_access_key" && key != "session_token") {
                problem = "unknown key '" + key.substr(0, 40) + "' (expected access_key_id, secret_access_key, session_token)";
            } else if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
                problem = key + " must be a non-empty string";
            }
            if (problem) break;
        }
        if (!problem && (!parsed.contains("access_key_id") || !parsed.contains("secret_access_key"))) {
            problem = "access_key_id and secret_access_key are required";
        }
        // A reference (${secret:aws-key-id}) is checked once the runner has resolved it.
        const std::string* id = problem ? nullptr : &parsed["access_key_id"].get_ref<const std::string&>();
        if (id != nullptr && !references::mentions_reference(*id) && !is_alphanumeric(*id)) {
            problem = "access_key_id must be letters and digits";
        }
    }
    wipe_json(parsed);
    return problem;
}

}  // namespace

std::optional<std::chrono::seconds> session_duration(std::string_view value) {
    std::int64_t seconds = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || end != value.data() + value.size()) {
        auto parsed = parse_duration(value);
        seconds = parsed ? std::chrono::duration_cast<std::chrono::seconds>(*parsed).count() : -1;
    }
    if (seconds < 900 || seconds > 43200) return std::nullopt;
    return std::chrono::seconds(seconds);
}

const ConnectionRules& connection_rules() {
    using namespace auth_mode;
    static const ConnectionRules rules{
        {inline_credentials, runner_delegated, cross_account},
        {
            {"region", {inline_credentials, runner_delegated, cross_account}, region},
            {"endpoint_url", {inline_credentials, runner_delegated, cross_account}, check::http_url},
            {"profile", {runner_delegated, cross_account},
             check::characters(1, 64, "_.-", "a profile name: letters, digits, '_', '.', '-'")},
            {"role_arn", {cross_account}, role_arn, true},
            {"external_id", {cross_account}, check::characters(2, 1224, "_+=,.@:/-", "2 to 1224 of A-Z a-z 0-9 _+=,.@:/-")},
            {"session_name", {cross_account}, check::characters(2, 64, "_+=,.@-", "2 to 64 of A-Z a-z 0-9 _+=,.@-")},
            {"duration", {cross_account}, duration},
        },
        inline_keys,
        nullptr,
    };
    return rules;
}

}  // namespace tether::providers::aws
