#include "tls/context.h"

#include <catch2/catch.hpp>

#include "tls_support.h"

namespace intransit::tls {
namespace {

using test::KeyKind;
using test::TempDir;

policy::TlsPolicy policy_with(std::vector<policy::CertificateSpec> certs) {
  policy::TlsPolicy p;
  p.certificates = std::move(certs);
  p.mark = {"policy.yaml", 5, 5};
  return p;
}

Result<ServerContextPtr, policy::ConfigErrors> try_build(const policy::TlsPolicy& p,
                                                         const std::string& state_dir = {}) {
  ContextOptions o;
  o.state_dir = state_dir;
  o.path = "listeners[0].tls";
  return build_server_context(p, o);
}

TEST_CASE("tls: the default policy builds a context", "[tls][context]") {
  TempDir dir;
  auto p = policy_with({test::cert_spec(dir, "a", KeyKind::P256, {"a.example.com"})});
  auto r = try_build(p);
  REQUIRE(r);
  const ServerContext& sc = **r;
  CHECK(sc.ssl_ctx() != nullptr);
  CHECK(sc.warnings().empty());
  REQUIRE(sc.certificates().size() == 1);
  CHECK(sc.certificates()[0].not_after_unix > test::now_unix());
  CHECK(sc.max_version() == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_min_proto_version(sc.ssl_ctx()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(sc.ssl_ctx()) == TLS1_3_VERSION);
  CHECK((SSL_CTX_get_options(sc.ssl_ctx()) & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0);
  CHECK(SSL_CTX_get_session_cache_mode(sc.ssl_ctx()) == SSL_SESS_CACHE_OFF);
  CHECK(SSL_CTX_get_timeout(sc.ssl_ctx()) <= 24 * 3600);
  // Exactly the policy's suites, in its order.
  std::vector<std::string> names;
  const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(sc.ssl_ctx());
  for (size_t i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
    names.push_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
  }
  CHECK(names == p.cipher_suites);
  REQUIRE(sc.tls12_suites().size() == 6);
  CHECK(sc.tls12_suites()[0].id == 0xc02b);  // ECDHE-ECDSA-AES128-GCM-SHA256
  CHECK(sc.tls12_suites()[0].ecdsa);
  CHECK_FALSE(sc.tls12_suites()[1].ecdsa);
  REQUIRE(sc.alpn_protocols().size() == 2);
  CHECK(sc.alpn_protocols()[0] == Alpn::Http11);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: TLS 1.3-only needs no TLS 1.2 suites", "[tls][context]") {
  TempDir dir;
  auto p = policy_with({test::cert_spec(dir, "a", KeyKind::P256, {"a.example.com"})});
  p.min_version = policy::TlsVersion::Tls13;
  p.cipher_suites.clear();
  auto r = try_build(p);
  REQUIRE(r);
  CHECK(SSL_CTX_get_min_proto_version((*r)->ssl_ctx()) == TLS1_3_VERSION);
  CHECK((*r)->tls12_suites().empty());
}

TEST_CASE("tls: cipher suites outside the PFS AEAD set are refused", "[tls][context]") {
  auto [suite, expect] = GENERATE(table<std::string, std::string>({
      {"AES128-GCM-SHA256", "only forward-secret AEAD suites"},
      {"ECDHE-RSA-AES128-SHA", "only forward-secret AEAD suites"},
      {"ECDHE-PSK-CHACHA20-POLY1305", "only forward-secret AEAD suites"},
      {"ECDHE", "names a group of suites"},
      {"ALL", "names a group of suites"},
      {"NOT-A-SUITE", "is not a cipher suite BoringSSL knows"},
      {"TLS_AES_128_GCM_SHA256", "TLS 1.3 suites are fixed"},
  }));
  TempDir dir;
  auto p = policy_with({test::cert_spec(dir, "a", KeyKind::P256, {"a.example.com"})});
  p.cipher_suites = {"ECDHE-ECDSA-AES128-GCM-SHA256", suite};
  auto r = try_build(p);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  const policy::ConfigError& e = r.error()[0];
  INFO(policy::format(e));
  CHECK(e.path == "listeners[0].tls.cipher_suites[1]");
  CHECK(e.mark.line == 5);
  CHECK_THAT(e.message + " " + e.hint, Catch::Contains(expect));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: groups outside the allowed set are refused", "[tls][context]") {
  const std::string group = GENERATE(as<std::string>{}, "P-224", "CECPQ2", "ffdhe2048", "x25519x");
  TempDir dir;
  auto p = policy_with({test::cert_spec(dir, "a", KeyKind::P256, {"a.example.com"})});
  p.groups = {"X25519", group};
  auto r = try_build(p);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  CHECK(r.error()[0].path == "listeners[0].tls.groups[1]");
}

TEST_CASE("tls: every error is reported, not only the first", "[tls][context]") {
  TempDir dir;
  auto good = test::cert_spec(dir, "good", KeyKind::P256, {"a.example.com"}, 0, 10);
  auto weak = test::cert_spec(dir, "weak", KeyKind::Rsa1024, {"b.example.com"}, 0, 20);
  auto open = test::cert_spec(dir, "open", KeyKind::P256, {"c.example.com"}, 1, 30);
  REQUIRE(::chmod(open.key_file.c_str(), 0644) == 0);
  auto p = policy_with({good, weak, open});
  p.cipher_suites.push_back("AES256-SHA");
  auto r = try_build(p);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 3);
  CHECK(r.error()[0].path == "listeners[0].tls.certificates[1].key_file");
  CHECK(r.error()[0].mark.line == 21);
  CHECK(r.error()[1].path == "listeners[0].tls.certificates[2].key_file");
  CHECK(r.error()[1].mark.line == 31);
  CHECK(r.error()[2].path == "listeners[0].tls.cipher_suites[6]");
}

TEST_CASE("tls: a listener without certificates is refused", "[tls][context]") {
  auto r = try_build(policy_with({}));
  REQUIRE_FALSE(r);
  CHECK(r.error()[0].path == "listeners[0].tls.certificates");
}

TEST_CASE("tls: a certificate no TLS 1.2 suite can use gives a warning", "[tls][context]") {
  TempDir dir;
  auto p = policy_with({test::cert_spec(dir, "rsa", KeyKind::Rsa2048, {"a.example.com"})});
  p.cipher_suites = {"ECDHE-ECDSA-AES128-GCM-SHA256"};
  auto r = try_build(p);
  REQUIRE(r);
  REQUIRE((*r)->warnings().size() == 1);
  CHECK_THAT((*r)->warnings()[0].message,
             Catch::Contains("no TLS 1.2 suite in cipher_suites authenticates with RSA"));
}

TEST_CASE("tls: self_signed specs are generated into state_dir and served", "[tls][context]") {
  TempDir tmp;
  policy::CertificateSpec spec;
  spec.self_signed = true;
  spec.self_signed_names = {"localhost", "127.0.0.1"};
  spec.mark = {"policy.yaml", 12, 9};
  auto p = policy_with({spec});
  auto r = try_build(p, tmp.file("state"));
  REQUIRE(r);
  REQUIRE((*r)->certificates().size() == 1);
  const Certificate& c = (*r)->certificates()[0];
  CHECK(c.key_type == KeyType::EcdsaP256);
  CHECK(c.names == std::vector<std::string>{"localhost"});
  CHECK(c.source.rfind(tmp.file("state") + "/selfsigned-", 0) == 0);

  SECTION("without a state_dir it is an error at the spec") {
    auto r2 = try_build(p, "");
    REQUIRE_FALSE(r2);
    CHECK(r2.error()[0].mark.line == 12);
    CHECK(r2.error()[0].path == "listeners[0].tls.certificates[0].self_signed");
    CHECK_THAT(r2.error()[0].message, Catch::Contains("needs a state_dir"));
  }
}

}  // namespace
}  // namespace intransit::tls
