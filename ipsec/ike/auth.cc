#include "ipsec/ike/auth.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "gateway/base/c_handle.h"
#include "ipsec/ike/crypto.h"

namespace intransit::ipsec::ike {
namespace {

// DER OIDs (contents only).
constexpr uint8_t kOidEcdsaSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr uint8_t kOidEcdsaSha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr uint8_t kOidEcdsaSha512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr uint8_t kOidRsaSha256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
constexpr uint8_t kOidRsaSha384[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c};
constexpr uint8_t kOidRsaSha512[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d};
constexpr uint8_t kOidRsaPss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
constexpr uint8_t kOidMgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
constexpr uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr uint8_t kOidSha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
constexpr uint8_t kOidSha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

enum class KeyKind { Ec, Rsa, Other };

KeyKind kind_of(EVP_PKEY* k) {
  switch (EVP_PKEY_id(k)) {
    case EVP_PKEY_EC:
      return KeyKind::Ec;
    case EVP_PKEY_RSA:
      return KeyKind::Rsa;
    default:
      return KeyKind::Other;
  }
}

// Scheme is one concrete signature algorithm.
struct Scheme {
  KeyKind key = KeyKind::Ec;
  const EVP_MD* md = nullptr;
  bool pss = false;
};

const EVP_MD* md_for(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha256:
      return EVP_sha256();
    case HashAlgorithm::Sha384:
      return EVP_sha384();
    case HashAlgorithm::Sha512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

bool oid_eq(CBS oid, const uint8_t* want, size_t n) {
  return CBS_len(&oid) == n && std::memcmp(CBS_data(&oid), want, n) == 0;
}

const EVP_MD* md_from_oid(CBS oid) {
  if (oid_eq(oid, kOidSha256, sizeof(kOidSha256))) return EVP_sha256();
  if (oid_eq(oid, kOidSha384, sizeof(kOidSha384))) return EVP_sha384();
  if (oid_eq(oid, kOidSha512, sizeof(kOidSha512))) return EVP_sha512();
  return nullptr;
}

const uint8_t* hash_oid(const EVP_MD* md, size_t& n) {
  n = 9;
  if (md == EVP_sha384()) return kOidSha384;
  if (md == EVP_sha512()) return kOidSha512;
  return kOidSha256;
}

// parse_hash_alg_id reads AlgorithmIdentifier { OID, NULL OPTIONAL } of a digest.
const EVP_MD* parse_hash_alg_id(CBS* in) {
  CBS seq, oid;
  if (!CBS_get_asn1(in, &seq, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&seq, &oid, CBS_ASN1_OBJECT)) {
    return nullptr;
  }
  if (CBS_len(&seq) != 0) {
    CBS null;
    if (!CBS_get_asn1(&seq, &null, CBS_ASN1_NULL) || CBS_len(&null) != 0 || CBS_len(&seq) != 0) {
      return nullptr;
    }
  }
  return md_from_oid(oid);
}

// parse_alg_id maps an RFC 7427 AlgorithmIdentifier onto a Scheme (RFC 7427 §3, App. A).
std::optional<Scheme> parse_alg_id(BytesView der) {
  CBS in, seq, oid;
  CBS_init(&in, der.data(), der.size());
  if (!CBS_get_asn1(&in, &seq, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0 ||
      !CBS_get_asn1(&seq, &oid, CBS_ASN1_OBJECT)) {
    return std::nullopt;
  }
  struct Fixed {
    const uint8_t* oid;
    size_t len;
    KeyKind key;
    const EVP_MD* md;
  };
  const Fixed fixed[] = {
      {kOidEcdsaSha256, sizeof(kOidEcdsaSha256), KeyKind::Ec, EVP_sha256()},
      {kOidEcdsaSha384, sizeof(kOidEcdsaSha384), KeyKind::Ec, EVP_sha384()},
      {kOidEcdsaSha512, sizeof(kOidEcdsaSha512), KeyKind::Ec, EVP_sha512()},
      {kOidRsaSha256, sizeof(kOidRsaSha256), KeyKind::Rsa, EVP_sha256()},
      {kOidRsaSha384, sizeof(kOidRsaSha384), KeyKind::Rsa, EVP_sha384()},
      {kOidRsaSha512, sizeof(kOidRsaSha512), KeyKind::Rsa, EVP_sha512()},
  };
  for (const auto& f : fixed) {
    if (!oid_eq(oid, f.oid, f.len)) continue;
    // ECDSA: parameters absent (RFC 5758 §3.2); RSA: NULL or absent.
    if (CBS_len(&seq) != 0) {
      CBS null;
      if (f.key != KeyKind::Rsa || !CBS_get_asn1(&seq, &null, CBS_ASN1_NULL) ||
          CBS_len(&null) != 0 || CBS_len(&seq) != 0) {
        return std::nullopt;
      }
    }
    return Scheme{f.key, f.md, false};
  }
  if (!oid_eq(oid, kOidRsaPss, sizeof(kOidRsaPss))) return std::nullopt;
  // RSASSA-PSS-params (RFC 4055 §3.1). The defaults are SHA-1, which we refuse, so the
  // hash and MGF must be explicit; the salt must be the hash length.
  CBS params, h, m, s;
  if (!CBS_get_asn1(&seq, &params, CBS_ASN1_SEQUENCE) || CBS_len(&seq) != 0) return std::nullopt;
  if (!CBS_get_asn1(&params, &h, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      !CBS_get_asn1(&params, &m, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
    return std::nullopt;
  }
  const EVP_MD* md = parse_hash_alg_id(&h);
  CBS mseq, moid;
  if (!md || CBS_len(&h) != 0 || !CBS_get_asn1(&m, &mseq, CBS_ASN1_SEQUENCE) || CBS_len(&m) != 0 ||
      !CBS_get_asn1(&mseq, &moid, CBS_ASN1_OBJECT) || !oid_eq(moid, kOidMgf1, sizeof(kOidMgf1)) ||
      parse_hash_alg_id(&mseq) != md || CBS_len(&mseq) != 0) {
    return std::nullopt;
  }
  uint64_t salt = 20;
  if (CBS_peek_asn1_tag(&params, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2)) {
    if (!CBS_get_asn1(&params, &s, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2) ||
        !CBS_get_asn1_uint64(&s, &salt) || CBS_len(&s) != 0) {
      return std::nullopt;
    }
  }
  if (salt != EVP_MD_size(md)) return std::nullopt;
  // A trailerField, if present, must be 1 (the only defined value).
  if (CBS_len(&params) != 0) {
    CBS t;
    uint64_t trailer = 0;
    if (!CBS_get_asn1(&params, &t, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 3) ||
        !CBS_get_asn1_uint64(&t, &trailer) || trailer != 1 || CBS_len(&params) != 0) {
      return std::nullopt;
    }
  }
  return Scheme{KeyKind::Rsa, md, true};
}

bool add_hash_alg_id(CBB* parent, const EVP_MD* md) {
  CBB seq, oid, null;
  size_t n = 0;
  const uint8_t* o = hash_oid(md, n);
  return CBB_add_asn1(parent, &seq, CBS_ASN1_SEQUENCE) &&
         CBB_add_asn1(&seq, &oid, CBS_ASN1_OBJECT) && CBB_add_bytes(&oid, o, n) &&
         CBB_add_asn1(&seq, &null, CBS_ASN1_NULL) && CBB_flush(parent);
}

// encode_alg_id writes the AlgorithmIdentifier of a scheme (RFC 7427 App. A forms).
Bytes encode_alg_id(const Scheme& s) {
  bssl::ScopedCBB cbb;
  CBB seq, oid;
  if (!CBB_init(cbb.get(), 64) || !CBB_add_asn1(cbb.get(), &seq, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&seq, &oid, CBS_ASN1_OBJECT)) {
    return {};
  }
  bool ok = true;
  if (s.key == KeyKind::Ec) {
    const uint8_t* o = s.md == EVP_sha384()   ? kOidEcdsaSha384
                       : s.md == EVP_sha512() ? kOidEcdsaSha512
                                              : kOidEcdsaSha256;
    ok = CBB_add_bytes(&oid, o, 8);
  } else if (!s.pss) {
    const uint8_t* o = s.md == EVP_sha384()   ? kOidRsaSha384
                       : s.md == EVP_sha512() ? kOidRsaSha512
                                              : kOidRsaSha256;
    CBB null;
    ok = CBB_add_bytes(&oid, o, 9) && CBB_add_asn1(&seq, &null, CBS_ASN1_NULL);
  } else {
    CBB params, h, m, mseq, moid, salt;
    ok = CBB_add_bytes(&oid, kOidRsaPss, sizeof(kOidRsaPss)) &&
         CBB_add_asn1(&seq, &params, CBS_ASN1_SEQUENCE) &&
         CBB_add_asn1(&params, &h, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) &&
         add_hash_alg_id(&h, s.md) &&
         CBB_add_asn1(&params, &m, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) &&
         CBB_add_asn1(&m, &mseq, CBS_ASN1_SEQUENCE) &&
         CBB_add_asn1(&mseq, &moid, CBS_ASN1_OBJECT) &&
         CBB_add_bytes(&moid, kOidMgf1, sizeof(kOidMgf1)) && add_hash_alg_id(&mseq, s.md) &&
         CBB_add_asn1(&params, &salt, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2) &&
         CBB_add_asn1_uint64(&salt, EVP_MD_size(s.md));
  }
  if (!ok || !CBB_flush(cbb.get())) return {};
  return Bytes(CBB_data(cbb.get()), CBB_data(cbb.get()) + CBB_len(cbb.get()));
}

bool setup_pss(EVP_PKEY_CTX* pctx, const EVP_MD* md) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, -1) && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
}

std::optional<Bytes> sign_with(EVP_PKEY* key, const Scheme& s, BytesView data) {
  bssl::ScopedEVP_MD_CTX ctx;
  EVP_PKEY_CTX* pctx = nullptr;
  if (!EVP_DigestSignInit(ctx.get(), &pctx, s.md, nullptr, key)) return std::nullopt;
  if (s.pss && !setup_pss(pctx, s.md)) return std::nullopt;
  size_t len = 0;
  if (!EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size())) return std::nullopt;
  Bytes sig(len);
  if (!EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size())) return std::nullopt;
  sig.resize(len);
  return sig;
}

bool verify_with(EVP_PKEY* key, const Scheme& s, BytesView data, BytesView sig) {
  if (kind_of(key) != s.key) return false;
  bssl::ScopedEVP_MD_CTX ctx;
  EVP_PKEY_CTX* pctx = nullptr;
  if (!EVP_DigestVerifyInit(ctx.get(), &pctx, s.md, nullptr, key)) return false;
  if (s.pss && !setup_pss(pctx, s.md)) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) == 1;
}

size_t ec_order_bytes(EVP_PKEY* key) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
  if (!ec) return 0;
  return (EC_GROUP_order_bits(EC_KEY_get0_group(ec)) + 7) / 8;
}

