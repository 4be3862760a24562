#include "tether/cli/version.h"

#include <openssl/crypto.h>
#include <sqlite3.h>

#include <boost/version.hpp>

#include "build_info.h"

namespace tether::cli {

std::string version_line() { return std::string("tether ") + TETHER_VERSION + " (commit " + build_info::commit + ")"; }

std::string version_report() {
    std::string boost = std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                        "." + std::to_string(BOOST_VERSION % 100);
    return version_line() + "\n" + OpenSSL_version(OPENSSL_VERSION) + "\nSQLite " + sqlite3_libversion() +
           "\nBoost " + boost + "\n";
}

}  // namespace tether::cli
