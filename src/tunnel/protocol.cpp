#include "tether/tunnel/protocol.h"

#include "tether/core/log.h"
#include "tether/core/json.h"

namespace tether::tunnel {
namespace {

using nlohmann::json;

Error malformed(std::string what) { return {ErrorKind::invalid_argument, std::move(what)}; }

constexpr std::pair<MessageType, std::string_view> type_names[] = {
    {MessageType::hello, "hello"},     {MessageType::welcome, "welcome"}, {MessageType::request, "request"},
    {MessageType::response, "response"}, {MessageType::cancel, "cancel"}, {MessageType::chunk, "chunk"},
    {MessageType::close, "close"},
};

// Reads optional and required members with one message per mistake.
class Fields {
public:
    Fields(const json& object, MessageType type) : object_(object), type_(type) {}

    Result<std::string> text(const char* name, bool required = true) const {
        auto it = object_.find(name);
        if (it == object_.end()) {
            if (required) return missing(name);
            return std::string();
        }
        if (!it->is_string()) return wrong(name, "a string");
        return it->get<std::string>();
    }

    Result<std::int64_t> integer(const char* name, std::int64_t fallback) const {
        auto it = object_.find(name);
        if (it == object_.end()) return fallback;
        if (!it->is_number_integer()) return wrong(name, "an integer");
        return it->get<std::int64_t>();
    }

