// SMB vocabulary shared by the codecs, the inspector, the crypto and the glue: dialects,
// ciphers and the set of ciphers a policy allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace intransit::smb {

// Dialect is an SMB 3.x dialect revision ([MS-SMB2] 2.2.3). Older dialects never reach a
// session: the inspector drops them, so they have no enumerator.
enum class Dialect : uint16_t {
  Smb300 = 0x0300,
  Smb302 = 0x0302,
  Smb311 = 0x0311,
};

// Wire values of dialect revisions the inspector names in its rules ([MS-SMB2] 2.2.3).
inline constexpr uint16_t kDialect202 = 0x0202;
inline constexpr uint16_t kDialect210 = 0x0210;
inline constexpr uint16_t kDialectWildcard = 0x02FF;  // SMB1 → SMB2 upgrade answer only

// smb3_dialect returns the Dialect for a wire value, or nullopt for anything that is not
// 3.0, 3.0.2 or 3.1.1.
std::optional<Dialect> smb3_dialect(uint16_t wire);

// label returns "3.0", "3.0.2" or "3.1.1" (metric label values).
std::string_view label(Dialect d);

// Cipher is an SMB 3.x encryption algorithm, with its [MS-SMB2] 2.2.3.1.2 wire id. 3.0 and
// 3.0.2 always use AES-128-CCM.
enum class Cipher : uint16_t {
  Aes128Ccm = 1,
  Aes128Gcm = 2,
  Aes256Ccm = 3,
  Aes256Gcm = 4,
};

inline constexpr Cipher kAllCiphers[] = {Cipher::Aes128Ccm, Cipher::Aes128Gcm, Cipher::Aes256Ccm,
                                         Cipher::Aes256Gcm};

// cipher_from_wire returns the Cipher for a wire id, or nullopt for 0 ("no common cipher")
// and for ids this gateway does not know.
std::optional<Cipher> cipher_from_wire(uint16_t wire);

// label returns "AES-128-CCM", "AES-128-GCM", "AES-256-CCM" or "AES-256-GCM" (the names
// Samba and the policy file use; also the metric label values).
std::string_view label(Cipher c);

// parse_cipher accepts the names `label` returns, case-insensitively.
std::optional<Cipher> parse_cipher(std::string_view name);

// key_bytes returns 16 for the AES-128 ciphers and 32 for the AES-256 ones.
size_t key_bytes(Cipher c);
// nonce_bytes returns the AEAD nonce length: 11 for CCM, 12 for GCM ([MS-SMB2] 2.2.41).
size_t nonce_bytes(Cipher c);

// CipherSet is a set of ciphers (a policy's allowed list).
class CipherSet {
 public:
  constexpr CipherSet() = default;
  static constexpr CipherSet all() {
    CipherSet s;
    for (Cipher c : kAllCiphers) s.add(c);
    return s;
  }
  constexpr void add(Cipher c) { bits_ |= bit(c); }
  constexpr bool contains(Cipher c) const { return (bits_ & bit(c)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(CipherSet, CipherSet) = default;

 private:
  static constexpr uint8_t bit(Cipher c) {
    return static_cast<uint8_t>(1u << static_cast<unsigned>(c));
  }
  uint8_t bits_ = 0;
};

}  // namespace intransit::smb
