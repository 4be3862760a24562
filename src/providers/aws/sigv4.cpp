#include "tether/providers/aws/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "tether/core/text.h"
#include "tether/crypto/hash.h"

namespace tether::providers::aws {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::int64_t longest_presign_seconds = 7 * 24 * 3600;

Error unsignable(std::string message) { return {ErrorKind::invalid_argument, "cannot sign the request: " + std::move(message)}; }

// RFC 9110 token characters: what a header name may hold.
bool is_token(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return text::is_unreserved(c) || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
               c == '*' || c == '+' || c == '^' || c == '`' || c == '|';
    });
}

Result<std::string> percent_decode(std::string_view query_part) {
    std::string out;
    if (!text::append_percent_decoded(out, query_part)) {
        return unsignable("the query holds a '%' that does not start an escape: " + std::string(query_part));
    }
    return out;
}

// Values are trimmed and their runs of spaces collapsed to one.
std::string canonical_value(std::string_view value) {
    std::string out;
    bool in_space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t') {
            in_space = true;
            continue;
        }
        if (in_space && !out.empty()) out += ' ';
        in_space = false;
        out += c;
    }
    return out;
}

std::string canonical_path(std::string_view path, const Rules& rules) {
    if (path.empty()) path = "/";
    std::string result;
    if (rules.normalize_path) {
        std::vector<std::string_view> segments;
        for (std::size_t start = 0; start <= path.size();) {
            std::size_t end = path.find('/', start);
            if (end == std::string_view::npos) end = path.size();
            std::string_view segment = path.substr(start, end - start);
            if (segment == "..") {
                if (!segments.empty()) segments.pop_back();
            } else if (!segment.empty() && segment != ".") {
                segments.push_back(segment);
            }
            start = end + 1;
        }
        for (std::string_view segment : segments) {
            result += '/';
            result += segment;
        }
        // A trailing slash stays (as the SDKs keep it; "/a/." loses it).
        if (result.empty() || path.back() == '/') result += '/';
    } else {
        result = std::string(path);
    }
    return rules.encode_path ? text::percent_encode(result, true) : result;
}

Result<std::string> canonical_query(std::string_view query, std::vector<std::pair<std::string, std::string>> added) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (std::size_t start = 0; start < query.size();) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view piece = query.substr(start, end - start);
        start = end + 1;
        if (piece.empty()) continue;
        std::size_t equals = piece.find('=');
        auto name = percent_decode(piece.substr(0, equals));
        if (!name) return name.error();
        auto value = percent_decode(equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1));
        if (!value) return value.error();
        pairs.emplace_back(text::percent_encode(name.value(), false), text::percent_encode(value.value(), false));
    }
    for (auto& [name, value] : added) pairs.emplace_back(text::percent_encode(name, false), text::percent_encode(value, false));
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

struct CanonicalHeaders {
    std::string lines;   // "name:value\n" each, sorted
    std::string signed_names;  // "a;b;c"
};

// Duplicate names are joined with commas, in the order given.
Result<CanonicalHeaders> canonical_headers(const std::vector<Header>& headers) {
    std::vector<std::pair<std::string, std::string>> merged;
    bool has_host = false;
    for (const auto& [name, value] : headers) {
        if (!is_token(name)) return unsignable("'" + name + "' is not a header name");
        if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
            return unsignable("the value of header " + name + " holds a line break or NUL");
        }
        std::string lower_name = text::ascii_lower(name);
        has_host = has_host || lower_name == "host";
        if (is_unsigned_header(lower_name)) continue;
        auto found = std::find_if(merged.begin(), merged.end(), [&](const auto& held) { return held.first == lower_name; });
        std::string canonical = canonical_value(value);
        if (found == merged.end()) {
            merged.emplace_back(std::move(lower_name), std::move(canonical));
        } else {
            found->second += ',';
            found->second += canonical;
        }
    }
    if (!has_host) return unsignable("it has no Host header");
    std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    CanonicalHeaders out;
    for (const auto& [name, value] : merged) {
        out.lines += name + ':' + value + '\n';
        if (!out.signed_names.empty()) out.signed_names += ';';
        out.signed_names += name;
    }
    return out;
}

std::string format_time(std::chrono::system_clock::time_point time, const char* format) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    std::array<char, 32> text{};
    std::size_t size = std::strftime(text.data(), text.size(), format, &utc);
    return std::string(text.data(), size);
}

// The signing key is derived per day, region and service; every
// intermediate key is wiped once used.
std::string sign(std::string_view secret, const Scope& scope, std::string_view date, std::string_view string_to_sign) {
    std::string key = "AWS4" + std::string(secret);
    crypto::Sha256 derived = crypto::hmac_sha256(key, date);
    OPENSSL_cleanse(key.data(), key.size());
    auto step = [&derived](std::string_view data) {
        crypto::Sha256 next = crypto::hmac_sha256(
            std::string_view(reinterpret_cast<const char*>(derived.data()), derived.size()), data);
        OPENSSL_cleanse(derived.data(), derived.size());
        derived = next;
        OPENSSL_cleanse(next.data(), next.size());
    };
    step(scope.region);
    step(scope.service);
    step("aws4_request");
    crypto::Sha256 signature =
        crypto::hmac_sha256(std::string_view(reinterpret_cast<const char*>(derived.data()), derived.size()), string_to_sign);
    OPENSSL_cleanse(derived.data(), derived.size());
    return crypto::to_hex(signature);
}

