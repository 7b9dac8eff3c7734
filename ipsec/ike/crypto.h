// The IKE crypto primitives, all through BoringSSL: the PRFs and prf+ (RFC 7296 §2.13), the
// hashes used by NAT detection and CERTREQ, and the key exchange groups 14 (MODP-2048,
// RFC 3526), 19/20 (ECP-256/384, RFC 5903) and 31 (Curve25519, RFC 8031).
#pragma once

#include <cstdint>
#include <memory>

#include "gateway/base/bytes.h"
#include "ipsec/algorithms.h"
#include "ipsec/ike/errors.h"
#include "ipsec/rng.h"
#include "ipsec/secret.h"

namespace intransit::ipsec::ike {

// prf computes prf(key, data) with HMAC (RFC 4868 §2.1.2: any key length is accepted).
SecretBytes prf(PrfAlg alg, BytesView key, BytesView data);

// prf_plus computes the first `n` bytes of prf+(key, seed) = T1 | T2 | … with
// T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (RFC 7296 §2.13). `n` must not exceed
// 255 times the PRF output (the counter is one octet); larger requests abort (our bug).
SecretBytes prf_plus(PrfAlg alg, BytesView key, BytesView seed, size_t n);

// sha1 returns the SHA-1 digest (NAT detection §2.23, CERTREQ authorities §3.7).
Bytes sha1(BytesView data);

// KeyExchange is one side of an ephemeral key exchange. The private value never leaves
// the object and is wiped on destruction.
class KeyExchange {
 public:
  virtual ~KeyExchange() = default;
  virtual DhGroup group() const = 0;
  // public_value is the Key Exchange Data of the KE payload (§3.4): the MODP value
  // left-padded to the prime's length, x|y for ECP (RFC 5903 §7), u for X25519 (RFC 8031).
  virtual const Bytes& public_value() const = 0;
  // shared computes g^ir from the peer's KE data. It fails with BadKeyExchange when the
  // data has the wrong length or is not a valid public value (a point off the curve, a MODP
  // value outside 2..p-2, an all-zero X25519 result).
  virtual IkeResult<SecretBytes> shared(BytesView peer) const = 0;
};

// make_key_exchange draws a private value from `rng` and computes the public value.
// Returns null for DhGroup::None.
std::unique_ptr<KeyExchange> make_key_exchange(DhGroup group, Rng& rng);

// key_exchange_from_private builds a key exchange from a known private value (test
// vectors): a big-endian scalar for ECP/MODP, the 32-byte scalar for X25519. Returns null
// when the value is unusable (zero, or not below the group order).
std::unique_ptr<KeyExchange> key_exchange_from_private(DhGroup group, BytesView priv);

}  // namespace intransit::ipsec::ike
