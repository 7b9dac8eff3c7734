// admit is the policy layer's decision on one request head, shared by the HTTP/1.1 and
// HTTP/2 codecs so that HTTPS-only, routing and body limits are written once: the request is
// either allowed to a route, or refused with a complete answer for the client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/http/request_head.h"
#include "policy/model.h"

namespace intransit::gateway {

struct Admission {
  const policy::Route* route = nullptr;  // set when the request may go to its backend
  // When refused: the answer. `fields` include content-type; `label` is the metric and log
  // reason; `close` asks an HTTP/1.1 connection to close afterwards.
  uint16_t status = 0;
  std::string_view label;
  std::string body;
  http::Fields fields;
  bool close = false;
  // SAS, on routes that require it: "allow" or "deny" and the decision's reason label; the
  // token's non-secret fields for the refusal log line (never the signature).
  std::string_view sas;
  std::string_view sas_reason;
  std::vector<std::pair<std::string_view, std::string>> log_fields;

  bool allowed() const { return route != nullptr; }
};

// ExchangeStats is what is measured about one request while it is served, for metrics and
// the access log. Times are uv_hrtime() nanoseconds; 0 = did not happen.
struct ExchangeStats {
  uint64_t start_ns = 0;         // request head received
  uint64_t backend_sent_ns = 0;  // request head handed to a backend connection
  uint64_t backend_head_ns = 0;  // response head received from the backend
  uint64_t bytes_in = 0;         // request body bytes from the client
  uint64_t bytes_out = 0;        // response body bytes to the client
  std::string_view refusal;      // reason label when the gateway answered itself
  std::string_view sas;          // "allow" / "deny" on routes with sas, else ""
  std::string_view sas_reason;
};

// admit decides on `head` arriving on `listener` (TLS or not) of `policy` from `client_ip`
// at `now_unix` (seconds since the epoch, for SAS start/expiry): HTTPS-only door, route,
// body limit, then the route's shared access signature. Pure: no I/O, no logging, no clock.
Admission admit(const policy::Policy& policy, const policy::Listener& listener, bool tls,
                const http::RequestHead& head, std::string_view client_ip, int64_t now_unix);

}  // namespace intransit::gateway
