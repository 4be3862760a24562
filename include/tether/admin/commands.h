#pragma once

#include "tether/admin/config.h"

namespace tether::admin {

// `tether admin status`: asks the server's /readyz and shows the answer.
// Exit 0 when ready, 69 when unreachable or not ready.
int show_status(const AdminConfig& config);

// `tether admin whoami`: the service account, org and role of the API key.
int whoami(const AdminConfig& config);

}  // namespace tether::admin
