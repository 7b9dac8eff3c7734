// IKE crypto primitives: RFC 5903 ECDH, RFC 7748 X25519, MODP group 14, PRFs (RFC 4231
// vectors) and prf+ (RFC 7296 §2.13), and the refusal of invalid public values.
#include "ipsec/ike/crypto.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"

namespace intransit::ipsec::ike {
namespace {

using test::hex;

TEST_CASE("ipsec: RFC 5903 ECDH vectors for groups 19 and 20", "[ipsec][crypto][vectors]") {
  const test::Vector v = GENERATE(from_range(test::load_vectors("ike/ecdh_rfc5903.txt")));
  INFO(v.file << ":" << v.line << " " << v.at("Name"));
  const auto group = static_cast<DhGroup>(std::stoi(v.at("Group")));
  auto i = key_exchange_from_private(group, v.hex("I"));
  auto r = key_exchange_from_private(group, v.hex("R"));
  REQUIRE(i);
  REQUIRE(r);
  Bytes gi = v.hex("Gix"), gr = v.hex("Grx");
  const Bytes giy = v.hex("Giy"), gry = v.hex("Gry");
  gi.insert(gi.end(), giy.begin(), giy.end());
  gr.insert(gr.end(), gry.begin(), gry.end());
  CHECK(i->public_value() == gi);
  CHECK(r->public_value() == gr);
  auto s1 = i->shared(gr);
  auto s2 = r->shared(gi);
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(to_hex(s1->view()) == to_hex(v.hex("Girx")));
  CHECK(to_hex(s2->view()) == to_hex(v.hex("Girx")));

  SECTION("a point off the curve is refused") {
    Bytes bad = gr;
    bad.back() ^= 1;
    auto s = i->shared(bad);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::BadKeyExchange);
  }
  SECTION("a wrong length is refused") {
    CHECK_FALSE(i->shared(Bytes(gr.begin(), gr.end() - 1)));
    Bytes with_prefix(gr.size() + 1, 0x04);
    std::copy(gr.begin(), gr.end(), with_prefix.begin() + 1);
    CHECK_FALSE(i->shared(with_prefix));
  }
  SECTION("scalars of zero or at the order are refused") {
    CHECK_FALSE(key_exchange_from_private(group, Bytes(v.hex("I").size(), 0)));
    CHECK_FALSE(key_exchange_from_private(group, Bytes(v.hex("I").size(), 0xff)));
  }
}

TEST_CASE("ipsec: RFC 7748 X25519 vectors for group 31", "[ipsec][crypto][vectors]") {
  const test::Vector dh = test::vector_named("ike/x25519_rfc7748.txt", "rfc7748-6.1");
  auto a = key_exchange_from_private(DhGroup::Curve25519, dh.hex("APrivate"));
  auto b = key_exchange_from_private(DhGroup::Curve25519, dh.hex("BPrivate"));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->public_value() == dh.hex("APublic"));
  CHECK(b->public_value() == dh.hex("BPublic"));
  CHECK(to_hex(a->shared(dh.hex("BPublic"))->view()) == to_hex(dh.hex("Shared")));
  CHECK(to_hex(b->shared(dh.hex("APublic"))->view()) == to_hex(dh.hex("Shared")));

  const test::Vector mul = test::vector_named("ike/x25519_rfc7748.txt", "rfc7748-5.2");
  auto s = key_exchange_from_private(DhGroup::Curve25519, mul.hex("Scalar"));
  REQUIRE(s);
  CHECK(to_hex(s->shared(mul.hex("U"))->view()) == to_hex(mul.hex("Out")));

  // RFC 8031 §2.2: a low-order point gives an all-zero secret, which must be refused.
  auto zero = a->shared(Bytes(32, 0));
  REQUIRE_FALSE(zero);
  CHECK(zero.error().code == Errc::BadKeyExchange);
  CHECK_FALSE(a->shared(Bytes(31, 9)));
}

