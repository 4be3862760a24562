#include "tether/runner/value_resolver.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "tether/core/json.h"
#include "tether/crypto/base64.h"
#include "runner_log.h"

namespace tether::runner {

namespace asio = boost::asio;
using nlohmann::json;
using references::Reference;
using references::Source;

namespace {

// One string that holds references, cut into its pieces.
struct Holder {
    std::string* text;
    std::vector<references::Piece> pieces;
};

// Every string value under `root` that holds a reference (keys are left
// alone), walked with a stack: the JSON came from the server.
Result<Done> collect(json& root, std::vector<Holder>& holders) {
    std::vector<json*> stack{&root};
    while (!stack.empty()) {
        json* node = stack.back();
        stack.pop_back();
        if (node->is_string()) {
            std::string& text = node->get_ref<std::string&>();
            if (!references::mentions_reference(text)) continue;
            auto pieces = references::split(text);
            if (!pieces) return pieces.error();
            holders.push_back({&text, std::move(pieces).value()});
        } else if (node->is_structured()) {
            for (auto& child : *node) stack.push_back(&child);
        }
    }
    return Done{};
}

std::string base64_of(std::string_view value) { return crypto::base64_encode(value); }

// Replaces each occurrence of `needle` in `text`; whether there was one.
bool replace_all(std::string& text, std::string_view needle, std::string_view replacement) {
    if (needle.empty()) return false;
    bool found = false;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + replacement.size())) {
        // The bytes replaced are wiped before the string shrinks or grows.
        std::string tail = text.substr(at + needle.size());
        OPENSSL_cleanse(text.data() + at, text.size() - at);
        text.resize(at);
        text.append(replacement).append(tail);
        wipe(tail);
        found = true;
    }
    return found;
}

}  // namespace

std::string joined_references(const std::vector<std::string>& references) {
    std::string out;
    for (const auto& reference : references) out += (out.empty() ? "" : " ") + reference;
    return out;
}

void ResolvedValues::add(std::string reference_text, Secret value, bool confidential) {
    Secret base64(base64_of(value.reveal()));
    values_.push_back({std::move(reference_text), std::move(value), std::move(base64), confidential});
}

std::vector<std::string> ResolvedValues::references() const {
    std::vector<std::string> out;
    for (const auto& value : values_) out.push_back(value.reference);
    return out;
}

std::vector<std::string> ResolvedValues::redact(std::string& text) const {
    std::vector<std::string> found;
    for (const auto& value : values_) {
        if (!value.confidential) continue;
        std::string replacement = "[redacted " + value.reference + "]";
        bool here = replace_all(text, value.value.reveal(), replacement);
        // Its base64 form too, for a value shorter than its marker would hide nothing.
        here = replace_all(text, value.base64.reveal(), replacement) || here;
        if (here) found.push_back(value.reference);
    }
    return found;
}

std::vector<std::string> ResolvedValues::redact(json& result) const {
    std::set<std::string> found;
    std::vector<json*> stack{&result};
    while (!stack.empty()) {
        json* node = stack.back();
        stack.pop_back();
        if (node->is_string()) {
            for (auto& reference : redact(node->get_ref<std::string&>())) found.insert(std::move(reference));
        } else if (node->is_array()) {
            for (auto& child : *node) stack.push_back(&child);
        } else if (node->is_object()) {
            // A key that holds a value is rebuilt under its redacted name.
            std::vector<std::pair<std::string, std::string>> renamed;
            for (auto item = node->begin(); item != node->end(); ++item) {
                std::string key = item.key();
                auto in_key = redact(key);
                if (!in_key.empty()) {
                    renamed.emplace_back(item.key(), key);
                    for (auto& reference : in_key) found.insert(std::move(reference));
                }
            }
            for (auto& [old_key, new_key] : renamed) {
                json moved = std::move((*node)[old_key]);
                node->erase(old_key);
                (*node)[new_key] = std::move(moved);
            }
            for (auto& child : *node) stack.push_back(&child);
        }
    }
    return {found.begin(), found.end()};
}

