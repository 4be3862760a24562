#include "tether/ops/known_operations.h"

#include <algorithm>
#include <iterator>

namespace tether::ops {

bool is_known_operation(std::string_view type) {
    static constexpr std::string_view known[] = {"aws.call", "system.echo", "system.generate", "system.info",
                                                 "system.sleep", "kubernetes.call"};
    return std::find(std::begin(known), std::end(known), type) != std::end(known);
}

}  // namespace tether::ops
