// admit is the policy layer's decision on one request head, shared by the HTTP/1.1 and
// HTTP/2 codecs so that HTTPS-only, routing and body limits are written once: the request is
// either allowed to a route, or refused with a complete answer for the client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

  bool allowed() const { return route != nullptr; }
};

// admit decides on `head` arriving on `listener` (TLS or not) of `policy`. Pure: no I/O, no
// logging, no clock.
Admission admit(const policy::Policy& policy, const policy::Listener& listener, bool tls,
                const http::RequestHead& head);

}  // namespace intransit::gateway