int ec_curve(EVP_PKEY* key) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
  return ec ? EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) : 0;
}

// der_to_raw converts a DER ECDSA-Sig-Value to r | s of fixed width (RFC 4754 §7).
std::optional<Bytes> der_to_raw(BytesView der, size_t n) {
  bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_from_bytes(der.data(), der.size()));
  if (!sig) return std::nullopt;
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * n);
  if (!BN_bn2bin_padded(out.data(), n, r) || !BN_bn2bin_padded(out.data() + n, n, s)) {
    return std::nullopt;
  }
  return out;
}

std::optional<Bytes> raw_to_der(BytesView raw) {
  if (raw.empty() || raw.size() % 2 != 0) return std::nullopt;
  const size_t n = raw.size() / 2;
  bssl::UniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), n, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, n, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  uint8_t* der = nullptr;
  size_t len = 0;
  if (!ECDSA_SIG_to_bytes(&der, &len, sig.get())) return std::nullopt;
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Unexpected<Failure> auth_failed() {
  ERR_clear_error();
  return failure(Errc::AuthenticationFailed);
}

}  // namespace

Bytes signed_octets(BytesView real_message, BytesView peer_nonce, PrfAlg prf_alg, BytesView sk_p,
                    BytesView id_body) {
  const SecretBytes mac = prf(prf_alg, sk_p, id_body);
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + mac.size());
  out.insert(out.end(), real_message.begin(), real_message.end());
  out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
  out.insert(out.end(), mac.view().begin(), mac.view().end());
  return out;
}

