#include "tether/providers/aws/credential_chain.h"

#include <iterator>

#include "tether/providers/aws/container_credentials.h"
#include "tether/providers/aws/credential_process.h"
#include "tether/providers/aws/endpoints.h"
#include "tether/providers/aws/instance_metadata.h"
#include "tether/providers/aws/request_signing.h"
#include "tether/providers/offload.h"
#include "token_file.h"

namespace tether::providers::aws {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::system_clock;

// Off EC2 nothing answers at the metadata address: give up soon, as the SDKs do.
constexpr std::chrono::milliseconds metadata_timeout{1000};
constexpr int longest_role_chain = 5;

// A source that is not configured: the chain goes on to the next one.
Error not_configured(std::string what) { return {ErrorKind::not_found, std::move(what)}; }
bool is_not_configured(const Error& error) { return error.kind == ErrorKind::not_found; }

ExpiringCredentials copy(const ExpiringCredentials& from) { return {aws::copy(from.credentials), from.expiration}; }

ExpiringCredentials long_term(std::string id, Secret secret, Secret token) {
    return {{std::move(id), std::move(secret), std::move(token)}, std::nullopt};
}

// STS receives a signed request or an identity token: the runner's policy
// must allow its host like any other.
Result<Done> check_sts_peer(const StsEndpoint& endpoint, const ProviderContext& context) {
    auto url = parse_url(endpoint.url);
    if (!url) return url.error();
    const HostPort& peer = url.value().authority;
    if (!context.endpoint_allowed || !context.endpoint_allowed(peer.host, peer.port)) {
        return Error{ErrorKind::permission_denied,
                     "this runner's policy does not allow sending credentials to STS at " + peer.to_string()};
    }
    return Done{};
}

std::string region_for_sts(const Environment& environment, const Profile& profile) {
    return configured_region(environment, profile).value_or("");
}

}  // namespace

Credentials copy(const Credentials& credentials) {
    return {credentials.access_key_id, credentials.secret_access_key.copy(), credentials.session_token.copy()};
}

awaitable<Result<http::Response>> send_call(HttpCall& call, ProviderContext& context) {
    http::Request request;
    request.method = call.method;
    request.url = call.url;
    request.headers = call.headers;
    for (const auto& [name, value] : call.secret_headers) request.headers.emplace_back(name, std::string(value.reveal()));
    request.body = std::string(call.body.reveal());
    request.timeout = context.request_timeout;
    request.max_response_bytes = 1024 * 1024;
    if (context.http == nullptr) co_return Error{ErrorKind::failed_precondition, "this runner cannot make HTTPS calls"};
    auto response = co_await context.http->send(request);
    for (auto& [name, value] : request.headers) wipe(value);
    wipe(request.body);
    co_return response;
}

awaitable<Result<ExpiringCredentials>> CredentialChain::cached(
    const std::string& key, ProviderContext& /*context*/,
    std::function<awaitable<Result<ExpiringCredentials>>()> fetch) {
    auto found = cache_.find(key);
    if (found != cache_.end() && found->second.expiration && *found->second.expiration > Clock::now() + refresh_margin) {
        co_return copy(found->second);
    }
    auto fresh = co_await fetch();
    if (!fresh) co_return fresh.error();
    if (fresh.value().expiration) {
        cache_.insert_or_assign(key, copy(fresh.value()));
    } else {
        cache_.erase(key);
    }
    co_return fresh;
}

