#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/error.h"

// The runner's local, append-only record of every request it received
// (DESIGN.md), so the customer can see exactly what the platform asked
// for: one JSON object a line, never a secret or a request body.
namespace tether::runner {

struct AuditRecord {
    std::chrono::system_clock::time_point time;  // when the request arrived
    std::string request_id;
    std::string operation;   // "aws.call"
    std::string connection;  // empty when the operation names none
    std::string auth_mode;   // empty when there is none
    std::string outcome;     // "succeeded", or the error kind: "permission_denied", "unavailable"…
    std::chrono::milliseconds duration{0};
    std::optional<std::string> endpoint;  // the target host, when the operation reached one
    // The references the operation's parameters and connection resolved
    // ("${secret:db-password@3}": never their values), and those whose
    // values were found in its result and redacted there.
    std::vector<std::string> references;
    std::vector<std::string> redacted;
};

// {"time":"2025-01-02T03:04:05.678Z","request_id":…,"operation":…,
//  "connection":…,"auth_mode":…,"outcome":…,"duration_ms":12,"endpoint":…}
// plus a newline; an empty connection or auth mode and a missing endpoint
// are null; "references" and "redacted" follow when there are any. Invalid UTF-8 becomes U+FFFD.
std::string to_json_line(const AuditRecord& record);

class AuditTrail {
public:
    // Opens `path` for appending, creating it with mode 0600; an existing
    // file that group or others may access is refused (invalid_argument,
    // naming the chmod that fixes it). Before a line would take the file
    // past `max_bytes`, it is rotated: path.<keep_files-1> → path.<keep_files>,
    // …, path → path.1, dropping the oldest; with keep_files 0 the file is
    // simply started afresh. A line longer than `max_bytes` goes alone into
    // a fresh file. When rotation fails, a warning is logged and the line
    // still goes into the current file: a record matters more than a limit.
    static Result<AuditTrail> open(const std::filesystem::path& path, std::uint64_t max_bytes,
                                   std::size_t keep_files);

    // Writes one line with one write(2) on an O_APPEND descriptor, so lines
    // never interleave, even with another process appending. Safe to call
    // from several threads.
    Result<Done> append(const AuditRecord& record);

    const std::filesystem::path& path() const { return path_; }

    AuditTrail(AuditTrail&& other) noexcept;
    AuditTrail& operator=(AuditTrail&& other) noexcept;
    AuditTrail(const AuditTrail&) = delete;
    AuditTrail& operator=(const AuditTrail&) = delete;
    ~AuditTrail();

private:
    AuditTrail(std::filesystem::path path, std::uint64_t max_bytes, std::size_t keep_files, int fd);

    Result<Done> rotate();

    std::filesystem::path path_;
    std::uint64_t max_bytes_;
    std::size_t keep_files_;
    int fd_;
    std::unique_ptr<std::mutex> mutex_;  // behind a pointer so that the trail can move
};

}  // namespace tether::runner
