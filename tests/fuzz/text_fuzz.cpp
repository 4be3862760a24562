// Any bytes as percent-encoded text, as a duration, as text holding
// ${secret:…} references and as UTF-8: decoding what encoding made gives
// the bytes back; a duration that parses formats to text that parses to
// the same duration; each reference found, written back, is found again
// alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/duration.h"
#include "tether/core/references.h"
#include "tether/core/text.h"

namespace text = tether::text;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    std::string decoded;
    (void)text::append_percent_decoded(decoded, input);
    std::string encoded = text::percent_encode(input);
    if (encoded.find_first_of("/?&#\r\n ") != std::string::npos || text::has_control_character(encoded)) __builtin_trap();
    std::string round_trip;
    if (!text::append_percent_decoded(round_trip, encoded) || round_trip != input) __builtin_trap();

    if (auto duration = tether::parse_duration(input)) {
        auto again = tether::parse_duration(tether::format_duration(*duration));
        if (!again || *again != *duration) __builtin_trap();
    }
    if (auto pieces = tether::references::split(input)) {
        for (const auto& piece : pieces.value()) {
            if (!piece.reference) continue;
            auto again = tether::references::split(piece.reference->text());
            if (!again || again.value().size() != 1 || !again.value()[0].reference ||
                !(*again.value()[0].reference == *piece.reference)) {
                __builtin_trap();
            }
        }
    }
    (void)tether::text::is_valid_utf8(input);
    return 0;
}
