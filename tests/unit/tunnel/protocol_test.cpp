// The tunnel's messages: what each type must carry, what is refused and
// why, and that what one side writes the other reads back.
#include <doctest/doctest.h>

#include "tether/tunnel/protocol.h"

using namespace tether;
using nlohmann::json;

namespace {

std::string refusal(std::string_view text) {
    auto parsed = tunnel::parse_message(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    return parsed.error().message;
}

}  // namespace

TEST_CASE("hello and welcome round-trip with every field") {
    tunnel::Hello hello;
    hello.runner_version = "0.1.0";
    hello.hostname = "edge";
    hello.operations = {"system.info", "system.echo"};
    hello.capabilities = {"cancel"};
    hello.max_in_flight = 8;
    auto parsed = tunnel::parse_message(tunnel::hello_message(hello));
    REQUIRE(parsed);
    CHECK(parsed.value().type == tunnel::MessageType::hello);
    CHECK(parsed.value().hello.versions == std::vector<int>{1});
    CHECK(parsed.value().hello.operations == hello.operations);
    CHECK(parsed.value().hello.max_in_flight == 8);

    tunnel::Welcome welcome;
    welcome.server_version = "0.1.0";
    welcome.tunnel_id = "tn_abc";
    welcome.org = "acme";
    welcome.runner = "edge";
    welcome.max_in_flight = 64;
    welcome.liveness_timeout_ms = 30000;
    auto back = tunnel::parse_message(tunnel::welcome_message(welcome));
    REQUIRE(back);
    CHECK(back.value().welcome.tunnel_id == "tn_abc");
    CHECK(back.value().welcome.max_message_bytes == tunnel::default_max_message_bytes);
    CHECK(back.value().welcome.liveness_timeout_ms == 30000);
}

TEST_CASE("a request built from stored JSON text equals one built from a JSON value") {
    json params = {{"text", "quote \" backslash \\ newline \n"}, {"n", 3}};
    json config = {{"provider", "aws"}, {"auth_mode", "inline"}, {"settings", {{"region", "eu-west-1"}}},
                   {"credentials", "{\"access_key_id\":\"AKID\",\"secret_access_key\":\"s3cr3t\"}"}};
    std::string from_value = tunnel::request_message("op_1", "system.echo", params, std::string("prod"), 500, config);
    std::string from_text =
        tunnel::request_message_raw("op_1", "system.echo", params.dump(), std::string("prod"), 500, config.dump());
    auto a = tunnel::parse_message(from_value);
    auto b = tunnel::parse_message(from_text);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(b.value().params == params);
    CHECK(b.value().connection == std::optional<std::string>("prod"));
    CHECK(b.value().timeout_ms == std::optional<std::int64_t>(500));
    CHECK(a.value().params == b.value().params);
    // The connection travels as opaque JSON, which the runner's providers read.
    REQUIRE_FALSE(b.value().connection_config.empty());
    CHECK(json::parse(b.value().connection_config.reveal()) == config);
    // No newline may appear inside a serialised message: frames join messages with it.
    CHECK(from_text.find('\n') == std::string::npos);
    CHECK(from_value.find('\n') == std::string::npos);
}

TEST_CASE("a request's connection_config comes exactly with a connection, as an object") {
    auto parsed = [](const std::string& config_json) {
        std::string text = R"({"type":"request","id":"op_1","operation":"aws.call","timeout_ms":5,"params":{})";
        if (!config_json.empty()) text += R"(,"connection":"prod","connection_config":)" + config_json;
        return tunnel::parse_message(text + "}");
    };
    CHECK(parsed(R"({"provider":"exec","auth_mode":"runner-delegated","settings":{}})"));
    CHECK_FALSE(tunnel::parse_message(R"({"type":"request","id":"op_1","operation":"x","timeout_ms":5,"connection":"prod"})"));
    CHECK_FALSE(tunnel::parse_message(
        R"({"type":"request","id":"op_1","operation":"x","timeout_ms":5,"connection_config":{"provider":"aws","auth_mode":"inline"}})"));
    auto not_object = parsed("[]");
    REQUIRE_FALSE(not_object);
    CHECK(not_object.error().message == "request connection_config must be an object");
}

TEST_CASE("responses carry exactly one of result and error") {
    auto ok = tunnel::parse_message(tunnel::result_message_raw("op_1", R"({"a":1})"));
    REQUIRE(ok);
    CHECK(ok.value().result == json{{"a", 1}});
    CHECK_FALSE(ok.value().error);
    auto failed = tunnel::parse_message(tunnel::error_message("op_1", "busy", "try later"));
    REQUIRE(failed);
    CHECK(failed.value().error->code == "busy");
    auto streamed = tunnel::parse_message(tunnel::streamed_result_message("op_1"));
    REQUIRE(streamed);
    CHECK(streamed.value().streamed);
    CHECK(refusal(R"({"type":"response","id":"x"})").find("exactly one") != std::string::npos);
    CHECK(refusal(R"({"type":"response","id":"x","result":1,"error":{"code":"c"}})").find("exactly one") !=
          std::string::npos);
}

TEST_CASE("malformed messages are refused with a reason that names the problem") {
    CHECK(refusal("{\"type\":") ==
          "message is not valid JSON: byte 8: unexpected end of input; expected '[', '{', or a literal");
    CHECK(refusal(std::string(100, '[')) == "message is not valid JSON: byte 64: nested deeper than 64 levels");
    CHECK(refusal(R"({"type":"cancel","id":"a","id":"b"})") ==
          "message is not valid JSON: key \"id\" appears twice in one object");
    CHECK(refusal("[1,2]") == "message is not a JSON object");
    CHECK(refusal(R"({"id":"x"})").find("type") != std::string::npos);
    CHECK(refusal(R"({"type":"teleport"})").find("unknown message type \"teleport\"") != std::string::npos);
    CHECK(refusal(R"({"type":"chunk","id":"x"})").find("unknown message type") != std::string::npos);
    CHECK(refusal(R"({"type":"request","id":"x","operation":"a","timeout_ms":1,"params":[1]})").find("params") !=
          std::string::npos);
    CHECK(refusal(R"({"type":"request","id":"x","operation":"a"})").find("timeout_ms") != std::string::npos);
    CHECK(refusal(R"({"type":"request","id":"","operation":"a","timeout_ms":1})").find("id") != std::string::npos);
    CHECK(refusal(R"({"type":"request","id":")" + std::string(65, 'i') + R"(","operation":"a","timeout_ms":1})")
              .find("1 to 64") != std::string::npos);
    CHECK(refusal(R"({"type":"hello","versions":[]})").find("versions") != std::string::npos);
    CHECK(refusal(R"({"type":"hello","versions":[1],"max_in_flight":-1})").find("max_in_flight") != std::string::npos);
    CHECK(refusal(R"({"type":"cancel"})").find("id") != std::string::npos);
    CHECK(refusal(R"({"type":"close","message":"m"})").find("code") != std::string::npos);
}

TEST_CASE("chunk frames carry an id, a last flag and any payload bytes") {
    std::string payload("\0\xff binary", 9);
    std::string frame = tunnel::chunk_frame("op_7", true, payload);
    auto chunk = tunnel::parse_chunk_frame(frame);
    REQUIRE(chunk);
    CHECK(chunk.value().id == "op_7");
    CHECK(chunk.value().last);
    CHECK(chunk.value().payload == payload);
    CHECK_FALSE(tunnel::parse_chunk_frame(std::string("\x02\x00\x01x", 4)));  // not a chunk
    CHECK_FALSE(tunnel::parse_chunk_frame(std::string("\x01\x02\x01x", 4)));  // unknown flag
    CHECK_FALSE(tunnel::parse_chunk_frame(std::string("\x01\x00\x09x", 4)));  // id longer than the frame
    CHECK_FALSE(tunnel::parse_chunk_frame(std::string("\x01\x00\x00", 3)));   // empty id
}

TEST_CASE("each error kind has a typed code") {
    CHECK(tunnel::error_code_for(ErrorKind::permission_denied) == "permission_denied");
    CHECK(tunnel::error_code_for(ErrorKind::deadline_exceeded) == "deadline_exceeded");
    CHECK(tunnel::error_code_for(ErrorKind::internal) == "internal");
}
