// SkCipher protects the Encrypted payload (RFC 7296 §3.14) and Encrypted Fragment payloads
// (RFC 7383 §2.5) for one direction of an IKE SA: AES-GCM-16 (RFC 5282), ChaCha20-Poly1305
// (RFC 7634) or AES-CBC with HMAC-SHA2 (RFC 3602, RFC 4868).
//
// The protected body is IV | Ciphertext | ICV. The plaintext inside is the inner payload
// chain followed by padding and a one-octet Pad Length (§3.14). For the AEADs the
// associated data is the message from the IKE header through the SK (or SKF) header
// (RFC 5282 §5.1); for CBC the ICV is an HMAC over the message up to and including the
// ciphertext (§3.14).
#pragma once

#include <openssl/aead.h>

#include <memory>

#include "gateway/base/bytes.h"
#include "ipsec/algorithms.h"
#include "ipsec/ike/errors.h"
#include "ipsec/secret.h"

namespace intransit::ipsec::ike {

// SkCipher is one direction's SK_e (and SK_a) ready for use; immutable once made.
class SkCipher {
 public:
  // make builds a cipher from SK_e (which ends with the 4-byte salt for the AEADs, RFC 5282
  // §7.1) and SK_a (empty for the AEADs). It fails with Internal on wrong key sizes.
  static IkeResult<SkCipher> make(const Cipher& cipher, IntegAlg integ, BytesView sk_e,
                                  BytesView sk_a);

  SkCipher(SkCipher&&) noexcept = default;
  SkCipher& operator=(SkCipher&&) noexcept = default;

  // iv_bytes: 8 for the AEADs (RFC 5282 §3.1, RFC 7634 §2), 16 for AES-CBC.
  size_t iv_bytes() const;
  // icv_bytes: 16 for the AEADs, the truncated HMAC length for CBC.
  size_t icv_bytes() const;
  // sealed_bytes is the size of IV | Ciphertext | ICV for `plaintext_len` inner bytes.
  size_t sealed_bytes(size_t plaintext_len) const;
  // iv_is_counter is true when the IV only has to be unique (AEADs) and false when it has
  // to be unpredictable (CBC, RFC 3602 §3).
  bool iv_is_counter() const { return aead_ != nullptr; }

  // seal returns IV | Ciphertext | ICV for the inner bytes `plaintext`. `aad` is the
  // message prefix up to the end of the SK/SKF header, with the final lengths already in
  // place. `iv` must be iv_bytes() long.
  Bytes seal(BytesView aad, BytesView plaintext, BytesView iv) const;

  // open checks and decrypts `body` (IV | Ciphertext | ICV) and returns the inner bytes
  // with padding and Pad Length removed. Any failure is IntegrityFailed.
  IkeResult<Bytes> open(BytesView aad, BytesView body) const;

 private:
  SkCipher() = default;
  Cipher cipher_;
  IntegAlg integ_ = IntegAlg::None;
  bssl::UniquePtr<EVP_AEAD_CTX> aead_;
  SecretBytes salt_;  // AEAD: last 4 bytes of SK_e
  SecretBytes key_;   // CBC: the AES key
  SecretBytes mac_;   // CBC: SK_a
};

}  // namespace intransit::ipsec::ike
