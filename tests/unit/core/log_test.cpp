#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tether/core/log.h"
#include "tether/core/secret.h"

using namespace tether;

namespace {

// Captures what the process logger writes while it lives.
struct Capture {
    std::vector<std::string> lines;
    explicit Capture(log::Format format, log::Level level = log::Level::debug) {
        log::set_format(format);
        log::set_level(level);
        log::set_sink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~Capture() {
        log::set_sink({});
        log::set_level(log::Level::error);
        log::set_format(log::Format::text);
    }
    std::string all() const {
        std::string out;
        for (const auto& line : lines) out += line;
        return out;
    }
};

constexpr const char* api_key = "tth_k7Q2mZ9x_Zs8dPq4Lw1Vb6NcRt0YhUe3JkXa5Gf";
constexpr const char* secret_part = "Zs8dPq4Lw1Vb6NcRt0YhUe3JkXa5Gf";

}  // namespace

TEST_CASE("a secret given to the logger never appears in its output, in either format") {
    for (log::Format format : {log::Format::text, log::Format::json}) {
        Capture capture(format);
        Secret key(api_key);
        Secret password("hunter2-correct-horse-battery");
        log::Logger logger("test");
        logger.info("runner connected", {{"api_key", key}, {"password", password}});
        logger.warn(std::string("client sent Authorization: Bearer ") + "eyJhbGciOiJIUzI1NiJ9.payload.sig");
        logger.error("bad key", {{"key_text", std::string(api_key)}});
        logger.info(std::string("rejected key ") + api_key + " from 10.0.0.1");

        std::string out = capture.all();
        CHECK(capture.lines.size() == 4);
        CHECK(out.find(secret_part) == std::string::npos);
        CHECK(out.find("hunter2") == std::string::npos);
        CHECK(out.find("eyJhbGciOiJIUzI1NiJ9") == std::string::npos);
        // The public key id stays, so that an operator can tell keys apart.
        CHECK(out.find("tth_k7Q2mZ9x_") != std::string::npos);
    }
}

TEST_CASE("JSON lines carry time, level, component, message and typed fields") {
    Capture capture(log::Format::json);
    log::Logger("server").info("listening", {{"address", "127.0.0.1:8443"}, {"port", 8443}, {"tls", true}});
    REQUIRE(capture.lines.size() == 1);
    CHECK(capture.lines[0].back() == '\n');
    auto line = nlohmann::json::parse(capture.lines[0]);
    CHECK(line["level"] == "info");
    CHECK(line["component"] == "server");
    CHECK(line["msg"] == "listening");
    CHECK(line["address"] == "127.0.0.1:8443");
    CHECK(line["port"] == 8443);
    CHECK(line["tls"] == true);
    std::string time = line["time"];
    CHECK(time.size() == 24);  // 2026-11-29T04:39:31.123Z
    CHECK(time.back() == 'Z');
}

TEST_CASE("messages below the level are dropped") {
    Capture capture(log::Format::text, log::Level::warn);
    log::Logger logger("test");
    logger.debug("no");
    logger.info("no");
    logger.warn("yes");
    logger.error("yes");
    CHECK(capture.lines.size() == 2);
}

TEST_CASE("a newline in a message or value cannot forge a second line") {
    for (log::Format format : {log::Format::text, log::Format::json}) {
        Capture capture(format);
        log::Logger("test").info("first\nINFO [server] forged", {{"name", "a\nb"}});
        REQUIRE(capture.lines.size() == 1);
        CHECK(capture.lines[0].find('\n') == capture.lines[0].size() - 1);
    }
}

TEST_CASE("text lines read as time, level, component, message, key=value") {
    std::string line = log::format_line(log::Format::text, "2026-11-29T04:39:31.123Z", log::Level::warn, "api",
                                        "slow request", {{"path", "/v1/runners"}, {"note", "two words"}});
    CHECK(line == "2026-11-29T04:39:31.123Z WARN  [api] slow request path=/v1/runners note=\"two words\"\n");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD and the line stays valid JSON") {
    std::string out;
    log::append_json_string(out, std::string("ok \xC3\xA9 bad \xFF\xC0\x80 end"));
    auto parsed = nlohmann::json::parse(out);
    CHECK(parsed.get<std::string>() == "ok \xC3\xA9 bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST_CASE("level names parse and print") {
    CHECK(log::parse_level("warn") == log::Level::warn);
    CHECK_FALSE(log::parse_level("verbose").has_value());
    CHECK(std::string(log::to_string(log::Level::error)) == "error");
}

TEST_CASE("format_timestamp: RFC 3339 UTC with milliseconds, also before 1970") {
    using namespace std::chrono;
    auto at = sys_days{year{2025} / 3 / 4} + hours{5} + minutes{6} + seconds{7} + milliseconds{89} + microseconds{999};
    CHECK(tether::log::format_timestamp(at) == "2025-03-04T05:06:07.089Z");
    CHECK(tether::log::format_timestamp(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(tether::log::format_timestamp(system_clock::time_point{} - milliseconds{1}) == "1969-12-31T23:59:59.999Z");
}
