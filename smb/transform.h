// SMB 3.x message encryption: build and open TRANSFORM messages ([MS-SMB2] 2.2.41, 3.1.4.3,
// 3.2.5.1.1.1). AES-GCM comes from BoringSSL's EVP_AEAD; AES-CCM from smb/ccm.h (see there
// why). The inspector never calls these: the gateway holds no keys.
//
// TRANSFORM_HEADER: ProtocolId FD 'SMB' | Signature(16) = AEAD tag | Nonce(16) |
// OriginalMessageSize(4) | Reserved(2) | Flags(2) = 0x0001 | SessionId(8), then the
// ciphertext. The AEAD nonce is the first 11 (CCM) or 12 (GCM) bytes of Nonce; the AAD is
// header bytes 20..51.
#pragma once

#include <cstdint>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "smb/types.h"

namespace intransit::smb {

// encrypt_message returns the TRANSFORM message (header + ciphertext) carrying `message`
// (one SMB2 message or compound chain) for session `session_id`, sealed with `key` (the
// sender's EncryptionKey, key_bytes(cipher) long). `nonce` is either nonce_bytes(cipher) long
// (the rest of the Nonce field is zero) or 16 bytes, copied to the Nonce field verbatim (the
// reserved tail is then authenticated as part of the AAD, as in Microsoft's 3.0 vector).
// The caller must never reuse a nonce with the same key.
Result<Bytes> encrypt_message(Cipher cipher, BytesView key, BytesView nonce, uint64_t session_id,
                              BytesView message);

// decrypt_message opens a TRANSFORM message (header + ciphertext, no NBSS header) with `key`
// (the receiver's DecryptionKey) and returns the SMB2 message. Fails (label "bad_transform")
// when the header is not a TRANSFORM_HEADER with Flags 0x0001 and a ciphertext of
// OriginalMessageSize bytes, and ("auth_failed") when the tag does not verify.
Result<Bytes> decrypt_message(Cipher cipher, BytesView key, BytesView transform);

}  // namespace intransit::smb
