// Session ticket keys shared by every replica: the ticket key file, its parser, and the
// BoringSSL ticket callback that encrypts with the first key and decrypts with any of them.
// The format and the rotation procedure are in tls/README.md, "Session tickets".
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gateway/base/result.h"
#include "tls/file_reader.h"

namespace intransit::tls {

// kTicketKeyNameBytes, kTicketHmacKeyBytes and kTicketAesKeyBytes make up one key of the
// file, in this order (the layout of nginx's and Envoy's 80-byte keys).
inline constexpr size_t kTicketKeyNameBytes = 16;
inline constexpr size_t kTicketHmacKeyBytes = 32;
inline constexpr size_t kTicketAesKeyBytes = 32;
inline constexpr size_t kTicketKeyBytes =
    kTicketKeyNameBytes + kTicketHmacKeyBytes + kTicketAesKeyBytes;  // 80

// kMaxTicketKeys bounds the keys in one file.
inline constexpr size_t kMaxTicketKeys = 64;

// TicketKeys is the content of one ticket key file: one or more keys; the first encrypts
// new tickets, every key decrypts. It is immutable once parsed and safe to share between
// threads. The key bytes are wiped (OPENSSL_cleanse) on destruction and are never logged or
// put into an error message; only key names (which every ticket carries in clear) are
// shown, and only as a short fingerprint.
class TicketKeys {
 public:
  // parse reads the contents of a ticket key file. Two forms are accepted:
  //   - text: one base64-encoded (RFC 4648, with padding) 80-byte key per line; blank lines
  //     and lines starting with '#' are ignored; surrounding spaces and CR are ignored. A
  //     file whose bytes are all printable ASCII, tabs, CR and LF is read as text;
  //   - binary: anything else, read as N × 80 raw bytes (nginx's file format, concatenated).
  // It fails, saying why (with the line number for the text form), on: no key, a line that
  // is not base64, a key that is not 80 bytes (48-byte AES-128 keys included), a binary
  // length that is not a multiple of 80, more than kMaxTicketKeys keys, two keys with the
  // same name. The input is not modified; the caller wipes it.
  static Result<std::shared_ptr<const TicketKeys>> parse(std::string_view contents);

  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // size returns the number of keys (at least one).
  size_t size() const { return count_; }

  // name returns the 16-byte name of key `i` (< size()). Names are public: they prefix every
  // ticket in clear.
  std::span<const uint8_t, kTicketKeyNameBytes> name(size_t i) const;

  // name_fingerprint returns the first 4 bytes of key `i`'s name in hex, for log lines.
  std::string name_fingerprint(size_t i) const;

  // find returns the index of the key named `name`, or -1.
  int find(std::span<const uint8_t, kTicketKeyNameBytes> name) const;

 private:
  struct Key {
    uint8_t name[kTicketKeyNameBytes];
    uint8_t hmac_key[kTicketHmacKeyBytes];
    uint8_t aes_key[kTicketAesKeyBytes];
  };
  friend int ticket_key_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv,
                                 EVP_CIPHER_CTX* cipher_ctx, HMAC_CTX* hmac_ctx, int encrypt);

  TicketKeys(std::unique_ptr<Key[]> keys, size_t count);

  std::unique_ptr<Key[]> keys_;
  size_t count_ = 0;
};

using TicketKeysPtr = std::shared_ptr<const TicketKeys>;

// read_ticket_key_file reads `path` through `files` and parses it. It refuses a file that
// grants any access to group or other (mode & 077, as for private keys; see
// secret_mode_problem), and wipes the file contents it read. The error's `detail` is an
// operator-facing reason that never contains key bytes.
Result<TicketKeysPtr> read_ticket_key_file(const FileReader& files, const std::string& path);

// install_ticket_keys makes `ctx` seal every session ticket (TLS 1.2 and TLS 1.3) under
// keys->name(0), and open tickets under any key of `keys`, with the RFC 5077 §4 construction
// BoringSSL's ticket callback expects: key name (16) | IV (16) | AES-256-CBC ciphertext |
// HMAC-SHA256 over all that (32), keys taken from the file. When opening:
//   - a name that is not in `keys` (a retired key, another deployment's ticket) → the ticket
//     is ignored and the handshake is a full one;
//   - the first key → resumed;
//   - any other key → resumed, and the ticket is renewed under the first key (TLS 1.2 sends
//     a NewSessionTicket in the abbreviated handshake; a TLS 1.3 server sends new tickets
//     after every handshake anyway).
// `ctx` keeps `keys` alive until it is freed. BoringSSL's own rotating ticket key is no
// longer used. It returns false (and changes nothing) on allocation failure.
bool install_ticket_keys(SSL_CTX* ctx, TicketKeysPtr keys);

// installed_ticket_keys returns the keys install_ticket_keys put on `ctx`, or null.
const TicketKeys* installed_ticket_keys(const SSL_CTX* ctx);

// ticket_key_callback is the SSL_CTX_set_tlsext_ticket_key_cb callback install_ticket_keys
// sets; exposed for tests. It finds the keys through installed_ticket_keys.
int ticket_key_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher_ctx,
                        HMAC_CTX* hmac_ctx, int encrypt);

}  // namespace intransit::tls
