#include "tether/cli/version.h"

#include <gnu/libc-version.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "build_info.h"

namespace tether::cli {
namespace {

struct Library {
    const char* name;
    const char* version;
};

// From meson.build: the versions of the libraries Meson compiled and linked in.
constexpr Library libraries[] = {TETHER_LIBRARY_VERSIONS};

std::string_view commit() {
    std::string_view both = build_info::commit_and_date;
    return both.substr(0, both.find(' '));
}

std::string_view build_date() {
    std::string_view both = build_info::commit_and_date;
    std::size_t space = both.find(' ');
    return space == std::string_view::npos ? std::string_view("unknown") : both.substr(space + 1);
}

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("g++ ") + __VERSION__;
#else
    return "unknown";
#endif
}

// What the code linked in says of itself at run time (the same code, as the binary is static).
std::vector<std::pair<std::string, std::string>> runtime() {
    return {{"OpenSSL", OpenSSL_version(OPENSSL_VERSION)},
            {"SQLite", sqlite3_libversion()},
            {"glibc", gnu_get_libc_version()}};
}

}  // namespace

std::string version_line() {
    return std::string("tether ") + TETHER_VERSION + " (commit " + std::string(commit()) + ")";
}

std::string version_report() {
    std::string out = version_line() + "\n";
    out += "built " + std::string(build_date()) + " with " + compiler() + (TETHER_STATIC_BINARY ? ", static\n" : "\n");
    for (const auto& [name, version] : runtime()) out += name + " " + version + " (at run time)\n";
    for (const Library& library : libraries) out += std::string(library.name) + " " + library.version + "\n";
    return out;
}

std::string version_json() {
    nlohmann::json libraries_found = nlohmann::json::object();
    for (const Library& library : libraries) libraries_found[library.name] = library.version;
    nlohmann::json at_run_time = nlohmann::json::object();
    for (const auto& [name, version] : runtime()) at_run_time[name] = version;
    nlohmann::json report = {{"version", TETHER_VERSION},
                             {"commit", commit()},
                             {"build_date", build_date()},
                             {"compiler", compiler()},
                             {"static", TETHER_STATIC_BINARY},
                             {"libraries", libraries_found},
                             {"runtime", at_run_time}};
    return report.dump(2) + "\n";
}

}  // namespace tether::cli
