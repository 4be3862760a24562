#include "tether/runner/audit_trail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "tether/core/log.h"
#include "tether/crypto/secret_file.h"
#include "runner_log.h"

namespace tether::runner {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int error) {
    ErrorKind kind = error == EACCES || error == EPERM ? ErrorKind::permission_denied
                     : error == ENOENT                 ? ErrorKind::not_found
                     : error == ELOOP                  ? ErrorKind::invalid_argument
                                                       : ErrorKind::unavailable;
    return {kind, "cannot " + what + " audit trail " + path.string() + ": " + std::strerror(error)};
}

// O_APPEND makes every write land at the end, whoever else appends.
Result<int> open_file(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("open", path, errno);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return Error{ErrorKind::invalid_argument, "audit trail " + path.string() + " is not a regular file"};
    }
    // Requests name connections and endpoints: keep them from other users.
    if (auto mode = crypto::check_private_mode(path); !mode) {
        ::close(fd);
        return Error{mode.error().kind, "audit trail " + mode.error().message};
    }
    return fd;
}

std::filesystem::path numbered(const std::filesystem::path& path, std::size_t n) {
    std::filesystem::path out = path;
    out += "." + std::to_string(n);
    return out;
}

nlohmann::ordered_json text_or_null(const std::string& text) {
    return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
}

}  // namespace

std::string to_json_line(const AuditRecord& record) {
    nlohmann::ordered_json json = {
        {"time", log::format_timestamp(record.time)},
        {"request_id", record.request_id},
        {"operation", record.operation},
        {"connection", text_or_null(record.connection)},
        {"auth_mode", text_or_null(record.auth_mode)},
        {"outcome", record.outcome},
        {"duration_ms", record.duration.count()},
        {"endpoint", record.endpoint ? nlohmann::ordered_json(*record.endpoint) : nlohmann::ordered_json(nullptr)},
    };
    if (!record.references.empty()) json["references"] = record.references;
    if (!record.redacted.empty()) json["redacted"] = record.redacted;
    // The fields come from the server's request: never let bad UTF-8 throw.
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

AuditTrail::AuditTrail(std::filesystem::path path, std::uint64_t max_bytes, std::size_t keep_files, int fd)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_files_(keep_files), fd_(fd),
      mutex_(std::make_unique<std::mutex>()) {}

AuditTrail::AuditTrail(AuditTrail&& other) noexcept
    : path_(std::move(other.path_)), max_bytes_(other.max_bytes_), keep_files_(other.keep_files_),
      fd_(std::exchange(other.fd_, -1)), mutex_(std::move(other.mutex_)) {}

AuditTrail& AuditTrail::operator=(AuditTrail&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        max_bytes_ = other.max_bytes_;
        keep_files_ = other.keep_files_;
        fd_ = std::exchange(other.fd_, -1);
        mutex_ = std::move(other.mutex_);
    }
    return *this;
}

AuditTrail::~AuditTrail() {
    if (fd_ >= 0) ::close(fd_);
}

Result<AuditTrail> AuditTrail::open(const std::filesystem::path& path, std::uint64_t max_bytes,
                                    std::size_t keep_files) {
    auto fd = open_file(path);
    if (!fd) return fd.error();
    return AuditTrail(path, max_bytes, keep_files, fd.value());
}

Result<Done> AuditTrail::rotate() {
    if (keep_files_ == 0) {
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return io_error("rotate", path_, errno);
    } else {
        for (std::size_t n = keep_files_ - 1; n >= 1; --n) {
            if (::rename(numbered(path_, n).c_str(), numbered(path_, n + 1).c_str()) != 0 && errno != ENOENT) {
                return io_error("rotate", numbered(path_, n), errno);
            }
        }
        if (::rename(path_.c_str(), numbered(path_, 1).c_str()) != 0 && errno != ENOENT) {
            return io_error("rotate", path_, errno);
        }
    }
    auto fd = open_file(path_);
    if (!fd) return fd.error();
    ::close(fd_);
    fd_ = fd.value();
    return Done{};
}

Result<Done> AuditTrail::append(const AuditRecord& record) {
    std::string line = to_json_line(record);
    std::lock_guard lock(*mutex_);
    struct stat open_file_info {};
    if (::fstat(fd_, &open_file_info) != 0) return io_error("write", path_, errno);
    // Another process (a second runner, logrotate) may have moved the file
    // away: write to what is at the path now.
    struct stat path_info {};
    if (::stat(path_.c_str(), &path_info) != 0 || path_info.st_ino != open_file_info.st_ino ||
        path_info.st_dev != open_file_info.st_dev) {
        auto fd = open_file(path_);
        if (!fd) return fd.error();
        ::close(fd_);
        fd_ = fd.value();
        if (::fstat(fd_, &open_file_info) != 0) return io_error("write", path_, errno);
    }
    auto size = static_cast<std::uint64_t>(open_file_info.st_size);
    if (size > 0 && size + line.size() > max_bytes_) {
        // A record matters more than the size limit: on failure, keep writing here.
        if (auto rotated = rotate(); !rotated) {
            runner_log.warn("audit trail not rotated", {{"path", path_.string()}, {"error", rotated.error().message}});
        }
    }
    std::string_view rest = line;
    while (!rest.empty()) {
        // A regular file takes the whole line in one write; the loop is for
        // a signal or a full disk, where the error is then reported.
        ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("write", path_, errno);
        if (n == 0) return Error{ErrorKind::unavailable, "cannot write audit trail " + path_.string()};
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return Done{};
}

}  // namespace tether::runner