    Result<std::vector<std::string>> strings(const char* name) const {
        std::vector<std::string> out;
        auto it = object_.find(name);
        if (it == object_.end()) return out;
        if (!it->is_array()) return wrong(name, "an array of strings");
        for (const auto& item : *it) {
            if (!item.is_string()) return wrong(name, "an array of strings");
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    Result<std::string> request_id() const {
        auto id = text("id");
        if (!id) return id;
        if (id.value().empty() || id.value().size() > max_request_id_bytes) {
            return malformed(std::string(to_string(type_)) + " id must be 1 to " +
                             std::to_string(max_request_id_bytes) + " bytes");
        }
        return id;
    }

    Error missing(const char* name) const {
        return malformed(std::string(to_string(type_)) + " message lacks \"" + name + "\"");
    }
    Error wrong(const char* name, const char* expected) const {
        return malformed(std::string(to_string(type_)) + " field \"" + name + "\" must be " + expected);
    }

private:
    const json& object_;
    MessageType type_;
};

Result<ErrorBody> parse_error_body(const json& value, MessageType type) {
    if (!value.is_object()) return Fields(value, type).wrong("error", "an object");
    Fields fields(value, type);
    auto code = fields.text("code");
    if (!code) return code.error();
    auto message = fields.text("message", false);
    if (!message) return message.error();
    return ErrorBody{code.value(), message.value()};
}

Result<Done> parse_hello(const json& object, Message& out) {
    Fields fields(object, MessageType::hello);
    auto versions = object.find("versions");
    if (versions == object.end()) return fields.missing("versions");
    if (!versions->is_array() || versions->empty()) return fields.wrong("versions", "a non-empty array of integers");
    out.hello.versions.clear();
    for (const auto& version : *versions) {
        if (!version.is_number_integer()) return fields.wrong("versions", "a non-empty array of integers");
        out.hello.versions.push_back(version.get<int>());
    }
    auto runner_version = fields.text("runner_version", false);
    auto hostname = fields.text("hostname", false);
    auto operations = fields.strings("operations");
    auto capabilities = fields.strings("capabilities");
    auto max_in_flight = fields.integer("max_in_flight", 0);
    auto max_message = fields.integer("max_message_bytes", 0);
    if (!max_message) return max_message.error();
    if (max_message.value() < 0) return fields.wrong("max_message_bytes", "zero or more");
    out.hello.max_message_bytes = static_cast<std::size_t>(max_message.value());
    if (!runner_version) return runner_version.error();
    if (!hostname) return hostname.error();
    if (!operations) return operations.error();
    if (!capabilities) return capabilities.error();
    if (!max_in_flight) return max_in_flight.error();
    if (max_in_flight.value() < 0) return fields.wrong("max_in_flight", "zero or more");
    out.hello.runner_version = runner_version.value();
    out.hello.hostname = hostname.value();
    out.hello.operations = std::move(operations).value();
    out.hello.capabilities = std::move(capabilities).value();
    out.hello.max_in_flight = static_cast<std::size_t>(max_in_flight.value());
    return Done{};
}

Result<Done> parse_welcome(const json& object, Message& out) {
    Fields fields(object, MessageType::welcome);
    auto version = fields.integer("version", -1);
    auto server_version = fields.text("server_version", false);
    auto tunnel_id = fields.text("tunnel_id");
    auto org = fields.text("org");
    auto runner = fields.text("runner");
    auto max_message = fields.integer("max_message_bytes", static_cast<std::int64_t>(default_max_message_bytes));
    auto max_in_flight = fields.integer("max_in_flight", 0);
    auto liveness = fields.integer("liveness_timeout_ms", 0);
    auto capabilities = fields.strings("capabilities");
    for (const auto* failed : {&server_version, &tunnel_id, &org, &runner}) {
        if (!*failed) return failed->error();
    }
    for (const auto* failed : {&version, &max_message, &max_in_flight, &liveness}) {
        if (!*failed) return failed->error();
    }
    if (!capabilities) return capabilities.error();
    if (version.value() < 1) return fields.missing("version");
    if (max_message.value() < 1 || max_in_flight.value() < 0 || liveness.value() < 0) {
        return malformed("welcome limits must be positive");
    }
    Welcome& welcome = out.welcome;
    welcome.version = static_cast<int>(version.value());
    welcome.server_version = server_version.value();
    welcome.tunnel_id = tunnel_id.value();
    welcome.org = org.value();
    welcome.runner = runner.value();
    welcome.max_message_bytes = static_cast<std::size_t>(max_message.value());
    welcome.max_in_flight = static_cast<std::size_t>(max_in_flight.value());
    welcome.liveness_timeout_ms = liveness.value();
    welcome.capabilities = std::move(capabilities).value();
    return Done{};
}

Result<Done> parse_request(json& object, Message& out) {
    Fields fields(object, MessageType::request);
    auto id = fields.request_id();
    if (!id) return id.error();
    auto operation = fields.text("operation");
    if (!operation) return operation.error();
    if (operation.value().empty() || operation.value().size() > 100) {
        return malformed("request operation must be 1 to 100 bytes");
    }
    out.id = std::move(id).value();
    out.operation = std::move(operation).value();
    auto params = object.find("params");
    if (params == object.end() || params->is_null()) {
        out.params = json::object();
    } else if (!params->is_object()) {
        return fields.wrong("params", "an object");
    } else {
        out.params = std::move(*params);  // the largest member: moved, not copied
    }
    auto connection = object.find("connection");
    if (connection != object.end() && !connection->is_null()) {
        if (!connection->is_string()) return fields.wrong("connection", "a string or null");
        out.connection = connection->get<std::string>();
    }
    auto config = object.find("connection_config");
    bool has_config = config != object.end() && !config->is_null();
    if (has_config != out.connection.has_value()) {
        return malformed("request must carry connection_config exactly when it names a connection");
    }
    if (has_config) {
        // Opaque to the tunnel: the runner's providers read it. It may hold
        // inline credentials, so it moves into a Secret and this copy is wiped.
        if (!config->is_object()) return malformed("request connection_config must be an object");
        std::string text = config->dump();
        out.connection_config = Secret(text);
        wipe(text);
        wipe_json(*config);
    }
    auto timeout = fields.integer("timeout_ms", -1);
    if (!timeout) return timeout.error();
    if (timeout.value() < 0) return fields.missing("timeout_ms");
    out.timeout_ms = timeout.value();
    return Done{};
}

Result<Done> parse_response(json& object, Message& out) {
    Fields fields(object, MessageType::response);
    auto id = fields.request_id();
    if (!id) return id.error();
    out.id = std::move(id).value();
    auto result = object.find("result");
    auto error = object.find("error");
    bool has_result = result != object.end();
    bool has_error = error != object.end() && !error->is_null();
    if (has_result == has_error) return malformed("response must carry exactly one of \"result\" and \"error\"");
    if (has_error) {
        auto body = parse_error_body(*error, MessageType::response);
        if (!body) return body.error();
        out.error = std::move(body).value();
        return Done{};
    }
    out.result = std::move(*result);
    auto streamed = object.find("streamed");
    if (streamed != object.end()) {
        if (!streamed->is_boolean()) return fields.wrong("streamed", "a boolean");
        out.streamed = streamed->get<bool>();
    }
    return Done{};
}

}  // namespace

const char* to_string(MessageType type) {
    for (const auto& [value, name] : type_names) {
        if (value == type) return name.data();
    }
    return "unknown";
}

std::string_view error_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_argument: return error_code::invalid_argument;
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::already_exists: return "already_exists";
        case ErrorKind::failed_precondition: return "failed_precondition";
        case ErrorKind::permission_denied: return error_code::permission_denied;
        case ErrorKind::unauthenticated: return error_code::unauthenticated;
        case ErrorKind::unavailable: return error_code::unavailable;
        case ErrorKind::deadline_exceeded: return error_code::deadline_exceeded;
        case ErrorKind::internal: break;
    }
    return error_code::internal;
}

Result<Message> parse_message(std::string_view text) {
    auto document = parse_json(text);
    if (!document) return malformed("message is not valid JSON: " + document.error().message);
    json& object = document.value();
    if (!object.is_object()) return malformed("message is not a JSON object");
    auto type = object.find("type");
    if (type == object.end() || !type->is_string()) return malformed("message lacks a string \"type\"");
    const std::string& name = type->get_ref<const std::string&>();
    Message out;
    bool known = false;
    for (const auto& [value, type_name] : type_names) {
        if (type_name == name) {
            out.type = value;
            known = true;
        }
    }
    if (!known || out.type == MessageType::chunk) {
        // chunk exists only as a binary frame.
        return malformed("unknown message type \"" + name.substr(0, 40) + "\"");
    }
    Result<Done> parsed = Done{};
    Fields fields(object, out.type);
    switch (out.type) {
        case MessageType::hello: parsed = parse_hello(object, out); break;
        case MessageType::welcome: parsed = parse_welcome(object, out); break;
        case MessageType::request: parsed = parse_request(object, out); break;
        case MessageType::response: parsed = parse_response(object, out); break;
        case MessageType::cancel: {
            auto id = fields.request_id();
            if (!id) return id.error();
            out.id = std::move(id).value();
            break;
        }
        case MessageType::close: {
            auto code = fields.text("code");
            auto message = fields.text("message", false);
            if (!code) return code.error();
            if (!message) return message.error();
            out.error = ErrorBody{code.value(), message.value()};
            break;
        }
        case MessageType::chunk: break;
    }
    if (!parsed) return parsed.error();
    return out;
}

std::string hello_message(const Hello& hello) {
    return json{{"type", "hello"},
                {"versions", hello.versions},
                {"runner_version", hello.runner_version},
                {"hostname", hello.hostname},
                {"operations", hello.operations},
                {"capabilities", hello.capabilities},
                {"max_in_flight", hello.max_in_flight},
                {"max_message_bytes", hello.max_message_bytes}}
        .dump();
}

std::string welcome_message(const Welcome& welcome) {
    return json{{"type", "welcome"},
                {"version", welcome.version},
                {"server_version", welcome.server_version},
                {"tunnel_id", welcome.tunnel_id},
                {"org", welcome.org},
                {"runner", welcome.runner},
                {"max_message_bytes", welcome.max_message_bytes},
                {"max_in_flight", welcome.max_in_flight},
                {"liveness_timeout_ms", welcome.liveness_timeout_ms},
                {"capabilities", welcome.capabilities}}
        .dump();
}

std::string request_message(std::string_view id, std::string_view operation, const json& params,
                            const std::optional<std::string>& connection, std::int64_t timeout_ms,
                            const json& connection_config) {
    json message{{"type", "request"}, {"id", id}, {"operation", operation}, {"params", params},
                 {"timeout_ms", timeout_ms}};
    if (connection) message["connection"] = *connection;
    if (!connection_config.is_null()) message["connection_config"] = connection_config;
    return message.dump();
}

std::string request_message_raw(std::string_view id, std::string_view operation, std::string_view params_json,
                                const std::optional<std::string>& connection, std::int64_t timeout_ms,
                                std::string_view connection_config_json) {
    std::string message;
    message.reserve(params_json.size() + connection_config_json.size() + 180);
    message += R"({"type":"request","id":)";
    log::append_json_string(message, id);
    message += R"(,"operation":)";
    log::append_json_string(message, operation);
    if (connection) {
        message += R"(,"connection":)";
        log::append_json_string(message, *connection);
    }
    if (!connection_config_json.empty()) {
        message += R"(,"connection_config":)";
        message += connection_config_json;
    }
    message += R"(,"timeout_ms":)";
    message += std::to_string(timeout_ms);
    message += R"(,"params":)";
    message += params_json;
    message += '}';
    return message;
}

std::string result_message_raw(std::string_view id, std::string_view result_json) {
    std::string message;
    message.reserve(result_json.size() + 64);
    message += R"({"type":"response","id":)";
    log::append_json_string(message, id);
    message += R"(,"result":)";
    message += result_json;
    message += '}';
    return message;
}

std::string streamed_result_message(std::string_view id) {
    return json{{"type", "response"}, {"id", id}, {"result", nullptr}, {"streamed", true}}.dump();
}

std::string result_message(std::string_view id, const json& result, bool streamed) {
    json message{{"type", "response"}, {"id", id}, {"result", result}};
    if (streamed) message["streamed"] = true;
    // Replace, not throw, on invalid UTF-8 from a handler.
    return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_message(std::string_view id, std::string_view code, std::string_view message) {
    return json{{"type", "response"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
}

std::string cancel_message(std::string_view id) { return json{{"type", "cancel"}, {"id", id}}.dump(); }

std::string close_message(std::string_view code, std::string_view message) {
    return json{{"type", "close"}, {"code", code}, {"message", message}}.dump(-1, ' ', false,
                                                                             json::error_handler_t::replace);
}

std::string chunk_frame(std::string_view id, bool last, std::string_view payload) {
    std::string frame;
    frame.reserve(3 + id.size() + payload.size());
    frame.push_back('\x01');
    frame.push_back(last ? '\x01' : '\x00');
    frame.push_back(static_cast<char>(id.size()));
    frame.append(id);
    frame.append(payload);
    return frame;
}

Result<Chunk> parse_chunk_frame(std::string_view frame) {
    if (frame.size() < 3 || frame[0] != '\x01') return malformed("binary frame is not a chunk");
    auto flags = static_cast<unsigned char>(frame[1]);
    auto id_size = static_cast<unsigned char>(frame[2]);
    if ((flags & ~1u) != 0) return malformed("chunk frame has unknown flags");
    if (id_size == 0 || id_size > max_request_id_bytes || frame.size() < 3u + id_size) {
        return malformed("chunk frame has a bad request id length");
    }
    return Chunk{std::string(frame.substr(3, id_size)), (flags & 1u) != 0, frame.substr(3 + id_size)};
}

}  // namespace tether::tunnel
