#pragma once

#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "tether/core/exit_code.h"

namespace tether {

// What went wrong, in the classes a caller can act on (after Teleport's
// trace.BadParameter / AccessDenied / NotFound).
enum class ErrorKind {
    invalid_argument,
    not_found,
    already_exists,
    failed_precondition,  // the system is not in a state to do this (a newer database, an init over data)
    permission_denied,
    unauthenticated,
    unavailable,
    deadline_exceeded,
    internal,
};

const char* to_string(ErrorKind kind);
// The kind to_string() names; nothing for any other text.
std::optional<ErrorKind> parse_error_kind(std::string_view name);

// The exit code a command ends with when it fails with this kind of error.
ExitCode exit_code_for(ErrorKind kind);

struct Error {
    ErrorKind kind;
    std::string message;  // for a person: says what to do, never holds a secret
};

// A value or an Error; the return type of store, auth, provider and
// operation functions. Checked access: value() on an error is a bug.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    const Error& error() const { return std::get<Error>(state_); }

private:
    std::variant<T, Error> state_;
};

// The success value of a Result that carries nothing else.
struct Done {};

// Thrown only during start-up and configuration; caught once per command in
// main() and turned into an exit code and one line on stderr.
class Fatal : public std::runtime_error {
public:
    Fatal(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const { return code_; }

private:
    ExitCode code_;
};

[[noreturn]] inline void fail(ExitCode code, const std::string& message) { throw Fatal(code, message); }
[[noreturn]] inline void fail(const Error& error) { throw Fatal(exit_code_for(error.kind), error.message); }

}  // namespace tether
