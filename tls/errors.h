// Why a TLS connection failed, as a small enum with a stable label for metrics and log lines.
//
// The label set is closed (bounded metric cardinality): every BoringSSL error reason and
// every peer alert maps to one of the labels below. The glue reports
// `tls_handshake_failures_total{reason=<label>}` and logs the label plus `detail`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intransit::tls {

// Failure is the class of a failed TLS connection.
enum class Failure : uint8_t {
  None,
  // PlainHttp: the client sent a plaintext HTTP request to the TLS port. No alert is sent;
  // the glue answers with a plaintext 400 (the bytes are left in Session::pending_input()).
  PlainHttp,
  // UnsupportedProtocol: the client's highest version is below the policy's minimum (a TLS
  // 1.0/1.1-only client, SSLv3) or above what we understand. Alert: protocol_version.
  UnsupportedProtocol,
  // NoSharedCipher: no TLS 1.2 suite in common (or none usable with the certificate).
  // Alert: handshake_failure.
  NoSharedCipher,
  // NoSharedGroup: TLS 1.3 with no key-exchange group in common. Alert: handshake_failure.
  NoSharedGroup,
  // NoCommonSignatureAlgorithm: the client cannot verify any signature our key can make.
  NoCommonSignatureAlgorithm,
  // UnknownSni: the server name matched no certificate and the policy says `reject`.
  // Alert: unrecognized_name.
  UnknownSni,
  // NoApplicationProtocol: the client offered ALPN but none of its protocols is served
  // (RFC 7301 §3.2). Alert: no_application_protocol.
  NoApplicationProtocol,
  // InappropriateFallback: TLS_FALLBACK_SCSV on a downgraded retry (RFC 7507).
  InappropriateFallback,
  // Renegotiation: the client tried to renegotiate; the server never does. Alert:
  // no_renegotiation.
  Renegotiation,
  // BadRecord: a malformed, oversized or undecryptable record (includes non-TLS garbage).
  BadRecord,
  // BadHandshake: a malformed or unexpected handshake message.
  BadHandshake,
  // PeerAlert: the client sent a fatal alert; see Session::failure().peer_alert.
  PeerAlert,
  // Eof: the client closed TCP before the handshake finished (scanners, health checks, a
  // client that rejected our certificate without an alert).
  Eof,
  // Internal: our own error (allocation failure, misconfigured SSL object).
  Internal,
  // Other: any BoringSSL error not classified above; `detail` says which.
  Other,
};

// FailureInfo describes a failed connection.
struct FailureInfo {
  Failure kind = Failure::None;
  // peer_alert is the alert description the client sent (kind == PeerAlert), else 0.
  uint8_t peer_alert = 0;
  // detail is BoringSSL's error string ("error:10000410:SSL routines:...:
  // SSLV3_ALERT_HANDSHAKE_FAILURE") or our own words, for log lines only: never a label.
  std::string detail;
};

// label returns the stable metric label of `kind` ("plain_http", "no_shared_cipher", ...).
// For Failure::PeerAlert prefer `label(const FailureInfo&)`, which names the alert.
std::string_view label(Failure kind);

// label returns the stable metric label of `f`: `label(f.kind)`, or "peer_alert_<name>"
// (e.g. "peer_alert_bad_certificate") when the client sent an alert. Unknown alert numbers
// give "peer_alert_other", so the label set stays closed.
std::string_view label(const FailureInfo& f);

// alert_name returns the RFC 8446 §6 name of alert description `alert` ("bad_certificate",
// "unknown_ca", ...), or "other" for values we do not name.
std::string_view alert_name(uint8_t alert);

// classify_error maps one packed BoringSSL error to a FailureInfo with `detail` filled. A
// zero error maps to Failure::Other.
FailureInfo classify_error(uint32_t packed_error);

// classify_error_queue classifies the thread's BoringSSL error queue and empties it. It
// uses the first error from the SSL library (the TLS-level cause; a record that fails to
// decrypt, for instance, queues CIPHER_R_BAD_DECRYPT before
// SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC), else the first error.
FailureInfo classify_error_queue();

}  // namespace intransit::tls
