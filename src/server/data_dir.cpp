#include "tether/server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tether/crypto/envelope.h"
#include "tether/crypto/secret_file.h"

namespace tether::server {

Result<Secret> read_master_key(const std::filesystem::path& path) {
    if (auto mode = crypto::check_private_mode(path); !mode) return mode.error();
    auto text = crypto::read_private_file(path, 4096);
    if (!text) return text.error();
    return crypto::parse_master_key(text.value().reveal());
}

Result<DataDirLock> DataDirLock::acquire(const DataDir& data) {
    int descriptor = ::open(data.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (descriptor < 0) {
        return Error{ErrorKind::unavailable, "cannot open " + data.lock().string() + ": " + std::strerror(errno)};
    }
    if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        ::close(descriptor);
        if (error == EWOULDBLOCK) {
            return Error{ErrorKind::unavailable,
                         "data dir " + data.root.string() + " is in use by another tether process (a running server?)"};
        }
        return Error{ErrorKind::unavailable, "cannot lock " + data.lock().string() + ": " + std::strerror(error)};
    }
    return DataDirLock(descriptor);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : descriptor_(other.descriptor_) { other.descriptor_ = -1; }

DataDirLock::~DataDirLock() {
    if (descriptor_ >= 0) ::close(descriptor_);
}

}  // namespace tether::server
