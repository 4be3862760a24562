#include "tether/providers/aws/request_signing.h"

namespace tether::providers::aws {

Result<Done> sign_request(http::Request& request, const Credentials& credentials, const SigningScope& scope,
                          std::chrono::system_clock::time_point now) {
    const HostPort& peer = request.url.authority;
    bool default_port = (request.url.scheme == "https" && peer.port == 443) || (request.url.scheme == "http" && peer.port == 80);
    // What the SDKs send: the port only when it is not the scheme's.
    std::string host = peer.to_string();
    if (default_port) host.resize(host.rfind(':'));

    std::string_view target = request.url.target;
    std::size_t question = target.find('?');
    RequestToSign to_sign;
    to_sign.method = request.method;
    to_sign.path = std::string(target.substr(0, question));
    to_sign.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
    to_sign.headers.emplace_back("Host", host);
    for (const auto& header : request.headers) to_sign.headers.push_back(header);
    to_sign.body = request.body;
    auto signed_headers = sign_headers(to_sign, credentials, {scope.region, scope.service, now},
                                       scope.s3 ? Rules::s3() : Rules{});
    if (!signed_headers) return signed_headers.error();
    request.headers.emplace_back("Host", host);
    for (auto& header : signed_headers.value().headers) request.headers.push_back(std::move(header));
    return Done{};
}

}  // namespace tether::providers::aws
