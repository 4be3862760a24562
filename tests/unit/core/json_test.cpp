// The reader of untrusted JSON: depth, duplicate keys, and messages that
// name the problem and its byte offset without quoting the input.
#include <doctest/doctest.h>

#include <string>

#include "tether/core/json.h"

using tether::check_json;
using tether::ErrorKind;
using tether::max_json_depth;
using tether::parse_json;
using tether::wipe_json;

namespace {

std::string json_refusal(const std::string& text) {
    auto parsed = parse_json(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    auto checked = check_json(text);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().message == parsed.error().message);
    return parsed.error().message;
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("json: a document within the limits parses to the same value nlohmann builds") {
    std::string text = R"({"a":[1,2.5,"x\"[{",{"b":null}],"c":true,"é":"\u00e9"})";
    auto parsed = parse_json(text);
    REQUIRE(parsed);
    CHECK(parsed.value() == nlohmann::json::parse(text));
    CHECK(check_json(text));
    CHECK(parse_json(nested_arrays(max_json_depth)));
}

TEST_CASE("json: nesting one level past the limit is refused at the bracket that opens it") {
    CHECK(json_refusal(nested_arrays(max_json_depth + 1)) == "byte 64: nested deeper than 64 levels");
    // Brackets inside strings, escaped quotes included, do not count.
    std::string in_string = "[\"\\\"" + std::string(100, '[') + "\"]";
    CHECK(parse_json(in_string));
    CHECK(parse_json(nested_arrays(3), 2).error().message == "byte 2: nested deeper than 2 levels");
}

TEST_CASE("json: 100,000 levels from a hostile peer end in an error, not a stack overflow") {
    std::string deep = nested_arrays(100'000);
    CHECK(json_refusal(deep).find("nested deeper than 64 levels") != std::string::npos);
    std::string objects;
    for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
    CHECK(json_refusal(objects).find("nested deeper") != std::string::npos);
}

TEST_CASE("json: a key named twice in one object is refused; the same key in two objects is not") {
    CHECK(json_refusal(R"({"role":"viewer","role":"admin"})") == "key \"role\" appears twice in one object");
    CHECK(json_refusal(R"({"a":{"x":1,"x":2}})") == "key \"x\" appears twice in one object");
    CHECK(parse_json(R"({"x":{"x":1},"y":{"x":2},"z":[{"x":1},{"x":1}]})"));
    // Keys in an object that closed do not linger in the next one at that depth.
    CHECK(parse_json(R"([{"a":1},{"a":2}])"));
}

TEST_CASE("json: truncated text, trailing garbage, invalid UTF-8 and emptiness each say so with an offset") {
    CHECK(json_refusal(R"({"a":)") == "byte 5: unexpected end of input; expected '[', '{', or a literal");
    CHECK(json_refusal(R"({"a":1} x)") == "byte 8: unexpected text after the JSON value");
    CHECK(json_refusal(R"({"a":1}})") == "byte 7: unexpected text after the JSON value");
    CHECK(json_refusal("[\"\xff\"]") == "byte 2: invalid string: ill-formed UTF-8 byte");
    CHECK(json_refusal("") == "empty: no JSON value");
    CHECK(json_refusal("[1e500]") == "byte 5: number overflow");
    CHECK(json_refusal("  \n") == "empty: no JSON value");
    CHECK(json_refusal("{\n  \"a\": 1,\n  \"b\": }") == "line 3, byte 19: unexpected '}'; expected '[', '{', or a literal");
}

TEST_CASE("json: a message never quotes the input it refuses") {
    const std::string secret = "AKIAIOSFODNN7EXAMPLESECRET";
    for (const std::string& text : {"{\"key\":\"" + secret + "\xc3\"}", "{\"key\":" + secret + "}",
                                    "{\"key\":\"" + secret + "\"", "[\"" + secret + "\n\"]"}) {
        std::string message = json_refusal(text);
        CAPTURE(message);
        CHECK(message.find(secret) == std::string::npos);
        CHECK(message.find("last read") == std::string::npos);
    }
}

TEST_CASE("wipe_json clears every string, nested ones too") {
    nlohmann::json value = {{"a", "secret"}, {"b", {{"c", "deeper"}, {"d", {1, "x"}}}}};
    wipe_json(value);
    CHECK(value == nlohmann::json{{"a", ""}, {"b", {{"c", ""}, {"d", {1, ""}}}}});
}
