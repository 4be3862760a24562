#pragma once

#include <chrono>
#include <optional>
#include <string_view>

// The sd_notify(3) protocol without libsystemd: a static binary cannot
// load it, and the protocol is one datagram.
namespace tether::runner {

// Sends `state` ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=…", several
// separated by newlines) as one datagram to $NOTIFY_SOCKET: a socket path,
// or an abstract socket when it starts with '@'. False when the variable is
// unset (not run by systemd with Type=notify) or the send fails; the
// runner works the same either way.
bool notify_systemd(std::string_view state);

// How often systemd expects "WATCHDOG=1" (WatchdogSec=), from
// $WATCHDOG_USEC, when it is meant for this process ($WATCHDOG_PID unset
// or equal to getpid()). Send it every half interval, as
// sd_watchdog_enabled(3) advises.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace tether::runner
