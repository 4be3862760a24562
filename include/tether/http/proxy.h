#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"

// Forward proxies for outgoing HTTPS and tunnel connections, configured the
// way curl and Go read the environment. Pure logic; the dialing that uses it
// is in proxy_connect.h.
//
// HTTPS_PROXY (else https_proxy; the first that is set and not empty):
//   http://host:port, http://user:password@host:port, or host:port (taken as
//   http). http:// without a port means 80; a value without a scheme must
//   give its port (curl would assume 1080, Go 80: rather than guess, ask).
//   user and password are percent-decoded and sent as Basic credentials.
//   https:// (TLS to the proxy) and socks proxies are refused. A path is
//   ignored. Errors name the variable and never repeat the password.
//
// NO_PROXY (else no_proxy): hosts reached directly. Comma-separated entries,
// whitespace around them trimmed, compared without regard to case:
//   *                     every host: no proxy at all
//   example.com           example.com and every subdomain of it; a leading
//   .example.com          "." or "*." changes nothing (as curl, unlike Go
//   *.example.com         where ".example.com" leaves out example.com itself)
//   10.1.2.3  ::1  [::1]  that IP address exactly (IPv6 with or without [])
//   10.0.0.0/8  fd00::/8  every IP address in the block
//   any of these + :port  only connections to that port ([::1]:443 for IPv6)
// An IP literal host matches only IP and CIDR entries; a host name matches
// only name entries (no DNS lookups). Entries that are none of these never
// match, as in curl and Go, rather than failing. localhost and loopback
// addresses go through the proxy unless NO_PROXY lists them (as curl; Go's
// net/http exempts them).
namespace tether::http {

struct ProxyEnvironment {
    std::string https_proxy;                       // may hold a password: never print it
    std::string https_proxy_name = "HTTPS_PROXY";  // the variable it came from, for messages
    std::string no_proxy;

    static ProxyEnvironment from(const config::Environment& env);
};

// The proxy to tunnel through, from HTTPS_PROXY.
struct Proxy {
    HostPort address;
    std::optional<Secret> credentials;  // "user:password", decoded, for Basic
};

// The proxy to use for host:port, or nullopt for a direct connection. A
// malformed HTTPS_PROXY is an invalid_argument error even for a host that
// NO_PROXY exempts, so that a typo shows at once.
Result<std::optional<Proxy>> proxy_for(const ProxyEnvironment& env, std::string_view host, std::uint16_t port);

// Whether NO_PROXY exempts host:port from the proxy (rules above). `host`
// is as in HostPort: an IPv6 literal without brackets.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

// The CONNECT request head for `target`, with Proxy-Authorization: Basic
// when there are credentials; a Secret, since it may carry them.
Secret connect_request(const HostPort& target, const std::optional<Secret>& credentials);

}  // namespace tether::http
