#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"

namespace tether::http {

struct Request {
    std::string method = "GET";
    Url url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{10'000};  // for the whole exchange
    std::size_t max_response_bytes = 16 * 1024 * 1024;
};

struct Response {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// One HTTP/1.1 exchange on a fresh connection. Host names go through the
// system resolver (files, then DNS). Errors: unavailable (cannot resolve or
// connect, connection lost), deadline_exceeded, invalid_argument (https,
// which needs the TLS client of a later change).
Result<Response> fetch(const Request& request);

}  // namespace tether::http
