#include "ipsec/ike/crypto.h"

#include <openssl/bn.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/sha.h>

#include "gateway/base/assert.h"

namespace intransit::ipsec::ike {
namespace {

const EVP_MD* prf_md(PrfAlg alg) {
  switch (alg) {
    case PrfAlg::HmacSha256:
      return EVP_sha256();
    case PrfAlg::HmacSha384:
      return EVP_sha384();
    case PrfAlg::HmacSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

// --- X25519 (RFC 7748, RFC 8031) ---------------------------------------------------------

class X25519Exchange final : public KeyExchange {
 public:
  explicit X25519Exchange(BytesView priv) : priv_(priv), pub_(32) {
    X25519_public_from_private(pub_.data(), priv_.data());
  }
  DhGroup group() const override { return DhGroup::Curve25519; }
  const Bytes& public_value() const override { return pub_; }
  IkeResult<SecretBytes> shared(BytesView peer) const override {
    if (peer.size() != 32) return failure(Errc::BadKeyExchange);
    SecretBytes out(32);
    // X25519 returns zero for an all-zero result, which RFC 8031 §2.2 says to reject.
    if (X25519(out.data(), priv_.data(), peer.data()) != 1) {
      return failure(Errc::BadKeyExchange);
    }
    return out;
  }

 private:
  SecretBytes priv_;
  Bytes pub_;
};

// --- ECP groups (RFC 5903) -----------------------------------------------------------------

class EcpExchange final : public KeyExchange {
 public:
  static std::unique_ptr<EcpExchange> make(DhGroup g, BytesView priv) {
    const int nid = g == DhGroup::Ecp256 ? NID_X9_62_prime256v1 : NID_secp384r1;
    bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(nid));
    if (!key) return nullptr;
    const EC_GROUP* group = EC_KEY_get0_group(key.get());
    bssl::UniquePtr<BIGNUM> d(BN_bin2bn(priv.data(), priv.size(), nullptr));
    if (!d || BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group)) >= 0) {
      return nullptr;
    }
    bssl::UniquePtr<EC_POINT> pub(EC_POINT_new(group));
    if (!pub || !EC_POINT_mul(group, pub.get(), d.get(), nullptr, nullptr, nullptr) ||
        !EC_KEY_set_private_key(key.get(), d.get()) ||
        !EC_KEY_set_public_key(key.get(), pub.get())) {
      return nullptr;
    }
    const size_t coord = dh_public_bytes(g) / 2;
    Bytes oct(1 + 2 * coord);
    if (EC_POINT_point2oct(group, pub.get(), POINT_CONVERSION_UNCOMPRESSED, oct.data(), oct.size(),
                           nullptr) != oct.size()) {
      return nullptr;
    }
    auto x = std::unique_ptr<EcpExchange>(new EcpExchange(g, std::move(key)));
    // RFC 5903 §7: the KE data is x | y without the 0x04 point-format octet.
    x->pub_.assign(oct.begin() + 1, oct.end());
    return x;
  }
  DhGroup group() const override { return g_; }
  const Bytes& public_value() const override { return pub_; }
  IkeResult<SecretBytes> shared(BytesView peer) const override {
    if (peer.size() != dh_public_bytes(g_)) return failure(Errc::BadKeyExchange);
    const EC_GROUP* group = EC_KEY_get0_group(key_.get());
    Bytes oct(1 + peer.size());
    oct[0] = POINT_CONVERSION_UNCOMPRESSED;
    std::copy(peer.begin(), peer.end(), oct.begin() + 1);
    bssl::UniquePtr<EC_POINT> p(EC_POINT_new(group));
    // EC_POINT_oct2point rejects points that are not on the curve.
    if (!p || !EC_POINT_oct2point(group, p.get(), oct.data(), oct.size(), nullptr)) {
      return failure(Errc::BadKeyExchange);
    }
    // RFC 5903 §7: the shared secret is the x coordinate of the shared point.
    SecretBytes out(dh_public_bytes(g_) / 2);
    if (ECDH_compute_key(out.data(), out.size(), p.get(), key_.get(), nullptr) !=
        static_cast<int>(out.size())) {
      return failure(Errc::BadKeyExchange);
    }
    return out;
  }

