#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/error.h"

namespace tether {

// "host:port", "[::1]:port". The host is a DNS name or an IP literal,
// stored without brackets.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;

    std::string to_string() const;  // brackets an IPv6 literal again
};

Result<HostPort> parse_host_port(std::string_view text);

// An http or https URL as the admin CLI and the HTTP client use it.
struct Url {
    std::string scheme;  // "http" or "https"
    HostPort authority;  // port filled in from the scheme when absent
    std::string target;  // path and query, at least "/"

    std::string to_string() const;
};

Result<Url> parse_url(std::string_view text);

}  // namespace tether
