#include "token_file.h"

#include "tether/crypto/secret_file.h"

namespace tether::providers::aws {

Result<Secret> read_token_file(const std::string& path, std::string_view what) {
    constexpr std::size_t longest_token_file = 64 * 1024;
    auto read = crypto::read_private_file(path, longest_token_file);
    if (!read) {
        ErrorKind kind = read.error().kind == ErrorKind::invalid_argument ? ErrorKind::invalid_argument
                                                                          : ErrorKind::failed_precondition;
        return Error{kind, std::string(what) + ": " + read.error().message};
    }
    std::string_view token = read.value().reveal();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.remove_suffix(1);
    if (token.empty()) return Error{ErrorKind::invalid_argument, std::string(what) + ": " + path + " is empty"};
    return Secret(token);
}

}  // namespace tether::providers::aws
