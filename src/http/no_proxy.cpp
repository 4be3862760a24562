#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "tether/core/text.h"
#include "tether/http/proxy.h"

// NO_PROXY matching, by the rules in proxy.h.
namespace tether::http {
namespace {

struct Ip {
    int family = AF_INET;
    std::array<unsigned char, 16> bytes{};  // AF_INET uses the first 4
    unsigned bits() const { return family == AF_INET ? 32 : 128; }
    bool operator==(const Ip&) const = default;
};

std::optional<Ip> parse_ip(std::string_view text) {
    std::string nul_terminated(text);
    Ip ip;
    if (::inet_pton(AF_INET, nul_terminated.c_str(), ip.bytes.data()) == 1) return ip;
    ip.family = AF_INET6;
    if (::inet_pton(AF_INET6, nul_terminated.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    // ::ffff:10.1.2.3 is 10.1.2.3, as the kernel sees it.
    constexpr std::array<unsigned char, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped.begin(), mapped.end(), ip.bytes.begin())) {
        Ip v4;
        std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.bytes.begin());
        return v4;
    }
    return ip;
}

bool in_block(const Ip& ip, const Ip& block, unsigned prefix) {
    if (ip.family != block.family) return false;
    for (unsigned i = 0; i < prefix / 8; ++i) {
        if (ip.bytes[i] != block.bytes[i]) return false;
    }
    if (prefix % 8 == 0) return true;
    unsigned mask = (0xffu << (8 - prefix % 8)) & 0xffu;
    return (ip.bytes[prefix / 8] & mask) == (block.bytes[prefix / 8] & mask);
}

// Lower case, without brackets around IPv6 or a trailing dot.
std::string normalise_host(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    return text::ascii_lower(host);
}

std::optional<unsigned> parse_number(std::string_view digits, unsigned max) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value > max) return std::nullopt;
    return value;
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
    auto port = parse_number(digits, 65535);
    if (!port || *port == 0) return std::nullopt;
    return static_cast<std::uint16_t>(*port);
}

struct Entry {
    std::string_view host;
    std::optional<std::uint16_t> port;  // nullopt: any port
    bool valid = true;
};

// Splits "host:port", "[v6]:port", "[v6]"; a bare IPv6 or CIDR has no port.
Entry split_entry(std::string_view text) {
    if (text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) return {text, std::nullopt, false};
        std::string_view rest = text.substr(close + 1);
        Entry entry{text.substr(1, close - 1), std::nullopt, true};
        if (rest.empty()) return entry;
        entry.port = rest.front() == ':' ? parse_port(rest.substr(1)) : std::nullopt;
        entry.valid = entry.port.has_value();
        return entry;
    }
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
        return {text, std::nullopt, true};
    }
    auto port = parse_port(text.substr(colon + 1));
    return {text.substr(0, colon), port, port.has_value()};
}

bool entry_matches(std::string_view text, const std::string& host, const std::optional<Ip>& host_ip,
                   std::uint16_t port) {
    Entry entry = split_entry(text);
    if (!entry.valid || (entry.port && *entry.port != port)) return false;
    if (std::size_t slash = entry.host.find('/'); slash != std::string_view::npos) {
        auto block = parse_ip(entry.host.substr(0, slash));
        auto prefix = parse_number(entry.host.substr(slash + 1), 128);
        if (!block || !prefix || *prefix > block->bits()) return false;
        return host_ip && in_block(*host_ip, *block, *prefix);
    }
    if (auto ip = parse_ip(entry.host)) return host_ip && *ip == *host_ip;
    if (host_ip) return false;  // an IP literal host matches only IP and CIDR entries
    std::string domain = normalise_host(entry.host);
    if (domain.rfind("*.", 0) == 0) domain.erase(0, 2);
    else if (domain.rfind('.', 0) == 0) domain.erase(0, 1);
    if (domain.empty()) return false;
    return host == domain ||
           (host.size() > domain.size() && host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
            host[host.size() - domain.size() - 1] == '.');
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
    std::string name = normalise_host(host);
    std::optional<Ip> host_ip = parse_ip(name);
    while (!no_proxy.empty()) {
        std::size_t comma = no_proxy.find(',');
        std::string_view entry = text::trim(no_proxy.substr(0, comma));
        no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
        if (entry == "*") return true;
        if (!entry.empty() && entry_matches(entry, name, host_ip, port)) return true;
    }
    return false;
}

}  // namespace tether::http
