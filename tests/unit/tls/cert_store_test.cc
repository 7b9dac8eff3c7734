#include "tls/cert_store.h"

#include <catch2/catch.hpp>

#include <map>

#include "tls_support.h"

namespace intransit::tls {
namespace {

using test::KeyKind;
using test::TempDir;

struct Loaded {
  Result<Certificate, policy::ConfigError> cert;
  policy::ConfigErrors warnings;
};

Loaded load(const policy::CertificateSpec& spec, const FileReader* files = nullptr,
            int64_t now = test::now_unix()) {
  LoadOptions o;
  if (files) o.files = files;
  o.now_unix = now;
  o.path = "listeners[0].tls.certificates[0]";
  policy::ConfigErrors w;
  auto r = load_certificate(spec, 0, spec.cert_file, spec.key_file, o, w);
  return {std::move(r), std::move(w)};
}

TEST_CASE("tls: an ECDSA certificate loads with its subjectAltName names", "[tls][cert_store]") {
  TempDir dir;
  auto spec = test::cert_spec(dir, "a", KeyKind::P256, {"WWW.Example.com.", "*.api.example.com"});
  auto l = load(spec);
  REQUIRE(l.cert);
  CHECK(l.warnings.empty());
  CHECK(l.cert->key_type == KeyType::EcdsaP256);
  CHECK(l.cert->names == std::vector<std::string>{"www.example.com", "*.api.example.com"});
  CHECK(l.cert->chain.size() == 1);
  CHECK(l.cert->chain_ptrs.size() == 1);
  CHECK(l.cert->not_after_unix > test::now_unix() + 29 * 86400);
  CHECK(l.cert->not_before_unix < test::now_unix());
  CHECK(l.cert->source == spec.cert_file);
  CHECK(l.cert->subject.find("CN=WWW.Example.com.") != std::string::npos);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: accepted key types", "[tls][cert_store]") {
  auto [kind, want] = GENERATE(table<KeyKind, KeyType>({
      {KeyKind::Rsa2048, KeyType::Rsa},
      {KeyKind::P256, KeyType::EcdsaP256},
      {KeyKind::P384, KeyType::EcdsaP384},
      {KeyKind::P521, KeyType::EcdsaP521},
  }));
  TempDir dir;
  auto l = load(test::cert_spec(dir, "k", kind, {"example.com"}));
  REQUIRE(l.cert);
  CHECK(l.cert->key_type == want);
}

TEST_CASE("tls: weak and unsupported keys are refused at the key_file mark", "[tls][cert_store]") {
  auto [kind, expect] = GENERATE(table<KeyKind, std::string>({
      {KeyKind::Rsa1024, "RSA key is 1024 bits; at least 2048 bits are required"},
      {KeyKind::P224, "EC key on curve P-224 (224 bits) is not accepted"},
      {KeyKind::Ed25519, "Ed25519 keys are not accepted"},
  }));
  TempDir dir;
  auto spec = test::cert_spec(dir, "weak", kind, {"example.com"}, 0, 20);
  auto l = load(spec);
  REQUIRE_FALSE(l.cert);
  const policy::ConfigError& e = l.cert.error();
  INFO(policy::format(e));
  CHECK(e.mark.file == "policy.yaml");
  CHECK(e.mark.line == 21);  // key_file line
  CHECK(e.path == "listeners[0].tls.certificates[0].key_file");
  CHECK_THAT(e.message, Catch::Contains(expect));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: a key file open to group or other is refused like OpenSSH StrictModes",
          "[tls][cert_store]") {
  auto [mode, word] = GENERATE(table<mode_t, std::string>({
      {0644, "readable"},
      {0640, "readable"},
      {0604, "readable"},
      {0620, "accessible"},
      {0601, "accessible"},
  }));
  TempDir dir;
  EVP_PKEY* k = test::key(KeyKind::P256);
  auto x = test::make_cert(k, {.cn = "example.com", .dns = {"example.com"}});
  auto spec = test::write_pair(dir, "perm", test::pem(x.get()), test::pem(k), mode, 30);
  auto l = load(spec);
  REQUIRE_FALSE(l.cert);
  const policy::ConfigError& e = l.cert.error();
  INFO(policy::format(e));
  CHECK(e.mark.line == 31);
  char mode_text[8];
  std::snprintf(mode_text, sizeof(mode_text), "%04o", static_cast<unsigned>(mode));
  CHECK_THAT(e.message, Catch::Contains("is " + word + " by group/other (mode " +
                                        std::string(mode_text) + "); chmod 600 it"));
}

TEST_CASE("tls: 0400 and 0600 key files are accepted", "[tls][cert_store]") {
  const mode_t mode = GENERATE(mode_t{0400}, mode_t{0600});
  TempDir dir;
  EVP_PKEY* k = test::key(KeyKind::P256);
  auto x = test::make_cert(k, {.cn = "example.com", .dns = {"example.com"}});
  auto l = load(test::write_pair(dir, "ok", test::pem(x.get()), test::pem(k), mode));
  CHECK(l.cert);
}

TEST_CASE("tls: a key that does not match the certificate is refused", "[tls][cert_store]") {
  TempDir dir;
  auto x = test::make_cert(test::key(KeyKind::P256, 0), {.dns = {"example.com"}});
  auto spec = test::write_pair(dir, "mismatch", test::pem(x.get()),
                               test::pem(test::key(KeyKind::P256, 1)), 0600, 40);
  auto l = load(spec);
  REQUIRE_FALSE(l.cert);
  INFO(policy::format(l.cert.error()));
  CHECK(l.cert.error().mark.line == 41);
  CHECK_THAT(l.cert.error().message, Catch::Contains("does not match the certificate"));
  CHECK_THAT(l.cert.error().message,
             Catch::Contains("(certificate: ECDSA P-256, key: ECDSA P-256)"));

  SECTION("also across key types") {
    auto spec2 = test::write_pair(dir, "mismatch2", test::pem(x.get()),
                                  test::pem(test::key(KeyKind::Rsa2048)), 0600, 40);
    auto l2 = load(spec2);
    REQUIRE_FALSE(l2.cert);
    CHECK_THAT(l2.cert.error().message,
               Catch::Contains("(certificate: ECDSA P-256, key: RSA 2048)"));
  }
}

TEST_CASE("tls: unreadable or empty files are refused at the right mark", "[tls][cert_store]") {
  TempDir dir;
  auto spec = test::cert_spec(dir, "f", KeyKind::P256, {"example.com"}, 0, 50);

  SECTION("missing certificate file") {
    spec.cert_file = dir.file("nope.crt");
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().mark.line == 50);
    CHECK(l.cert.error().path == "listeners[0].tls.certificates[0].cert_file");
    CHECK_THAT(l.cert.error().message, Catch::Contains("No such file or directory"));
  }
  SECTION("missing key file") {
    spec.key_file = dir.file("nope.key");
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().mark.line == 51);
    CHECK_THAT(l.cert.error().message, Catch::Contains("cannot read private key file"));
  }
  SECTION("certificate file without a certificate") {
    spec.cert_file = dir.write("empty.crt", "hello\n", 0644);
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().mark.line == 50);
    CHECK_THAT(l.cert.error().message, Catch::Contains("no PEM CERTIFICATE block found"));
  }
  SECTION("key file without a key") {
    spec.key_file = dir.write("empty.key", "", 0600);
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().mark.line == 51);
    CHECK_THAT(l.cert.error().message, Catch::Contains("no PEM private key block found"));
  }
  SECTION("a directory") {
    spec.cert_file = dir.path();
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK_THAT(l.cert.error().message, Catch::Contains("not a regular file"));
  }
  SECTION("an encrypted key") {
    spec.key_file = dir.write("enc.key", test::pem(test::key(KeyKind::P256), "secret"), 0600);
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().mark.line == 51);
    CHECK_THAT(l.cert.error().message, Catch::Contains("private key is encrypted"));
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: an expired certificate loads with a warning", "[tls][cert_store]") {
  TempDir dir;
  EVP_PKEY* k = test::key(KeyKind::P256);
  const int64_t now = test::now_unix();
  auto x = test::make_cert(k, {.cn = "old",
                               .dns = {"old.example.com"},
                               .not_before = now - 100 * 86400,
                               .not_after = now - 10 * 86400});
  auto l = load(test::write_pair(dir, "old", test::pem(x.get()), test::pem(k)));
  REQUIRE(l.cert);
  REQUIRE(l.warnings.size() == 1);
  CHECK_THAT(l.warnings[0].message, Catch::Contains("expired 10 days ago"));
  CHECK(l.cert->not_after_unix <= now - 10 * 86400);
}

