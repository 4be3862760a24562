#pragma once

// Private to src/server: the components its log lines name, defined once.
#include "tether/core/log.h"

namespace tether::server {

inline const log::Logger api_log("api");
inline const log::Logger auth_log("auth");
inline const log::Logger health_log("health");
inline const log::Logger init_log("init");
inline const log::Logger server_log("server");
inline const log::Logger tunnel_log("tunnel");

}  // namespace tether::server
