#include <doctest/doctest.h>

#include <string>

#include "tether/core/references.h"
#include "tether/core/text.h"

using namespace tether;
using references::Source;

namespace {

// The pieces of `text` as one string: "[text]" and "<reference>".
std::string shape(std::string_view text) {
    auto pieces = references::split(text);
    REQUIRE_MESSAGE(pieces, pieces.error().message);
    std::string out;
    for (const auto& piece : pieces.value()) {
        out += "[" + piece.literal + "]";
        if (piece.reference) out += "<" + piece.reference->text() + ">";
    }
    return out;
}

std::string refusal(std::string_view text) {
    auto pieces = references::split(text);
    REQUIRE_FALSE(pieces);
    CHECK(pieces.error().kind == ErrorKind::invalid_argument);
    return pieces.error().message;
}

}  // namespace

TEST_CASE("references are cut out of a string; everything else is text") {
    CHECK(shape("plain") == "[plain]");
    CHECK(shape("") == "[]");
    CHECK(shape("${secret:db-password}") == "[]<${secret:db-password}>");
    CHECK(shape("postgres://app:${secret:db.pw@3}@db:5432") == "[postgres://app:]<${secret:db.pw@3}>[@db:5432]");
    CHECK(shape("${var:region}-${env:STAGE}") == "[]<${var:region}>[-]<${env:STAGE}>");
    CHECK(shape("${file:/etc/tether/token}") == "[]<${file:/etc/tether/token}>");
    // Other sources are text: CloudFormation, shells, a lone dollar.
    CHECK(shape("${AWS::Region} ${HOME} $5 $") == "[${AWS::Region} ${HOME} $5 $]");
    CHECK(shape("${secrets:x}") == "[${secrets:x}]");
    // "$${" before a source is the text "${".
    CHECK(shape("$${secret:db}") == "[${secret:db}]");
    CHECK(shape("$$${secret:db}") == "[$${secret:db}]");
    CHECK(shape("$${HOME}") == "[$${HOME}]");

    auto pieces = references::split("a${secret:db@12}b").value();
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0].reference->source == Source::secret);
    CHECK(pieces[0].reference->name == "db");
    CHECK(pieces[0].reference->version == 12);
}

TEST_CASE("a malformed reference is refused with its offset, quoting nothing of what follows the source") {
    CHECK(refusal("x ${secret:db") == "byte 2: the ${secret:…} reference is not closed with '}'");
    CHECK(refusal("${secret:}").find("needs a name") != std::string::npos);
    CHECK(refusal("${secret:has space}").find("needs a name") != std::string::npos);
    CHECK(refusal("${secret:-leading}").find("needs a name") != std::string::npos);
    CHECK(refusal("${secret:" + std::string(129, 'a') + "}").find("needs a name") != std::string::npos);
    CHECK(refusal("${secret:db@0}").find("version") != std::string::npos);
    CHECK(refusal("${secret:db@01}").find("version") != std::string::npos);
    CHECK(refusal("${var:db@x}").find("version") != std::string::npos);
    CHECK(refusal("${var:db@}").find("version") != std::string::npos);
    CHECK(refusal("${secret:db@99999999999999999999}").find("version") != std::string::npos);
    CHECK(refusal("${env:1ABC}").find("environment variable name") != std::string::npos);
    CHECK(refusal("${env:A-B}").find("environment variable name") != std::string::npos);
    CHECK(refusal("${file:relative/path}").find("absolute path") != std::string::npos);
    CHECK(refusal("${file:/a\nb}").find("absolute path") != std::string::npos);
    CHECK(refusal("${secret:hunter2 is the password").find("hunter2") == std::string::npos);
}

TEST_CASE("mentions_reference finds only the four sources") {
    CHECK(references::mentions_reference("x ${secret:a}"));
    CHECK(references::mentions_reference("${file:/x}"));
    CHECK_FALSE(references::mentions_reference("${AWS::Region} ${HOME}"));
    CHECK_FALSE(references::mentions_reference("secret:a"));
}

TEST_CASE("value names, environment names and values") {
    CHECK(references::is_valid_value_name("db-password"));
    CHECK(references::is_valid_value_name("Prod.DB_pw-2"));
    CHECK(references::is_valid_value_name(std::string(128, 'a')));
    CHECK_FALSE(references::is_valid_value_name(std::string(129, 'a')));
    CHECK_FALSE(references::is_valid_value_name(""));
    CHECK_FALSE(references::is_valid_value_name(".hidden"));
    CHECK_FALSE(references::is_valid_value_name("a/b"));
    CHECK_FALSE(references::is_valid_value_name("a@1"));
    CHECK(references::is_valid_environment_name("_TOKEN_2"));
    CHECK_FALSE(references::is_valid_environment_name("2X"));

    CHECK_FALSE(references::value_problem("hunter2"));
    CHECK_FALSE(references::value_problem("grüße ✓"));
    CHECK(*references::value_problem("") == "the value is empty");
    CHECK(references::value_problem(std::string(64 * 1024 + 1, 'x'))->find("at most 65536") != std::string::npos);
    CHECK_FALSE(references::value_problem(std::string(64 * 1024, 'x')));
    CHECK(references::value_problem(std::string("a\0b", 3))->find("NUL") != std::string::npos);
    CHECK(references::value_problem("\xff\xfe")->find("UTF-8") != std::string::npos);
}

TEST_CASE("UTF-8: well-formed text passes; overlongs, surrogates, truncations and stray bytes do not") {
    CHECK(text::is_valid_utf8(""));
    CHECK(text::is_valid_utf8("ascii"));
    CHECK(text::is_valid_utf8("\xc3\xa9"));          // é
    CHECK(text::is_valid_utf8("\xe2\x9c\x93"));      // ✓
    CHECK(text::is_valid_utf8("\xf0\x9f\x98\x80"));  // 😀
    CHECK(text::is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
    CHECK_FALSE(text::is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(text::is_valid_utf8("\xe0\x80\xaf"));      // overlong
    CHECK_FALSE(text::is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
    CHECK_FALSE(text::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(text::is_valid_utf8("\xe2\x9c"));          // truncated
    CHECK_FALSE(text::is_valid_utf8("\x80"));              // a continuation alone
    CHECK_FALSE(text::is_valid_utf8("\xe2\x28\xa1"));      // bad continuation
    CHECK_FALSE(text::is_valid_utf8("\xff"));
}
