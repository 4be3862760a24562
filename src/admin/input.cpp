#include "tether/admin/input.h"

#include <openssl/crypto.h>

#include <iostream>

#include "tether/core/error.h"
#include "tether/crypto/secret_file.h"

namespace tether::admin {
namespace {

std::string size_text(std::size_t bytes) {
    return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

Secret read_standard_input(std::size_t max_bytes, const std::string& what) {
    std::string text;
    char buffer[4096];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > max_bytes) {
            OPENSSL_cleanse(buffer, sizeof buffer);
            wipe(text);
            fail(ExitCode::usage, what + ": standard input holds more than " + size_text(max_bytes));
        }
    }
    OPENSSL_cleanse(buffer, sizeof buffer);
    if (std::cin.bad()) fail(ExitCode::usage, what + ": cannot read standard input");
    Secret secret(text);
    wipe(text);
    return secret;
}

}  // namespace

Secret read_input(const std::string& source, std::size_t max_bytes, const std::string& what) {
    if (source == "-") return read_standard_input(max_bytes, what);
    auto text = crypto::read_private_file(source, max_bytes);
    if (!text) fail(ExitCode::usage, what + ": cannot read " + source + ": " + text.error().message);
    return std::move(text).value();
}

}  // namespace tether::admin
