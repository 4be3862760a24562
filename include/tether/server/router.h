#pragma once

#include <functional>
#include <map>
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
};

struct HttpResponse {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
};

// {"error":{"code":…,"message":…},"request_id":…}: the one error shape of the API.
HttpResponse error_response(unsigned status, const std::string& code, const std::string& message,
                            const std::string& request_id);

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Exact-path routing; 404 for an unknown path and 405 (with Allow) for a
// known path with another method.
class Router {
public:
    void add(std::string method, std::string path, Handler handler);
    HttpResponse dispatch(const HttpRequest& request) const;

private:
    std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
};

}  // namespace tether::server
