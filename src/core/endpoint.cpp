#include "tether/core/endpoint.h"

#include <charconv>

namespace tether {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

bool is_v6_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

Error why(std::string_view reason) { return {ErrorKind::invalid_argument, std::string(reason)}; }

Error invalid(std::string_view text, std::string_view kind, const Error& reason) {
    return {ErrorKind::invalid_argument, "'" + std::string(text) + "' is not a valid " + std::string(kind) + ": " +
                                             reason.message};
}

Result<std::uint16_t> parse_port(std::string_view digits) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value > 65535) {
        return why("the port must be a number from 0 to 65535");
    }
    return static_cast<std::uint16_t>(value);
}

// Splits "host:port" / "[v6]:port" / "host"; errors carry only the reason.
Result<HostPort> split_authority(std::string_view text, bool port_required, std::uint16_t default_port) {
    std::string_view host;
    std::string_view rest;
    bool bracketed = !text.empty() && text.front() == '[';
    if (bracketed) {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) return why("unclosed '[' in IPv6 address");
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return why("bad IPv6 address");
        }
    } else {
        std::size_t colon = text.rfind(':');
        host = text.substr(0, colon == std::string_view::npos ? text.size() : colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
        if (host.empty()) return why("missing host");
        for (char c : host) {
            if (!is_name_char(c)) {
                return why(is_v6_char(c) ? "write an IPv6 address in brackets, as [::1]:8443"
                                         : "the host has a character a host name cannot have");
            }
        }
    }
    HostPort out{std::string(host), default_port};
    if (rest.empty()) {
        if (port_required) return why("missing :port");
        return out;
    }
    if (rest.front() != ':') return why("expected ':' after the host");
    auto port = parse_port(rest.substr(1));
    if (!port) return port.error();
    out.port = port.value();
    return out;
}

}  // namespace

std::string HostPort::to_string() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text) {
    auto host_port = split_authority(text, true, 0);
    if (!host_port) return invalid(text, "host:port", host_port.error());
    return host_port;
}

std::string Url::to_string() const { return scheme + "://" + authority.to_string() + target; }

Result<Url> parse_url(std::string_view text) {
    auto bad = [&](std::string_view reason) { return invalid(text, "URL", why(reason)); };
    std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return bad("expected http:// or https://");
    std::string_view scheme = text.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
    std::string_view rest = text.substr(scheme_end + 3);
    std::size_t path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view target = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    if (authority.find('@') != std::string_view::npos) return bad("user:password@ in a URL is not supported");
    if (target.find('#') != std::string_view::npos) return bad("a URL fragment (#) has no meaning here");
    for (char c : target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return bad("spaces or control characters in the path");
    }
    auto host_port = split_authority(authority, false, scheme == "https" ? 443 : 80);
    if (!host_port) return invalid(text, "URL", host_port.error());
    Url url{std::string(scheme), std::move(host_port).value(), std::string(target)};
    if (url.target.empty() || url.target.front() != '/') url.target.insert(0, "/");
    return url;
}

}  // namespace tether
