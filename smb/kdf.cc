#include "smb/kdf.h"

#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string_view>

#include "gateway/base/assert.h"

namespace intransit::smb {
namespace {

// MS-SMB2 writes labels and contexts with their terminating NUL; sizeof keeps it.
template <size_t N>
BytesView lit(const char (&s)[N]) {
  return BytesView(reinterpret_cast<const uint8_t*>(s), N);
}

void put_u32be(uint32_t v, uint8_t out[4]) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

Bytes kdf(BytesView ki, BytesView label, BytesView context, size_t out_bytes) {
  Bytes out(out_bytes);
  sp800_108_hmac_sha256(ki, label, context, out);
  return out;
}

}  // namespace

void sp800_108_hmac_sha256(BytesView ki, BytesView label, BytesView context,
                           std::span<uint8_t> out) {
  uint8_t l_be[4];
  put_u32be(static_cast<uint32_t>(out.size() * 8), l_be);
  static constexpr uint8_t kSeparator = 0x00;
  bssl::ScopedHMAC_CTX ctx;
  size_t done = 0;
  for (uint32_t i = 1; done < out.size(); ++i) {
    uint8_t i_be[4];
    put_u32be(i, i_be);
    uint8_t block[SHA256_DIGEST_LENGTH];
    unsigned block_len = 0;
    const bool ok = HMAC_Init_ex(ctx.get(), ki.data(), ki.size(), EVP_sha256(), nullptr) == 1 &&
                    HMAC_Update(ctx.get(), i_be, sizeof i_be) == 1 &&
                    HMAC_Update(ctx.get(), label.data(), label.size()) == 1 &&
                    HMAC_Update(ctx.get(), &kSeparator, 1) == 1 &&
                    HMAC_Update(ctx.get(), context.data(), context.size()) == 1 &&
                    HMAC_Update(ctx.get(), l_be, sizeof l_be) == 1 &&
                    HMAC_Final(ctx.get(), block, &block_len) == 1;
    INTRANSIT_ASSERT(ok && block_len == sizeof block);  // only fails on allocation failure
    const size_t n = std::min(out.size() - done, sizeof block);
    std::copy(block, block + n, out.begin() + static_cast<std::ptrdiff_t>(done));
    OPENSSL_cleanse(block, sizeof block);
    done += n;
  }
}

SessionKeys::~SessionKeys() {
  for (Bytes* b : {&signing, &application, &client_to_server, &server_to_client}) {
    if (!b->empty()) OPENSSL_cleanse(b->data(), b->size());
  }
}

Result<SessionKeys> derive_session_keys(Dialect dialect, Cipher cipher, BytesView full_session_key,
                                        BytesView preauth_hash) {
  if (full_session_key.empty()) return fail("empty_session_key");
  // [MS-SMB2] 3.3.5.5.3: Session.SessionKey is the first 16 bytes of the GSS key, padded.
  uint8_t session_key[16] = {0};
  std::copy_n(full_session_key.begin(), std::min<size_t>(16, full_session_key.size()), session_key);
  const BytesView sk(session_key, sizeof session_key);
  // [MS-SMB2] 3.2.5.3.1: AES-256 cipher keys come from Session.FullSessionKey with L = 256.
  const bool aes256 = key_bytes(cipher) == 32;
  const BytesView cipher_ki = aes256 ? full_session_key : sk;
  const size_t cipher_bytes = key_bytes(cipher);
  SessionKeys k;
  switch (dialect) {
    case Dialect::Smb300:
    case Dialect::Smb302:
      k.signing = kdf(sk, lit("SMB2AESCMAC"), lit("SmbSign"), 16);
      k.application = kdf(sk, lit("SMB2APP"), lit("SmbRpc"), 16);
      k.client_to_server = kdf(cipher_ki, lit("SMB2AESCCM"), lit("ServerIn "), cipher_bytes);
      k.server_to_client = kdf(cipher_ki, lit("SMB2AESCCM"), lit("ServerOut"), cipher_bytes);
      break;
    case Dialect::Smb311:
      if (preauth_hash.size() != PreauthHash::kBytes) return fail("bad_preauth_hash");
      k.signing = kdf(sk, lit("SMBSigningKey"), preauth_hash, 16);
      k.application = kdf(sk, lit("SMBAppKey"), preauth_hash, 16);
      k.client_to_server = kdf(cipher_ki, lit("SMBC2SCipherKey"), preauth_hash, cipher_bytes);
      k.server_to_client = kdf(cipher_ki, lit("SMBS2CCipherKey"), preauth_hash, cipher_bytes);
      break;
  }
  OPENSSL_cleanse(session_key, sizeof session_key);
  return k;
}

void PreauthHash::update(BytesView message) {
  bssl::ScopedEVP_MD_CTX ctx;
  const bool ok = EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), value_.data(), value_.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), message.data(), message.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), value_.data(), nullptr) == 1;
  INTRANSIT_ASSERT(ok);
}

}  // namespace intransit::smb