TEST_CASE("ipsec: MODP group 14 agrees and refuses degenerate values", "[ipsec][crypto]") {
  test::FixedRng rng("modp");
  auto a = make_key_exchange(DhGroup::Modp2048, rng);
  auto b = make_key_exchange(DhGroup::Modp2048, rng);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->public_value().size() == 256);
  auto s1 = a->shared(b->public_value());
  auto s2 = b->shared(a->public_value());
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(s1->size() == 256);
  CHECK(*s1 == *s2);
  Bytes one(256, 0);
  one.back() = 1;
  CHECK_FALSE(a->shared(Bytes(256, 0)));
  CHECK_FALSE(a->shared(one));
  CHECK_FALSE(a->shared(Bytes(256, 0xff)));  // above p
  CHECK_FALSE(a->shared(Bytes(255, 2)));
  // The generator itself is a valid (if silly) public value.
  Bytes two(256, 0);
  two.back() = 2;
  CHECK(a->shared(two));
}

TEST_CASE("ipsec: random key exchanges for every group agree", "[ipsec][crypto]") {
  const auto g = GENERATE(DhGroup::Ecp256, DhGroup::Ecp384, DhGroup::Curve25519, DhGroup::Modp2048);
  test::FixedRng rng("kx");
  auto a = make_key_exchange(g, rng);
  auto b = make_key_exchange(g, rng);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->group() == g);
  CHECK(a->public_value().size() == dh_public_bytes(g));
  CHECK(*a->shared(b->public_value()) == *b->shared(a->public_value()));
  CHECK_FALSE(make_key_exchange(DhGroup::None, rng));
}

TEST_CASE("ipsec: PRFs are HMAC (RFC 4231 vectors)", "[ipsec][crypto][vectors]") {
  const test::Vector v = GENERATE(from_range(test::load_vectors("ike/hmac_rfc4231.txt")));
  INFO(v.at("Name"));
  const auto alg = static_cast<PrfAlg>(std::stoi(v.at("Prf")));
  CHECK(to_hex(prf(alg, v.hex("Key"), v.hex("Data")).view()) == to_hex(v.hex("Out")));
}

TEST_CASE("ipsec: prf+ chains T1 = prf(K, S | 1), Tn = prf(K, Tn-1 | S | n)", "[ipsec][crypto]") {
  const Bytes k = hex("000102030405060708090a0b0c0d0e0f");
  const Bytes s = hex("a0a1a2a3");
  const SecretBytes out = prf_plus(PrfAlg::HmacSha256, k, s, 70);
  REQUIRE(out.size() == 70);
  Bytes in1 = s;
  in1.push_back(1);
  const SecretBytes t1 = prf(PrfAlg::HmacSha256, k, in1);
  Bytes in2(t1.view().begin(), t1.view().end());
  in2.insert(in2.end(), s.begin(), s.end());
  in2.push_back(2);
  const SecretBytes t2 = prf(PrfAlg::HmacSha256, k, in2);
  Bytes in3(t2.view().begin(), t2.view().end());
  in3.insert(in3.end(), s.begin(), s.end());
  in3.push_back(3);
  const SecretBytes t3 = prf(PrfAlg::HmacSha256, k, in3);
  CHECK(to_hex(out.sub(0, 32)) == to_hex(t1.view()));
  CHECK(to_hex(out.sub(32, 32)) == to_hex(t2.view()));
  CHECK(to_hex(out.sub(64, 6)) == to_hex(t3.view().first(6)));
}

TEST_CASE("ipsec: SecretBytes copies, moves and compares", "[ipsec][crypto]") {
  SecretBytes a(hex("00112233"));
  SecretBytes b = a;
  CHECK(a == b);
  SecretBytes c = std::move(b);
  CHECK(c == a);
  CHECK(b.empty());  // NOLINT: moved-from is empty by contract
  c.wipe();
  CHECK(c.empty());
  CHECK_FALSE(c == a);
}

}  // namespace
}  // namespace intransit::ipsec::ike
