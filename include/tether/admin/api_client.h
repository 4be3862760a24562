#pragma once

#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

#include "tether/admin/config.h"
#include "tether/core/error.h"

namespace tether::admin {

// A request target of the API. Made only by api_path and extended only by
// query, which percent-encode every name, id and value they are given: a
// CR, LF, '/' or '?' in an argument stays data and can neither start a
// second request nor reach another route.
class ApiTarget {
public:
    const std::string& text() const { return text_; }
    // With "name=value" added to the query (percent-encoded); an empty
    // value adds nothing, as for an option left unset.
    ApiTarget query(std::string_view name, std::string_view value) const;

private:
    explicit ApiTarget(std::string text) : text_(std::move(text)) {}
    friend ApiTarget api_path(std::initializer_list<std::string_view> segments);
    std::string text_;
};

// "/v1/" and the segments, each percent-encoded: api_path({"runners", name}).
ApiTarget api_path(std::initializer_list<std::string_view> segments);

// One call to the server's API over TLS (the configured CA), with the
// admin's API key unless `authenticated` is false. Returns the JSON body of
// a 2xx answer; any other answer becomes an Error of the matching kind
// (401 unauthenticated, 403 permission_denied, 404 not_found, 409
// already_exists, 400/413/422 invalid_argument, else unavailable) carrying
// the server's message and request id.
Result<nlohmann::json> call_api(const AdminConfig& config, const std::string& method, const ApiTarget& target,
                                const nlohmann::json* body = nullptr, bool authenticated = true);

// call_api for the commands: the path is scoped to the configured org
// (`?org=NAME`, so the server refuses any other), and an error ends the
// command with its exit code and message.
nlohmann::json call_or_fail(const AdminConfig& config, const std::string& method, const ApiTarget& target,
                            const nlohmann::json* body = nullptr);

}  // namespace tether::admin
