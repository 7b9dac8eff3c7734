#include "smb/transform.h"

#include <openssl/aead.h>
#include <openssl/bytestring.h>

#include <openssl/mem.h>

#include <algorithm>
#include <array>

#include "smb/ccm.h"
#include "smb/header.h"

namespace intransit::smb {
namespace {

constexpr size_t kTagBytes = 16;
constexpr size_t kNonceFieldBytes = 16;
constexpr size_t kAadBytes = kTransformHeaderBytes - 20;

const EVP_AEAD* gcm_aead(Cipher c) {
  switch (c) {
    case Cipher::Aes128Gcm:
      return EVP_aead_aes_128_gcm();
    case Cipher::Aes256Gcm:
      return EVP_aead_aes_256_gcm();
    case Cipher::Aes128Ccm:
    case Cipher::Aes256Ccm:
      return nullptr;
  }
  return nullptr;
}

// seal encrypts `in` into `out` (same size) and `tag`; open is the reverse.
bool seal(Cipher c, BytesView key, BytesView nonce, BytesView aad, BytesView in,
          std::span<uint8_t> out, std::span<uint8_t> tag) {
  if (const EVP_AEAD* aead = gcm_aead(c)) {
    bssl::ScopedEVP_AEAD_CTX ctx;
    size_t tag_len = 0;
    return EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), kTagBytes, nullptr) == 1 &&
           EVP_AEAD_CTX_seal_scatter(ctx.get(), out.data(), tag.data(), &tag_len, tag.size(),
                                     nonce.data(), nonce.size(), in.data(), in.size(), nullptr, 0,
                                     aad.data(), aad.size()) == 1 &&
           tag_len == kTagBytes;
  }
  auto ccm = AesCcm::make(key, kTagBytes);
  return ccm && ccm->seal(nonce, aad, in, out, tag);
}

bool open(Cipher c, BytesView key, BytesView nonce, BytesView aad, BytesView in, BytesView tag,
          std::span<uint8_t> out) {
  if (const EVP_AEAD* aead = gcm_aead(c)) {
    bssl::ScopedEVP_AEAD_CTX ctx;
    return EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), kTagBytes, nullptr) == 1 &&
           EVP_AEAD_CTX_open_gather(ctx.get(), out.data(), nonce.data(), nonce.size(), in.data(),
                                    in.size(), tag.data(), tag.size(), aad.data(), aad.size()) == 1;
  }
  auto ccm = AesCcm::make(key, kTagBytes);
  return ccm && ccm->open(nonce, aad, in, tag, out);
}

}  // namespace

Result<Bytes> encrypt_message(Cipher cipher, BytesView key, BytesView nonce, uint64_t session_id,
                              BytesView message) {
  if (key.size() != key_bytes(cipher)) return fail("bad_key_length");
  if (nonce.size() != nonce_bytes(cipher) && nonce.size() != kNonceFieldBytes)
    return fail("bad_nonce_length");
  if (message.empty() || message.size() > 0xFFFFFFFFu) return fail("bad_message_length");
  // AAD = Nonce(16) | OriginalMessageSize | Reserved | Flags | SessionId ([MS-SMB2] 3.1.4.3).
  std::array<uint8_t, kNonceFieldBytes> nonce_field{};
  std::copy(nonce.begin(), nonce.end(), nonce_field.begin());
  std::array<uint8_t, kAadBytes> aad{};
  {
    CBB cbb;
    CBB_init_fixed(&cbb, aad.data(), aad.size());
    size_t len = 0;
    if (!CBB_add_bytes(&cbb, nonce_field.data(), nonce_field.size()) ||
        !CBB_add_u32le(&cbb, static_cast<uint32_t>(message.size())) || !CBB_add_u16le(&cbb, 0) ||
        !CBB_add_u16le(&cbb, kTransformEncrypted) || !CBB_add_u64le(&cbb, session_id) ||
        !CBB_finish(&cbb, nullptr, &len) || len != aad.size()) {
      CBB_cleanup(&cbb);
      return fail("internal");
    }
  }
  Bytes ciphertext(message.size());
  std::array<uint8_t, kTagBytes> tag{};
  if (!seal(cipher, key, BytesView(nonce_field).first(nonce_bytes(cipher)), aad, message,
            ciphertext, tag))
    return fail("seal_failed");
  bssl::ScopedCBB cbb;
  static constexpr uint8_t kProtocolId[] = {0xFD, 'S', 'M', 'B'};
  uint8_t* out = nullptr;
  size_t out_len = 0;
  if (!CBB_init(cbb.get(), kTransformHeaderBytes + ciphertext.size()) ||
      !CBB_add_bytes(cbb.get(), kProtocolId, sizeof kProtocolId) ||
      !CBB_add_bytes(cbb.get(), tag.data(), tag.size()) ||
      !CBB_add_bytes(cbb.get(), aad.data(), aad.size()) ||
      !CBB_add_bytes(cbb.get(), ciphertext.data(), ciphertext.size()) ||
      !CBB_finish(cbb.get(), &out, &out_len))
    return fail("internal");
  Bytes result(out, out + out_len);
  OPENSSL_free(out);
  return result;
}

Result<Bytes> decrypt_message(Cipher cipher, BytesView key, BytesView transform) {
  if (key.size() != key_bytes(cipher)) return fail("bad_key_length");
  const auto parsed = read_transform_header(transform);
  const auto* p = std::get_if<Parsed<TransformHeader>>(&parsed);
  if (!p) return fail("bad_transform");
  const TransformHeader& t = p->value;
  const BytesView ciphertext = transform.subspan(kTransformHeaderBytes);
  if (t.flags != kTransformEncrypted || ciphertext.size() != t.original_message_size)
    return fail("bad_transform");
  Bytes plain(ciphertext.size());
  if (!open(cipher, key, BytesView(t.nonce).first(nonce_bytes(cipher)), transform_aad(transform),
            ciphertext, t.signature, plain))
    return fail("auth_failed");
  return plain;
}

}  // namespace intransit::smb
