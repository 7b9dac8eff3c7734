#include "tls/ocsp.h"

#include <openssl/asn1.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>

#include <cstring>
#include <optional>
#include <string>

namespace intransit::tls {
namespace {

constexpr unsigned kExplicit0 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0;
constexpr unsigned kExplicit1 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;
constexpr unsigned kExplicit2 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2;
constexpr unsigned kImplicitGood = CBS_ASN1_CONTEXT_SPECIFIC | 0;                            // NULL
constexpr unsigned kImplicitRevoked = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;  // SEQ
constexpr unsigned kImplicitUnknown = CBS_ASN1_CONTEXT_SPECIFIC | 2;                         // NULL

// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1 (RFC 6960 §4.2.1), DER contents.
constexpr uint8_t kOidOcspBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
// Hash algorithms CertID may use.
constexpr uint8_t kOidSha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
constexpr uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr uint8_t kOidSha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
constexpr uint8_t kOidSha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

bool cbs_equal(const CBS& c, std::span<const uint8_t> want) {
  return CBS_len(&c) == want.size() && std::memcmp(CBS_data(&c), want.data(), want.size()) == 0;
}

const EVP_MD* digest_for(const CBS& oid) {
  if (cbs_equal(oid, kOidSha1)) return EVP_sha1();
  if (cbs_equal(oid, kOidSha256)) return EVP_sha256();
  if (cbs_equal(oid, kOidSha384)) return EVP_sha384();
  if (cbs_equal(oid, kOidSha512)) return EVP_sha512();
  return nullptr;
}

bool hash_equals(const EVP_MD* md, const uint8_t* data, size_t len, const CBS& want) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned out_len = 0;
  if (!EVP_Digest(data, len, out, &out_len, md, nullptr)) return false;
  return CBS_len(&want) == out_len && CRYPTO_memcmp(CBS_data(&want), out, out_len) == 0;
}

// days_from_civil returns days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// generalized_time reads a DER GeneralizedTime ("YYYYMMDDHHMMSS[.f+]Z", RFC 5280 §4.1.2.5.2
// profile, fractions tolerated) as seconds since the epoch.
std::optional<int64_t> generalized_time(CBS* cbs) {
  CBS t;
  if (!CBS_get_asn1(cbs, &t, CBS_ASN1_GENERALIZEDTIME)) return std::nullopt;
  const std::string_view s(reinterpret_cast<const char*>(CBS_data(&t)), CBS_len(&t));
  if (s.size() < 15 || s.back() != 'Z') return std::nullopt;
  auto num = [&](size_t off, size_t n) -> std::optional<unsigned> {
    unsigned v = 0;
    for (size_t i = off; i < off + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
  };
  const auto year = num(0, 4), mon = num(4, 2), day = num(6, 2), hour = num(8, 2), min = num(10, 2),
             sec = num(12, 2);
  if (!year || !mon || !day || !hour || !min || !sec) return std::nullopt;
  if (*mon < 1 || *mon > 12 || *day < 1 || *day > 31 || *hour > 23 || *min > 59 || *sec > 59) {
    return std::nullopt;
  }
  if (s.size() > 15) {  // fractional seconds: ".d+" before the Z
    if (s[14] != '.' || s.size() < 17) return std::nullopt;
    for (size_t i = 15; i + 1 < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
    }
  }
  return days_from_civil(*year, *mon, *day) * 86400 + *hour * 3600 + *min * 60 + *sec;
}

std::string_view response_status_name(uint8_t v) {
  switch (v) {
    case 1:
      return "malformedRequest";
    case 2:
      return "internalError";
    case 3:
      return "tryLater";
    case 5:
      return "sigRequired";
    case 6:
      return "unauthorized";
    default:
      return "not defined";
  }
}

Unexpected<Error> malformed(std::string_view where) {
  return fail("malformed", "not a valid DER OCSPResponse (RFC 6960): bad " + std::string(where));
}

}  // namespace

std::string_view name(OcspCertStatus s) {
  switch (s) {
    case OcspCertStatus::Good:
      return "good";
    case OcspCertStatus::Revoked:
      return "revoked";
    case OcspCertStatus::Unknown:
      return "unknown";
  }
  return "unknown";
}

Result<OcspResponseInfo> parse_ocsp_response(BytesView der, X509* leaf, X509* issuer) {
  if (der.size() >= 5 && std::memcmp(der.data(), "-----", 5) == 0) {
    return fail("pem",
                "the file is PEM text; a DER OCSPResponse is expected (openssl ocsp "
                "-respout writes DER)");
  }
  CBS in, resp, status;
  CBS_init(&in, der.data(), der.size());
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT
  //                              ResponseBytes OPTIONAL }
  if (!CBS_get_asn1(&in, &resp, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0) {
    return malformed("outer SEQUENCE");
  }
  if (!CBS_get_asn1(&resp, &status, CBS_ASN1_ENUMERATED) || CBS_len(&status) != 1) {
    return malformed("responseStatus");
  }
  const uint8_t status_value = CBS_data(&status)[0];
  if (status_value != 0) {
    return fail("status", "responseStatus is " + std::string(response_status_name(status_value)) +
                              " (" + std::to_string(status_value) + "), not successful");
  }
  CBS bytes_wrapper, bytes, type, octets, basic;
  int present = 0;
  if (!CBS_get_optional_asn1(&resp, &bytes_wrapper, &present, kExplicit0) || !present) {
    return malformed("responseBytes (missing)");
  }
  // ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
  if (!CBS_get_asn1(&bytes_wrapper, &bytes, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&bytes, &type, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING)) {
    return malformed("responseBytes");
  }
  if (!cbs_equal(type, kOidOcspBasic)) {
    return fail("type", "responseType is not id-pkix-ocsp-basic");
  }
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm
  //     AlgorithmIdentifier, signature BIT STRING, certs [0] EXPLICIT ... OPTIONAL }
  CBS tbs, responder, list;
  if (!CBS_get_asn1(&octets, &basic, CBS_ASN1_SEQUENCE) || CBS_len(&octets) != 0 ||
      !CBS_get_asn1(&basic, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&basic, nullptr, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&basic, nullptr, CBS_ASN1_BITSTRING)) {
    return malformed("BasicOCSPResponse");
  }
  // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID ResponderID,
  //     producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse, ... }
  unsigned responder_tag = 0;
  if (!CBS_get_optional_asn1(&tbs, nullptr, &present, kExplicit0) ||
      !CBS_get_any_asn1(&tbs, &responder, &responder_tag) ||
      (responder_tag != kExplicit1 && responder_tag != kExplicit2)) {
    return malformed("ResponseData.responderID");
  }
  OcspResponseInfo info;
  const auto produced = generalized_time(&tbs);
  if (!produced) return malformed("ResponseData.producedAt");
  info.produced_at_unix = *produced;
  if (!CBS_get_asn1(&tbs, &list, CBS_ASN1_SEQUENCE)) return malformed("ResponseData.responses");

  // What the leaf's CertID must say.
  uint8_t* serial_der = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(X509_get_serialNumber(leaf), &serial_der);
  bssl::UniquePtr<uint8_t> serial_owner(serial_der);
  if (serial_len <= 0) return fail("internal", "cannot encode the certificate's serial number");
  const uint8_t* issuer_name_der = nullptr;
  size_t issuer_name_len = 0;
  if (!X509_NAME_get0_der(X509_get_issuer_name(leaf), &issuer_name_der, &issuer_name_len)) {
    ERR_clear_error();
    return fail("internal", "cannot encode the certificate's issuer name");
  }
  const ASN1_BIT_STRING* issuer_key = issuer ? X509_get0_pubkey_bitstr(issuer) : nullptr;

  bool other_issuer = false;
  size_t count = 0;
  while (CBS_len(&list) > 0) {
    CBS single, cert_id, alg, alg_oid, name_hash, key_hash, serial, cert_status;
    unsigned status_tag = 0;
    // SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate
    //     GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, ... }
    // CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
    //     issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
    if (!CBS_get_asn1(&list, &single, CBS_ASN1_SEQUENCE) ||
        !CBS_get_asn1(&single, &cert_id, CBS_ASN1_SEQUENCE) ||
        !CBS_get_asn1(&cert_id, &alg, CBS_ASN1_SEQUENCE) ||
        !CBS_get_asn1(&alg, &alg_oid, CBS_ASN1_OBJECT) ||
        !CBS_get_asn1(&cert_id, &name_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1(&cert_id, &key_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1_element(&cert_id, &serial, CBS_ASN1_INTEGER) ||
        !CBS_get_any_asn1(&single, &cert_status, &status_tag)) {
      return malformed("SingleResponse");
    }
    ++count;
    OcspCertStatus st;
    if (status_tag == kImplicitGood && CBS_len(&cert_status) == 0) {
      st = OcspCertStatus::Good;
    } else if (status_tag == kImplicitRevoked) {
      st = OcspCertStatus::Revoked;
    } else if (status_tag == kImplicitUnknown && CBS_len(&cert_status) == 0) {
      st = OcspCertStatus::Unknown;
    } else {
      return malformed("SingleResponse.certStatus");
    }
    const auto this_update = generalized_time(&single);
    if (!this_update) return malformed("SingleResponse.thisUpdate");
    CBS next_wrapper;
    if (!CBS_get_optional_asn1(&single, &next_wrapper, &present, kExplicit0)) {
      return malformed("SingleResponse.nextUpdate");
    }
    std::optional<int64_t> next_update;
    if (present) {
      next_update = generalized_time(&next_wrapper);
      if (!next_update || CBS_len(&next_wrapper) != 0) {
        return malformed("SingleResponse.nextUpdate");
      }
    }
    if (!cbs_equal(serial, {serial_der, static_cast<size_t>(serial_len)})) continue;
    if (const EVP_MD* md = digest_for(alg_oid)) {
      bool same = hash_equals(md, issuer_name_der, issuer_name_len, name_hash);
      if (same && issuer_key != nullptr) {
        same = hash_equals(md, ASN1_STRING_get0_data(issuer_key),
                           static_cast<size_t>(ASN1_STRING_length(issuer_key)), key_hash);
      }
      if (!same) {
        other_issuer = true;
        continue;
      }
    }
    info.status = st;
    info.this_update_unix = *this_update;
    info.next_update_unix = next_update.value_or(0);
    return info;
  }
  if (count == 0) return malformed("ResponseData.responses (empty)");
  return fail("other_certificate",
              other_issuer ? "the response is for a certificate with the same serial number "
                             "from another issuer"
                           : "the response is not about this certificate (no response for "
                             "its serial number)");
}

}  // namespace intransit::tls
