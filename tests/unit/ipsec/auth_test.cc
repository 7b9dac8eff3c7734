// AUTH payloads (RFC 7296 §2.15, RFC 7427, RFC 4754): signing and verifying with every key
// type and method, the AlgorithmIdentifier checks, CERTREQ authorities, certificate path
// validation and the binding of identities to certificates.
#include "ipsec/ike/auth.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"
#include "ipsec/ike/crypto.h"

namespace intransit::ipsec::ike {
namespace {

using test::KeyKind;

const std::vector<HashAlgorithm> kAll = {HashAlgorithm::Sha256, HashAlgorithm::Sha384,
                                         HashAlgorithm::Sha512};

TEST_CASE("ipsec: signatures for every key type and method verify", "[ipsec][auth]") {
  auto [kind, rfc7427, pss, method] = GENERATE(table<KeyKind, bool, bool, int>({
      {KeyKind::P256, true, false, 14},
      {KeyKind::P384, true, false, 14},
      {KeyKind::P521, true, false, 14},
      {KeyKind::Rsa2048, true, false, 14},
      {KeyKind::Rsa2048, true, true, 14},
      {KeyKind::P256, false, false, 9},
      {KeyKind::P384, false, false, 10},
      {KeyKind::P521, false, false, 11},
      {KeyKind::Rsa2048, false, false, 1},
  }));
  EVP_PKEY* k = test::key(kind, 1);
  const Bytes octets = test::hex("00112233445566778899aabbccddeeff");
  SignatureOptions o;
  o.peer_hashes = rfc7427 ? kAll : std::vector<HashAlgorithm>{};
  o.rsa_pss = pss;
  auto auth = sign_auth(k, octets, o);
  REQUIRE(auth);
  CHECK(auth->method == method);
  CHECK(verify_auth(*auth, k, octets));
  Bytes other = octets;
  other[0] ^= 1;
  CHECK_FALSE(verify_auth(*auth, k, other));
  CHECK_FALSE(verify_auth(*auth, test::key(kind, 2), octets));  // another key
  AuthPayload broken = *auth;
  broken.data.back() ^= 1;
  CHECK_FALSE(verify_auth(broken, k, octets));
}

TEST_CASE("ipsec: RFC 7427 AlgorithmIdentifiers", "[ipsec][auth]") {
  const Bytes octets(40, 0x42);
  SECTION("P-384 signs with ecdsa-with-SHA384 as strongSwan does") {
    SignatureOptions o;
    o.peer_hashes = kAll;
    auto a = sign_auth(test::key(KeyKind::P384, 1), octets, o);
    REQUIRE(a);
    CHECK(Bytes(a->data.begin(), a->data.begin() + 13) == test::hex("0c300a06082a8648ce3d040303"));
  }
  SECTION("the hash comes from the peer's list") {
    SignatureOptions o;
    o.peer_hashes = {HashAlgorithm::Sha512};
    auto a = sign_auth(test::key(KeyKind::P256, 1), octets, o);
    REQUIRE(a);
    CHECK(Bytes(a->data.begin(), a->data.begin() + 13) == test::hex("0c300a06082a8648ce3d040304"));
  }
  SECTION("RSA PKCS#1 v1.5 with SHA-256") {
    SignatureOptions o;
    o.peer_hashes = {HashAlgorithm::Sha256};
    auto a = sign_auth(test::key(KeyKind::Rsa2048, 1), octets, o);
    REQUIRE(a);
    CHECK(Bytes(a->data.begin(), a->data.begin() + 16) ==
          test::hex("0f300d06092a864886f70d01010b0500"));
  }
  SECTION("an ECDSA AlgorithmIdentifier against an RSA key is refused") {
    SignatureOptions o;
    o.peer_hashes = kAll;
    auto a = sign_auth(test::key(KeyKind::P256, 1), octets, o);
    REQUIRE(a);
    CHECK_FALSE(verify_auth(*a, test::key(KeyKind::Rsa2048, 1), octets));
  }
  SECTION("SHA-1 inside method 14 is refused (RFC 8247)") {
    AuthPayload a;
    a.method = 14;
    const Bytes alg = test::hex("300906072a8648ce3d0401");  // ecdsa-with-SHA1
    a.data.push_back(static_cast<uint8_t>(alg.size()));
    a.data.insert(a.data.end(), alg.begin(), alg.end());
    a.data.insert(a.data.end(), 70, 0x30);
    CHECK_FALSE(verify_auth(a, test::key(KeyKind::P256, 1), octets));
  }
  SECTION("malformed method 14 data") {
    for (const Bytes& d : {Bytes{}, Bytes{0}, Bytes{5, 1, 2}, Bytes{0x0c, 0x30, 0x0a}}) {
      CHECK_FALSE(verify_auth(AuthPayload{14, d}, test::key(KeyKind::P256, 1), octets));
    }
  }
  SECTION("a PSK AUTH is not a signature") {
    CHECK_FALSE(verify_auth(AuthPayload{2, Bytes(32, 1)}, test::key(KeyKind::P256, 1), octets));
  }
  SECTION("a classic method with the wrong curve is refused") {
    SignatureOptions o;
    auto a = sign_auth(test::key(KeyKind::P256, 1), octets, o);
    REQUIRE(a);
    a->method = 10;
    CHECK_FALSE(verify_auth(*a, test::key(KeyKind::P256, 1), octets));
  }
}

TEST_CASE("ipsec: SIGNATURE_HASH_ALGORITHMS data", "[ipsec][auth]") {
  CHECK(hash_algorithms_data() == test::hex("000200030004"));
  CHECK(parse_hash_algorithms(test::hex("0002000300040005")) ==
        std::vector<HashAlgorithm>{HashAlgorithm::Sha256, HashAlgorithm::Sha384,
                                   HashAlgorithm::Sha512, HashAlgorithm::Identity});
  CHECK(parse_hash_algorithms(test::hex("000200")).size() == 1);
}

TEST_CASE("ipsec: certificates: path, validity, identities, CERTREQ", "[ipsec][auth][cert]") {
  const test::Pki& p = test::pki(KeyKind::P384);
  auto der = [](X509* x) {
    uint8_t* d = nullptr;
    const int n = i2d_X509(x, &d);
    Bytes out(d, d + n);
    OPENSSL_free(d);
    return out;
  };
  std::vector<bssl::UniquePtr<X509>> cas;
  cas.push_back(test::up_ref(p.ca.get()));
  const CertPayload leaf{4, der(p.cert_a.get())};
  auto ok = verify_peer_certificate({&leaf}, cas, test::kUnixNow);
  REQUIRE(ok);
  CHECK(identity_in_certificate(*Identity::parse("gwa.ikx.test"), ok->get()));
  CHECK(identity_in_certificate(*Identity::parse("10.231.0.1"), ok->get()));
  CHECK_FALSE(identity_in_certificate(*Identity::parse("10.231.0.2"), ok->get()));
  CHECK_FALSE(identity_in_certificate(*Identity::parse("gwb.ikx.test"), ok->get()));
  CHECK_FALSE(identity_in_certificate(*Identity::parse("keyid:0102"), ok->get()));
  // The subject DN as an ID_DER_ASN1_DN.
  uint8_t* dn = nullptr;
  const int n = i2d_X509_NAME(X509_get_subject_name(p.cert_a.get()), &dn);
  Identity did{IdType::DerAsn1Dn, Bytes(dn, dn + n)};
  OPENSSL_free(dn);
  CHECK(identity_in_certificate(did, ok->get()));

  CHECK_FALSE(verify_peer_certificate({&leaf}, cas, test::kUnixNow + 400 * 86400LL));  // expired
  CHECK_FALSE(verify_peer_certificate({&leaf}, {}, test::kUnixNow));
  CHECK_FALSE(verify_peer_certificate({}, cas, test::kUnixNow));
  const CertPayload garbage{4, Bytes(50, 0x30)};
  CHECK_FALSE(verify_peer_certificate({&garbage}, cas, test::kUnixNow));
  const CertPayload self{4, der(p.ca.get())};
  CHECK(verify_peer_certificate({&self}, cas, test::kUnixNow));  // the CA itself

  SECTION("an intermediate CA sent as the second CERT") {
    EVP_PKEY* ik = test::key(KeyKind::P256, 40);
    auto inter =
        test::make_cert(ik, test::CertSpec{"intermediate", {}, {}, true}, p.ca_key, p.ca.get());
    auto ee = test::make_cert(test::key(KeyKind::P256, 41),
                              test::CertSpec{"gwx", {"gwx.ikx.test"}, {}}, ik, inter.get());
    const CertPayload c1{4, der(ee.get())}, c2{4, der(inter.get())};
    CHECK(verify_peer_certificate({&c1, &c2}, cas, test::kUnixNow));
    CHECK_FALSE(verify_peer_certificate({&c1}, cas, test::kUnixNow));
  }

  const Bytes cr = certreq_authorities(cas);
  REQUIRE(cr.size() == 20);
  uint8_t* spki = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(p.ca.get()), &spki);
  CHECK(cr == sha1(BytesView(spki, static_cast<size_t>(len))));
  OPENSSL_free(spki);
}

TEST_CASE("ipsec: PSK AUTH uses the key pad (§2.15)", "[ipsec][auth]") {
  const Bytes psk = test::test_psk();
  const Bytes octets = test::hex("0102030405");
  const SecretBytes a = psk_auth(PrfAlg::HmacSha256, psk, octets);
  const SecretBytes pad = prf(PrfAlg::HmacSha256, psk, as_bytes("Key Pad for IKEv2"));
  CHECK(a == prf(PrfAlg::HmacSha256, pad.view(), octets));
  CHECK_FALSE(a == prf(PrfAlg::HmacSha256, psk, octets));
}

}  // namespace
}  // namespace intransit::ipsec::ike
