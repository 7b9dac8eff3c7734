// OCSP staples: a small DER reader for RFC 6960 OCSPResponse, enough to decide whether a
// pre-fetched response file may be stapled (RFC 6066 §8) for a certificate. BoringSSL (API
// 17) has no OCSP parser; this one reads with CBS. It checks the structure, the status and
// that the response is about the certificate; it does not verify the responder's signature
// (the client does that, against its own trust store).
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string_view>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"

namespace intransit::tls {

// OcspCertStatus is a SingleResponse's certStatus (RFC 6960 §4.2.1).
enum class OcspCertStatus : uint8_t { Good, Revoked, Unknown };

// name returns "good", "revoked" or "unknown".
std::string_view name(OcspCertStatus s);

// OcspResponseInfo is what parse_ocsp_response learned about the response for one
// certificate. Times are seconds since the epoch.
struct OcspResponseInfo {
  OcspCertStatus status = OcspCertStatus::Unknown;
  int64_t produced_at_unix = 0;
  int64_t this_update_unix = 0;
  // next_update_unix is 0 when the response has no nextUpdate (RFC 6960 §2.4: newer
  // information is always available); such a response never goes stale by itself.
  int64_t next_update_unix = 0;
};

// parse_ocsp_response reads `der`, a DER OCSPResponse, and returns the SingleResponse for
// `leaf`. It fails (label, operator-facing detail) when:
//   - `der` is not a DER OCSPResponse (a PEM file included: the detail says to convert);
//   - responseStatus is not successful (malformedRequest, tryLater, unauthorized, ...);
//   - responseBytes is missing or not id-pkix-ocsp-basic;
//   - no SingleResponse names `leaf`: CertID.serialNumber must equal the leaf's serial, and
//     when the hash algorithm is SHA-1/SHA-256/SHA-384/SHA-512, issuerNameHash must be the
//     hash of the leaf's issuer name and, when `issuer` (the next certificate of the chain)
//     is given, issuerKeyHash the hash of its public key.
// Timeliness (thisUpdate, nextUpdate) is left to the caller.
Result<OcspResponseInfo> parse_ocsp_response(BytesView der, X509* leaf, X509* issuer);

}  // namespace intransit::tls
