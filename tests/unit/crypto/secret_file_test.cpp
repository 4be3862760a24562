#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tether/crypto/secret_file.h"
#include "common/files.h"

using namespace tether;
using namespace tether::crypto;

using tether::testing::mode_of;

namespace {

using tether::testing::TempDir;

}  // namespace

TEST_CASE("a private file is 0600 even under a permissive umask, and reads back") {
    TempDir dir;
    mode_t old = ::umask(0);
    auto written = write_private_file(dir.path / "key", "s3cret", false);
    ::umask(old);
    REQUIRE(written);
    CHECK(mode_of(dir.path / "key") == 0600);
    auto read = read_private_file(dir.path / "key");
    REQUIRE(read);
    CHECK(read.value().reveal() == "s3cret");
    CHECK(check_private_mode(dir.path / "key"));
}

TEST_CASE("without replace an existing file is kept, and no temporary file is left behind") {
    TempDir dir;
    REQUIRE(write_private_file(dir.path / "key", "first", false));
    auto again = write_private_file(dir.path / "key", "second", false);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::already_exists);
    CHECK(read_private_file(dir.path / "key").value().reveal() == "first");

    REQUIRE(write_private_file(dir.path / "key", "second", true));
    CHECK(read_private_file(dir.path / "key").value().reveal() == "second");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("reading refuses oversized and missing files with the path in the message") {
    TempDir dir;
    std::ofstream(dir.path / "big") << std::string(100, 'x');
    auto big = read_private_file(dir.path / "big", 10);
    REQUIRE_FALSE(big);
    CHECK(big.error().message.find("larger than 10 bytes") != std::string::npos);
    auto missing = read_private_file(dir.path / "none");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
}

TEST_CASE("check_private_mode names the mode and the fix") {
    TempDir dir;
    std::ofstream(dir.path / "open") << "x";
    ::chmod((dir.path / "open").c_str(), 0640);
    auto checked = check_private_mode(dir.path / "open");
    REQUIRE_FALSE(checked);
    CHECK(checked.error().message.find("(mode 0640); run: chmod 600") != std::string::npos);
}

TEST_CASE("writing into a missing directory fails cleanly") {
    auto written = write_private_file("/nonexistent-dir/key", "x", false);
    REQUIRE_FALSE(written);
    CHECK(written.error().message.find("/nonexistent-dir/key") != std::string::npos);
}
