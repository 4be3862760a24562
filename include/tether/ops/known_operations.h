#pragma once

// The operation types this version of tether defines, apart from the
// catalog of their handlers (coroutines, Asio): the server checks names
// and never runs one.
#include <string_view>

namespace tether::ops {

// Whether `type` is one of them; the server refuses to queue any other.
bool is_known_operation(std::string_view type);

}  // namespace tether::ops