awaitable<Result<Credentials>> CredentialChain::resolve(const std::optional<std::string>& profile_name_setting,
                                                         ProviderContext& context) {
    const Environment& env = context.environment;
    std::vector<std::string> tried;

    // 1. The environment, unless the connection names a profile.
    if (!profile_name_setting) {
        auto id = environment_value(env, "AWS_ACCESS_KEY_ID");
        auto secret = environment_value(env, "AWS_SECRET_ACCESS_KEY");
        if (id && secret) {
            co_return Credentials{*id, Secret(*secret), Secret(environment_value(env, "AWS_SESSION_TOKEN").value_or(""))};
        }
        if (id || secret) {
            co_return Error{ErrorKind::invalid_argument, std::string(id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                                                             " is set without " +
                                                             (id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")};
        }
        tried.push_back("environment variables");
    }

    auto config = load_shared_config(env);
    if (!config) co_return config.error();
    bool named = profile_name_setting.has_value() || environment_value(env, "AWS_PROFILE").has_value();
    auto profile = config.value().profile(profile_name(env, profile_name_setting), named);
    if (!profile) co_return profile.error();

    // 2. Web identity from the environment (IRSA on EKS).
    auto token_file = environment_value(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role = environment_value(env, "AWS_ROLE_ARN");
    if (token_file && role) {
        std::string session = environment_value(env, "AWS_ROLE_SESSION_NAME").value_or(default_role_session_name(Clock::now()));
        const Profile& chosen = profile.value();
        auto got = co_await cached("web-identity\n" + *role + "\n" + *token_file, context,
                                   [&]() -> awaitable<Result<ExpiringCredentials>> {
                                       auto token = read_token_file(*token_file, "the web identity token file");
                                       if (!token) co_return token.error();
                                       auto endpoint = sts_endpoint(region_for_sts(env, chosen), env, chosen);
                                       if (!endpoint) co_return endpoint.error();
                                       if (auto allowed = check_sts_peer(endpoint.value(), context); !allowed) {
                                           co_return allowed.error();
                                       }
                                       auto call = assume_role_with_web_identity_call(
                                           endpoint.value(), {*role, session, std::move(token).value(), std::nullopt});
                                       if (!call) co_return call.error();
                                       auto response = co_await send_call(call.value(), context);
                                       if (!response) co_return response.error();
                                       co_return parse_assume_role_with_web_identity_response(
                                           response.value().status, response.value().body);
                                   });
        if (!got) co_return got.error();
        co_return std::move(got).value().credentials;
    }
    tried.push_back("web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)");

    // 3. The shared config and credentials files.
    auto from_files = co_await from_profile(config.value(), profile.value(), context, 0);
    if (from_files) co_return std::move(from_files).value().credentials;
    if (!is_not_configured(from_files.error())) co_return from_files.error();
    tried.push_back("profile " + profile.value().name() + " of the shared files");

    // 4. ECS container credentials.
    if (has_container_credentials(env)) {
        auto got = co_await cached("container", context, [&]() -> awaitable<Result<ExpiringCredentials>> {
            auto call = container_credentials_call(env);
            if (!call) co_return call.error();
            auto response = co_await send_call(call.value(), context);
            if (!response) co_return response.error();
            co_return parse_container_credentials(response.value().status, response.value().body);
        });
        if (!got) co_return got.error();
        co_return std::move(got).value().credentials;
    }
    tried.push_back("container credentials");

    // 5. EC2 instance metadata, IMDSv2.
    auto endpoint = instance_metadata_endpoint(env, profile.value());
    if (!endpoint) co_return endpoint.error();
    if (endpoint.value()) {
        Url metadata = *endpoint.value();
        auto got = co_await cached("instance-metadata", context, [&]() -> awaitable<Result<ExpiringCredentials>> {
            ProviderContext quick{context.http, context.environment, context.endpoint_allowed,
                                  std::min(context.request_timeout, metadata_timeout), context.runner};
            HttpCall token_call = imds_token_call(metadata);
            auto token_answer = co_await send_call(token_call, quick);
            if (!token_answer) co_return token_answer.error();
            auto token = parse_imds_token(token_answer.value().status, token_answer.value().body);
            wipe(token_answer.value().body);
            if (!token) co_return token.error();
            HttpCall list_call = imds_role_list_call(metadata, token.value());
            auto list = co_await send_call(list_call, quick);
            if (!list) co_return list.error();
            auto role_name = parse_imds_role_list(list.value().status, list.value().body);
            if (!role_name) co_return role_name.error();
            auto credentials_call = imds_role_credentials_call(metadata, role_name.value(), token.value());
            if (!credentials_call) co_return credentials_call.error();
            auto answer = co_await send_call(credentials_call.value(), quick);
            if (!answer) co_return answer.error();
            co_return parse_imds_credentials(answer.value().status, answer.value().body);
        });
        if (got) co_return std::move(got).value().credentials;
        if (got.error().kind != ErrorKind::unavailable && got.error().kind != ErrorKind::deadline_exceeded) {
            co_return got.error();
        }
        tried.push_back("EC2 instance metadata (" + got.error().message + ")");
    } else {
        tried.push_back("EC2 instance metadata (disabled)");
    }

    std::string list;
    for (const auto& source : tried) list += (list.empty() ? "" : "; ") + source;
    co_return Error{ErrorKind::failed_precondition, "the runner found no AWS credentials: tried " + list};
}

awaitable<Result<ExpiringCredentials>> CredentialChain::from_profile(const SharedConfig& config, const Profile& profile,
                                                                     ProviderContext& context, int depth) {
    const Environment& env = context.environment;
    if (depth > longest_role_chain) {
        co_return Error{ErrorKind::invalid_argument,
                        "profile " + profile.name() + ": role chain deeper than " + std::to_string(longest_role_chain) +
                            " (a source_profile loop?)"};
    }
    auto role = profile.role_arn();
    auto token_file = profile.web_identity_token_file();
    if (role && token_file && !profile.source_profile() && !profile.credential_source()) {
        std::string session = profile.role_session_name().value_or(default_role_session_name(Clock::now()));
        co_return co_await cached("web-identity\n" + *role + "\n" + *token_file, context,
                                  [&]() -> awaitable<Result<ExpiringCredentials>> {
                                      auto token = read_token_file(*token_file, "the web identity token file");
                                      if (!token) co_return token.error();
                                      auto endpoint = sts_endpoint(region_for_sts(env, profile), env, profile);
                                      if (!endpoint) co_return endpoint.error();
                                      if (auto allowed = check_sts_peer(endpoint.value(), context); !allowed) {
                                          co_return allowed.error();
                                      }
                                      auto duration = profile.duration_seconds();
                                      if (!duration) co_return duration.error();
                                      auto call = assume_role_with_web_identity_call(
                                          endpoint.value(), {*role, session, std::move(token).value(), duration.value()});
                                      if (!call) co_return call.error();
                                      auto response = co_await send_call(call.value(), context);
                                      if (!response) co_return response.error();
                                      co_return parse_assume_role_with_web_identity_response(response.value().status,
                                                                                             response.value().body);
                                  });
    }
    if (role) {
        // The source: another profile, or one named source of the chain.
        Result<ExpiringCredentials> source = Error{ErrorKind::internal, "no source"};
        if (auto source_name = profile.source_profile()) {
            auto source_profile = config.profile(*source_name);
            if (!source_profile) co_return source_profile.error();
            if (*source_name == profile.name() && profile.access_key_id()) {
                // A profile may be its own source when it also holds keys.
                source = long_term(*profile.access_key_id(), profile.secret_access_key(), profile.session_token());
            } else {
                source = co_await from_profile(config, source_profile.value(), context, depth + 1);
            }
        } else if (auto named_source = profile.credential_source()) {
            if (*named_source == "Environment") {
                auto id = environment_value(env, "AWS_ACCESS_KEY_ID");
                auto secret = environment_value(env, "AWS_SECRET_ACCESS_KEY");
                if (!id || !secret) co_return Error{ErrorKind::failed_precondition, profile.where("credential_source") + ": credential_source Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"};
                source = long_term(*id, Secret(*secret), Secret(environment_value(env, "AWS_SESSION_TOKEN").value_or("")));
            } else if (*named_source == "EcsContainer" || *named_source == "Ec2InstanceMetadata") {
                co_return Error{ErrorKind::invalid_argument, profile.where("credential_source") + ": credential_source " +
                                                                 *named_source +
                                                                 " is not supported yet; use source_profile, or no role_arn in the profile and a cross-account connection"};
            } else {
                co_return Error{ErrorKind::invalid_argument, profile.where("credential_source") + ": unknown credential_source '" +
                                                                 named_source->substr(0, 40) +
                                                                 "' (Environment, EcsContainer or Ec2InstanceMetadata)"};
            }
        } else {
            co_return Error{ErrorKind::invalid_argument,
                            profile.where("role_arn") + ": role_arn needs source_profile, credential_source or web_identity_token_file"};
        }
        if (!source) {
            if (is_not_configured(source.error())) {
                co_return Error{ErrorKind::failed_precondition, "profile " + profile.name() + ": its source profile has no credentials"};
            }
            co_return source.error();
        }
        auto duration = profile.duration_seconds();
        if (!duration) co_return duration.error();
        AssumeRoleParameters parameters{*role,
                                        profile.role_session_name().value_or(default_role_session_name(Clock::now())),
                                        duration.value(), profile.external_id()};
        auto assumed = co_await assume_with(parameters, source.value().credentials, region_for_sts(env, profile),
                                            profile, context);
        if (!assumed) co_return assumed.error();
        co_return ExpiringCredentials{std::move(assumed).value(), std::nullopt};
    }
    if (auto id = profile.access_key_id()) {
        Secret secret = profile.secret_access_key();
        if (secret.empty()) {
            co_return Error{ErrorKind::invalid_argument,
                            profile.where("aws_access_key_id") + ": aws_access_key_id without aws_secret_access_key"};
        }
        co_return long_term(*id, std::move(secret), profile.session_token());
    }
    if (profile.credential_process()) {
        co_return co_await cached("process\n" + profile.name(), context, [&]() -> awaitable<Result<ExpiringCredentials>> {
            std::chrono::milliseconds timeout = context.request_timeout * 3;
            // A named callable: GCC 12 destroys a temporary lambda in a co_await twice.
            auto run = [&profile, &env, timeout] { return run_credential_process(profile, env, timeout); };
            co_return co_await offload(std::move(run));
        });
    }
    co_return not_configured("profile " + profile.name() + " holds no credentials");
}

awaitable<Result<Credentials>> CredentialChain::assume_role(const AssumeRoleParameters& parameters,
                                                             const std::optional<std::string>& profile_name_setting,
                                                             const std::string& region, ProviderContext& context) {
    auto source = co_await resolve(profile_name_setting, context);
    if (!source) co_return source.error();
    auto profile = load_profile(context.environment, profile_name_setting);
    if (!profile) co_return profile.error();
    co_return co_await assume_with(parameters, source.value(), region, profile.value(), context);
}

awaitable<Result<Credentials>> CredentialChain::assume_with(const AssumeRoleParameters& parameters,
                                                             const Credentials& source, const std::string& region,
                                                             const Profile& profile, ProviderContext& context) {
    std::string key = "assume-role\n" + parameters.role_arn + "\n" + parameters.external_id.value_or("") + "\n" +
                      parameters.role_session_name + "\n" +
                      std::to_string(parameters.duration ? parameters.duration->count() : 0) + "\n" +
                      source.access_key_id + "\n" + region;
    auto got = co_await cached(key, context, [&]() -> awaitable<Result<ExpiringCredentials>> {
        auto endpoint = sts_endpoint(region, context.environment, profile);
        if (!endpoint) co_return endpoint.error();
        if (auto allowed = check_sts_peer(endpoint.value(), context); !allowed) co_return allowed.error();
        auto call = assume_role_call(endpoint.value(), parameters);
        if (!call) co_return call.error();
        http::Request request;
        request.method = call.value().method;
        request.url = call.value().url;
        request.headers = call.value().headers;
        request.body = std::string(call.value().body.reveal());
        request.timeout = context.request_timeout;
        request.max_response_bytes = 1024 * 1024;
        if (auto signed_request = sign_request(request, source, {"sts", endpoint.value().signing_region}); !signed_request) {
            co_return signed_request.error();
        }
        if (context.http == nullptr) co_return Error{ErrorKind::failed_precondition, "this runner cannot make HTTPS calls"};
        auto response = co_await context.http->send(request);
        for (auto& [name, value] : request.headers) wipe(value);
        wipe(request.body);
        if (!response) co_return response.error();
        co_return parse_assume_role_response(response.value().status, response.value().body);
    });
    if (!got) co_return got.error();
    co_return std::move(got).value().credentials;
}

}  // namespace tether::providers::aws
