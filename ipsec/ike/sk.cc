#include "ipsec/ike/sk.h"

#include <openssl/cipher.h>
#include <openssl/err.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "gateway/base/assert.h"

namespace intransit::ipsec::ike {
namespace {

constexpr size_t kAeadIv = 8;
constexpr size_t kAeadTag = 16;
constexpr size_t kCbcBlock = 16;

const EVP_AEAD* aead_for(const Cipher& c) {
  if (c.alg == EncrAlg::ChaCha20Poly1305) return EVP_aead_chacha20_poly1305();
  switch (c.key_bits) {
    case 128:
      return EVP_aead_aes_128_gcm();
    case 192:
      return EVP_aead_aes_192_gcm();
    case 256:
      return EVP_aead_aes_256_gcm();
    default:
      return nullptr;
  }
}

const EVP_CIPHER* cbc_for(uint16_t bits) {
  switch (bits) {
    case 128:
      return EVP_aes_128_cbc();
    case 192:
      return EVP_aes_192_cbc();
    case 256:
      return EVP_aes_256_cbc();
    default:
      return nullptr;
  }
}

const EVP_MD* md_for(IntegAlg i) {
  switch (i) {
    case IntegAlg::HmacSha256_128:
      return EVP_sha256();
    case IntegAlg::HmacSha384_192:
      return EVP_sha384();
    case IntegAlg::HmacSha512_256:
      return EVP_sha512();
    case IntegAlg::None:
      return nullptr;
  }
  return nullptr;
}

bool cbc_crypt(const SecretBytes& key, uint16_t bits, BytesView iv, BytesView in, uint8_t* out,
               bool encrypt) {
  bssl::ScopedEVP_CIPHER_CTX ctx;
  int len1 = 0, len2 = 0;
  if (!EVP_CipherInit_ex(ctx.get(), cbc_for(bits), nullptr, key.data(), iv.data(),
                         encrypt ? 1 : 0) ||
      !EVP_CIPHER_CTX_set_padding(ctx.get(), 0) ||
      !EVP_CipherUpdate(ctx.get(), out, &len1, in.data(), static_cast<int>(in.size())) ||
      !EVP_CipherFinal_ex(ctx.get(), out + len1, &len2)) {
    return false;
  }
  return static_cast<size_t>(len1 + len2) == in.size();
}

}  // namespace

IkeResult<SkCipher> SkCipher::make(const Cipher& cipher, IntegAlg integ, BytesView sk_e,
                                   BytesView sk_a) {
  SkCipher c;
  c.cipher_ = cipher;
  c.integ_ = integ;
  if (sk_e.size() != cipher_key_bytes(cipher)) return failure(Errc::Internal);
  if (is_aead(cipher.alg)) {
    const EVP_AEAD* aead = aead_for(cipher);
    if (!aead || integ != IntegAlg::None || !sk_a.empty()) return failure(Errc::Internal);
    const size_t klen = sk_e.size() - 4;
    c.aead_.reset(EVP_AEAD_CTX_new(aead, sk_e.data(), klen, kAeadTag));
    if (!c.aead_) return failure(Errc::Internal);
    c.salt_ = SecretBytes(sk_e.subspan(klen));
    return c;
  }
  if (!cbc_for(cipher.key_bits) || !md_for(integ) || sk_a.size() != integ_key_bytes(integ)) {
    return failure(Errc::Internal);
  }
  c.key_ = SecretBytes(sk_e);
  c.mac_ = SecretBytes(sk_a);
  return c;
}

size_t SkCipher::iv_bytes() const {
  return aead_ ? kAeadIv : kCbcBlock;
}
size_t SkCipher::icv_bytes() const {
  return aead_ ? kAeadTag : integ_icv_bytes(integ_);
}

size_t SkCipher::sealed_bytes(size_t plaintext_len) const {
  size_t ct = plaintext_len + 1;  // + Pad Length
  if (!aead_) ct = (ct + kCbcBlock - 1) / kCbcBlock * kCbcBlock;
  return iv_bytes() + ct + icv_bytes();
}

Bytes SkCipher::seal(BytesView aad, BytesView plaintext, BytesView iv) const {
  INTRANSIT_ASSERT(iv.size() == iv_bytes());
  const size_t total = sealed_bytes(plaintext.size());
  const size_t ct_len = total - iv_bytes() - icv_bytes();
  // Padding (zeros) then Pad Length (§3.14). The AEADs use no padding (RFC 5282 §3.2 allows
  // any; strongSwan sends none either).
  Bytes padded(plaintext.begin(), plaintext.end());
  WipeOnExit wipe(padded);
  const size_t pad = ct_len - plaintext.size() - 1;
  padded.resize(ct_len, 0);
  padded.back() = static_cast<uint8_t>(pad);

  Bytes out(total);
  std::copy(iv.begin(), iv.end(), out.begin());
  if (aead_) {
    uint8_t nonce[12];
    std::copy(salt_.data(), salt_.data() + 4, nonce);
    std::copy(iv.begin(), iv.end(), nonce + 4);
    size_t out_len = 0;
    const int ok = EVP_AEAD_CTX_seal(aead_.get(), out.data() + iv.size(), &out_len,
                                     out.size() - iv.size(), nonce, sizeof(nonce), padded.data(),
                                     padded.size(), aad.data(), aad.size());
    INTRANSIT_ASSERT(ok == 1 && out_len == ct_len + kAeadTag);
    return out;
  }
  INTRANSIT_ASSERT(cbc_crypt(key_, cipher_.key_bits, iv, padded, out.data() + iv.size(), true));
  // ICV over the message from the first byte of the header through the ciphertext.
  bssl::ScopedHMAC_CTX h;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  INTRANSIT_ASSERT(HMAC_Init_ex(h.get(), mac_.data(), mac_.size(), md_for(integ_), nullptr) &&
                   HMAC_Update(h.get(), aad.data(), aad.size()) &&
                   HMAC_Update(h.get(), out.data(), iv.size() + ct_len) &&
                   HMAC_Final(h.get(), mac, &mac_len));
  std::copy(mac, mac + icv_bytes(), out.begin() + iv.size() + ct_len);
  return out;
}

IkeResult<Bytes> SkCipher::open(BytesView aad, BytesView body) const {
  const size_t iv_len = iv_bytes(), icv_len = icv_bytes();
  if (body.size() < iv_len + 1 + icv_len) return failure(Errc::IntegrityFailed);
  const BytesView iv = body.first(iv_len);
  const BytesView ct = body.subspan(iv_len, body.size() - iv_len - icv_len);
  Bytes plain(ct.size());
  if (aead_) {
    uint8_t nonce[12];
    std::copy(salt_.data(), salt_.data() + 4, nonce);
    std::copy(iv.begin(), iv.end(), nonce + 4);
    size_t out_len = 0;
    const BytesView sealed = body.subspan(iv_len);
    if (EVP_AEAD_CTX_open(aead_.get(), plain.data(), &out_len, plain.size(), nonce, sizeof(nonce),
                          sealed.data(), sealed.size(), aad.data(), aad.size()) != 1 ||
        out_len != ct.size()) {
      ERR_clear_error();
      return failure(Errc::IntegrityFailed);
    }
  } else {
    if (ct.size() % kCbcBlock != 0) return failure(Errc::IntegrityFailed);
    bssl::ScopedHMAC_CTX h;
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    if (!HMAC_Init_ex(h.get(), mac_.data(), mac_.size(), md_for(integ_), nullptr) ||
        !HMAC_Update(h.get(), aad.data(), aad.size()) ||
        !HMAC_Update(h.get(), body.data(), iv_len + ct.size()) ||
        !HMAC_Final(h.get(), mac, &mac_len)) {
      return failure(Errc::Internal);
    }
    if (!constant_time_equal(BytesView(mac, icv_len), body.last(icv_len))) {
      return failure(Errc::IntegrityFailed);
    }
    if (!cbc_crypt(key_, cipher_.key_bits, iv, ct, plain.data(), false)) {
      return failure(Errc::IntegrityFailed);
    }
  }
  const size_t pad = plain.back();
  if (pad + 1 > plain.size()) return failure(Errc::IntegrityFailed);
  plain.resize(plain.size() - pad - 1);
  return plain;
}

}  // namespace intransit::ipsec::ike
