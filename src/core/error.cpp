#include "tether/core/error.h"

namespace tether {

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_argument: return "invalid_argument";
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::already_exists: return "already_exists";
        case ErrorKind::failed_precondition: return "failed_precondition";
        case ErrorKind::permission_denied: return "permission_denied";
        case ErrorKind::unauthenticated: return "unauthenticated";
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::deadline_exceeded: return "deadline_exceeded";
        case ErrorKind::internal: return "internal";
    }
    return "internal";
}

std::optional<ErrorKind> parse_error_kind(std::string_view name) {
    for (ErrorKind kind : {ErrorKind::invalid_argument, ErrorKind::not_found, ErrorKind::already_exists,
                           ErrorKind::failed_precondition, ErrorKind::permission_denied, ErrorKind::unauthenticated,
                           ErrorKind::unavailable, ErrorKind::deadline_exceeded, ErrorKind::internal}) {
        if (name == to_string(kind)) return kind;
    }
    return std::nullopt;
}

ExitCode exit_code_for(ErrorKind kind) {
    switch (kind) {
        // The caller named something wrong: a fault in what was typed.
        case ErrorKind::invalid_argument:
        case ErrorKind::not_found:
        case ErrorKind::already_exists: return ExitCode::usage;
        case ErrorKind::unauthenticated:
        case ErrorKind::permission_denied: return ExitCode::refused;
        case ErrorKind::unavailable:
        case ErrorKind::deadline_exceeded: return ExitCode::unavailable;
        case ErrorKind::failed_precondition: return ExitCode::config;
        case ErrorKind::internal: break;
    }
    return ExitCode::internal;
}

}  // namespace tether
