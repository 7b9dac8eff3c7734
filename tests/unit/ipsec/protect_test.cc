// SK and SKF protection (RFC 7296 §3.14, RFC 5282, RFC 7634, RFC 7383): round trips for
// every cipher, tamper detection, fragmentation and reassembly rules.
#include "ipsec/ike/protect.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"

namespace intransit::ipsec::ike {
namespace {

struct CipherCase {
  Cipher encr;
  IntegAlg integ;
};

SkCipher make(const CipherCase& c, uint8_t seed) {
  Bytes e(cipher_key_bytes(c.encr), seed), a(integ_key_bytes(c.integ), seed ^ 0x5a);
  auto k = SkCipher::make(c.encr, c.integ, e, a);
  REQUIRE(k);
  return std::move(*k);
}

IvSource counter_iv() {
  auto n = std::make_shared<uint64_t>(0);
  return [n](std::span<uint8_t> out) {
    uint64_t v = ++*n;
    for (size_t i = out.size(); i-- > 0; v >>= 8) out[i] = static_cast<uint8_t>(v);
  };
}

Header header() {
  Header h;
  h.spi_i = 0x0102030405060708ULL;
  h.spi_r = 0x1112131415161718ULL;
  h.exchange = static_cast<uint8_t>(ExchangeType::IkeAuth);
  h.flags = kFlagInitiator;
  h.message_id = 1;
  return h;
}

std::vector<Payload> inner(size_t cert_bytes) {
  return {Payload{PayloadType::IdI, false, IdPayload{2, Bytes{'a', 'b'}}},
          Payload{PayloadType::Cert, false, CertPayload{4, Bytes(cert_bytes, 0x30)}},
          Payload{PayloadType::Auth, false, AuthPayload{14, Bytes(100, 7)}},
          make_notify(NotifyType::InitialContact)};
}

const auto kCases = std::vector<CipherCase>{
    {Cipher{EncrAlg::AesGcm16, 128}, IntegAlg::None},
    {Cipher{EncrAlg::AesGcm16, 192}, IntegAlg::None},
    {Cipher{EncrAlg::AesGcm16, 256}, IntegAlg::None},
    {Cipher{EncrAlg::ChaCha20Poly1305, 256}, IntegAlg::None},
    {Cipher{EncrAlg::AesCbc, 128}, IntegAlg::HmacSha256_128},
    {Cipher{EncrAlg::AesCbc, 256}, IntegAlg::HmacSha512_256},
};

TEST_CASE("ipsec: SK payloads round-trip and refuse tampering", "[ipsec][sk]") {
  const CipherCase c = GENERATE(from_range(kCases));
  INFO(name(c.encr) << "/" << name(c.integ));
  const SkCipher k = make(c, 1);
  const SkCipher other = make(c, 2);
  auto dg = seal_message(header(), inner(50), k, counter_iv());
  REQUIRE(dg.size() == 1);
  auto d = decode(dg[0]);
  REQUIRE(d);
  REQUIRE(d->encrypted);
  CHECK(d->encrypted->type == PayloadType::Sk);
  CHECK(d->header.length == dg[0].size());
  auto out = open_sk(dg[0], *d, k);
  REQUIRE(out);
  CHECK(*out == inner(50));
  CHECK_FALSE(open_sk(dg[0], *d, other));
  // Flip one bit anywhere (header, SK header, IV, ciphertext or ICV): refused.
  for (size_t i = 0; i < dg[0].size(); i += 7) {
    Bytes bad = dg[0];
    bad[i] ^= 0x04;
    auto bd = decode(bad);
    if (!bd || !bd->encrypted) continue;
    auto r = open_sk(bad, *bd, k);
    INFO("byte " << i);
    CHECK_FALSE(r);
  }
}

TEST_CASE("ipsec: the AEAD IV is never reused by the SA's counter", "[ipsec][sk]") {
  const SkCipher k = make(kCases[2], 3);
  auto iv = counter_iv();
  auto a = seal_message(header(), inner(10), k, iv);
  auto b = seal_message(header(), inner(10), k, iv);
  CHECK(a[0] != b[0]);
  CHECK(Bytes(a[0].begin() + 32, a[0].begin() + 40) != Bytes(b[0].begin() + 32, b[0].begin() + 40));
}

TEST_CASE("ipsec: large messages are fragmented and reassembled (RFC 7383)",
          "[ipsec][sk][fragments]") {
  const CipherCase c = GENERATE(from_range(kCases));
  INFO(name(c.encr));
  const SkCipher k = make(c, 4);
  const size_t max = 300;
  auto dg = seal_message(header(), inner(1200), k, counter_iv(), max);
  REQUIRE(dg.size() > 3);
  for (const auto& f : dg) CHECK(f.size() <= max);
  Reassembler r(32, 65536);
  SECTION("in order") {
    for (size_t i = 0; i < dg.size(); ++i) {
      auto d = decode(dg[i]);
      REQUIRE(d);
      REQUIRE(d->encrypted->type == PayloadType::Skf);
      auto got = r.add(dg[i], *d, k);
      REQUIRE(got);
      CHECK(got->has_value() == (i + 1 == dg.size()));
      if (*got) CHECK(**got == inner(1200));
    }
    CHECK_FALSE(r.pending());
  }
  SECTION("reversed, with duplicates and a forged fragment") {
    const SkCipher other = make(c, 5);
    auto forged = seal_message(header(), inner(1200), other, counter_iv(), max);
    for (size_t n = dg.size(); n-- > 0;) {
      auto d = decode(dg[n]);
      auto fd = decode(forged[n]);
      CHECK_FALSE(r.add(forged[n], *fd, k));  // fails its ICV, not stored
      auto got = r.add(dg[n], *d, k);
      REQUIRE(got);
      if (n > 0) {
        CHECK_FALSE(got->has_value());
        auto dup = r.add(dg[n], *d, k);
        REQUIRE(dup);
        CHECK_FALSE(dup->has_value());
      } else {
        REQUIRE(got->has_value());
        CHECK(**got == inner(1200));
      }
    }
  }
  SECTION("limits") {
    Reassembler tiny(2, 65536);
    auto d = decode(dg[0]);
    CHECK_FALSE(tiny.add(dg[0], *d, k));
    Reassembler small(32, 100);
    bool refused = false;
    for (const auto& f : dg) {
      auto fd = decode(f);
      if (!small.add(f, *fd, k)) refused = true;
    }
    CHECK(refused);
  }
  SECTION("a re-fragmentation with more fragments replaces the old ones") {
    auto more = seal_message(header(), inner(1200), k, counter_iv(), 200);
    REQUIRE(more.size() > dg.size());
    auto d0 = decode(dg[0]);
    REQUIRE(r.add(dg[0], *d0, k));
    std::optional<std::vector<Payload>> done;
    for (const auto& f : more) {
      auto fd = decode(f);
      auto got = r.add(f, *fd, k);
      REQUIRE(got);
      if (*got) done = **got;
    }
    REQUIRE(done);
    CHECK(*done == inner(1200));
    // Fragments of the old, smaller set are now refused.
    auto d1 = decode(dg[1]);
    auto m1 = decode(more[0]);
    REQUIRE(r.add(more[0], *m1, k));
    CHECK_FALSE(r.add(dg[1], *d1, k));
  }
}

TEST_CASE("ipsec: SkCipher refuses wrong key sizes", "[ipsec][sk]") {
  CHECK_FALSE(SkCipher::make(Cipher{EncrAlg::AesGcm16, 256}, IntegAlg::None, Bytes(32), {}));
  CHECK_FALSE(SkCipher::make(Cipher{EncrAlg::AesGcm16, 256}, IntegAlg::HmacSha256_128, Bytes(36),
                             Bytes(32)));
  CHECK_FALSE(SkCipher::make(Cipher{EncrAlg::AesCbc, 128}, IntegAlg::None, Bytes(16), {}));
  CHECK_FALSE(
      SkCipher::make(Cipher{EncrAlg::AesCbc, 128}, IntegAlg::HmacSha256_128, Bytes(16), Bytes(16)));
}

}  // namespace
}  // namespace intransit::ipsec::ike
