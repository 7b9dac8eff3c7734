// The HTTPS-only rule for plain-HTTP listeners: nothing is forwarded; every request gets a
// refusal (400, Azure Storage's AccountRequiresHttps error) or a permanent redirect (308) to
// the same URL over https, as the listener's `plain_http` says. Pure: the glue writes the
// response and closes the connection.
#pragma once

#include <string>
#include <string_view>

#include "gateway/http/request_head.h"
#include "policy/model.h"

namespace intransit::policy {

// PlainResponse is the complete answer to one request on a plain-HTTP listener.
struct PlainResponse {
  // What was done. Redirect can turn into Refuse when the request has no usable host.
  PlainHttpAction action = PlainHttpAction::Refuse;
  // head carries status (400 or 308), reason, fields (lowercase names) and content_length
  // (the body size). Framing and persistence are left to the codec, which writes
  // Content-Length from content_length and "connection: close" from keep_alive, false here:
  // the connection closes after the response.
  http::ResponseHead head;
  std::string body;
  // label names the outcome for metrics and logs: "https_required" or "redirected".
  std::string_view label;
};

// kAccountRequiresHttpsBody is the XML body of the 400 refusal. It is constant: nothing from
// the request is echoed into it.
inline constexpr std::string_view kAccountRequiresHttpsBody =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AccountRequiresHttps</Code>"
    "<Message>The account being accessed does not support http. HTTPS is required."
    "</Message></Error>";

// plain_http_response builds the answer to `req` on the plain-HTTP listener `l`.
//
// Refuse: 400 with `x-ms-error-code: AccountRequiresHttps`, `content-type: application/xml`
// and kAccountRequiresHttpsBody, as Azure Storage answers http on an HTTPS-only account.
//
// Redirect: 308 with `location: https://<host>[:port]<path>[?query]`. The host comes from the
// request authority with its port dropped; the port is the listener's redirect port, left out
// when it is 443. The host must be a DNS name, an IPv4 address or a bracketed IPv6 address;
// otherwise (missing, empty or malformed) the request is refused as above rather than sent to
// an attacker-chosen place. Bytes in path and query outside visible ASCII are percent-encoded.
// The body is a short constant text.
PlainResponse plain_http_response(const Listener& l, const http::RequestHead& req);

// redirect_location returns the https URL for `req` with `port`, or "" when the request has
// no usable host. Exposed for tests and for logging.
std::string redirect_location(const http::RequestHead& req, uint16_t port);

}  // namespace intransit::policy
