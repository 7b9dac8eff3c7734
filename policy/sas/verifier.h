// The SAS verifier (SAS-SPEC §7): a pure function of the request facts, one account's keys,
// its stored access policies and `now`. No clock, no I/O, no logging.
//
// Evaluation order (SAS-SPEC §7; each step refuses with the first fault it finds):
//   0  plain HTTP to a secure-transfer account             400 AccountRequiresHttps
//      CORS preflight (OPTIONS + Origin + Access-Control-Request-Method): allowed, no SAS
//   1  form-decode the query once; a SAS parameter twice   403 AuthenticationFailed
//   2  Authorization header (not SAS); no or empty `sig`   403 AuthenticationFailed
//   3  kind: ss|srt = account, sr = service, sk* = user delegation (not accepted)
//   4  well-formedness: required fields, letters and order, spr, sip, times, ses vs sv, sr
//   5  si: resolve the stored policy, refuse a field set twice or missing
//   6  HMAC-SHA256 over the version's string-to-sign, key1 then key2, constant-time compare
//   7  time window st <= now <= se (st defaults to now; zero clock skew)
//   8  sip (IPv4, numeric)                                 403 AuthorizationSourceIPMismatch
//   9  spr=https over plain HTTP                           403 AuthorizationProtocolMismatch
//   10 account SAS: 'b' in ss, the level in srt            403
//   Authorization{Service,ResourceType}Mismatch 11 the operation's permission letters 403
//   AuthorizationPermissionMismatch
//      (shapes the gateway does not know, or no SAS may do: 403 AuthorizationFailure)
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "policy/model.h"
#include "policy/sas/errors.h"
#include "policy/sas/resource.h"
#include "policy/sas/string_to_sign.h"
#include "policy/sas/time.h"

namespace intransit::policy::sas {

// Request holds the facts about one request that the verifier needs.
struct Request {
  std::string_view method;     // "GET", "HEAD", "PUT", ...
  std::string_view scheme;     // "https" or "http"
  std::string_view path;       // origin-form path, not decoded
  std::string_view query;      // raw query without '?', not decoded
  std::string_view client_ip;  // the address the gateway sees (IPv4, or IPv6 text)
  Ticks now = 0;
  bool has_authorization = false;  // an Authorization header is present
  bool has_copy_source = false;    // x-ms-copy-source is present
  std::string_view lease_action;   // x-ms-lease-action
  bool cors_preflight = false;     // Origin and Access-Control-Request-Method are present
};

// TokenKind is what kind of SAS the query holds.
enum class TokenKind : uint8_t { None, Account, Service, UserDelegation };

// name returns "none", "account", "service" or "user_delegation".
std::string_view name(TokenKind k);

// Verdict is the verifier's answer.
struct Verdict {
  bool allow = false;
  bool cors_preflight = false;            // allowed as a CORS preflight, without a SAS
  Errc code = Errc::OperationNotAllowed;  // when !allow
  // auth_detail is Azure's <AuthenticationErrorDetail> (AuthenticationFailed only), e.g.
  // "Signature did not match. String to sign used was ...".
  std::string auth_detail;
  // detail tells an operator precisely what was wrong. It never holds the signature.
  std::string detail;
  TokenKind kind = TokenKind::None;
  SasFields fields;             // the token's signed fields as sent (non-secret)
  std::string_view operation;   // the classified operation, "" when not reached
  BlobResource resource;        // when the URL was mapped
  std::string string_to_sign;   // when step 6 ran
  Ticks start = 0, expiry = 0;  // effective window, when step 7 ran

  // reason returns the metric label: "allowed", "cors_preflight" or info(code).label.
  std::string_view reason() const;
};

// verify judges `req` against `account` (its name and keys) and the stored access policies
// `policies` (all of the policy file; only the account's are consulted). `style` says how the
// route's URLs name the resource.
Verdict verify(const Request& req, const SasAccount& account, SasUrlStyle style,
               std::span<const SasStoredPolicy> policies);

}  // namespace intransit::policy::sas