Result<Done> check_scope(const RequestToSign& request, const Credentials& credentials, const Scope& scope) {
    if (request.method.empty() || !is_token(request.method)) return unsignable("'" + request.method + "' is not a method");
    if (!request.path.empty() && request.path.front() != '/') return unsignable("the path must start with '/'");
    for (const auto& [name, value] : request.headers) {
        std::string lower_name = text::ascii_lower(name);
        if (lower_name == "authorization" || lower_name == "x-amz-date" || lower_name == "x-amz-security-token") {
            return unsignable("the request already has " + name + "; the signer sets it");
        }
    }
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return unsignable("the credentials have no access key id or secret");
    }
    for (const std::string* part : {&scope.region, &scope.service}) {
        if (part->empty() || part->find_first_of("/ \r\n") != std::string::npos) {
            return unsignable("region and service must be non-empty names without '/' or spaces");
        }
    }
    return Done{};
}

struct Prepared {
    std::string timestamp;  // 20150830T123600Z
    std::string date;       // 20150830
    std::string credential_scope;
    std::string payload_hash;
};

Prepared prepare(const RequestToSign& request, const Scope& scope) {
    Prepared prepared;
    prepared.timestamp = format_time(scope.time, "%Y%m%dT%H%M%SZ");
    prepared.date = prepared.timestamp.substr(0, 8);
    prepared.credential_scope = prepared.date + '/' + scope.region + '/' + scope.service + "/aws4_request";
    prepared.payload_hash = request.payload_hash ? *request.payload_hash : crypto::sha256_hex(request.body);
    return prepared;
}

Signature finish(const Credentials& credentials, const Scope& scope, const Prepared& prepared, std::string method,
                 std::string path, std::string query, const CanonicalHeaders& headers) {
    Signature out;
    out.canonical_request = std::move(method) + '\n' + path + '\n' + query + '\n' + headers.lines + '\n' +
                            headers.signed_names + '\n' + prepared.payload_hash;
    out.string_to_sign = std::string(algorithm) + '\n' + prepared.timestamp + '\n' + prepared.credential_scope + '\n' +
                         crypto::sha256_hex(out.canonical_request);
    out.signature = sign(credentials.secret_access_key.reveal(), scope, prepared.date, out.string_to_sign);
    return out;
}

}  // namespace

bool is_unsigned_header(std::string_view name) {
    return name == "expect" || name == "transfer-encoding" || name == "user-agent" || name == "x-amzn-trace-id";
}

Result<SignedHeaders> sign_headers(const RequestToSign& request, const Credentials& credentials, const Scope& scope,
                                   const Rules& rules) {
    if (auto checked = check_scope(request, credentials, scope); !checked) return checked.error();
    Prepared prepared = prepare(request, scope);
    std::vector<Header> added;
    if (!credentials.session_token.empty()) {
        added.emplace_back("X-Amz-Security-Token", std::string(credentials.session_token.reveal()));
    }
    added.emplace_back("X-Amz-Date", prepared.timestamp);
    if (rules.content_sha256_header) added.emplace_back("x-amz-content-sha256", prepared.payload_hash);

    std::vector<Header> signed_headers = request.headers;
    for (const Header& header : added) {
        if (header.first == "X-Amz-Security-Token" && !rules.sign_session_token) continue;
        signed_headers.push_back(header);
    }
    auto headers = canonical_headers(signed_headers);
    if (!headers) return headers.error();
    auto query = canonical_query(request.query, {});
    if (!query) return query.error();

    SignedHeaders out;
    out.signature = finish(credentials, scope, prepared, request.method, canonical_path(request.path, rules),
                           std::move(query).value(), headers.value());
    out.headers = std::move(added);
    out.headers.emplace_back("Authorization", std::string(algorithm) + " Credential=" + credentials.access_key_id + '/' +
                                                  prepared.credential_scope +
                                                  ", SignedHeaders=" + headers.value().signed_names +
                                                  ", Signature=" + out.signature.signature);
    return out;
}

Result<PresignedQuery> presign_query(const RequestToSign& request, const Credentials& credentials, const Scope& scope,
                                     std::chrono::seconds expires, const Rules& rules) {
    if (auto checked = check_scope(request, credentials, scope); !checked) return checked.error();
    if (expires.count() < 1 || expires.count() > longest_presign_seconds) {
        return unsignable("a presigned request expires in 1 second to 7 days");
    }
    Prepared prepared = prepare(request, scope);
    auto headers = canonical_headers(request.headers);
    if (!headers) return headers.error();

    std::vector<std::pair<std::string, std::string>> added = {
        {"X-Amz-Algorithm", std::string(algorithm)},
        {"X-Amz-Credential", credentials.access_key_id + '/' + prepared.credential_scope},
        {"X-Amz-Date", prepared.timestamp},
        {"X-Amz-Expires", std::to_string(expires.count())},
        {"X-Amz-SignedHeaders", headers.value().signed_names},
    };
    if (!credentials.session_token.empty() && rules.sign_session_token) {
        added.emplace_back("X-Amz-Security-Token", std::string(credentials.session_token.reveal()));
    }
    auto query = canonical_query(request.query, added);
    if (!query) return query.error();

    PresignedQuery out;
    out.signature = finish(credentials, scope, prepared, request.method, canonical_path(request.path, rules),
                           query.value(), headers.value());
    // The canonical query serves as the query sent: the same parameters, in
    // an order any server accepts.
    out.query = std::move(query).value();
    if (!credentials.session_token.empty() && !rules.sign_session_token) {
        out.query += "&X-Amz-Security-Token=" + text::percent_encode(credentials.session_token.reveal(), false);
    }
    out.query += "&X-Amz-Signature=" + out.signature.signature;
    return out;
}

}  // namespace tether::providers::aws
