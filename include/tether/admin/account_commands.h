#pragma once

#include <functional>
#include <memory>

#include "tether/admin/config.h"

namespace CLI {
class App;
}

namespace tether::admin {

using AdminCommand = std::function<int(const AdminConfig&)>;

// Adds `service-account …` and `api-key …`; the chosen one lands in `chosen`.
void add_account_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

// Adds `runner …`.
void add_runner_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

// Adds `connection …`.
void add_connection_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

// Adds `aws call …` and `aws s3 ls`.
void add_aws_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

// Adds `kubectl get …`.
void add_kubectl_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

// Adds `secret …` and `var …`.
void add_value_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);
// Adds `op …`.
void add_operation_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen);

}  // namespace tether::admin
