#include "tether/server/server.h"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <cstring>

#include "tether/core/log.h"
#include "tether/server/api_listener.h"
#include "tether/server/health.h"
#include "tether/store/database.h"
#include "tether/store/migrations.h"

namespace tether::server {
namespace {

const log::Logger logger("server");

// The data dir holds keys: created 0700, and a looser existing one is
// reported (the operator may have a reason, such as a group-readable backup).
void prepare_data_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
        if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            fail(ExitCode::config, "cannot create data dir " + dir.string() + ": " + std::strerror(errno));
        }
        logger.info("created data dir", {{"path", dir.string()}});
    }
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0) {
        fail(ExitCode::config, "cannot use data dir " + dir.string() + ": " + std::strerror(errno));
    }
    if (!S_ISDIR(info.st_mode)) fail(ExitCode::config, "data dir " + dir.string() + " is not a directory");
    if ((info.st_mode & 0077) != 0) {
        logger.warn("data dir is accessible to other users; chmod 700 it",
                    {{"path", dir.string()}, {"mode", static_cast<unsigned>(info.st_mode & 0777)}});
    }
}

}  // namespace

int run(const ServerConfig& config) {
    prepare_data_dir(config.data_dir);
    auto database = store::Database::open(config.data_dir / "tether.db");
    if (!database) fail(ExitCode::unavailable, database.error().message);
    auto before = store::schema_version(database.value());
    auto version = store::migrate(database.value());
    if (!version) fail(version.error());
    if (before && before.value() != version.value()) {
        logger.info("database migrated", {{"from_version", before.value()}, {"to_version", version.value()}});
    }

    boost::asio::io_context io;
    bool stopping = false;  // io runs on this thread only: no lock needed
    Router router;
    add_health_routes(router, database.value(), [&stopping] { return !stopping; });
    ApiListener listener(io, std::move(router));

    // Handlers go in before anything announces readiness: a SIGTERM that
    // follows "api listening" at once must find them (and is queued until
    // io.run() starts).
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        logger.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
        stopping = true;
        listener.stop();
    });

    auto bound = listener.listen(config.api_listen);
    if (!bound) fail(bound.error());
    logger.info("api listening", {{"address", bound.value().to_string()}, {"data_dir", config.data_dir.string()}});

    io.run();
    logger.info("stopped");
    return 0;
}

}  // namespace tether::server
