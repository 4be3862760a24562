#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tether {

// Key material, tokens and credentials. Cannot be printed or copied by
// accident: there is no conversion to a string, copies are explicit, and
// the bytes are wiped (OPENSSL_cleanse) when the value goes away.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string_view bytes);
    ~Secret();

    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;

    Secret copy() const { return Secret(reveal()); }

    // The only way to the bytes; grep for it to audit where secrets go.
    std::string_view reveal() const { return bytes_; }
    bool empty() const { return bytes_.empty(); }
    std::size_t size() const { return bytes_.size(); }

    void wipe();

private:
    std::string bytes_;
};

// Overwrites a string's bytes before it is freed.
void wipe(std::string& bytes);

}  // namespace tether
