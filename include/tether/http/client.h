#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/http/proxy.h"
#include "tether/pki/certificate.h"

namespace tether::http {

struct Request {
    std::string method = "GET";
    Url url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{10'000};  // for the whole exchange
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    // For https: the only CA trusted for the server's certificate, whose
    // name must match the URL's host.
    const pki::Certificate* ca = nullptr;
};

struct Response {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// One HTTP/1.1 exchange on a fresh connection, over TLS 1.3 for https.
// Host names go through the system resolver (files, then DNS). https goes
// through the HTTPS_PROXY of `proxy` unless its NO_PROXY exempts the host
// (see proxy.h); http always connects directly. Errors: unavailable (cannot
// resolve or connect, TLS handshake refused, connection lost, the proxy
// failed), deadline_exceeded, invalid_argument (https without a CA, a
// malformed HTTPS_PROXY), unauthenticated/permission_denied (the proxy
// refused with 407/403).
Result<Response> fetch(const Request& request,
                       const ProxyEnvironment& proxy = ProxyEnvironment::from(config::process_environment()));

}  // namespace tether::http
