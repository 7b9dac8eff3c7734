#include "ipsec/ike/keymat.h"

#include "ipsec/ike/crypto.h"

namespace intransit::ipsec::ike {
namespace {

Bytes concat(std::initializer_list<BytesView> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes be64(uint64_t v) {
  Bytes b(8);
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
  return b;
}

}  // namespace

SecretBytes skeyseed(PrfAlg prf_alg, BytesView ni, BytesView nr, BytesView g_ir) {
  const Bytes key = concat({ni, nr});
  return prf(prf_alg, key, g_ir);
}

SecretBytes rekey_skeyseed(PrfAlg old_prf, BytesView old_sk_d, BytesView g_ir, BytesView ni,
                           BytesView nr) {
  Bytes data = concat({g_ir, ni, nr});
  WipeOnExit wipe(data);
  return prf(old_prf, old_sk_d, data);
}

IkeKeys derive_ike_keys(const IkeSuite& suite, BytesView seed, BytesView ni, BytesView nr,
                        uint64_t spi_i, uint64_t spi_r) {
  const size_t prf_len = prf_output_bytes(suite.prf);
  const size_t a_len = integ_key_bytes(suite.integ);
  const size_t e_len = cipher_key_bytes(suite.encr);
  const Bytes s = concat({ni, nr, be64(spi_i), be64(spi_r)});
  const SecretBytes km = prf_plus(suite.prf, seed, s, prf_len * 3 + a_len * 2 + e_len * 2);
  IkeKeys k;
  size_t off = 0;
  auto take = [&](size_t n) {
    SecretBytes part(km.sub(off, n));
    off += n;
    return part;
  };
  k.sk_d = take(prf_len);
  k.sk_ai = take(a_len);
  k.sk_ar = take(a_len);
  k.sk_ei = take(e_len);
  k.sk_er = take(e_len);
  k.sk_pi = take(prf_len);
  k.sk_pr = take(prf_len);
  return k;
}

ChildKeys derive_child_keys(PrfAlg prf_alg, BytesView sk_d, BytesView g_ir, BytesView ni,
                            BytesView nr, const ChildSuite& suite) {
  const size_t e_len = cipher_key_bytes(suite.encr);
  const size_t a_len = integ_key_bytes(suite.integ);
  Bytes s = concat({g_ir, ni, nr});
  WipeOnExit wipe(s);
  const SecretBytes km = prf_plus(prf_alg, sk_d, s, 2 * (e_len + a_len));
  ChildKeys k;
  k.encr_i = SecretBytes(km.sub(0, e_len));
  k.integ_i = SecretBytes(km.sub(e_len, a_len));
  k.encr_r = SecretBytes(km.sub(e_len + a_len, e_len));
  k.integ_r = SecretBytes(km.sub(2 * e_len + a_len, a_len));
  return k;
}

}  // namespace intransit::ipsec::ike
