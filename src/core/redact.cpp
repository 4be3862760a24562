#include "tether/core/redact.h"

#include <cctype>

namespace tether {
namespace {

constexpr std::string_view mask = "[redacted]";
constexpr std::string_view api_key_prefix = "tth_";

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Characters of an RFC 6750 bearer token (b64token).
bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '+' || c == '/' || c == '=';
}

std::size_t span(std::string_view text, std::size_t from, bool (*accept)(char)) {
    std::size_t end = from;
    while (end < text.size() && accept(text[end])) ++end;
    return end - from;
}

bool starts_with_nocase(std::string_view text, std::size_t at, std::string_view word) {
    if (text.size() - at < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
    }
    return true;
}

// Length of the public "tth_<id>_" part of an API key starting at `at`, or 0.
std::size_t api_key_public_part(std::string_view text, std::size_t at) {
    if (text.compare(at, api_key_prefix.size(), api_key_prefix) != 0) return 0;
    std::size_t id_len = span(text, at + api_key_prefix.size(), is_key_char);
    std::size_t underscore = at + api_key_prefix.size() + id_len;
    if (id_len == 0 || underscore >= text.size() || text[underscore] != '_') return 0;
    return underscore + 1 - at;
}

}  // namespace

std::string redact(std::string_view secret) {
    std::size_t public_part = api_key_public_part(secret, 0);
    if (public_part != 0) return std::string(secret.substr(0, public_part)) + std::string(mask);
    return std::string(mask);
}

bool looks_like_secret(std::string_view word) {
    if (scrub_secrets(word) != word) return true;
    // Paths ("/var/lib/tether2024/…", "./data") are named in errors on purpose.
    if (word.size() < 20 || word.front() == '/' || word.front() == '.' || word.front() == '~') return false;
    bool letter = false;
    bool digit = false;
    for (char c : word) {
        if (!is_token_char(c)) return false;
        letter = letter || std::isalpha(static_cast<unsigned char>(c)) != 0;
        digit = digit || std::isdigit(static_cast<unsigned char>(c)) != 0;
    }
    return letter && digit;
}

std::string scrub_secrets(std::string_view text) {
    constexpr std::string_view bearer = "bearer ";
    constexpr std::string_view pem_begin = "-----BEGIN ";
    constexpr std::string_view pem_end = "PRIVATE KEY-----";

    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool at_word_start = i == 0 || !is_key_char(text[i - 1]);
        if (std::size_t public_part = at_word_start ? api_key_public_part(text, i) : 0; public_part != 0) {
            std::size_t secret_len = span(text, i + public_part, is_key_char);
            if (secret_len != 0) {
                out.append(text.substr(i, public_part)).append(mask);
                i += public_part + secret_len;
                continue;
            }
        }
        if (at_word_start && starts_with_nocase(text, i, bearer)) {
            std::size_t token_len = span(text, i + bearer.size(), is_token_char);
            if (token_len != 0) {
                out.append(text.substr(i, bearer.size())).append(mask);
                i += bearer.size() + token_len;
                continue;
            }
        }
        if (text.compare(i, pem_begin.size(), pem_begin) == 0) {
            std::size_t label_end = text.find("-----", i + pem_begin.size());
            bool private_key = label_end != std::string_view::npos &&
                               text.substr(i, label_end + 5 - i).find(pem_end) != std::string_view::npos;
            if (private_key) {
                // Everything up to the matching END line, or to the end of
                // the text if it was cut short.
                std::size_t end = text.find("-----END ", label_end + 5);
                std::size_t stop = end == std::string_view::npos ? text.size() : text.find("-----", end + 9);
                stop = stop == std::string_view::npos ? text.size() : stop + 5;
                out.append("[redacted private key]");
                i = stop;
                continue;
            }
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

}  // namespace tether