SecretBytes psk_auth(PrfAlg prf_alg, BytesView psk, BytesView octets) {
  static constexpr std::string_view kKeyPad = "Key Pad for IKEv2";  // §2.15, no NUL
  const SecretBytes inner = prf(prf_alg, psk, as_bytes(kKeyPad));
  return prf(prf_alg, inner.view(), octets);
}

IkeResult<AuthPayload> sign_auth(EVP_PKEY* key, BytesView octets, const SignatureOptions& o) {
  const KeyKind kind = kind_of(key);
  if (kind == KeyKind::Other) return failure(Errc::Internal);
  AuthPayload out;
  if (o.use_rfc7427 && !o.peer_hashes.empty()) {
    // Prefer the hash matching the key's strength, then SHA-256, among what the peer
    // accepts (RFC 7427 §4: the hash MUST be one the peer announced).
    HashAlgorithm want = HashAlgorithm::Sha256;
    const int curve = kind == KeyKind::Ec ? ec_curve(key) : 0;
    if (curve == NID_secp384r1) want = HashAlgorithm::Sha384;
    if (curve == NID_secp521r1) want = HashAlgorithm::Sha512;
    auto peer_has = [&](HashAlgorithm h) {
      return std::find(o.peer_hashes.begin(), o.peer_hashes.end(), h) != o.peer_hashes.end();
    };
    std::optional<HashAlgorithm> pick;
    for (HashAlgorithm h :
         {want, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
      if (peer_has(h)) {
        pick = h;
        break;
      }
    }
    if (pick) {
      const Scheme s{kind, md_for(*pick), kind == KeyKind::Rsa && o.rsa_pss};
      const Bytes alg = encode_alg_id(s);
      auto sig = sign_with(key, s, octets);
      if (alg.empty() || alg.size() > 255 || !sig) return failure(Errc::Internal);
      // RFC 7427 §3: ASN.1 Length (1) | AlgorithmIdentifier | Signature Value.
      out.method = static_cast<uint8_t>(AuthMethod::DigitalSignature);
      out.data.push_back(static_cast<uint8_t>(alg.size()));
      out.data.insert(out.data.end(), alg.begin(), alg.end());
      out.data.insert(out.data.end(), sig->begin(), sig->end());
      return out;
    }
  }
  if (kind == KeyKind::Rsa) {
    // §3.8 method 1: RSASSA-PKCS1-v1_5; the hash is SHA-1 (RFC 4718 §3.2).
    auto sig = sign_with(key, Scheme{KeyKind::Rsa, EVP_sha1(), false}, octets);
    if (!sig) return failure(Errc::Internal);
    out.method = static_cast<uint8_t>(AuthMethod::Rsa);
    out.data = std::move(*sig);
    return out;
  }
  // RFC 4754: the method fixes curve and hash.
  const int curve = ec_curve(key);
  const EVP_MD* md = EVP_sha256();
  AuthMethod m = AuthMethod::EcdsaSha256P256;
  if (curve == NID_secp384r1) {
    md = EVP_sha384();
    m = AuthMethod::EcdsaSha384P384;
  } else if (curve == NID_secp521r1) {
    md = EVP_sha512();
    m = AuthMethod::EcdsaSha512P521;
  } else if (curve != NID_X9_62_prime256v1) {
    return failure(Errc::Internal);
  }
  auto der = sign_with(key, Scheme{KeyKind::Ec, md, false}, octets);
  if (!der) return failure(Errc::Internal);
  auto raw = der_to_raw(*der, ec_order_bytes(key));
  if (!raw) return failure(Errc::Internal);
  out.method = static_cast<uint8_t>(m);
  out.data = std::move(*raw);
  return out;
}

IkeResult<void> verify_auth(const AuthPayload& auth, EVP_PKEY* peer_key, BytesView octets) {
  const BytesView data(auth.data);
  switch (static_cast<AuthMethod>(auth.method)) {
    case AuthMethod::DigitalSignature: {
      if (data.empty() || data[0] == 0 || data.size() < 1u + data[0]) return auth_failed();
      auto scheme = parse_alg_id(data.subspan(1, data[0]));
      if (!scheme) return auth_failed();
      if (!verify_with(peer_key, *scheme, octets, data.subspan(1 + data[0]))) {
        return auth_failed();
      }
      return {};
    }
    case AuthMethod::Rsa:
      if (!verify_with(peer_key, Scheme{KeyKind::Rsa, EVP_sha1(), false}, octets, data)) {
        return auth_failed();
      }
      return {};
    case AuthMethod::EcdsaSha256P256:
    case AuthMethod::EcdsaSha384P384:
    case AuthMethod::EcdsaSha512P521: {
      const auto m = static_cast<AuthMethod>(auth.method);
      const int want_curve = m == AuthMethod::EcdsaSha256P256   ? NID_X9_62_prime256v1
                             : m == AuthMethod::EcdsaSha384P384 ? NID_secp384r1
                                                                : NID_secp521r1;
      const EVP_MD* md = m == AuthMethod::EcdsaSha256P256   ? EVP_sha256()
                         : m == AuthMethod::EcdsaSha384P384 ? EVP_sha384()
                                                            : EVP_sha512();
      if (kind_of(peer_key) != KeyKind::Ec || ec_curve(peer_key) != want_curve ||
          data.size() != 2 * ec_order_bytes(peer_key)) {
        return auth_failed();
      }
      auto der = raw_to_der(data);
      if (!der || !verify_with(peer_key, Scheme{KeyKind::Ec, md, false}, octets, *der)) {
        return auth_failed();
      }
      return {};
    }
    case AuthMethod::Psk:
    case AuthMethod::Dss:
      break;
  }
  return auth_failed();
}

Bytes hash_algorithms_data() {
  return {0x00, 0x02, 0x00, 0x03, 0x00, 0x04};  // SHA2-256, SHA2-384, SHA2-512
}

std::vector<HashAlgorithm> parse_hash_algorithms(BytesView data) {
  std::vector<HashAlgorithm> out;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    out.push_back(static_cast<HashAlgorithm>(uint16_t{data[i]} << 8 | data[i + 1]));
  }
  return out;
}

