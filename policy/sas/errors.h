// Why a SAS request is refused, and how Azure Storage says so (SAS-SPEC §8): one table from
// each Errc to the HTTP status, the `x-ms-error-code`, Azure's message and our metric label,
// and the XML error body builder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intransit::policy::sas {

// Errc is every reason the verifier refuses a request. The comment gives the Azure code.
enum class Errc : uint8_t {
  HttpNotAllowed,        // 400 AccountRequiresHttps: plain HTTP to a secure-transfer account
  InvalidUri,            // 400 InvalidUri: path not decodable, account not served by the route
  NoSignature,           // 403 AuthenticationFailed: no `sig`, or an empty one
  AuthorizationHeader,   // 403 AuthenticationFailed: Shared Key / OAuth on a SAS-only route
  DuplicateParameter,    // 403 AuthenticationFailed: a SAS parameter given twice
  Malformed,             // 403 AuthenticationFailed: "Signature fields not well formed."
  MissingField,          // 403 AuthenticationFailed: "<f> is mandatory. Cannot be empty"
  UnsupportedVersion,    // 403 AuthenticationFailed: sv outside 2015-04-05..kNewestVersion
  UnsupportedKind,       // 403 AuthenticationFailed: user-delegation SAS (no delegation keys)
  UnknownAccount,        // 403 AuthenticationFailed: no keys for the account
  UnknownPolicy,         // 403 AuthenticationFailed: `si` names no stored access policy
  PolicyConflict,        // 403 AuthenticationFailed: a field set by both `si` policy and SAS
  SignatureMismatch,     // 403 AuthenticationFailed: HMAC differs under key1 and key2
  ExpiryBeforeStart,     // 403 AuthenticationFailed: se before st
  NotYetValid,           // 403 AuthenticationFailed: now before st
  Expired,               // 403 AuthenticationFailed: now after se
  IpMismatch,            // 403 AuthorizationSourceIPMismatch
  ProtocolMismatch,      // 403 AuthorizationProtocolMismatch: spr=https over plain HTTP
  ServiceMismatch,       // 403 AuthorizationServiceMismatch: account SAS without 'b' in ss
  ResourceTypeMismatch,  // 403 AuthorizationResourceTypeMismatch: srt lacks the level
  PermissionMismatch,    // 403 AuthorizationPermissionMismatch
  OperationNotAllowed,   // 403 AuthorizationFailure: never through a SAS, or not recognised
};

// ErrorInfo is one row of the table.
struct ErrorInfo {
  uint16_t status;
  std::string_view code;     // x-ms-error-code and <Code>
  std::string_view message;  // <Message> first line; "{SourceIP}" is replaced
  std::string_view label;    // metric `reason` label and log reason
};

// info returns the row of `e` (SAS-SPEC §8).
ErrorInfo info(Errc e);

// xml_escape escapes & < > " ' and replaces bytes that XML 1.0 cannot carry (control
// characters other than TAB/LF/CR, invalid UTF-8) with '?'. Everything the error body echoes
// from a request goes through it.
std::string xml_escape(std::string_view s);

// ErrorBody holds what goes into Azure's XML error body.
struct ErrorBody {
  std::string_view code;
  std::string message;       // full first line of <Message>
  std::string request_id;    // "RequestId:" line when not empty
  std::string time;          // "Time:" line when not empty (ISO-8601, 7 fractional digits)
  std::string auth_detail;   // <AuthenticationErrorDetail> when not empty
  std::string account_name;  // <AccountName> when not empty (AccountRequiresHttps)
};

// error_xml renders `<?xml version="1.0" encoding="utf-8"?><Error>...</Error>` with every
// value escaped.
std::string error_xml(const ErrorBody& b);

}  // namespace intransit::policy::sas
