#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tether/core/text.h"
#include "tether/providers/kubernetes/in_cluster.h"

namespace tether::providers::kubernetes {
namespace {

ErrorKind kind_of(int err) {
    if (err == ENOENT || err == ENOTDIR) return ErrorKind::not_found;
    if (err == EACCES || err == EPERM) return ErrorKind::permission_denied;
    return ErrorKind::unavailable;
}

}  // namespace

TokenFile::TokenFile(std::filesystem::path path, Clock clock) : path_(std::move(path)), clock_(std::move(clock)) {}

// The kubelet rotates a projected token by swapping a symlink, so stat()
// (which follows it) sees a new inode at once: the file is checked on every
// call, which costs one system call. It is also re-read once a minute, as
// client-go does, for a rewrite in place that keeps size and a coarse mtime.
Result<Secret> TokenFile::token() {
    std::lock_guard lock(mutex_);
    struct stat info {};
    if (::stat(path_.c_str(), &info) != 0) {
        int err = errno;
        return Error{kind_of(err), "token file " + path_.string() + ": " + std::strerror(err)};
    }
    Stamp stamp{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                static_cast<std::int64_t>(info.st_size),
                static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
    auto now = clock_();
    if (!token_.empty() && stamp == stamp_ && now - read_at_ < max_age) return token_.copy();

    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        int err = errno;
        return Error{kind_of(err), "token file " + path_.string() + ": " + std::strerror(err)};
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string bytes = buffer.str();
    Secret token(text::trim(bytes));
    wipe(bytes);
    if (token.empty()) return Error{ErrorKind::failed_precondition, "token file " + path_.string() + " is empty"};
    token_ = std::move(token);
    stamp_ = stamp;
    read_at_ = now;
    return token_.copy();
}

}  // namespace tether::providers::kubernetes
