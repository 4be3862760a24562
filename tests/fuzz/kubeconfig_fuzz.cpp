// Any bytes as a kubeconfig (YAML or JSON): refused with a message, or
// parsed; and then each context resolved, refused or not, without a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/providers/kubernetes/kubeconfig.h"

namespace kube = tether::providers::kubernetes;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = kube::parse_kubeconfig(text, "fuzz", std::filesystem::path("/base"));
    if (!config) {
        if (config.error().message.empty()) __builtin_trap();
        return 0;
    }
    auto access = kube::resolve_context(config.value());
    if (!access && access.error().message.empty()) __builtin_trap();
    return 0;
}