TEST_CASE("tls: an extendedKeyUsage without serverAuth gives a warning", "[tls][cert_store]") {
  TempDir dir;
  EVP_PKEY* k = test::key(KeyKind::P256);
  auto x = test::make_cert(k, {.cn = "c", .dns = {"c.example.com"}, .client_auth_only = true});
  auto l = load(test::write_pair(dir, "eku", test::pem(x.get()), test::pem(k)));
  REQUIRE(l.cert);
  REQUIRE(l.warnings.size() == 1);
  CHECK_THAT(l.warnings[0].message, Catch::Contains("without serverAuth"));
}

TEST_CASE("tls: chains load leaf first and an out-of-order chain warns", "[tls][cert_store]") {
  TempDir dir;
  EVP_PKEY* ca_key = test::key(KeyKind::P384);
  auto ca = test::make_cert(ca_key, {.cn = "Test CA"});
  EVP_PKEY* leaf_key = test::key(KeyKind::P256);
  auto leaf =
      test::make_cert(leaf_key, {.cn = "leaf", .dns = {"leaf.example.com"}}, ca_key, ca.get());
  SECTION("in order") {
    auto l = load(test::write_pair(dir, "chain", test::pem(leaf.get()) + test::pem(ca.get()),
                                   test::pem(leaf_key)));
    REQUIRE(l.cert);
    CHECK(l.cert->chain.size() == 2);
    CHECK(l.warnings.empty());
  }
  SECTION("wrong order: the leaf must come first") {
    auto l = load(test::write_pair(dir, "chain", test::pem(ca.get()) + test::pem(leaf.get()),
                                   test::pem(leaf_key)));
    REQUIRE_FALSE(l.cert);  // the first certificate is taken as the leaf: key mismatch
    CHECK_THAT(l.cert.error().message, Catch::Contains("does not match"));
  }
  SECTION("an unrelated second certificate") {
    auto other = test::make_cert(test::key(KeyKind::P256, 1), {.cn = "other"});
    auto l = load(test::write_pair(dir, "chain", test::pem(leaf.get()) + test::pem(other.get()),
                                   test::pem(leaf_key)));
    REQUIRE(l.cert);
    REQUIRE(l.warnings.size() == 1);
    CHECK_THAT(l.warnings[0].message, Catch::Contains("did not issue certificate #1"));
  }
}

