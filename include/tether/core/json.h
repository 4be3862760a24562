#pragma once

// The one way tether reads JSON that came from outside the process: API
// bodies, tunnel messages and results, credentials files, cloud answers.
// nlohmann's parser is iterative, but copying, comparing and dumping a
// document recurse once per level: a peer that sends 100,000 nested arrays
// would overflow the stack on the first dump. So a document is refused
// before it is built when it nests deeper than the limit, and refused when
// an object names a key twice (last-one-wins lets {"role":"viewer",
// "role":"admin"} read as two things to two readers).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tether/core/error.h"

namespace tether {

// Arrays and objects inside one another, counting the outermost. No
// document tether reads or writes comes near; documented in
// docs/security-model.md.
inline constexpr std::size_t max_json_depth = 64;

// The document in `text`, or an invalid_argument Error whose message names
// the problem and its byte offset (and line, past the first), e.g. "byte 12: unexpected end of input;
// expected string literal", "byte 3: invalid UTF-8", "byte 200: nested
// deeper than 64 levels", "key \"role\" appears twice in one object". The
// message never quotes the input beyond a key name (a credentials file
// holds secrets). Callers say what the text was.
Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth = max_json_depth);

// The same checks without building the document, for text that is kept as
// it came (a streamed result): memory stays flat whatever its size.
Result<Done> check_json(std::string_view text, std::size_t max_depth = max_json_depth);

// Overwrites every string in `value` before it is freed: for JSON that held
// credentials or resolved secrets. It recurses, once per level: only on
// documents parse_json built or tether wrote, which nest at most
// max_json_depth deep.
void wipe_json(nlohmann::json& value);

}  // namespace tether
