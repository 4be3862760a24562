// Any bytes as a config file: a clean config error or a valid setting,
// never a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/settings.h"

namespace {

std::vector<tether::config::Spec> specs() {
    using tether::config::Kind;
    std::vector<tether::config::Spec> out = {
        {"data_dir", Kind::path, "", "data"},
        {"api.listen", Kind::address, "127.0.0.1:8443", "listen"},
        {"server", Kind::url, "", "server"},
        {"timeout", Kind::duration, "10s", "timeout"},
        {"enabled", Kind::boolean, "false", "enabled"},
        {"limit", Kind::integer, "1", "limit"},
        {"policy.operations", Kind::list, "system.*", "operations"},
    };
    for (auto& spec : tether::config::logging_specs()) out.push_back(spec);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tether::config::Settings settings(specs());
    try {
        settings.load_toml(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    } catch (const tether::Fatal& fatal) {
        if (fatal.code() != tether::ExitCode::config) __builtin_trap();
        return 0;
    }
    // Whatever was accepted reads back through the typed accessors.
    (void)settings.duration("timeout");
    (void)settings.boolean("enabled");
    (void)settings.integer("limit");
    (void)settings.describe();
    return 0;
}