 private:
  EcpExchange(DhGroup g, bssl::UniquePtr<EC_KEY> key) : g_(g), key_(std::move(key)) {}
  DhGroup g_;
  bssl::UniquePtr<EC_KEY> key_;  // EC_KEY_free clears the private scalar
  Bytes pub_;
};

// --- MODP group 14 (RFC 3526 §3) -----------------------------------------------------------

constexpr const char kModp2048Hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

class ModpExchange final : public KeyExchange {
 public:
  static std::unique_ptr<ModpExchange> make(BytesView priv) {
    auto x = std::unique_ptr<ModpExchange>(new ModpExchange());
    BIGNUM* p = nullptr;
    if (!BN_hex2bn(&p, kModp2048Hex)) return nullptr;
    x->p_.reset(p);
    x->x_.reset(BN_bin2bn(priv.data(), priv.size(), nullptr));
    x->ctx_.reset(BN_CTX_new());
    if (!x->x_ || !x->ctx_ || BN_is_zero(x->x_.get())) return nullptr;
    x->mont_.reset(BN_MONT_CTX_new_for_modulus(x->p_.get(), x->ctx_.get()));
    bssl::UniquePtr<BIGNUM> g(BN_new()), y(BN_new());
    if (!x->mont_ || !g || !y || !BN_set_word(g.get(), 2) ||
        !BN_mod_exp_mont_consttime(y.get(), g.get(), x->x_.get(), x->p_.get(), x->ctx_.get(),
                                   x->mont_.get())) {
      return nullptr;
    }
    x->pub_.resize(256);
    if (!BN_bn2bin_padded(x->pub_.data(), x->pub_.size(), y.get())) return nullptr;
    return x;
  }
  ~ModpExchange() override {
    if (x_) BN_clear(x_.get());
  }
  DhGroup group() const override { return DhGroup::Modp2048; }
  const Bytes& public_value() const override { return pub_; }
  IkeResult<SecretBytes> shared(BytesView peer) const override {
    if (peer.size() != 256) return failure(Errc::BadKeyExchange);
    bssl::UniquePtr<BIGNUM> y(BN_bin2bn(peer.data(), peer.size(), nullptr));
    bssl::UniquePtr<BIGNUM> pm1(BN_dup(p_.get())), z(BN_new());
    if (!y || !pm1 || !z || !BN_sub_word(pm1.get(), 1)) return failure(Errc::Internal);
    // Refuse the degenerate values 0, 1 and p-1 and anything not below p (RFC 2631 §2.1.5
    // style check; RFC 7296 §2.12 leaves validation to the implementation).
    if (BN_cmp_word(y.get(), 1) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0) {
      return failure(Errc::BadKeyExchange);
    }
    if (!BN_mod_exp_mont_consttime(z.get(), y.get(), x_.get(), p_.get(), ctx_.get(), mont_.get())) {
      return failure(Errc::Internal);
    }
    // §2.14: g^ir is represented as a string of the length of the prime, zero-padded.
    SecretBytes out(256);
    if (!BN_bn2bin_padded(out.data(), out.size(), z.get())) return failure(Errc::Internal);
    BN_clear(z.get());
    return out;
  }

 private:
  ModpExchange() = default;
  bssl::UniquePtr<BIGNUM> p_, x_;
  bssl::UniquePtr<BN_CTX> ctx_;
  bssl::UniquePtr<BN_MONT_CTX> mont_;
  Bytes pub_;
};

size_t private_bytes(DhGroup g) {
  switch (g) {
    case DhGroup::Ecp256:
      return 32;
    case DhGroup::Ecp384:
      return 48;
    case DhGroup::Curve25519:
      return 32;
    // A 512-bit exponent: well above the 2 x 112-bit strength of the 2048-bit group.
    case DhGroup::Modp2048:
      return 64;
    case DhGroup::None:
      return 0;
  }
  return 0;
}

}  // namespace

SecretBytes prf(PrfAlg alg, BytesView key, BytesView data) {
  SecretBytes out(prf_output_bytes(alg));
  unsigned len = 0;
  const uint8_t* ok =
      HMAC(prf_md(alg), key.data(), key.size(), data.data(), data.size(), out.data(), &len);
  INTRANSIT_ASSERT(ok != nullptr && len == out.size());
  return out;
}

SecretBytes prf_plus(PrfAlg alg, BytesView key, BytesView seed, size_t n) {
  const size_t hlen = prf_output_bytes(alg);
  INTRANSIT_ASSERT(n <= 255 * hlen);
  SecretBytes out(n);
  SecretBytes t;  // T(i-1)
  Bytes input;
  input.reserve(hlen + seed.size() + 1);
  WipeOnExit wipe_input(input);
  size_t done = 0;
  for (unsigned i = 1; done < n; ++i) {
    input.assign(t.view().begin(), t.view().end());
    input.insert(input.end(), seed.begin(), seed.end());
    input.push_back(static_cast<uint8_t>(i));
    t = prf(alg, key, input);
    const size_t take = std::min(hlen, n - done);
    std::copy(t.data(), t.data() + take, out.data() + done);
    done += take;
  }
  return out;
}

Bytes sha1(BytesView data) {
  Bytes out(SHA_DIGEST_LENGTH);
  SHA1(data.data(), data.size(), out.data());
  return out;
}

std::unique_ptr<KeyExchange> key_exchange_from_private(DhGroup group, BytesView priv) {
  switch (group) {
    case DhGroup::Curve25519:
      if (priv.size() != 32) return nullptr;
      return std::make_unique<X25519Exchange>(priv);
    case DhGroup::Ecp256:
    case DhGroup::Ecp384:
      return EcpExchange::make(group, priv);
    case DhGroup::Modp2048:
      return ModpExchange::make(priv);
    case DhGroup::None:
      return nullptr;
  }
  return nullptr;
}

std::unique_ptr<KeyExchange> make_key_exchange(DhGroup group, Rng& rng) {
  const size_t n = private_bytes(group);
  if (n == 0) return nullptr;
  SecretBytes priv(n);
  // An ECP scalar at or above the order is redrawn; for P-256/P-384 that happens with
  // probability below 2^-32, so a handful of attempts is plenty.
  for (int attempt = 0; attempt < 16; ++attempt) {
    rng.fill(priv.span());
    if (auto kx = key_exchange_from_private(group, priv.view())) return kx;
  }
  return nullptr;
}

}  // namespace intransit::ipsec::ike
