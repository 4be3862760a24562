#include "tether/crypto/secret_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tether/crypto/random.h"

namespace tether::crypto {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int error) {
    ErrorKind kind = error == EACCES || error == EPERM ? ErrorKind::permission_denied
                     : error == ENOENT                 ? ErrorKind::not_found
                     : error == EEXIST                 ? ErrorKind::already_exists
                                                       : ErrorKind::unavailable;
    return {kind, "cannot " + what + " " + path.string() + ": " + std::strerror(error)};
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void sync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

Result<Done> write_private_file(const std::filesystem::path& path, std::string_view bytes, bool replace) {
    std::filesystem::path dir = path.parent_path();
    std::filesystem::path temp = path;
    temp += ".tmp-" + random_hex(8);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("create", temp, errno);
    bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
    int write_errno = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        return io_error("write", temp, write_errno);
    }
    int placed = replace ? ::rename(temp.c_str(), path.c_str()) : ::link(temp.c_str(), path.c_str());
    int place_errno = errno;
    if (!replace || placed != 0) ::unlink(temp.c_str());
    if (placed != 0) {
        if (place_errno == EEXIST) {
            return Error{ErrorKind::already_exists, path.string() + " already exists; not overwriting it"};
        }
        return io_error("write", path, place_errno);
    }
    sync_directory(dir);
    return Done{};
}

Result<Secret> read_private_file(const std::filesystem::path& path, std::size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("read", path, errno);
    std::string bytes;
    bytes.reserve(4096);
    char buffer[4096];
    bool too_large = false;
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int read_errno = errno;
            ::close(fd);
            wipe(bytes);
            return io_error("read", path, read_errno);
        }
        if (n == 0) break;
        if (bytes.size() + static_cast<std::size_t>(n) > max_bytes) {
            too_large = true;
            break;
        }
        bytes.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    OPENSSL_cleanse(buffer, sizeof buffer);
    if (too_large) {
        wipe(bytes);
        return Error{ErrorKind::invalid_argument,
                     path.string() + " is larger than " + std::to_string(max_bytes) + " bytes"};
    }
    Secret secret(bytes);
    wipe(bytes);
    return secret;
}

Result<Done> check_private_mode(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return io_error("read", path, errno);
    if ((info.st_mode & 0077) == 0) return Done{};
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error{ErrorKind::invalid_argument, path.string() + " is accessible to other users (mode " + mode +
                                                  "); run: chmod 600 " + path.string()};
}

}  // namespace tether::crypto
