// The transforms intransit negotiates, with their IANA "IKEv2 Transform Type" numbers
// (RFC 7296 §3.3.2), and the sizes the key schedule needs. Shared by the IKE control plane
// and the ESP data plane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace intransit::ipsec {

// EncrAlg is a Transform Type 1 ID.
enum class EncrAlg : uint16_t {
  AesCbc = 12,            // RFC 3602; RFC 8247 MUST (IKE), RFC 8221 MUST (ESP)
  AesGcm16 = 20,          // RFC 4106 / RFC 5282, 16-byte ICV
  ChaCha20Poly1305 = 28,  // RFC 7634
};

// PrfAlg is a Transform Type 2 ID.
enum class PrfAlg : uint16_t {
  HmacSha256 = 5,  // RFC 4868
  HmacSha384 = 6,
  HmacSha512 = 7,
};

// IntegAlg is a Transform Type 3 ID. None is only valid with an AEAD cipher.
enum class IntegAlg : uint16_t {
  None = 0,
  HmacSha256_128 = 12,  // RFC 4868
  HmacSha384_192 = 13,
  HmacSha512_256 = 14,
};

// DhGroup is a Transform Type 4 ID (key exchange method).
enum class DhGroup : uint16_t {
  None = 0,
  Modp2048 = 14,    // RFC 3526 §3
  Ecp256 = 19,      // RFC 5903
  Ecp384 = 20,      // RFC 5903
  Curve25519 = 31,  // RFC 8031
};

// Cipher is an encryption transform with its key length in bits.
struct Cipher {
  EncrAlg alg = EncrAlg::AesGcm16;
  uint16_t key_bits = 256;

  friend bool operator==(const Cipher&, const Cipher&) = default;
};

// is_aead is true for the combined-mode ciphers (no separate integrity transform).
constexpr bool is_aead(EncrAlg a) {
  return a != EncrAlg::AesCbc;
}

// cipher_key_bytes returns the bytes of keying material an encryption transform takes from
// prf+: the key, plus the 4-byte salt of AES-GCM (RFC 4106 §8.1, RFC 5282 §7.1) and of
// ChaCha20-Poly1305 (RFC 7634 §2, §4).
constexpr size_t cipher_key_bytes(const Cipher& c) {
  return c.key_bits / 8 + (is_aead(c.alg) ? 4 : 0);
}

// cipher_key_bits_valid checks the key length for the algorithm.
constexpr bool cipher_key_bits_valid(const Cipher& c) {
  switch (c.alg) {
    case EncrAlg::AesCbc:
    case EncrAlg::AesGcm16:
      return c.key_bits == 128 || c.key_bits == 192 || c.key_bits == 256;
    case EncrAlg::ChaCha20Poly1305:
      return c.key_bits == 256;
  }
  return false;
}

// prf_output_bytes is the output length of the PRF, which is also its preferred key length
// and the size of SK_d, SK_pi and SK_pr (RFC 7296 §2.13, §2.14).
constexpr size_t prf_output_bytes(PrfAlg p) {
  switch (p) {
    case PrfAlg::HmacSha256:
      return 32;
    case PrfAlg::HmacSha384:
      return 48;
    case PrfAlg::HmacSha512:
      return 64;
  }
  return 0;
}

// integ_key_bytes and integ_icv_bytes give the HMAC key and truncated tag lengths
// (RFC 4868 §2.1).
constexpr size_t integ_key_bytes(IntegAlg i) {
  switch (i) {
    case IntegAlg::None:
      return 0;
    case IntegAlg::HmacSha256_128:
      return 32;
    case IntegAlg::HmacSha384_192:
      return 48;
    case IntegAlg::HmacSha512_256:
      return 64;
  }
  return 0;
}
constexpr size_t integ_icv_bytes(IntegAlg i) {
  switch (i) {
    case IntegAlg::None:
      return 0;
    case IntegAlg::HmacSha256_128:
      return 16;
    case IntegAlg::HmacSha384_192:
      return 24;
    case IntegAlg::HmacSha512_256:
      return 32;
  }
  return 0;
}

// dh_public_bytes is the size of a KE payload's key exchange data for the group
// (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §3).
constexpr size_t dh_public_bytes(DhGroup g) {
  switch (g) {
    case DhGroup::None:
      return 0;
    case DhGroup::Modp2048:
      return 256;
    case DhGroup::Ecp256:
      return 64;
    case DhGroup::Ecp384:
      return 96;
    case DhGroup::Curve25519:
      return 32;
  }
  return 0;
}

// Names in strongSwan's proposal notation ("aes256gcm16", "prfsha384", "ecp384", …);
// name() of an unknown value is "unknown".
std::string name(const Cipher& c);
std::string_view name(PrfAlg p);
std::string_view name(IntegAlg i);
std::string_view name(DhGroup g);

// known_* are true for the IDs this build implements (values from the wire are checked
// with these before a cast is trusted).
bool known_encr(uint16_t id);
bool known_prf(uint16_t id);
bool known_integ(uint16_t id);
bool known_dh(uint16_t id);

}  // namespace intransit::ipsec
