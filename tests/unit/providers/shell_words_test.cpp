// Command lines split as POSIX shells and Python's shlex.split split them.
#include <doctest/doctest.h>

#include "tether/providers/shell_words.h"

using tether::providers::split_shell_words;
using Words = std::vector<std::string>;

namespace {

Words split(std::string_view line) {
    auto words = split_shell_words(line);
    REQUIRE_MESSAGE(words, (words ? "" : words.error().message));
    return words.value();
}

}  // namespace

TEST_CASE("blanks separate words; runs of blanks count once") {
    CHECK(split("  /usr/bin/aws-vault  exec\tdev --json\n") == Words{"/usr/bin/aws-vault", "exec", "dev", "--json"});
    CHECK(split("").empty());
    CHECK(split(" \t ").empty());
}

TEST_CASE("single quotes keep everything; double quotes keep all but \\\" and \\\\") {
    CHECK(split(R"('a b' 'x\y' '"')") == Words{"a b", "x\\y", "\""});
    CHECK(split(R"("a b" "q\"q" "s\\s" "k\nk" "$HOME")") == Words{"a b", "q\"q", "s\\s", "k\\nk", "$HOME"});
}

TEST_CASE("a backslash outside quotes keeps the next character; pieces join; \"\" is a word") {
    CHECK(split(R"(a\ b \'c \\)") == Words{"a b", "'c", "\\"});
    CHECK(split(R"(pre"mid dle"'post' x)") == Words{"premid dlepost", "x"});
    CHECK(split(R"(a "" '' b)") == Words{"a", "", "", "b"});
}

TEST_CASE("an unclosed quote or a trailing backslash is refused without quoting the line") {
    for (std::string_view bad : {"cmd 'secret", "cmd \"secret", "cmd secret\\"}) {
        auto words = split_shell_words(bad);
        REQUIRE_FALSE(words);
        CHECK(words.error().kind == tether::ErrorKind::invalid_argument);
        CHECK(words.error().message.find("secret") == std::string::npos);
    }
}
