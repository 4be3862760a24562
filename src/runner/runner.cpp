#include "tether/runner/runner.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "tether/core/error.h"
#include "tether/core/log.h"
#include "tether/crypto/secret_file.h"

namespace tether::runner {
namespace {

const log::Logger logger("runner");

// The credentials file holds a private key and an API key: like ssh with a
// private key, refuse one that other users can read.
void check_credentials_file(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        fail(ExitCode::config, "cannot read credentials file " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) fail(ExitCode::config, "credentials file " + path.string() + " is not a regular file");
    if (auto private_mode = crypto::check_private_mode(path); !private_mode) {
        fail(ExitCode::config, "credentials file " + private_mode.error().message);
    }
}

}  // namespace

int run(const RunnerConfig& config) {
    check_credentials_file(config.credentials);
    logger.info("credentials file accepted", {{"path", config.credentials.string()}});
    fail(ExitCode::unavailable, "this build of tether has no tunnel client yet, so the runner cannot connect");
}

}  // namespace tether::runner
