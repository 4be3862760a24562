#include "tether/runner/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tether::runner {
namespace {

std::optional<std::uint64_t> parse_unsigned(const char* text) {
    if (text == nullptr) return std::nullopt;
    std::string_view view(text);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (view.empty() || ec != std::errc{} || end != view.data() + view.size()) return std::nullopt;
    return value;
}

class Socket {
public:
    Socket() : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

}  // namespace

bool notify_systemd(std::string_view state) {
    const char* socket_name = std::getenv("NOTIFY_SOCKET");
    if (socket_name == nullptr) return false;
    std::string_view name(socket_name);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // Only paths and abstract names: systemd's vsock: addresses are for VMs.
    if (name.size() < 2 || (name.front() != '/' && name.front() != '@') || name.size() > sizeof address.sun_path) {
        return false;
    }
    // A path needs its terminating NUL inside sun_path; an abstract name does not.
    if (name.front() == '/' && name.size() == sizeof address.sun_path) return false;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name.front() == '@') address.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name.front() == '/' ? 1 : 0));

    Socket socket;
    if (socket.fd() < 0) return false;
    ssize_t sent = ::sendto(socket.fd(), state.data(), state.size(), MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&address), length);
    return sent == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    auto usec = parse_unsigned(std::getenv("WATCHDOG_USEC"));
    if (!usec || *usec == 0 || *usec > static_cast<std::uint64_t>(std::chrono::microseconds::max().count())) {
        return std::nullopt;
    }
    if (std::getenv("WATCHDOG_PID") != nullptr) {
        auto pid = parse_unsigned(std::getenv("WATCHDOG_PID"));
        if (!pid || *pid != static_cast<std::uint64_t>(::getpid())) return std::nullopt;
    }
    return std::chrono::microseconds(*usec);
}

}  // namespace tether::runner
