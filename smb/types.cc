#include "smb/types.h"

#include "gateway/base/text.h"

namespace intransit::smb {

std::optional<Dialect> smb3_dialect(uint16_t wire) {
  switch (wire) {
    case 0x0300:
      return Dialect::Smb300;
    case 0x0302:
      return Dialect::Smb302;
    case 0x0311:
      return Dialect::Smb311;
    default:
      return std::nullopt;
  }
}

std::string_view label(Dialect d) {
  switch (d) {
    case Dialect::Smb300:
      return "3.0";
    case Dialect::Smb302:
      return "3.0.2";
    case Dialect::Smb311:
      return "3.1.1";
  }
  return "?";
}

std::optional<Cipher> cipher_from_wire(uint16_t wire) {
  switch (wire) {
    case 1:
      return Cipher::Aes128Ccm;
    case 2:
      return Cipher::Aes128Gcm;
    case 3:
      return Cipher::Aes256Ccm;
    case 4:
      return Cipher::Aes256Gcm;
    default:
      return std::nullopt;
  }
}

std::string_view label(Cipher c) {
  switch (c) {
    case Cipher::Aes128Ccm:
      return "AES-128-CCM";
    case Cipher::Aes128Gcm:
      return "AES-128-GCM";
    case Cipher::Aes256Ccm:
      return "AES-256-CCM";
    case Cipher::Aes256Gcm:
      return "AES-256-GCM";
  }
  return "?";
}

std::optional<Cipher> parse_cipher(std::string_view name) {
  for (Cipher c : kAllCiphers) {
    if (iequals(name, label(c))) return c;
  }
  return std::nullopt;
}

size_t key_bytes(Cipher c) {
  switch (c) {
    case Cipher::Aes128Ccm:
    case Cipher::Aes128Gcm:
      return 16;
    case Cipher::Aes256Ccm:
    case Cipher::Aes256Gcm:
      return 32;
  }
  return 0;
}

size_t nonce_bytes(Cipher c) {
  switch (c) {
    case Cipher::Aes128Ccm:
    case Cipher::Aes256Ccm:
      return 11;
    case Cipher::Aes128Gcm:
    case Cipher::Aes256Gcm:
      return 12;
  }
  return 0;
}

}  // namespace intransit::smb
