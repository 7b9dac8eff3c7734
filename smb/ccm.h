// AES-CCM ([NIST SP800-38C]; RFC 3610) for SMB 3.x encryption.
//
// Why our own: Debian's BoringSSL (android-libboringssl-dev) offers CCM only as
// EVP_aead_aes_128_ccm_bluetooth(_8): AES-128 only, 4- or 8-byte tags, 13-byte nonces (L = 2).
// SMB needs AES-128 and AES-256, 16-byte tags and 11-byte nonces (L = 4) ([MS-SMB2] 2.2.41,
// 3.1.4.3). This is the textbook construction on BoringSSL's AES block cipher: CBC-MAC over
// B0 || encoded AAD || plaintext, CTR for the payload with counter blocks A1.., and the tag
// encrypted with A0. Tag comparison is constant-time. Verified against the RFC 3610 packet
// vectors, the SP800-38C examples, Microsoft's SMB 3.0 vector and Samba's AES-128/256-CCM
// (tests/vectors/smb/).
#pragma once

#include <openssl/aes.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"

namespace intransit::smb {

// AesCcm is one AES key in CCM mode with a fixed tag length. Copyable; the key schedule is
// wiped on destruction.
class AesCcm {
 public:
  // make builds a CCM instance for a 16- or 32-byte key and a tag of `tag_bytes` (4, 6, ...,
  // 16; SMB uses 16).
  static Result<AesCcm> make(BytesView key, size_t tag_bytes = 16);
  ~AesCcm();
  AesCcm(const AesCcm&) = default;
  AesCcm& operator=(const AesCcm&) = default;

  size_t tag_bytes() const { return tag_bytes_; }

  // seal encrypts `plaintext` into `ciphertext` (same size) and writes the tag into `tag`
  // (tag_bytes() long). `nonce` is 7..13 bytes; the message must fit the length field that
  // leaves (2^(8*(15 - nonce.size())) bytes). Returns false on bad sizes.
  bool seal(BytesView nonce, BytesView aad, BytesView plaintext, std::span<uint8_t> ciphertext,
            std::span<uint8_t> tag) const;

  // open decrypts `ciphertext` into `plaintext` (same size) and checks `tag`. On a bad tag or
  // bad sizes it returns false and zeroes `plaintext`.
  bool open(BytesView nonce, BytesView aad, BytesView ciphertext, BytesView tag,
            std::span<uint8_t> plaintext) const;

 private:
  AesCcm() = default;
  // mac computes the CBC-MAC T (16 bytes, not yet encrypted) of B0 || AAD || payload.
  bool mac(BytesView nonce, BytesView aad, BytesView payload, uint8_t out[16]) const;
  // ctr XORs `in` with the keystream from counter block A1 into `out`; `s0` gets E(A0).
  void ctr(BytesView nonce, BytesView in, std::span<uint8_t> out, uint8_t s0[16]) const;

  AES_KEY key_{};
  size_t tag_bytes_ = 16;
};

}  // namespace intransit::smb
