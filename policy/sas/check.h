// check_request: the one entry point the connection glue calls for a route with `sas:`
// (HTTP/1.1 and HTTP/2 alike: it takes the protocol-neutral RequestHead). Pure: `now` and
// the client address are inputs; nothing is logged or counted here. The caller logs
// Decision::log_fields on a refusal and counts Decision::reason.
//
//   const auto d = policy::sas::check_request(policy, *route, head, peer_ip, now_unix);
//   metrics::SasMetrics::decision(d.allow, d.reason);
//   if (!d.allow) { log every d.log_fields pair; answer d.status / d.fields / d.body }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/http/request_head.h"
#include "policy/model.h"
#include "policy/sas/verifier.h"

namespace intransit::policy::sas {

// Decision is allow, or a complete Azure-style refusal.
struct Decision {
  bool allow = false;
  // reason is the metric label of intransit_sas_decisions_total{result,reason}: "allowed",
  // "cors_preflight", "not_required" (route without sas), or a refusal label (errors.h).
  std::string_view reason;
  std::string_view operation;  // classified operation, "" when not reached

  // The refusal (when !allow). `fields` are content-type: application/xml and
  // x-ms-error-code (plus x-ms-request-id when one was given); `body` is the XML error body,
  // empty for HEAD (the head only, as Azure answers HEAD). `reason_phrase` is Azure's status
  // text. `close` suggests closing an HTTP/1.1 connection (the request has a body nobody read).
  uint16_t status = 200;
  std::string_view error_code;
  std::string reason_phrase;
  http::Fields fields;
  std::string body;
  bool close = false;

  // detail says precisely why, for the operator (logs, `intransit sas verify`). It never
  // holds the signature or a key.
  std::string detail;
  // log_fields are key/value pairs for the refusal log line: reason, account, operation and
  // the token's non-secret fields (kind sv ss srt sp st se sip spr sr si ses sdd), each cut to
  // 64 bytes. Never `sig`, never the query string.
  std::vector<std::pair<std::string_view, std::string>> log_fields;
};

// check_request judges `head` on `route` of `policy`: the route's SAS account (keys and stored
// policies from `policy`), the URL style, the client address as the gateway sees it and the
// time `now_unix` (seconds since the epoch). A route without `sas` gives allow with reason
// "not_required". `request_id`, when not empty, goes into x-ms-request-id and the message.
Decision check_request(const Policy& policy, const Route& route, const http::RequestHead& head,
                       std::string_view client_ip, int64_t now_unix,
                       std::string_view request_id = {});

// decide is check_request with the time in Ticks (100 ns), for callers that have sub-second
// time (`intransit sas verify --now`).
Decision decide(const Policy& policy, const Route& route, const http::RequestHead& head,
                std::string_view client_ip, Ticks now, std::string_view request_id = {});

// to_decision turns a verifier verdict into a Decision for a request with `method` from
// `client_ip` (named in the AuthorizationSourceIPMismatch message, escaped).
Decision to_decision(const Verdict& v, std::string_view account, std::string_view method,
                     std::string_view client_ip, Ticks now, std::string_view request_id = {});

}  // namespace intransit::policy::sas
