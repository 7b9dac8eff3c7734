#include "smb/ccm.h"

#include <openssl/mem.h>

#include <algorithm>
#include <cstring>

namespace intransit::smb {
namespace {

constexpr size_t kBlock = 16;

// CbcMac absorbs bytes into the CBC-MAC state X (SP800-38C §6.1 steps 2-4).
class CbcMac {
 public:
  explicit CbcMac(const AES_KEY* key) : key_(key) {}
  void absorb(const uint8_t* p, size_t len) {
    while (len > 0) {
      const size_t take = std::min(kBlock - n_, len);
      std::memcpy(buf_ + n_, p, take);
      n_ += take;
      p += take;
      len -= take;
      if (n_ == kBlock) block();
    }
  }
  // pad completes a partial block with zeros (the formatting of SP800-38C A.2.2, A.2.3).
  void pad() {
    if (n_ == 0) return;
    std::memset(buf_ + n_, 0, kBlock - n_);
    block();
  }
  const uint8_t* x() const { return x_; }
  ~CbcMac() {
    OPENSSL_cleanse(x_, sizeof x_);
    OPENSSL_cleanse(buf_, sizeof buf_);
  }

 private:
  void block() {
    for (size_t i = 0; i < kBlock; ++i) x_[i] ^= buf_[i];
    AES_encrypt(x_, x_, key_);
    n_ = 0;
  }
  const AES_KEY* key_;
  uint8_t x_[kBlock] = {0};
  uint8_t buf_[kBlock] = {0};
  size_t n_ = 0;
};

// sizes_ok checks SP800-38C A.1: nonce 7..13 bytes, payload length fits q = 15 - n bytes.
bool sizes_ok(BytesView nonce, size_t payload) {
  if (nonce.size() < 7 || nonce.size() > 13) return false;
  const size_t q = 15 - nonce.size();
  return q >= 8 || payload < (uint64_t{1} << (8 * q));
}

// counter_block builds A_i: flags (q - 1) || nonce || [i]_q ([RFC 3610] 2.3).
void counter_block(BytesView nonce, uint64_t i, uint8_t out[kBlock]) {
  const size_t q = 15 - nonce.size();
  out[0] = static_cast<uint8_t>(q - 1);
  std::memcpy(out + 1, nonce.data(), nonce.size());
  for (size_t k = 0; k < q; ++k)
    out[kBlock - 1 - k] = static_cast<uint8_t>(k < 8 ? i >> (8 * k) : 0);
}

}  // namespace

Result<AesCcm> AesCcm::make(BytesView key, size_t tag_bytes) {
  if (key.size() != 16 && key.size() != 32) return fail("bad_key_length");
  if (tag_bytes < 4 || tag_bytes > 16 || tag_bytes % 2 != 0) return fail("bad_tag_length");
  AesCcm c;
  if (AES_set_encrypt_key(key.data(), static_cast<unsigned>(key.size() * 8), &c.key_) != 0)
    return fail("bad_key");
  c.tag_bytes_ = tag_bytes;
  return c;
}

AesCcm::~AesCcm() {
  OPENSSL_cleanse(&key_, sizeof key_);
}

bool AesCcm::mac(BytesView nonce, BytesView aad, BytesView payload, uint8_t out[16]) const {
  // B0 ([RFC 3610] 2.2): flags = Adata(0x40) | ((M - 2) / 2) << 3 | (q - 1), nonce, [len]_q.
  const size_t q = 15 - nonce.size();
  uint8_t b0[kBlock];
  b0[0] = static_cast<uint8_t>((aad.empty() ? 0 : 0x40) | (((tag_bytes_ - 2) / 2) << 3) | (q - 1));
  std::memcpy(b0 + 1, nonce.data(), nonce.size());
  const uint64_t len = payload.size();
  for (size_t k = 0; k < q; ++k)
    b0[kBlock - 1 - k] = static_cast<uint8_t>(k < 8 ? len >> (8 * k) : 0);
  CbcMac m(&key_);
  m.absorb(b0, sizeof b0);
  if (!aad.empty()) {
    // The AAD length encoding of SP800-38C A.2.2.
    uint8_t enc[10];
    size_t enc_len = 0;
    const uint64_t a = aad.size();
    if (a < 0xFF00) {
      enc[0] = static_cast<uint8_t>(a >> 8);
      enc[1] = static_cast<uint8_t>(a);
      enc_len = 2;
    } else if (a <= 0xFFFFFFFFull) {
      enc[0] = 0xFF;
      enc[1] = 0xFE;
      for (size_t k = 0; k < 4; ++k) enc[2 + k] = static_cast<uint8_t>(a >> (24 - 8 * k));
      enc_len = 6;
    } else {
      enc[0] = 0xFF;
      enc[1] = 0xFF;
      for (size_t k = 0; k < 8; ++k) enc[2 + k] = static_cast<uint8_t>(a >> (56 - 8 * k));
      enc_len = 10;
    }
    m.absorb(enc, enc_len);
    m.absorb(aad.data(), aad.size());
    m.pad();
  }
  m.absorb(payload.data(), payload.size());
  m.pad();
  std::memcpy(out, m.x(), kBlock);
  return true;
}

void AesCcm::ctr(BytesView nonce, BytesView in, std::span<uint8_t> out, uint8_t s0[16]) const {
  uint8_t a0[kBlock];
  counter_block(nonce, 0, a0);
  AES_encrypt(a0, s0, &key_);
  uint8_t ivec[kBlock];
  counter_block(nonce, 1, ivec);
  uint8_t ecount[kBlock] = {0};
  unsigned num = 0;
  // The counter field is the last q bytes; sizes_ok guarantees it never carries into the
  // nonce, so BoringSSL's 128-bit big-endian increment is the CCM increment.
  if (!in.empty()) AES_ctr128_encrypt(in.data(), out.data(), in.size(), &key_, ivec, ecount, &num);
  OPENSSL_cleanse(ecount, sizeof ecount);
}

bool AesCcm::seal(BytesView nonce, BytesView aad, BytesView plaintext,
                  std::span<uint8_t> ciphertext, std::span<uint8_t> tag) const {
  if (!sizes_ok(nonce, plaintext.size()) || ciphertext.size() != plaintext.size() ||
      tag.size() != tag_bytes_)
    return false;
  uint8_t t[kBlock], s0[kBlock];
  mac(nonce, aad, plaintext, t);  // before ctr: plaintext and ciphertext may alias
  ctr(nonce, plaintext, ciphertext, s0);
  for (size_t i = 0; i < tag_bytes_; ++i) tag[i] = t[i] ^ s0[i];
  OPENSSL_cleanse(t, sizeof t);
  OPENSSL_cleanse(s0, sizeof s0);
  return true;
}

bool AesCcm::open(BytesView nonce, BytesView aad, BytesView ciphertext, BytesView tag,
                  std::span<uint8_t> plaintext) const {
  if (!sizes_ok(nonce, ciphertext.size()) || plaintext.size() != ciphertext.size() ||
      tag.size() != tag_bytes_) {
    std::fill(plaintext.begin(), plaintext.end(), 0);
    return false;
  }
  uint8_t t[kBlock], s0[kBlock];
  ctr(nonce, ciphertext, plaintext, s0);
  mac(nonce, aad, plaintext, t);
  for (size_t i = 0; i < tag_bytes_; ++i) t[i] ^= s0[i];
  const bool ok = CRYPTO_memcmp(t, tag.data(), tag_bytes_) == 0;
  OPENSSL_cleanse(t, sizeof t);
  OPENSSL_cleanse(s0, sizeof s0);
  if (!ok) std::fill(plaintext.begin(), plaintext.end(), 0);
  return ok;
}

}  // namespace intransit::smb