TEST_CASE("tls: certificate names come from SAN, then CN, or the server_names override",
          "[tls][cert_store]") {
  TempDir dir;
  EVP_PKEY* k = test::key(KeyKind::P256);
  SECTION("CN when there is no SAN") {
    auto x = test::make_cert(k, {.cn = "Legacy.Example.com"});
    auto l = load(test::write_pair(dir, "cn", test::pem(x.get()), test::pem(k)));
    REQUIRE(l.cert);
    CHECK(l.cert->names == std::vector<std::string>{"legacy.example.com"});
  }
  SECTION("a CN that is not a host name gives no names, and a warning") {
    auto x = test::make_cert(k, {.cn = "My Test Server"});
    auto l = load(test::write_pair(dir, "cn", test::pem(x.get()), test::pem(k)));
    REQUIRE(l.cert);
    CHECK(l.cert->names.empty());
    REQUIRE(l.warnings.size() == 1);
    CHECK_THAT(l.warnings[0].message, Catch::Contains("only served as the default"));
  }
  SECTION("server_names overrides the certificate") {
    auto x = test::make_cert(k, {.cn = "a", .dns = {"a.example.com"}});
    auto spec = test::write_pair(dir, "ov", test::pem(x.get()), test::pem(k));
    spec.server_names = {"B.example.com", "*.c.example.com"};
    auto l = load(spec);
    REQUIRE(l.cert);
    CHECK(l.cert->names == std::vector<std::string>{"b.example.com", "*.c.example.com"});
  }
  SECTION("an invalid server_names entry is an error") {
    auto x = test::make_cert(k, {.cn = "a", .dns = {"a.example.com"}});
    auto spec = test::write_pair(dir, "ov", test::pem(x.get()), test::pem(k));
    spec.server_names = {"bad name"};
    auto l = load(spec);
    REQUIRE_FALSE(l.cert);
    CHECK(l.cert.error().path == "listeners[0].tls.certificates[0].server_names");
  }
}

// MemFiles is an in-memory FileReader: the loader needs no disk.
class MemFiles final : public FileReader {
 public:
  std::map<std::string, FileContents> files;
  Result<FileContents> read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return fail(kFileMissing, "No such file or directory");
    return it->second;
  }
};

TEST_CASE("tls: certificates load through an injected FileReader", "[tls][cert_store]") {
  MemFiles mem;
  EVP_PKEY* k = test::key(KeyKind::P256);
  auto x = test::make_cert(k, {.cn = "mem", .dns = {"mem.example.com"}});
  mem.files["/virtual/mem.crt"] = {test::pem(x.get()), 0644};
  mem.files["/virtual/mem.key"] = {test::pem(k), 0600};
  policy::CertificateSpec spec;
  spec.cert_file = "/virtual/mem.crt";
  spec.key_file = "/virtual/mem.key";
  spec.key_mark = {"p.yaml", 3, 5};
  auto l = load(spec, &mem);
  REQUIRE(l.cert);
  CHECK(l.cert->names == std::vector<std::string>{"mem.example.com"});

  mem.files["/virtual/mem.key"].mode = 0640;
  auto l2 = load(spec, &mem);
  REQUIRE_FALSE(l2.cert);
  CHECK(l2.cert.error().mark.line == 3);
  CHECK_THAT(l2.cert.error().message, Catch::Contains("(mode 0640); chmod 600 it"));
}

