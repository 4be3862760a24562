// Command lines split as POSIX shells and Python's shlex.split split them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "common/botocore.h"
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

TEST_CASE("random command lines split as Python's shlex.split splits them") {
    std::uint64_t seed = std::random_device{}();
    CAPTURE(seed);
    std::mt19937_64 random(seed);
    static const std::vector<std::string> pieces = {"a", "Z", "9", " ", "  ", "\t",       "\n", "'",    "\"",   "\\",
                                                    "$", "#", "=", "-", "/",  "\xc3\xa9", "''", "\"\"", "\\\"", "x y"};
    std::vector<std::string> lines;
    std::string input;
    for (int i = 0; i < 500; ++i) {
        std::string line;
        for (std::size_t n = random() % 12; n > 0; --n) line += pieces[random() % pieces.size()];
        input += nlohmann::json(line).dump() + "\n";
        lines.push_back(std::move(line));
    }
    auto path = std::filesystem::temp_directory_path() / ("tether-shlex-" + std::to_string(::getpid()));
    std::ofstream(path) << input;
    std::string output = tether::testing::run_oracle("shlex_split.py", "< " + path.string());
    std::filesystem::remove(path);
    std::istringstream expected_lines(output);
    for (const std::string& line : lines) {
        std::string expected_line;
        REQUIRE(std::getline(expected_lines, expected_line));
        auto expected = nlohmann::json::parse(expected_line);
        auto ours = split_shell_words(line);
        CAPTURE(nlohmann::json(line).dump());
        CHECK(ours.ok() == !expected.is_null());
        if (ours && !expected.is_null()) CHECK(ours.value() == expected.get<Words>());
    }
}
