#pragma once

#include <optional>
#include <string_view>

namespace tether::auth {

// Roles within one org, each including the ones before it: a viewer reads;
// an operator also runs operations; an admin also manages runners, keys,
// service accounts, connections and secrets.
enum class Role { viewer = 0, operator_ = 1, admin = 2 };

const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

// Whether a principal holding `held` may do what needs `needed`.
constexpr bool allows(Role held, Role needed) { return static_cast<int>(held) >= static_cast<int>(needed); }

}  // namespace tether::auth
