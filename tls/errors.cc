#include "tls/errors.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace intransit::tls {
namespace {

struct AlertName {
  uint8_t alert;
  std::string_view name;
  std::string_view label;
};

// RFC 8446 §6 and RFC 5246 §7.2 alert descriptions. Labels are spelled out so they are
// static strings (metric labels must not allocate on the data plane).
constexpr AlertName kAlerts[] = {
    {SSL_AD_CLOSE_NOTIFY, "close_notify", "peer_alert_close_notify"},
    {SSL_AD_UNEXPECTED_MESSAGE, "unexpected_message", "peer_alert_unexpected_message"},
    {SSL_AD_BAD_RECORD_MAC, "bad_record_mac", "peer_alert_bad_record_mac"},
    {SSL_AD_RECORD_OVERFLOW, "record_overflow", "peer_alert_record_overflow"},
    {SSL_AD_HANDSHAKE_FAILURE, "handshake_failure", "peer_alert_handshake_failure"},
    {SSL_AD_BAD_CERTIFICATE, "bad_certificate", "peer_alert_bad_certificate"},
    {SSL_AD_UNSUPPORTED_CERTIFICATE, "unsupported_certificate",
     "peer_alert_unsupported_certificate"},
    {SSL_AD_CERTIFICATE_REVOKED, "certificate_revoked", "peer_alert_certificate_revoked"},
    {SSL_AD_CERTIFICATE_EXPIRED, "certificate_expired", "peer_alert_certificate_expired"},
    {SSL_AD_CERTIFICATE_UNKNOWN, "certificate_unknown", "peer_alert_certificate_unknown"},
    {SSL_AD_ILLEGAL_PARAMETER, "illegal_parameter", "peer_alert_illegal_parameter"},
    {SSL_AD_UNKNOWN_CA, "unknown_ca", "peer_alert_unknown_ca"},
    {SSL_AD_ACCESS_DENIED, "access_denied", "peer_alert_access_denied"},
    {SSL_AD_DECODE_ERROR, "decode_error", "peer_alert_decode_error"},
    {SSL_AD_DECRYPT_ERROR, "decrypt_error", "peer_alert_decrypt_error"},
    {SSL_AD_PROTOCOL_VERSION, "protocol_version", "peer_alert_protocol_version"},
    {SSL_AD_INSUFFICIENT_SECURITY, "insufficient_security", "peer_alert_insufficient_security"},
    {SSL_AD_INTERNAL_ERROR, "internal_error", "peer_alert_internal_error"},
    {SSL_AD_INAPPROPRIATE_FALLBACK, "inappropriate_fallback", "peer_alert_inappropriate_fallback"},
    {SSL_AD_USER_CANCELLED, "user_canceled", "peer_alert_user_canceled"},
    {SSL_AD_NO_RENEGOTIATION, "no_renegotiation", "peer_alert_no_renegotiation"},
    {SSL_AD_MISSING_EXTENSION, "missing_extension", "peer_alert_missing_extension"},
    {SSL_AD_UNSUPPORTED_EXTENSION, "unsupported_extension", "peer_alert_unsupported_extension"},
    {SSL_AD_UNRECOGNIZED_NAME, "unrecognized_name", "peer_alert_unrecognized_name"},
    {SSL_AD_BAD_CERTIFICATE_STATUS_RESPONSE, "bad_certificate_status_response",
     "peer_alert_bad_certificate_status_response"},
    {SSL_AD_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity", "peer_alert_unknown_psk_identity"},
    {SSL_AD_CERTIFICATE_REQUIRED, "certificate_required", "peer_alert_certificate_required"},
    {SSL_AD_NO_APPLICATION_PROTOCOL, "no_application_protocol",
     "peer_alert_no_application_protocol"},
};

const AlertName* find_alert(uint8_t alert) {
  for (const auto& a : kAlerts) {
    if (a.alert == alert) return &a;
  }
  return nullptr;
}

Failure classify_ssl_reason(int reason) {
  switch (reason) {
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      return Failure::PlainHttp;

    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_WRONG_SSL_VERSION:
    case SSL_R_UNKNOWN_SSL_VERSION:
    case SSL_R_NO_SUPPORTED_VERSIONS_ENABLED:
      return Failure::UnsupportedProtocol;

    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_NO_CIPHER_MATCH:
      return Failure::NoSharedCipher;

    case SSL_R_NO_SHARED_GROUP:
      return Failure::NoSharedGroup;

    case SSL_R_NO_COMMON_SIGNATURE_ALGORITHMS:
      return Failure::NoCommonSignatureAlgorithm;

    case SSL_R_NO_APPLICATION_PROTOCOL:
      return Failure::NoApplicationProtocol;

    case SSL_R_INAPPROPRIATE_FALLBACK:
      return Failure::InappropriateFallback;

    case SSL_R_NO_RENEGOTIATION:
    case SSL_R_RENEGOTIATION_ENCODING_ERR:
    case SSL_R_RENEGOTIATION_MISMATCH:
    case SSL_R_SCSV_RECEIVED_WHEN_RENEGOTIATING:
      return Failure::Renegotiation;

    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_DECRYPTION_FAILED:
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_DATA_LENGTH_TOO_LONG:
    case SSL_R_RECORD_TOO_LARGE:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_BAD_ALERT:
    case SSL_R_UNKNOWN_ALERT_TYPE:
    case SSL_R_TOO_MANY_EMPTY_FRAGMENTS:
    case SSL_R_TOO_MANY_WARNING_ALERTS:
    case SSL_R_INVALID_OUTER_RECORD_TYPE:
    case SSL_R_APPLICATION_DATA_INSTEAD_OF_HANDSHAKE:
    case SSL_R_APP_DATA_IN_HANDSHAKE:
    case SSL_R_BAD_LENGTH:
    case SSL_R_BLOCK_CIPHER_PAD_IS_WRONG:
    case SSL_R_FRAGMENT_MISMATCH:
    case SSL_R_APPLICATION_DATA_ON_SHUTDOWN:
      return Failure::BadRecord;

    case SSL_R_DECODE_ERROR:
    case SSL_R_PARSE_TLSEXT:
    case SSL_R_CLIENTHELLO_PARSE_FAILED:
    case SSL_R_CLIENTHELLO_TLSEXT:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_EXTENSION:
    case SSL_R_DUPLICATE_EXTENSION:
    case SSL_R_ERROR_PARSING_EXTENSION:
    case SSL_R_EXTRA_DATA_IN_MESSAGE:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_EXCESSIVE_MESSAGE_SIZE:
    case SSL_R_BAD_CHANGE_CIPHER_SPEC:
    case SSL_R_CCS_RECEIVED_EARLY:
    case SSL_R_DIGEST_CHECK_FAILED:
    case SSL_R_MISSING_EXTENSION:
    case SSL_R_MISSING_KEY_SHARE:
    case SSL_R_BAD_ECPOINT:
    case SSL_R_DUPLICATE_KEY_SHARE:
    case SSL_R_INVALID_COMPRESSION_LIST:
    case SSL_R_EXCESS_HANDSHAKE_DATA:
    case SSL_R_WRONG_CURVE:
    case SSL_R_BAD_HANDSHAKE_RECORD:
    case SSL_R_INVALID_MESSAGE:
    case SSL_R_PRE_SHARED_KEY_MUST_BE_LAST:
    case SSL_R_PSK_IDENTITY_BINDER_COUNT_MISMATCH:
    case SSL_R_INCONSISTENT_CLIENT_HELLO:
    case SSL_R_UNEXPECTED_COMPATIBILITY_MODE:
    case SSL_R_INVALID_ALPN_PROTOCOL:
    case SSL_R_INVALID_ALPN_PROTOCOL_LIST:
    case SSL_R_DUPLICATE_SIGNATURE_ALGORITHM:
    case SSL_R_INVALID_SIGNATURE_ALGORITHM:
    case SSL_R_SSL3_EXT_INVALID_SERVERNAME:
    case SSL_R_ERROR_IN_RECEIVED_CIPHER_LIST:
    case SSL_R_TOO_MANY_KEY_UPDATES:
    case SSL_R_WRONG_MESSAGE_TYPE:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM:
    case SSL_R_HANDSHAKE_FAILURE_ON_CLIENT_HELLO:
      return Failure::BadHandshake;

    case SSL_R_NO_CERTIFICATE_SET:
    case SSL_R_NO_PRIVATE_KEY_ASSIGNED:
    case SSL_R_NO_CERTIFICATE_ASSIGNED:
    case SSL_R_CERT_CB_ERROR:
    case SSL_R_CONNECTION_REJECTED:
    case SSL_R_PRIVATE_KEY_OPERATION_FAILED:
    case SSL_R_TICKET_ENCRYPTION_FAILED:
    case SSL_R_BIO_NOT_SET:
      return Failure::Internal;

    default:
      return Failure::Other;
  }
}

}  // namespace

std::string_view label(Failure kind) {
  switch (kind) {
    case Failure::None:
      return "none";
    case Failure::PlainHttp:
      return "plain_http";
    case Failure::UnsupportedProtocol:
      return "unsupported_protocol";
    case Failure::NoSharedCipher:
      return "no_shared_cipher";
    case Failure::NoSharedGroup:
      return "no_shared_group";
    case Failure::NoCommonSignatureAlgorithm:
      return "no_common_sigalg";
    case Failure::UnknownSni:
      return "unknown_sni";
    case Failure::NoApplicationProtocol:
      return "no_application_protocol";
    case Failure::InappropriateFallback:
      return "inappropriate_fallback";
    case Failure::Renegotiation:
      return "renegotiation";
    case Failure::BadRecord:
      return "bad_record";
    case Failure::BadHandshake:
      return "bad_handshake";
    case Failure::PeerAlert:
      return "peer_alert_other";
    case Failure::Eof:
      return "eof";
    case Failure::Internal:
      return "internal";
    case Failure::Other:
      return "other";
  }
  return "other";  // unreachable; keeps -Wreturn-type quiet
}

std::string_view label(const FailureInfo& f) {
  if (f.kind == Failure::PeerAlert) {
    const AlertName* a = find_alert(f.peer_alert);
    return a ? a->label : "peer_alert_other";
  }
  return label(f.kind);
}

std::string_view alert_name(uint8_t alert) {
  const AlertName* a = find_alert(alert);
  return a ? a->name : "other";
}

FailureInfo classify_error(uint32_t packed_error) {
  FailureInfo f;
  if (packed_error == 0) {
    f.kind = Failure::Other;
    f.detail = "no error in the BoringSSL queue";
    return f;
  }
  char buf[256];
  ERR_error_string_n(packed_error, buf, sizeof(buf));
  f.detail = buf;
  if (ERR_GET_LIB(packed_error) != ERR_LIB_SSL) {
    f.kind = Failure::Other;
    return f;
  }
  const int reason = ERR_GET_REASON(packed_error);
  // Alerts received from the peer are reported as SSL_AD_REASON_OFFSET + description.
  if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    f.kind = Failure::PeerAlert;
    f.peer_alert = static_cast<uint8_t>(reason - SSL_AD_REASON_OFFSET);
    return f;
  }
  f.kind = classify_ssl_reason(reason);
  return f;
}

FailureInfo classify_error_queue() {
  uint32_t first = 0;
  uint32_t first_ssl = 0;
  while (const uint32_t e = ERR_get_error()) {
    if (first == 0) first = e;
    if (first_ssl == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL) first_ssl = e;
  }
  return classify_error(first_ssl != 0 ? first_ssl : first);
}

}  // namespace intransit::tls