ValueResolver::ValueResolver(asio::io_context& io, const Policy& policy, ControlPlane* control_plane,
                             config::Environment environment, std::optional<std::chrono::milliseconds> cache_ttl)
    : io_(io),
      policy_(policy),
      control_plane_(control_plane),
      environment_(std::move(environment)),
      cache_ttl_(cache_ttl) {}

// ${env:…} and ${file:…}: from this machine, never the server.
Result<Secret> ValueResolver::local_value(const Reference& reference) const {
    if (reference.source == Source::environment) {
        std::optional<std::string> value = environment_(reference.name);
        if (!value) return Error{ErrorKind::not_found, "environment variable " + reference.name + " is not set"};
        Secret out(*value);
        wipe(*value);
        return out;
    }
    // A file: the path as it is on disk (no "..", no symlink) must lie
    // inside a directory the policy names.
    char resolved[PATH_MAX];
    if (::realpath(reference.name.c_str(), resolved) == nullptr) {
        return Error{ErrorKind::not_found, "cannot read " + reference.text() + ": " + std::strerror(errno)};
    }
    if (!policy_.allows_file(resolved)) {
        return Error{ErrorKind::permission_denied, "this runner's policy (policy.files) does not allow " +
                                                       reference.text() + " (it is " + std::string(resolved) + ")"};
    }
    int descriptor = ::open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (descriptor < 0) return Error{ErrorKind::not_found, "cannot read " + reference.text() + ": " + std::strerror(errno)};
    std::string content(references::max_value_bytes + 1, '\0');
    std::size_t length = 0;
    while (length < content.size()) {
        ssize_t n = ::read(descriptor, content.data() + length, content.size() - length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        length += static_cast<std::size_t>(n);
    }
    ::close(descriptor);
    content.resize(length);
    // As a shell's $(cat FILE): trailing newlines go.
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    auto problem = references::value_problem(content);
    Secret out(content);
    wipe(content);
    if (problem) return Error{ErrorKind::invalid_argument, reference.text() + ": " + *problem};
    return out;
}

asio::awaitable<Result<std::vector<FetchedValue>>> ValueResolver::fetch(const std::string& operation_id,
                                                                        const std::vector<Reference>& wanted,
                                                                        std::chrono::steady_clock::time_point deadline) {
    if (control_plane_ == nullptr) co_return Error{ErrorKind::unavailable, "this runner has no control-plane session"};
    std::chrono::milliseconds pause{250};
    asio::steady_timer timer(io_);
    while (true) {
        auto fetched = co_await control_plane_->resolve(operation_id, wanted);
        if (fetched || fetched.error().kind != ErrorKind::unavailable) co_return fetched;
        if (std::chrono::steady_clock::now() + pause >= deadline) co_return fetched;
        runner_log.warn("cannot reach the control plane for values; retrying",
                        {{"request_id", operation_id}, {"error", fetched.error().message},
                         {"retry_in_ms", static_cast<long long>(pause.count())}});
        timer.expires_after(pause);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        pause = std::min(pause * 2, std::chrono::milliseconds(4000));
    }
}

asio::awaitable<Result<ResolvedValues>> ValueResolver::resolve(const std::string& operation_id, json& params,
                                                               providers::ConnectionConfig* connection,
                                                               std::chrono::steady_clock::time_point deadline) {
    std::vector<Holder> holders;
    if (auto found = collect(params, holders); !found) co_return found.error();
    // Inline credentials: a JSON document's strings, or a kubeconfig's text.
    std::optional<json> credentials;
    std::string credentials_plain;
    if (connection != nullptr) {
        if (auto found = collect(connection->settings, holders); !found) co_return found.error();
        std::string_view secret_text = connection->inline_credentials.reveal();
        if (references::mentions_reference(secret_text)) {
            auto parsed = parse_json(secret_text);
            if (parsed && parsed.value().is_object()) {
                credentials = std::move(parsed).value();
                if (auto found = collect(*credentials, holders); !found) co_return found.error();
            } else {
                credentials_plain = std::string(secret_text);
                auto pieces = references::split(credentials_plain);
                if (!pieces) co_return pieces.error();
                holders.push_back({&credentials_plain, std::move(pieces).value()});
            }
        }
    }
    ResolvedValues resolved;
    if (holders.empty()) co_return resolved;

    std::set<Reference> distinct;
    for (const auto& holder : holders) {
        for (const auto& piece : holder.pieces) {
            if (piece.reference) distinct.insert(*piece.reference);
        }
    }
    if (distinct.size() > references::max_references) {
        co_return Error{ErrorKind::invalid_argument, "an operation may hold at most 64 distinct references"};
    }

    // The runner's policy first, for every reference: a refused one stops
    // the operation before anything is fetched.
    for (const Reference& reference : distinct) {
        bool allowed = reference.source == Source::secret        ? policy_.allows_secret(reference.name)
                       : reference.source == Source::variable    ? policy_.allows_variable(reference.name)
                       : reference.source == Source::environment ? policy_.allows_environment(reference.name)
                                                                 : !policy_.files.empty();
        if (!allowed) {
            runner_log.warn("reference refused by the runner policy",
                            {{"request_id", operation_id}, {"reference", reference.text()}});
            co_return Error{ErrorKind::permission_denied,
                            "this runner's policy does not allow " + reference.text()};
        }
    }

    auto now = std::chrono::steady_clock::now();
    std::map<Reference, std::pair<std::int64_t, Secret>> values;  // version 0 for env and file
    std::vector<Reference> remote;
    for (const Reference& reference : distinct) {
        if (reference.source == Source::environment || reference.source == Source::file) {
            auto value = local_value(reference);
            if (!value) co_return value.error();
            values.emplace(reference, std::pair{std::int64_t{0}, std::move(value).value()});
            continue;
        }
        auto cached = cache_.find(reference);
        if (cached != cache_.end() && cached->second.expires > now) {
            values.emplace(reference, std::pair{cached->second.version, cached->second.value.copy()});
            continue;
        }
        if (cached != cache_.end()) cache_.erase(cached);
        remote.push_back(reference);
    }
    if (!remote.empty()) {
        auto fetched = co_await fetch(operation_id, remote, deadline);
        if (!fetched) co_return fetched.error();
        for (auto& value : fetched.value()) {
            if (cache_ttl_) {
                cache_[value.reference] = Cached{value.version, value.value.copy(), now + *cache_ttl_};
            }
            values.emplace(value.reference, std::pair{value.version, std::move(value.value)});
        }
    }

    for (auto& [reference, answer] : values) {
        Reference answered = reference;
        if (reference.source == Source::secret || reference.source == Source::variable) answered.version = answer.first;
        resolved.add(answered.text(), answer.second.copy(), reference.source != Source::variable);
    }
    for (Holder& holder : holders) {
        std::string out;
        for (const auto& piece : holder.pieces) {
            out += piece.literal;
            if (piece.reference) out += values.at(*piece.reference).second.reveal();
        }
        wipe(*holder.text);
        *holder.text = std::move(out);
    }
    if (credentials) {
        std::string dumped = credentials->dump();
        connection->inline_credentials = Secret(dumped);
        wipe(dumped);
        wipe_json(*credentials);
    } else if (!credentials_plain.empty()) {
        connection->inline_credentials = Secret(credentials_plain);
        wipe(credentials_plain);
    }
    runner_log.info("references resolved",
                    {{"request_id", operation_id}, {"references", joined_references(resolved.references())}});
    co_return resolved;
}

}  // namespace tether::runner