TEST_CASE("tls: normalize_server_name", "[tls][cert_store]") {
  std::string out;
  CHECK(normalize_server_name("Example.COM.", false, out));
  CHECK(out == "example.com");
  CHECK(normalize_server_name("*.example.com", true, out));
  CHECK(out == "*.example.com");
  CHECK_FALSE(normalize_server_name("*.example.com", false, out));
  CHECK_FALSE(normalize_server_name("*.com", true, out));
  CHECK_FALSE(normalize_server_name("a.*.example.com", true, out));
  CHECK_FALSE(normalize_server_name("w*.example.com", true, out));
  CHECK_FALSE(normalize_server_name("", false, out));
  CHECK_FALSE(normalize_server_name(".", false, out));
  CHECK_FALSE(normalize_server_name("a..b", false, out));
  CHECK_FALSE(normalize_server_name("a b", false, out));
  CHECK_FALSE(normalize_server_name(std::string(64, 'a') + ".com", false, out));
  CHECK(normalize_server_name(std::string(63, 'a') + ".com", false, out));
}

// --- selection ---------------------------------------------------------------------------

Certificate fake(KeyType t, std::vector<std::string> names, size_t index) {
  Certificate c;
  c.key_type = t;
  c.names = std::move(names);
  c.spec_index = index;
  c.source = "cert" + std::to_string(index);
  return c;
}

ClientCaps caps(bool rsa, bool p256, bool p384 = false, bool p521 = false) {
  ClientCaps c;
  c.usable[0] = rsa;
  c.usable[1] = p256;
  c.usable[2] = p384;
  c.usable[3] = p521;
  return c;
}

TEST_CASE("tls: CertStore picks by server name: exact, then one-label wildcard, then default",
          "[tls][cert_store][sni]") {
  std::vector<Certificate> v;
  v.push_back(fake(KeyType::EcdsaP256, {"default.example"}, 0));
  v.push_back(fake(KeyType::EcdsaP256, {"a.example.com"}, 1));
  v.push_back(fake(KeyType::EcdsaP256, {"*.example.com"}, 2));
  v.push_back(fake(KeyType::EcdsaP256, {"x.b.example.com"}, 3));
  CertStore store(std::move(v));
  const ClientCaps all = caps(true, true, true, true);

  auto pick = [&](std::string_view sni) { return store.select(sni, all); };
  CHECK(pick("a.example.com").cert->spec_index == 1);
  CHECK(pick("A.EXAMPLE.COM.").cert->spec_index == 1);
  CHECK(pick("zz.example.com").cert->spec_index == 2);
  CHECK(pick("zz.example.com").matched);
  CHECK(pick("x.b.example.com").cert->spec_index == 3);
  // A wildcard covers exactly one label.
  CHECK(pick("y.b.example.com").cert->spec_index == 0);
  CHECK_FALSE(pick("y.b.example.com").matched);
  CHECK(pick("example.com").cert->spec_index == 0);
  CHECK_FALSE(pick("example.com").matched);
  CHECK(pick("").cert->spec_index == 0);
  CHECK_FALSE(pick("").matched);
  CHECK(pick("default.example").matched);
  // An IP literal never matches a name (RFC 6066 forbids IPs in SNI anyway).
  CHECK_FALSE(pick("192.0.2.1").matched);
}

TEST_CASE("tls: CertStore prefers ECDSA when the client can use it, else RSA",
          "[tls][cert_store][sni]") {
  std::vector<Certificate> v;
  v.push_back(fake(KeyType::Rsa, {"example.com"}, 0));
  v.push_back(fake(KeyType::EcdsaP384, {"example.com"}, 1));
  v.push_back(fake(KeyType::EcdsaP256, {"example.com"}, 2));
  v.push_back(fake(KeyType::Rsa, {"other.com"}, 3));
  CertStore store(std::move(v));

  CHECK(store.select("example.com", caps(true, true, true)).cert->spec_index == 1);
  CHECK(store.select("example.com", caps(true, true, false)).cert->spec_index == 2);
  CHECK(store.select("example.com", caps(true, false, false)).cert->spec_index == 0);
  // Nothing usable: the first candidate (ECDSA first), and BoringSSL fails the handshake.
  CHECK(store.select("example.com", caps(false, false, false)).cert->spec_index == 1);

  SECTION("the default set is every certificate with the first one's names") {
    // Certificates 0, 1 and 2 all serve exactly {"example.com"}.
    CHECK(store.select("unknown.net", caps(true, false)).cert->spec_index == 0);
    CHECK(store.select("unknown.net", caps(true, true)).cert->spec_index == 2);
    CHECK(store.select("", caps(false, true, true)).cert->spec_index == 1);
  }
}

}  // namespace
}  // namespace intransit::tls
