#include "tether/runner/policy.h"

#include "tether/core/text.h"

#include <cctype>
#include <charconv>

namespace tether::runner {
namespace {

struct EndpointPattern {
    std::string_view host;
    std::optional<std::string_view> port;  // none: any port
};

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal (more
// than one colon, no port).
std::optional<EndpointPattern> split_endpoint(std::string_view pattern) {
    if (pattern.starts_with('[')) {
        std::size_t close = pattern.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view host = pattern.substr(1, close - 1);
        std::string_view rest = pattern.substr(close + 1);
        if (rest.empty()) return EndpointPattern{host, std::nullopt};
        if (!rest.starts_with(':')) return std::nullopt;
        return EndpointPattern{host, rest.substr(1)};
    }
    std::size_t colon = pattern.find(':');
    if (colon == std::string_view::npos || pattern.find(':', colon + 1) != std::string_view::npos) {
        return EndpointPattern{pattern, std::nullopt};
    }
    return EndpointPattern{pattern.substr(0, colon), pattern.substr(colon + 1)};
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view value) {
    for (const auto& pattern : patterns) {
        if (matches_pattern(pattern, value)) return true;
    }
    return false;
}

void append_list(std::string& out, std::string_view name, const std::vector<std::string>& items) {
    if (!out.empty()) out += ' ';
    out += name;
    out += "=[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ",") + items[i];
    out += ']';
}

}  // namespace

bool matches_pattern(std::string_view pattern, std::string_view value) {
    // Greedy with one backtrack point, the last '*': linear for these short
    // patterns and never exponential, unlike naive recursion.
    std::size_t p = 0;
    std::size_t v = 0;
    std::size_t star = std::string_view::npos;
    std::size_t star_v = 0;
    while (v < value.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_v = v;
        } else if (p < pattern.size() && pattern[p] == value[v]) {
            ++p;
            ++v;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            v = ++star_v;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::optional<std::string> check_endpoint_pattern(std::string_view pattern) {
    if (pattern.find('/') != std::string_view::npos) return "expected host or host:port, not a URL";
    auto parts = split_endpoint(pattern);
    if (!parts) return "expected host, host:port or [IPv6]:port";
    if (parts->host.empty()) return "the host is empty";
    for (char c : parts->host) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '@' || c == '[' || c == ']') {
            return "the host may hold only a name, an IP address and '*'";
        }
    }
    if (!parts->port || *parts->port == "*") return std::nullopt;
    std::string_view port = *parts->port;
    if (port.empty()) return "the port after ':' is empty";
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc{} || end != port.data() + port.size() || number > 65535) {
        return "the port must be a number from 0 to 65535, or *";
    }
    return std::nullopt;
}

bool Policy::allows_operation(std::string_view type) const { return any_matches(operations, type); }
bool Policy::allows_connection(std::string_view name) const { return any_matches(connections, name); }
bool Policy::allows_auth_mode(std::string_view mode) const { return any_matches(auth_modes, mode); }
bool Policy::allows_provider(std::string_view name) const { return any_matches(providers, name); }

bool Policy::allows_endpoint(std::string_view host, std::uint16_t port) const {
    std::string wanted_host = text::ascii_lower(host);
    std::string wanted_port = std::to_string(port);
    for (const auto& pattern : endpoints) {
        auto parts = split_endpoint(pattern);
        if (!parts || !matches_pattern(text::ascii_lower(parts->host), wanted_host)) continue;
        if (!parts->port || matches_pattern(*parts->port, wanted_port)) return true;
    }
    return false;
}

bool Policy::allows_secret(std::string_view name) const { return any_matches(secrets, name); }
bool Policy::allows_variable(std::string_view name) const { return any_matches(variables, name); }
bool Policy::allows_environment(std::string_view name) const { return any_matches(environment, name); }

bool Policy::allows_file(const std::string& canonical_path) const {
    for (const auto& directory : files) {
        std::string_view dir = directory;
        while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
        if (dir == "/") return true;
        if (canonical_path.size() > dir.size() && canonical_path.compare(0, dir.size(), dir) == 0 &&
            canonical_path[dir.size()] == '/') {
            return true;
        }
    }
    return false;
}

std::string Policy::summary() const {
    std::string out;
    append_list(out, "operations", operations);
    append_list(out, "connections", connections);
    append_list(out, "auth_modes", auth_modes);
    append_list(out, "providers", providers);
    append_list(out, "endpoints", endpoints);
    append_list(out, "secrets", secrets);
    append_list(out, "variables", variables);
    append_list(out, "environment", environment);
    append_list(out, "files", files);
    return out;
}

Policy default_policy() {
    Policy policy;
    policy.operations = {"system.*"};
    return policy;
}

}  // namespace tether::runner
