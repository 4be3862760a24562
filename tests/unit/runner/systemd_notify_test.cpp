#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "support.h"
#include "tether/crypto/random.h"
#include "tether/runner/systemd_notify.h"

using namespace std::chrono_literals;
using runner_test::ScopedEnv;
using tether::runner::notify_systemd;
using tether::runner::watchdog_interval;

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
public:
    // `name`: a path, or an abstract name when it starts with '@'.
    explicit NotifySocket(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(name.size() < sizeof address.sun_path);
        std::memcpy(address.sun_path, name.data(), name.size());
        bool abstract = name.front() == '@';
        if (abstract) address.sun_path[0] = '\0';
        auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0);
    }
    ~NotifySocket() { ::close(fd_); }

    // The next datagram, or "" if none arrives within a second.
    std::string receive() const {
        timeval timeout{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char buffer[4096];
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n <= 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
    }

private:
    int fd_;
};

}  // namespace

TEST_CASE("notify_systemd sends its state as one datagram to a socket path") {
    runner_test::TempDir dir;
    std::string path = (dir.path / "notify").string();
    NotifySocket socket(path);
    ScopedEnv env("NOTIFY_SOCKET", path);
    CHECK(notify_systemd("READY=1\nSTATUS=connected"));
    CHECK(socket.receive() == "READY=1\nSTATUS=connected");
    CHECK(notify_systemd("WATCHDOG=1"));
    CHECK(socket.receive() == "WATCHDOG=1");
}

TEST_CASE("notify_systemd reaches an abstract socket named with a leading @") {
    std::string name = "@tether-notify-test-" + tether::crypto::random_hex(8);
    NotifySocket socket(name);
    ScopedEnv env("NOTIFY_SOCKET", name);
    CHECK(notify_systemd("STOPPING=1"));
    CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("notify_systemd is a no-op returning false without a usable NOTIFY_SOCKET") {
    {
        ScopedEnv env("NOTIFY_SOCKET", std::nullopt);
        CHECK_FALSE(notify_systemd("READY=1"));
    }
    runner_test::TempDir dir;
    for (std::string bad : {std::string(""), std::string("relative/path"), std::string("@"),
                            (dir.path / "nobody-listens").string(), "/" + std::string(200, 'x')}) {
        ScopedEnv env("NOTIFY_SOCKET", bad);
        CHECK_FALSE(notify_systemd("READY=1"));
    }
}

TEST_CASE("watchdog_interval reads WATCHDOG_USEC when WATCHDOG_PID is unset or this process") {
    {
        ScopedEnv usec("WATCHDOG_USEC", "30000000");
        ScopedEnv pid("WATCHDOG_PID", std::nullopt);
        CHECK(watchdog_interval() == std::chrono::microseconds(30s));
    }
    {
        ScopedEnv usec("WATCHDOG_USEC", "2500");
        ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
        CHECK(watchdog_interval() == std::chrono::microseconds(2500));
    }
    {
        ScopedEnv usec("WATCHDOG_USEC", "2500");
        ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));  // meant for another process
        CHECK_FALSE(watchdog_interval().has_value());
    }
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    for (const char* bad : {"", "0", "-5", "12s", "99999999999999999999999"}) {
        ScopedEnv usec("WATCHDOG_USEC", bad);
        CHECK_MESSAGE(!watchdog_interval().has_value(), bad);
    }
    ScopedEnv unset("WATCHDOG_USEC", std::nullopt);
    CHECK_FALSE(watchdog_interval().has_value());
}
