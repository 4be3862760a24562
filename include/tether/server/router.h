#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace tether::server {

// An HTTP request as handlers see it: no Beast types, so that handlers and
// their tests compile without Beast.
struct HttpRequest {
    std::string method;  // "GET"
    std::string path;    // "/v1/runners", without the query
    std::string query;   // "a=1&b=2", without '?'
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string request_id;
    std::string peer;  // "127.0.0.1:53422"
    std::map<std::string, std::string> params;  // from {placeholders} of the matched route
};

struct HttpResponse {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    // The request or this answer holds a secret: the listener wipes both
    // (and its read buffer) once the answer is written.
    bool sensitive = false;
};

// {"error":{"code":…,"message":…},"request_id":…}: the one error shape of the API.
HttpResponse error_response(unsigned status, const std::string& code, const std::string& message,
                            const std::string& request_id);

// A JSON answer; invalid UTF-8 in strings becomes U+FFFD rather than an exception.
HttpResponse json_response(unsigned status, const nlohmann::json& body);

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Routes by method and path pattern, where a segment "{name}" matches any
// one non-empty segment and hands it to the handler, percent-decoded, in
// params["name"].
// 404 for a path no pattern matches; 405 (with Allow) for a matching path
// with another method.
class Router {
public:
    void add(std::string method, std::string pattern, Handler handler);
    HttpResponse dispatch(HttpRequest request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace tether::server
