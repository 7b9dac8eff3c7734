// SMB 3.x key derivation ([MS-SMB2] 3.1.4.2, 3.2.5.3.1, 3.3.5.5.3): the [SP800-108]
// counter-mode KDF with HMAC-SHA256, the 3.0 and 3.1.1 labels and contexts, and the 3.1.1
// preauth integrity hash ([MS-SMB2] 3.2.5.2, 3.3.5.4). The inspector never uses these: the
// gateway holds no keys. They serve the tests (published and captured vectors) and a later
// terminating mode.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "smb/types.h"

namespace intransit::smb {

// sp800_108_hmac_sha256 fills `out` with [SP800-108] §5.1 counter-mode output, PRF
// HMAC-SHA256, r = 32, L = 8 * out.size():
//   K(i) = HMAC-SHA256(ki, [i]_32be || label || 0x00 || context || [L]_32be), i = 1, 2, ...
// `label` and `context` are passed as MS-SMB2 writes them, terminating NUL included; the 0x00
// separator is added here.
void sp800_108_hmac_sha256(BytesView ki, BytesView label, BytesView context,
                           std::span<uint8_t> out);

// SessionKeys are the keys of one SMB 3.x session. Wiped on destruction.
struct SessionKeys {
  Bytes signing;
  Bytes application;
  // client_to_server is the client's EncryptionKey = the server's DecryptionKey (Samba:
  // "ServerIn"); server_to_client the other way ("ServerOut").
  Bytes client_to_server;
  Bytes server_to_client;

  SessionKeys() = default;
  SessionKeys(const SessionKeys&) = default;
  SessionKeys& operator=(const SessionKeys&) = default;
  ~SessionKeys();
};

// derive_session_keys derives a session's keys from the GSS session key `full_session_key`
// (Session.FullSessionKey; its first 16 bytes, zero-padded, are Session.SessionKey) and, for
// 3.1.1, the session's 64-byte preauth integrity hash. Signing and application keys are 16
// bytes; the cipher keys are 16 bytes, or 32 derived from the full key for the AES-256
// ciphers ([MS-SMB2] 3.2.5.3.1). Fails for an empty session key or a 3.1.1 hash that is not
// 64 bytes.
Result<SessionKeys> derive_session_keys(Dialect dialect, Cipher cipher, BytesView full_session_key,
                                        BytesView preauth_hash);

// PreauthHash is the 3.1.1 preauth integrity hash, SHA-512: H0 is 64 zero bytes and each
// message (a whole SMB2 message, no NBSS header) gives Hi = SHA-512(Hi-1 || message). The
// connection's hash covers NEGOTIATE request and response; a session's continues from it over
// every SESSION_SETUP request and every response except the final successful one.
class PreauthHash {
 public:
  static constexpr size_t kBytes = 64;
  PreauthHash() { value_.fill(0); }
  void update(BytesView message);
  const std::array<uint8_t, kBytes>& value() const { return value_; }

 private:
  std::array<uint8_t, kBytes> value_;
};

}  // namespace intransit::smb
