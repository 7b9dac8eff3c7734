#include "ipsec/algorithms.h"

namespace intransit::ipsec {

std::string name(const Cipher& c) {
  const std::string bits = std::to_string(c.key_bits);
  switch (c.alg) {
    case EncrAlg::AesCbc:
      return "aes" + bits;
    case EncrAlg::AesGcm16:
      return "aes" + bits + "gcm16";
    case EncrAlg::ChaCha20Poly1305:
      return "chacha20poly1305";
  }
  return "unknown";
}

std::string_view name(PrfAlg p) {
  switch (p) {
    case PrfAlg::HmacSha256:
      return "prfsha256";
    case PrfAlg::HmacSha384:
      return "prfsha384";
    case PrfAlg::HmacSha512:
      return "prfsha512";
  }
  return "unknown";
}

std::string_view name(IntegAlg i) {
  switch (i) {
    case IntegAlg::None:
      return "none";
    case IntegAlg::HmacSha256_128:
      return "sha256";
    case IntegAlg::HmacSha384_192:
      return "sha384";
    case IntegAlg::HmacSha512_256:
      return "sha512";
  }
  return "unknown";
}

std::string_view name(DhGroup g) {
  switch (g) {
    case DhGroup::None:
      return "none";
    case DhGroup::Modp2048:
      return "modp2048";
    case DhGroup::Ecp256:
      return "ecp256";
    case DhGroup::Ecp384:
      return "ecp384";
    case DhGroup::Curve25519:
      return "x25519";
  }
  return "unknown";
}

bool known_encr(uint16_t id) {
  return id == 12 || id == 20 || id == 28;
}
bool known_prf(uint16_t id) {
  return id >= 5 && id <= 7;
}
bool known_integ(uint16_t id) {
  return id == 0 || (id >= 12 && id <= 14);
}
bool known_dh(uint16_t id) {
  return id == 0 || id == 14 || id == 19 || id == 20 || id == 31;
}

}  // namespace intransit::ipsec
