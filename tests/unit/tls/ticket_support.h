// Test support for session tickets and OCSP staples: ticket key files, a context fixture
// that builds one ServerContext per "replica" from files in a temporary directory, ticket
// helpers, and a DER OCSPResponse builder (BoringSSL has no OCSP API; the builder writes
// RFC 6960 structures with CBB and a dummy signature, which the gateway never checks).
#pragma once

#include <openssl/base64.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/rand.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "tls/ocsp.h"
#include "tls/ticket_keys.h"
#include "tls_support.h"

namespace intransit::tls::test {

// --- ticket keys ---------------------------------------------------------------------------

// random_key returns 80 random bytes: a ticket key in the file's layout.
inline std::string random_key() {
  std::string k(kTicketKeyBytes, '\0');
  RAND_bytes(reinterpret_cast<uint8_t*>(k.data()), k.size());
  return k;
}

inline std::string base64(std::string_view raw) {
  size_t len = 0;
  EVP_EncodedLength(&len, raw.size());
  std::string out(len, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  out.resize(n);
  return out;
}

// key_file_text returns one base64 line per key.
inline std::string key_file_text(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += base64(k) + "\n";
  return out;
}

inline std::string key_name(const std::string& key) {
  return key.substr(0, kTicketKeyNameBytes);
}

// ticket_name returns the key name a session's ticket starts with ("" without a ticket).
inline std::string ticket_name(const SSL_SESSION* s) {
  const uint8_t* t = nullptr;
  size_t len = 0;
  SSL_SESSION_get0_ticket(s, &t, &len);
  if (len < kTicketKeyNameBytes) return {};
  return std::string(reinterpret_cast<const char*>(t), kTicketKeyNameBytes);
}

inline bssl::UniquePtr<SSL_SESSION> up_ref(SSL_SESSION* s) {
  if (s) SSL_SESSION_up_ref(s);
  return bssl::UniquePtr<SSL_SESSION>(s);
}

// build_or_errors builds a context and returns the errors (empty on success; `out` set).
inline policy::ConfigErrors build_or_errors(const policy::TlsPolicy& tls, ServerContextPtr* out,
                                            const ContextOptions& opts = {}) {
  auto r = build_server_context(tls, opts);
  if (!r) return r.error();
  if (out) *out = *r;
  return {};
}

// --- OCSP responses --------------------------------------------------------------------------

inline std::string generalized_time(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
  return buf;
}

struct OcspOptions {
  uint8_t response_status = 0;  // 0 successful; anything else: no responseBytes
  OcspCertStatus status = OcspCertStatus::Good;
  int64_t this_update = now_unix() - 3600;
  std::optional<int64_t> next_update = now_unix() + 7 * 86400;
  bool sha256 = false;                 // CertID hash algorithm (else SHA-1)
  const X509* name_hash_of = nullptr;  // hash this certificate's subject instead of the issuer
  bool wrong_serial = false;
};

// make_ocsp returns a DER OCSPResponse about `leaf`, issued by `issuer` (the leaf itself when
// null, for self-signed test certificates).
inline std::string make_ocsp(X509* leaf, X509* issuer, const OcspOptions& o = {}) {
  X509* ca = issuer ? issuer : leaf;
  const EVP_MD* md = o.sha256 ? EVP_sha256() : EVP_sha1();
  static const uint8_t kSha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
  static const uint8_t kSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
  static const uint8_t kBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
  static const uint8_t kEcdsaSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

  const uint8_t* name_der = nullptr;
  size_t name_len = 0;
  X509_NAME* hashed_name =
      o.name_hash_of ? X509_get_subject_name(o.name_hash_of) : X509_get_issuer_name(leaf);
  X509_NAME_get0_der(hashed_name, &name_der, &name_len);
  uint8_t name_hash[EVP_MAX_MD_SIZE];
  unsigned name_hash_len = 0;
  EVP_Digest(name_der, name_len, name_hash, &name_hash_len, md, nullptr);
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(ca);
  uint8_t key_hash[EVP_MAX_MD_SIZE];
  unsigned key_hash_len = 0;
  EVP_Digest(ASN1_STRING_get0_data(key), static_cast<size_t>(ASN1_STRING_length(key)), key_hash,
             &key_hash_len, md, nullptr);
  const uint8_t* ca_name_der = nullptr;
  size_t ca_name_len = 0;
  X509_NAME_get0_der(X509_get_subject_name(ca), &ca_name_der, &ca_name_len);
  bssl::UniquePtr<ASN1_INTEGER> serial(ASN1_INTEGER_dup(X509_get_serialNumber(leaf)));
  if (o.wrong_serial) ASN1_INTEGER_set(serial.get(), 999999);
  uint8_t* serial_der = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(serial.get(), &serial_der);
  bssl::UniquePtr<uint8_t> serial_owner(serial_der);

  auto add_time = [](CBB* parent, int64_t t) {
    CBB c;
    const std::string s = generalized_time(t);
    CBB_add_asn1(parent, &c, CBS_ASN1_GENERALIZEDTIME);
    CBB_add_bytes(&c, reinterpret_cast<const uint8_t*>(s.data()), s.size());
    CBB_flush(parent);
  };

  bssl::ScopedCBB cbb;
  CBB_init(cbb.get(), 1024);
  CBB resp, status, wrapper, bytes, oid, octets, basic, tbs, responder, list, single, cert_id, alg,
      alg_oid, h1, h2, st, sig_alg, sig_oid, sig;
  CBB_add_asn1(cbb.get(), &resp, CBS_ASN1_SEQUENCE);
  CBB_add_asn1(&resp, &status, CBS_ASN1_ENUMERATED);
  CBB_add_u8(&status, o.response_status);
  if (o.response_status == 0) {
    CBB_add_asn1(&resp, &wrapper, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0);
    CBB_add_asn1(&wrapper, &bytes, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&bytes, &oid, CBS_ASN1_OBJECT);
    CBB_add_bytes(&oid, kBasic, sizeof(kBasic));
    CBB_add_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING);
    CBB_add_asn1(&octets, &basic, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&basic, &tbs, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&tbs, &responder, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1);
    CBB_add_bytes(&responder, ca_name_der, ca_name_len);
    add_time(&tbs, o.this_update);  // producedAt
    CBB_add_asn1(&tbs, &list, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&list, &single, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&single, &cert_id, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&cert_id, &alg, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&alg, &alg_oid, CBS_ASN1_OBJECT);
    if (o.sha256) {
      CBB_add_bytes(&alg_oid, kSha256, sizeof(kSha256));
    } else {
      CBB_add_bytes(&alg_oid, kSha1, sizeof(kSha1));
    }
    CBB_add_asn1(&alg, &h1, CBS_ASN1_NULL);
    CBB_add_asn1(&cert_id, &h1, CBS_ASN1_OCTETSTRING);
    CBB_add_bytes(&h1, name_hash, name_hash_len);
    CBB_add_asn1(&cert_id, &h2, CBS_ASN1_OCTETSTRING);
    CBB_add_bytes(&h2, key_hash, key_hash_len);
    CBB_add_bytes(&cert_id, serial_der, static_cast<size_t>(serial_len));
    switch (o.status) {
      case OcspCertStatus::Good:
        CBB_add_asn1(&single, &st, CBS_ASN1_CONTEXT_SPECIFIC | 0);
        break;
      case OcspCertStatus::Revoked:
        CBB_add_asn1(&single, &st, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1);
        add_time(&st, o.this_update - 86400);
        break;
      case OcspCertStatus::Unknown:
        CBB_add_asn1(&single, &st, CBS_ASN1_CONTEXT_SPECIFIC | 2);
        break;
    }
    CBB_flush(&single);
    add_time(&single, o.this_update);
    if (o.next_update) {
      CBB next;
      CBB_add_asn1(&single, &next, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0);
      add_time(&next, *o.next_update);
    }
    CBB_add_asn1(&basic, &sig_alg, CBS_ASN1_SEQUENCE);
    CBB_add_asn1(&sig_alg, &sig_oid, CBS_ASN1_OBJECT);
    CBB_add_bytes(&sig_oid, kEcdsaSha256, sizeof(kEcdsaSha256));
    CBB_add_asn1(&basic, &sig, CBS_ASN1_BITSTRING);
    const uint8_t dummy[] = {0x00, 0x30, 0x00};
    CBB_add_bytes(&sig, dummy, sizeof(dummy));
  }
  uint8_t* out = nullptr;
  size_t out_len = 0;
  if (!CBB_finish(cbb.get(), &out, &out_len)) throw std::runtime_error("make_ocsp: CBB");
  std::string der(reinterpret_cast<char*>(out), out_len);
  OPENSSL_free(out);
  return der;
}

// CaChain is a test CA and a leaf it signed, for OCSP tests (CertID needs the issuer).
struct CaChain {
  bssl::UniquePtr<X509> ca;
  bssl::UniquePtr<X509> leaf;
  std::string chain_pem;  // leaf, then CA
  EVP_PKEY* leaf_key = nullptr;
};

inline CaChain make_ca_chain(std::vector<std::string> names, int slot = 0) {
  CaChain c;
  EVP_PKEY* ca_key = key(KeyKind::P256, 100 + slot);
  c.ca = make_cert(ca_key, {.cn = "intransit test CA " + std::to_string(slot)});
  c.leaf_key = key(KeyKind::P256, 200 + slot);
  CertOptions o;
  o.cn = names.front();
  o.dns = std::move(names);
  c.leaf = make_cert(c.leaf_key, o, ca_key, c.ca.get());
  c.chain_pem = pem(c.leaf.get()) + pem(c.ca.get());
  return c;
}

}  // namespace intransit::tls::test
