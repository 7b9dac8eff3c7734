// RelayConfig validation and the words the policy file will use (modes, cipher names).
#include "smb/config.h"

#include <catch2/catch.hpp>

#include "smb/types.h"

using namespace intransit::smb;

TEST_CASE("smb: cipher and dialect names", "[smb][config]") {
  for (Cipher c : kAllCiphers) {
    CHECK(parse_cipher(label(c)) == c);
    CHECK(cipher_from_wire(static_cast<uint16_t>(c)) == c);
  }
  CHECK(parse_cipher("aes-256-gcm") == Cipher::Aes256Gcm);
  CHECK_FALSE(parse_cipher("AES-192-GCM"));
  CHECK_FALSE(cipher_from_wire(0));
  CHECK_FALSE(cipher_from_wire(5));
  CHECK(key_bytes(Cipher::Aes256Ccm) == 32);
  CHECK(nonce_bytes(Cipher::Aes256Ccm) == 11);
  CHECK(nonce_bytes(Cipher::Aes128Gcm) == 12);
  CHECK(label(Dialect::Smb302) == "3.0.2");
  CHECK(smb3_dialect(0x0311) == Dialect::Smb311);
  CHECK_FALSE(smb3_dialect(0x0210));
  CHECK_FALSE(smb3_dialect(0x0310));
}

TEST_CASE("smb: cipher sets", "[smb][config]") {
  CipherSet s;
  CHECK(s.empty());
  s.add(Cipher::Aes128Gcm);
  CHECK(s.contains(Cipher::Aes128Gcm));
  CHECK_FALSE(s.contains(Cipher::Aes128Ccm));
  for (Cipher c : kAllCiphers) CHECK(CipherSet::all().contains(c));
}

TEST_CASE("smb: modes parse case-insensitively", "[smb][config]") {
  Mode m = Mode::Standard;
  CHECK(parse_mode("STRICT", m));
  CHECK(m == Mode::Strict);
  CHECK(parse_mode("standard", m));
  CHECK(m == Mode::Standard);
  CHECK_FALSE(parse_mode("required", m));
  CHECK(label(Mode::Strict) == "strict");
}

TEST_CASE("smb: RelayConfig validation", "[smb][config]") {
  RelayConfig c;
  c.backend_host = "127.0.0.1";
  CHECK(validate(c).empty());
  SECTION("no backend") {
    c.backend_host.clear();
    CHECK(validate(c).size() == 1);
  }
  SECTION("no cipher") {
    c.inspector.allowed_ciphers = CipherSet();
    CHECK(validate(c).size() == 1);
  }
  SECTION("limits") {
    c.inspector.max_frame_bytes = 100;
    c.inspector.max_plain_frame_bytes = 1 << 20;
    c.idle_timeout_ms = 0;
    c.max_buffered_bytes = 10;
    c.max_connections = 0;
    CHECK(validate(c).size() == 5);
  }
}
