#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tether/server/router.h"

using namespace tether::server;

namespace {

HttpRequest request(std::string method, std::string path) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.request_id = "req-1";
    return r;
}

}  // namespace

TEST_CASE("the router calls the handler of the exact path and method") {
    Router router;
    router.add("GET", "/a", [](const HttpRequest&) { return HttpResponse{200, "get a"}; });
    router.add("POST", "/a", [](const HttpRequest&) { return HttpResponse{201, "post a"}; });
    CHECK(router.dispatch(request("GET", "/a")).body == "get a");
    CHECK(router.dispatch(request("POST", "/a")).status == 201);
}

TEST_CASE("an unknown path is 404 and a wrong method 405 with Allow, both in the API's error shape") {
    Router router;
    router.add("GET", "/a", [](const HttpRequest&) { return HttpResponse{}; });
    router.add("PUT", "/a", [](const HttpRequest&) { return HttpResponse{}; });

    HttpResponse missing = router.dispatch(request("GET", "/a/"));
    CHECK(missing.status == 404);
    auto body = nlohmann::json::parse(missing.body);
    CHECK(body["error"]["code"] == "not_found");
    CHECK(body["request_id"] == "req-1");

    HttpResponse wrong = router.dispatch(request("DELETE", "/a"));
    CHECK(wrong.status == 405);
    REQUIRE(wrong.headers.size() == 1);
    CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "GET, PUT"});
}

TEST_CASE("placeholders capture one non-empty segment each") {
    Router router;
    router.add("GET", "/v1/runners/{name}", [](const HttpRequest& r) { return HttpResponse{200, r.params.at("name")}; });
    router.add("POST", "/v1/runners/{name}/credentials",
               [](const HttpRequest& r) { return HttpResponse{201, "creds " + r.params.at("name")}; });
    CHECK(router.dispatch(request("GET", "/v1/runners/web-1")).body == "web-1");
    CHECK(router.dispatch(request("POST", "/v1/runners/web-1/credentials")).body == "creds web-1");
    CHECK(router.dispatch(request("GET", "/v1/runners/")).status == 404);
    CHECK(router.dispatch(request("GET", "/v1/runners/a/b")).status == 404);
    CHECK(router.dispatch(request("GET", "/v1/runners")).status == 404);
    CHECK(router.dispatch(request("DELETE", "/v1/runners/web-1")).status == 405);
    CHECK(router.dispatch(request("GET", "")).status == 404);
}
