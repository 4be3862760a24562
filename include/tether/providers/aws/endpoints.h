#pragma once

// Which URL a client of an AWS service talks to, by the SDKs' shared
// convention (docs.aws.amazon.com, "Service-specific endpoints"):
//   AWS_ENDPOINT_URL_<SERVICE>    the service id upper-cased, spaces and
//                                 hyphens as '_' (AWS_ENDPOINT_URL_STS)
//   AWS_ENDPOINT_URL
//   the profile's services section, "<service> =\n  endpoint_url = …"
//   the profile's endpoint_url
//   the service's own endpoint in the region.
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
// ignore_configured_endpoint_urls) skips the first four.
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/providers/aws/shared_config.h"

namespace tether::providers::aws {

// The region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's.
std::optional<std::string> configured_region(const Environment& environment, const Profile& profile);

// A region name goes into host names: lower-case letters, digits and '-'.
bool is_region(std::string_view region);

// The default endpoint of `service` in `region`: https://<service>.<region>.
// <dns suffix>, the suffix by partition (amazonaws.com, amazonaws.com.cn
// for cn-*, c2s.ic.gov for us-iso-*, sc2s.sgov.gov for us-isob-*).
// STS's legacy global endpoint is sts.h's business.
std::string default_endpoint(std::string_view service, std::string_view region);

// `service_id` as the SDKs spell it ("STS", "S3", "Secrets Manager").
// invalid_argument if the URL is not http(s) (naming where it came from),
// or if no region is known and nothing is configured.
Result<std::string> service_endpoint(std::string_view service_id, std::string_view region,
                                     const Environment& environment, const Profile& profile);

// Whether a URL was configured, and which: what service_endpoint() would
// return before falling back to the default; empty if nothing is.
Result<std::string> configured_endpoint(std::string_view service_id, const Environment& environment,
                                        const Profile& profile);

}  // namespace tether::providers::aws
