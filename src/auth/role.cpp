#include "tether/auth/role.h"

namespace tether::auth {

const char* to_string(Role role) {
    switch (role) {
        case Role::viewer: return "viewer";
        case Role::operator_: return "operator";
        case Role::admin: return "admin";
    }
    return "viewer";
}

std::optional<Role> parse_role(std::string_view name) {
    for (Role role : {Role::viewer, Role::operator_, Role::admin}) {
        if (name == to_string(role)) return role;
    }
    return std::nullopt;
}

}  // namespace tether::auth
