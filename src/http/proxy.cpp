#include "tether/http/proxy.h"

#include <cassert>
#include <cctype>
#include <tuple>
#include <utility>

#include "tether/core/text.h"
#include "tether/crypto/base64.h"

namespace tether::http {
namespace {

// The first of two variables that is set and not empty, and its name.
std::pair<std::string, std::string> first_set(const config::Environment& env, const char* upper, const char* low) {
    for (const char* name : {upper, low}) {
        if (auto value = env(name); value && !value->empty()) return {std::move(*value), name};
    }
    return {"", upper};
}

bool is_scheme(std::string_view text) {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text.front()))) return false;
    for (char c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
}

Error invalid(const std::string& variable, const std::string& reason) {
    return {ErrorKind::invalid_argument, variable + " is not a usable proxy URL: " + reason};
}

// "user:password" decoded into a Secret; the user may not hold ':' (RFC 7617).
Result<Secret> decode_credentials(std::string_view userinfo, const std::string& variable) {
    std::size_t colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    std::string_view password = colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1);
    std::string joined;
    joined.reserve(userinfo.size() + 1);  // decoding only shrinks: no reallocation leaves a copy behind
    bool decoded = text::append_percent_decoded(joined, user);
    bool user_has_colon = joined.find(':') != std::string::npos;
    joined.push_back(':');
    decoded = decoded && text::append_percent_decoded(joined, password);
    Secret credentials(joined);
    wipe(joined);
    if (!decoded) {
        return invalid(variable, "the user or password has a '%' not followed by two hex digits (%25 is '%')");
    }
    if (user.empty() || user_has_colon) return invalid(variable, "the user name is empty or holds ':'");
    return credentials;
}

Result<Proxy> parse_proxy(std::string_view text, const std::string& variable) {
    std::string_view rest = text;
    bool has_scheme = false;
    if (std::size_t end = text.find("://"); end != std::string_view::npos && is_scheme(text.substr(0, end))) {
        std::string scheme = text::ascii_lower(text.substr(0, end));
        if (scheme == "https") {
            return invalid(variable, "https:// proxies (TLS to the proxy) are not supported; use http://host:port");
        }
        if (scheme.rfind("socks", 0) == 0) {
            return invalid(variable, "SOCKS proxies are not supported; use an HTTP proxy");
        }
        if (scheme != "http") return invalid(variable, "the scheme " + scheme + ":// is not supported; use http://");
        rest = text.substr(end + 3);
        has_scheme = true;
    }
    // Everything up to the last '@' is user info, so that no part of a
    // password (which may hold '/' or '@') can end up in a message below.
    Proxy proxy;
    if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        auto credentials = decode_credentials(rest.substr(0, at), variable);
        if (!credentials) return credentials.error();
        proxy.credentials = std::move(credentials).value();
        rest = rest.substr(at + 1);
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::size_t bracket = authority.rfind(']');  // an IPv6 literal's colons are not a port
    if (!has_scheme && authority.find(':', bracket == std::string_view::npos ? 0 : bracket) == std::string_view::npos) {
        return invalid(variable, "give the proxy's port, as in http://" + std::string(authority) + ":3128");
    }
    auto url = parse_url("http://" + std::string(authority));
    if (!url) return invalid(variable, url.error().message);
    if (url.value().authority.port == 0) return invalid(variable, "the proxy's port cannot be 0");
    proxy.address = std::move(url).value().authority;
    return proxy;
}

}  // namespace

ProxyEnvironment ProxyEnvironment::from(const config::Environment& env) {
    ProxyEnvironment out;
    std::tie(out.https_proxy, out.https_proxy_name) = first_set(env, "HTTPS_PROXY", "https_proxy");
    out.no_proxy = first_set(env, "NO_PROXY", "no_proxy").first;
    return out;
}

Result<std::optional<Proxy>> proxy_for(const ProxyEnvironment& env, std::string_view host, std::uint16_t port) {
    std::string_view address = text::trim(env.https_proxy);
    if (address.empty()) return std::optional<Proxy>{};
    auto proxy = parse_proxy(address, env.https_proxy_name);
    if (!proxy) return proxy.error();
    if (no_proxy_matches(env.no_proxy, host, port)) return std::optional<Proxy>{};
    return std::optional<Proxy>(std::move(proxy).value());
}

Secret connect_request(const HostPort& target, const std::optional<Secret>& credentials) {
    // The host comes from parse_host_port or parse_url: no CR, LF or space
    // can smuggle a header in.
    assert(target.host.find_first_of("\r\n \t") == std::string::npos);
    std::string authority = target.to_string();
    std::string text;
    // Reserved up front: a reallocation would free a copy of the credentials unwiped.
    text.reserve(2 * authority.size() + 64 + (credentials ? 4 * (credentials->size() + 2) / 3 + 32 : 0));
    text += "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (credentials) {
        std::string encoded = crypto::base64_encode(credentials->reveal());
        text += "Proxy-Authorization: Basic ";
        text += encoded;
        text += "\r\n";
        wipe(encoded);
    }
    text += "\r\n";
    Secret request(text);
    wipe(text);
    return request;
}

}  // namespace tether::http
