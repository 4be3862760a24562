// Any bytes as what a cloud credential source answers: the container
// endpoint and instance metadata (JSON, src/providers/aws/json_answer.h)
// and a Kubernetes exec plugin (an ExecCredential). Refused with a message
// that quotes no value, or read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json_answer.h"
#include "tether/providers/kubernetes/exec_credential.h"

namespace kube = tether::providers::kubernetes;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto answer = tether::providers::aws::JsonAnswer::parse(text, "fuzz");
    if (!answer && answer.error().message.empty()) __builtin_trap();

    kube::ExecConfig exec;
    exec.api_version = "client.authentication.k8s.io/v1";
    exec.command = "fuzz-plugin";
    auto credential = kube::parse_exec_credential(text, exec);
    if (!credential && credential.error().message.empty()) __builtin_trap();
    return 0;
}
