// The TLS name rules: which versions, suites and groups a policy may name, and why not.
#include <catch2/catch.hpp>

#include <string>

#include "policy/tls_rules.h"

namespace {

using intransit::policy::check_cipher_suite;
using intransit::policy::check_group;
using intransit::policy::check_tls_version;
using intransit::policy::kAllowedCipherSuites;
using Verdict = intransit::policy::TlsNameCheck::Verdict;

}  // namespace

TEST_CASE("policy: allowed TLS names are normalised", "[policy][tls]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, std::string>({
      {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"ecdhe-rsa-aes256-gcm-sha384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
  }));
  const auto r = check_cipher_suite(in);
  CHECK(r.verdict == Verdict::Allowed);
  CHECK(r.canonical == want);
  for (auto s : kAllowedCipherSuites) CHECK(check_cipher_suite(s).verdict == Verdict::Allowed);
}

TEST_CASE("policy: weak cipher suites are refused with the specific reason", "[policy][tls]") {
  using Catch::Generators::table;
  auto [in, reason] = GENERATE(table<std::string, std::string>({
      {"AES128-GCM-SHA256", "RSA key exchange is not forward-secret"},
      {"AES256-GCM-SHA384", "RSA key exchange is not forward-secret"},
      {"ECDHE-RSA-AES128-SHA", "CBC mode is not AEAD"},
      {"ECDHE-ECDSA-AES256-SHA384", "CBC mode is not AEAD"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "CBC mode is not AEAD"},
      {"DHE-RSA-AES256-GCM-SHA384",
       "finite-field DHE is refused (only ECDHE key exchange is allowed)"},
      {"ECDH-ECDSA-AES128-GCM-SHA256", "ECDH key exchange is not forward-secret"},
      {"AECDH-AES128-SHA", "anonymous key exchange does not authenticate the server"},
      {"ECDHE-RSA-NULL-SHA", "NULL cipher does not encrypt"},
      {"ECDHE-RSA-RC4-SHA", "RC4 is broken (RFC 7465)"},
      {"ECDHE-RSA-DES-CBC3-SHA", "DES and 3DES have 64-bit blocks (Sweet32)"},
      {"EXP-DES-CBC-SHA", "export-grade cryptography is deliberately weak"},
      {"PSK-AES128-GCM-SHA256", "pre-shared-key suites are not supported"},
      {"ECDHE-ECDSA-AES128-CCM8", "AES-CCM suites are not in the allowed set"},
      {"ECDHE-ECDSA-CAMELLIA128-SHA256", "CBC mode is not AEAD"},
      {"TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3 suites are not configurable"},
      {"ECDHE+AESGCM", "cipher-list expressions are not accepted"},
      {"DEFAULT", "cipher-list expressions are not accepted"},
  }));
  INFO(in);
  const auto r = check_cipher_suite(in);
  CHECK(r.verdict == Verdict::Refused);
  CHECK(r.reason.find(reason) != std::string::npos);
}

TEST_CASE("policy: unknown suites get the nearest allowed name", "[policy][tls]") {
  const auto r = check_cipher_suite("ECDHE-RSA-AES128-GCM-SHA265");
  CHECK(r.verdict == Verdict::Unknown);
  CHECK(r.hint == "did you mean 'ECDHE-RSA-AES128-GCM-SHA256'?");
  const auto far = check_cipher_suite("WHATEVER");
  CHECK(far.verdict == Verdict::Unknown);
  CHECK(far.hint.rfind("allowed: ECDHE-ECDSA-AES128-GCM-SHA256, ", 0) == 0);
  CHECK(check_cipher_suite("").verdict != Verdict::Allowed);
  CHECK(check_cipher_suite("-").verdict != Verdict::Allowed);
  CHECK(check_cipher_suite("TLS__WITH_").verdict != Verdict::Allowed);
}

TEST_CASE("policy: TLS versions", "[policy][tls]") {
  CHECK(check_tls_version("1.2").canonical == "1.2");
  CHECK(check_tls_version("1.3").canonical == "1.3");
  for (const char* old : {"1.0", "1.1", "SSLv3", "ssl3", "TLSv1", "TLSv1.1", "tls1.0"}) {
    INFO(old);
    const auto r = check_tls_version(old);
    CHECK(r.verdict == Verdict::Refused);
    CHECK(r.reason == "TLS versions below 1.2 are refused");
  }
  CHECK(check_tls_version("TLSv1.3").hint == "write \"1.3\"");
  CHECK(check_tls_version("1.4").verdict == Verdict::Unknown);
}

TEST_CASE("policy: groups and their aliases", "[policy][tls]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, std::string>({
      {"X25519", "X25519"},
      {"x25519", "X25519"},
      {"P-256", "P-256"},
      {"prime256v1", "P-256"},
      {"secp256r1", "P-256"},
      {"p-384", "P-384"},
      {"secp384r1", "P-384"},
  }));
  const auto r = check_group(in);
  CHECK(r.verdict == Verdict::Allowed);
  CHECK(r.canonical == want);
}

TEST_CASE("policy: groups outside the list are refused", "[policy][tls]") {
  for (const char* g : {"P-521", "secp521r1", "X448", "ffdhe2048", "ffdhe8192", "secp224r1",
                        "brainpoolP384r1", "X25519Kyber768Draft00", "X25519MLKEM768"}) {
    INFO(g);
    const auto r = check_group(g);
    CHECK(r.verdict == Verdict::Refused);
    CHECK(r.reason.find("only X25519, P-256 and P-384 are accepted") != std::string::npos);
  }
  const auto u = check_group("X2551");
  CHECK(u.verdict == Verdict::Unknown);
  CHECK(u.hint == "did you mean 'X25519'?");
}
