#include "tether/pki/identity.h"

#include <array>

namespace tether::pki {

namespace {

constexpr std::string_view scheme = "spiffe://";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Error not_an_identity(std::string_view uri, const std::string& why) {
    // Bounded: the URI comes from a peer's certificate and ends up in logs.
    std::string shown(uri.substr(0, 300));
    if (uri.size() > shown.size()) shown += "...";
    return Error{ErrorKind::invalid_argument, "\"" + shown + "\" is not a runner identity: " + why};
}

}  // namespace

std::string RunnerIdentity::uri() const {
    return std::string(scheme) + trust_domain + "/org/" + org + "/runner/" + runner;
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
    for (char c : name) {
        if (!is_lower_alnum(c) && c != '-') return false;
    }
    return true;
}

bool is_valid_trust_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 255 || domain.front() == '.' || domain.back() == '.') return false;
    if (domain.find("..") != std::string_view::npos) return false;
    for (char c : domain) {
        if (!is_lower_alnum(c) && c != '-' && c != '.') return false;
    }
    return true;
}

Result<RunnerIdentity> parse_runner_identity(std::string_view uri) {
    if (uri.substr(0, scheme.size()) != scheme) return not_an_identity(uri, "it must start with spiffe://");
    std::string_view rest = uri.substr(scheme.size());

    // Exactly five segments: <trust domain> / org / <org> / runner / <runner>.
    std::array<std::string_view, 5> segments;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        std::size_t slash = rest.find('/');
        bool last = i + 1 == segments.size();
        if (last != (slash == std::string_view::npos)) {
            return not_an_identity(uri, "expected spiffe://<trust-domain>/org/<org>/runner/<runner>");
        }
        segments[i] = rest.substr(0, slash);
        rest = last ? std::string_view{} : rest.substr(slash + 1);
    }
    if (!is_valid_trust_domain(segments[0])) {
        return not_an_identity(
            uri, "the trust domain must be 1 to 255 of [a-z0-9.-], without a leading, trailing or doubled dot");
    }
    if (segments[1] != "org" || segments[3] != "runner") {
        return not_an_identity(uri, "expected spiffe://<trust-domain>/org/<org>/runner/<runner>");
    }
    if (!is_valid_name(segments[2]) || !is_valid_name(segments[4])) {
        return not_an_identity(uri,
                               "org and runner names must be 1 to 63 of [a-z0-9-], not starting or ending with '-'");
    }
    return RunnerIdentity{std::string(segments[0]), std::string(segments[2]), std::string(segments[4])};
}

}  // namespace tether::pki
