#pragma once

// What aws.call and kubernetes.call share: query strings, the answer-size
// limit, and sending a request once its connection's provider has
// authorised it. Private to src/ops.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/ops/catalog.h"
#include "tether/providers/provider.h"

namespace tether::ops {

inline constexpr std::size_t default_max_response_bytes = 16 * 1024 * 1024;
// How long one cloud API call may take, connecting included.
inline constexpr std::chrono::seconds call_timeout{60};

// An object of strings as key=value pairs, in its order, percent-encoded
// (RFC 3986, as SigV4 and every API accept). `what` starts the messages.
Result<std::string> encoded_query(const nlohmann::json& object, std::string_view what);

// invalid_argument "OPERATION: unknown parameter 'x'" for a key of `params`
// not in `known`.
Result<Done> check_known_params(const nlohmann::json& params, std::initializer_list<std::string_view> known,
                                std::string_view operation);

// A request path as the operations take it: from '/', percent-encoded, no
// query or fragment, printable ASCII.
bool is_request_path(std::string_view path);

// params.max_response_bytes: 1 to 16 MiB, 16 MiB when absent.
Result<std::size_t> response_limit(const nlohmann::json& params, std::string_view operation);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates).
bool is_utf8(std::string_view text);

// Has the connection's provider authorise `call` (a host it or the
// runner's policy does not allow is refused before any credential is
// resolved), records the endpoint for the audit trail, sends it, wipes the
// request's headers, and returns {"status", "headers", "body"} with the
// body as text when it is UTF-8, else as "body_base64"; with
// `json_body` a JSON answer comes back parsed.
boost::asio::awaitable<Result<nlohmann::json>> send_authorized(providers::Call& call, OperationContext& context,
                                                               bool json_body = false);

}  // namespace tether::ops
