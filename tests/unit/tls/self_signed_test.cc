#include "tls/self_signed.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tls/cert_store.h"
#include "tls/x509_util.h"
#include "tls_support.h"

namespace intransit::tls {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bssl::UniquePtr<X509> parse(const std::string& cert_file) {
  auto chain = read_pem_certificates(slurp(cert_file));
  REQUIRE(chain);
  REQUIRE(chain->size() == 1);
  return bssl::UniquePtr<X509>(X509_parse_from_buffer(chain->front().get()));
}

TEST_CASE("tls: ensure_self_signed generates a P-256 certificate with the SANs",
          "[tls][self_signed]") {
  test::TempDir tmp;
  const std::string state = tmp.file("state");  // does not exist yet
  const std::vector<std::string> names = {"gw.example.com", "localhost", "127.0.0.1", "::1"};
  const int64_t now = test::now_unix();
  auto r = ensure_self_signed(state, names, now);
  REQUIRE(r);
  CHECK(r->generated);
  CHECK(test::file_mode(state) == 0700);
  CHECK(test::file_mode(r->key_file) == 0600);
  CHECK(r->cert_file.rfind(state + "/selfsigned-", 0) == 0);
  CHECK(r->cert_file.size() == state.size() + std::string("/selfsigned-").size() + 16 + 4);

  auto x = parse(r->cert_file);
  REQUIRE(x);
  // CN is the first name; issuer == subject.
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, cn, sizeof(cn));
  CHECK(std::string(cn) == "gw.example.com");
  CHECK(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())) == 0);
  CHECK(X509_get_version(x.get()) == X509_VERSION_3);
  // SANs: DNS for names, IP for addresses.
  CHECK(dns_names(x.get()) == std::vector<std::string>{"gw.example.com", "localhost"});
  CHECK(X509_check_ip_asc(x.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(x.get(), "::1", 0) == 1);
  CHECK(X509_check_host(x.get(), "gw.example.com", 14, 0, nullptr) == 1);
  // Extensions.
  CHECK(X509_check_ca(x.get()) == 0);
  CHECK((X509_get_key_usage(x.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK((X509_get_key_usage(x.get()) & KU_KEY_CERT_SIGN) == 0);
  CHECK(X509_get_extended_key_usage(x.get()) == XKU_SSL_SERVER);
  CHECK(X509_get0_subject_key_id(x.get()) != nullptr);
  // Serial: 16 bytes, positive.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get());
  CHECK(ASN1_STRING_length(serial) == 16);
  CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);
  // Validity: now-1h .. now+397d.
  CHECK(asn1_time_to_unix(X509_get0_notBefore(x.get())) == now - 3600);
  CHECK(asn1_time_to_unix(X509_get0_notAfter(x.get())) == now + 397 * 86400);
  // Key.
  bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(x.get()));
  REQUIRE(pub);
  CHECK(EVP_PKEY_id(pub.get()) == EVP_PKEY_EC);
  CHECK(EVP_PKEY_bits(pub.get()) == 256);
  // Self-signature verifies.
  CHECK(X509_verify(x.get(), pub.get()) == 1);
  CHECK(ERR_peek_error() == 0);

  SECTION("a second call reuses the files") {
    const std::string cert_before = slurp(r->cert_file);
    const std::string key_before = slurp(r->key_file);
    auto again = ensure_self_signed(state, names, now + 86400);
    REQUIRE(again);
    CHECK_FALSE(again->generated);
    CHECK(again->cert_file == r->cert_file);
    CHECK(slurp(again->cert_file) == cert_before);
    CHECK(slurp(again->key_file) == key_before);
  }
  SECTION("other names get other files") {
    auto other = ensure_self_signed(state, std::vector<std::string>{"other.example.com"}, now);
    REQUIRE(other);
    CHECK(other->generated);
    CHECK(other->cert_file != r->cert_file);
  }
  SECTION("an expired certificate is regenerated") {
    const int64_t later = now + 398 * 86400;
    auto again = ensure_self_signed(state, names, later);
    REQUIRE(again);
    CHECK(again->generated);
    CHECK(again->cert_file == r->cert_file);
    auto x2 = parse(again->cert_file);
    CHECK(asn1_time_to_unix(X509_get0_notAfter(x2.get())) == later + 397 * 86400);
    CHECK(test::file_mode(again->key_file) == 0600);
  }
  SECTION("a key file someone opened up is replaced, not reused") {
    REQUIRE(::chmod(r->key_file.c_str(), 0644) == 0);
    auto again = ensure_self_signed(state, names, now);
    REQUIRE(again);
    CHECK(again->generated);
    CHECK(test::file_mode(again->key_file) == 0600);
  }
  SECTION("a damaged certificate is replaced") {
    tmp.write("state/" + r->cert_file.substr(state.size() + 1), "garbage", 0644);
    auto again = ensure_self_signed(state, names, now);
    REQUIRE(again);
    CHECK(again->generated);
  }
}

TEST_CASE("tls: ensure_self_signed refuses bad input", "[tls][self_signed]") {
  test::TempDir tmp;
  CHECK_FALSE(ensure_self_signed("", std::vector<std::string>{"a.example"}, test::now_unix()));
  CHECK_FALSE(ensure_self_signed(tmp.path(), std::vector<std::string>{}, test::now_unix()));
  auto bad =
      ensure_self_signed(tmp.path(), std::vector<std::string>{"not a name"}, test::now_unix());
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().detail, Catch::Contains("neither a DNS name nor an IP address"));
  auto no_parent = ensure_self_signed(tmp.file("a/b/c"), std::vector<std::string>{"a.example"},
                                      test::now_unix());
  REQUIRE_FALSE(no_parent);
  CHECK_THAT(no_parent.error().detail, Catch::Contains("cannot create state_dir"));
}

}  // namespace
}  // namespace intransit::tls