Bytes certreq_authorities(const std::vector<bssl::UniquePtr<X509>>& cas) {
  Bytes out;
  for (const auto& ca : cas) {
    uint8_t* der = nullptr;
    const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca.get()), &der);
    if (len <= 0) continue;
    const Bytes h = sha1(BytesView(der, static_cast<size_t>(len)));
    OPENSSL_free(der);
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

IkeResult<bssl::UniquePtr<X509>> verify_peer_certificate(
    const std::vector<const CertPayload*>& certs, const std::vector<bssl::UniquePtr<X509>>& cas,
    int64_t unix_now) {
  std::vector<bssl::UniquePtr<X509>> parsed;
  for (const CertPayload* c : certs) {
    if (c->encoding != static_cast<uint8_t>(CertEncoding::X509Signature)) continue;
    const uint8_t* p = c->data.data();
    bssl::UniquePtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(c->data.size())));
    if (!x || p != c->data.data() + c->data.size()) return auth_failed();
    parsed.push_back(std::move(x));
  }
  if (parsed.empty() || cas.empty()) return auth_failed();
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  // The stack only borrows the certificates `parsed` owns: free it without its elements
  // (bssl::UniquePtr<STACK_OF(X509)> would pop_free them).
  std::unique_ptr<STACK_OF(X509), CFree<&sk_X509_free>> chain(sk_X509_new_null());
  if (!store || !chain) return failure(Errc::Internal);
  for (const auto& ca : cas) {
    if (!X509_STORE_add_cert(store.get(), ca.get())) return failure(Errc::Internal);
  }
  for (size_t i = 1; i < parsed.size(); ++i) {
    if (!sk_X509_push(chain.get(), parsed[i].get())) return failure(Errc::Internal);
  }
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx || !X509_STORE_CTX_init(ctx.get(), store.get(), parsed[0].get(), chain.get())) {
    return failure(Errc::Internal);
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(unix_now));
  if (X509_verify_cert(ctx.get()) != 1) return auth_failed();
  ERR_clear_error();
  return std::move(parsed[0]);
}

bool identity_in_certificate(const Identity& id, X509* cert) {
  const std::string text(id.data.begin(), id.data.end());
  bool ok = false;
  switch (id.type) {
    case IdType::Fqdn:
      ok = X509_check_host(
               cert, text.data(), text.size(),
               X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
               nullptr) == 1;
      break;
    case IdType::Ipv4Addr:
    case IdType::Ipv6Addr:
      ok = X509_check_ip(cert, id.data.data(), id.data.size(), 0) == 1;
      break;
    case IdType::Rfc822Addr:
      ok = X509_check_email(cert, text.data(), text.size(), 0) == 1;
      break;
    case IdType::DerAsn1Dn: {
      uint8_t* der = nullptr;
      const int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);
      ok = len > 0 && static_cast<size_t>(len) == id.data.size() &&
           std::memcmp(der, id.data.data(), id.data.size()) == 0;
      OPENSSL_free(der);
      break;
    }
    case IdType::DerAsn1Gn:
    case IdType::KeyId:
      ok = false;
      break;
  }
  ERR_clear_error();
  return ok;
}

}  // namespace intransit::ipsec::ike
