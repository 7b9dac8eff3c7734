#include "policy/sas/errors.h"

#include <cstdint>

namespace intransit::policy::sas {

namespace {
constexpr std::string_view kAuthFailed =
    "Server failed to authenticate the request. Make sure the value of Authorization header is "
    "formed correctly including the signature.";
}  // namespace

ErrorInfo info(Errc e) {
  switch (e) {
    case Errc::HttpNotAllowed:
      return {400, "AccountRequiresHttps", "The account being accessed does not support http.",
              "http_not_allowed"};
    case Errc::InvalidUri:
      return {400, "InvalidUri", "The requested URI does not represent any resource on the server.",
              "invalid_uri"};
    case Errc::NoSignature:
      return {403, "AuthenticationFailed", kAuthFailed, "no_signature"};
    case Errc::AuthorizationHeader:
      return {403, "AuthenticationFailed", kAuthFailed, "authorization_header"};
    case Errc::DuplicateParameter:
      return {403, "AuthenticationFailed", kAuthFailed, "duplicate_parameter"};
    case Errc::Malformed:
      return {403, "AuthenticationFailed", kAuthFailed, "malformed"};
    case Errc::MissingField:
      return {403, "AuthenticationFailed", kAuthFailed, "missing_field"};
    case Errc::UnsupportedVersion:
      return {403, "AuthenticationFailed", kAuthFailed, "unsupported_version"};
    case Errc::UnsupportedKind:
      return {403, "AuthenticationFailed", kAuthFailed, "unsupported_kind"};
    case Errc::UnknownAccount:
      return {403, "AuthenticationFailed", kAuthFailed, "unknown_account"};
    case Errc::UnknownPolicy:
      return {403, "AuthenticationFailed", kAuthFailed, "unknown_policy"};
    case Errc::PolicyConflict:
      return {403, "AuthenticationFailed", kAuthFailed, "policy_conflict"};
    case Errc::SignatureMismatch:
      return {403, "AuthenticationFailed", kAuthFailed, "signature_mismatch"};
    case Errc::ExpiryBeforeStart:
      return {403, "AuthenticationFailed", kAuthFailed, "expiry_before_start"};
    case Errc::NotYetValid:
      return {403, "AuthenticationFailed", kAuthFailed, "not_yet_valid"};
    case Errc::Expired:
      return {403, "AuthenticationFailed", kAuthFailed, "expired"};
    case Errc::IpMismatch:
      return {403, "AuthorizationSourceIPMismatch",
              "This request is not authorized to perform this operation using this source IP "
              "{SourceIP}.",
              "ip_mismatch"};
    case Errc::ProtocolMismatch:
      return {403, "AuthorizationProtocolMismatch",
              "This request is not authorized to perform this operation using this protocol.",
              "protocol_mismatch"};
    case Errc::ServiceMismatch:
      return {403, "AuthorizationServiceMismatch",
              "This request is not authorized to perform this operation using this service.",
              "service_mismatch"};
    case Errc::ResourceTypeMismatch:
      return {403, "AuthorizationResourceTypeMismatch",
              "This request is not authorized to perform this operation using this resource type.",
              "resource_type_mismatch"};
    case Errc::PermissionMismatch:
      return {403, "AuthorizationPermissionMismatch",
              "This request is not authorized to perform this operation using this permission.",
              "permission_mismatch"};
    case Errc::OperationNotAllowed:
      return {403, "AuthorizationFailure",
              "This request is not authorized to perform this operation.", "operation_not_allowed"};
  }
  return {403, "AuthorizationFailure", "This request is not authorized to perform this operation.",
          "operation_not_allowed"};
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
        case '\n':
        case '\r':
          out += static_cast<char>(c);
          break;
        default:
          out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
          break;
      }
      ++i;
      continue;
    }
    // One UTF-8 sequence, copied only when well formed (and not U+FFFE/U+FFFF).
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    }
    bool ok = n > 0 && i + n < s.size();
    for (size_t k = 1; ok && k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE &&
         cp != 0xFFFF;
    if (ok) {
      out.append(s.substr(i, n + 1));
      i += n + 1;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string error_xml(const ErrorBody& b) {
  std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>";
  x += xml_escape(b.code);
  x += "</Code><Message>";
  x += xml_escape(b.message);
  if (!b.request_id.empty()) {
    x += "\nRequestId:";
    x += xml_escape(b.request_id);
  }
  if (!b.time.empty()) {
    x += "\nTime:";
    x += xml_escape(b.time);
  }
  x += "</Message>";
  if (!b.auth_detail.empty()) {
    x += "<AuthenticationErrorDetail>";
    x += xml_escape(b.auth_detail);
    x += "</AuthenticationErrorDetail>";
  }
  if (!b.account_name.empty()) {
    x += "<AccountName>";
    x += xml_escape(b.account_name);
    x += "</AccountName>";
  }
  x += "</Error>";
  return x;
}

}  // namespace intransit::policy::sas
