#pragma once

// Files in tests: a scratch directory for one test, and a file's mode.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace tether::testing {

// The bytes of a file; empty if it cannot be read (a log not yet written).
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fresh scratch directory, removed with everything in it at the end.
struct TempDir {
    std::filesystem::path path;

    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tether-test-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path operator/(const std::string& name) const { return path / name; }

    // Writes `text` to `name` (parent directories made) with `mode`; returns the full path.
    std::filesystem::path write(const std::string& name, std::string_view text, mode_t mode = 0644) const {
        std::filesystem::path file = path / name;
        std::filesystem::create_directories(file.parent_path());
        {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out << text;
            REQUIRE(out.good());
        }
        REQUIRE(::chmod(file.c_str(), mode) == 0);
        return file;
    }

    std::string read(const std::string& name) const {
        std::ifstream in(path / name, std::ios::binary);
        REQUIRE(in.good());
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
};

// The permission bits of `path` (with setuid, setgid and sticky).
inline unsigned mode_of(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

}  // namespace tether::testing
