// NEGOTIATE request/response codec ([MS-SMB2] 2.2.3, 2.2.4, 2.2.3.1) on Samba's messages and
// on built ones.
#include "smb/negotiate.h"

#include <catch2/catch.hpp>

#include "smb/header.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

TEST_CASE("smb: smbclient's 3.1.1 NEGOTIATE request", "[smb][negotiate][vectors]") {
  const auto frames = load_capture("capture_311_aes128gcm.hex");
  const auto r = parse_negotiate_request(message(frames.at(0)));
  REQUIRE(r);
  CHECK(r->dialects == std::vector<uint16_t>{0x0202, 0x0210, 0x0300, 0x0302, 0x0311});
  CHECK(r->offers(0x0311));
  CHECK_FALSE(r->offers(0x0222));
  CHECK((r->capabilities & kCapEncryption) != 0);
  CHECK(r->contexts.encryption_contexts == 1);
  CHECK(r->contexts.ciphers == std::vector<uint16_t>{2, 1, 4, 3});  // Samba's default order
  CHECK_FALSE(r->contexts.transport_level_security);
}

TEST_CASE("smb: Samba's NEGOTIATE responses", "[smb][negotiate][vectors]") {
  using Catch::Generators::table;
  auto [file, dialect, cipher_count, cipher] =
      GENERATE(table<std::string, uint16_t, int, uint16_t>({
          {"capture_311_aes128gcm.hex", 0x0311, 1, 2},
          {"capture_311_aes256gcm.hex", 0x0311, 1, 4},
          {"capture_311_aes128ccm.hex", 0x0311, 1, 1},
          {"capture_311_aes256ccm.hex", 0x0311, 1, 3},
          {"capture_311_no_common_cipher.hex", 0x0311, 1, 0},
          {"capture_311_encrypt_off.hex", 0x0311, 0, 0},
          {"capture_300.hex", 0x0300, 0, 0},
          {"capture_302.hex", 0x0302, 0, 0},
          {"capture_smb21_chosen.hex", 0x0210, 0, 0},
      }));
  INFO(file);
  const auto frames = load_capture(file);
  const auto r = parse_negotiate_response(message(frames.at(1)));
  REQUIRE(r);
  CHECK(r->dialect == dialect);
  CHECK(r->contexts.encryption_contexts == cipher_count);
  if (cipher_count == 1) CHECK(r->contexts.ciphers == std::vector<uint16_t>{cipher});
  if (dialect == 0x0300 || dialect == 0x0302) CHECK(r->capabilities == 0x4F);  // [lab]
  if (dialect == 0x0311) CHECK((r->capabilities & kCapEncryption) == 0);
}

TEST_CASE("smb: contexts are read only when 3.1.1 is offered", "[smb][negotiate]") {
  // Without 0x0311, body bytes 28..35 are ClientStartTime: garbage there must not matter.
  Bytes req = negotiate_request({0x0300, 0x0302}, kCapEncryption, {});
  req[64 + 28] = 0x03;  // "NegotiateContextOffset" = 3, misaligned
  req[64 + 32] = 0x09;  // "NegotiateContextCount" = 9
  const auto r = parse_negotiate_request(req);
  REQUIRE(r);
  CHECK(r->contexts.encryption_contexts == 0);
}

TEST_CASE("smb: negotiate contexts are walked 8-byte aligned", "[smb][negotiate]") {
  const Bytes req = negotiate_request(
      {0x0311}, 0, {preauth_context(), encryption_context({4, 3}), transport_context(1)});
  const auto r = parse_negotiate_request(req);
  REQUIRE(r);
  CHECK(r->contexts.ciphers == std::vector<uint16_t>{4, 3});
  CHECK(r->contexts.transport_level_security);

  const Bytes resp = negotiate_response(0x0311, 0, {encryption_context({2}), transport_context(0)});
  const auto p = parse_negotiate_response(resp);
  REQUIRE(p);
  CHECK(p->contexts.ciphers == std::vector<uint16_t>{2});
  CHECK_FALSE(p->contexts.transport_level_security);
}

TEST_CASE("smb: two ENCRYPTION contexts are counted", "[smb][negotiate]") {
  const Bytes resp =
      negotiate_response(0x0311, 0, {encryption_context({2}), encryption_context({4})});
  const auto p = parse_negotiate_response(resp);
  REQUIRE(p);
  CHECK(p->contexts.encryption_contexts == 2);
  CHECK(p->contexts.ciphers == std::vector<uint16_t>{2});  // the first
}

TEST_CASE("smb: malformed NEGOTIATE messages", "[smb][negotiate]") {
  SECTION("request truncated inside the dialects") {
    Bytes req = negotiate_request({0x0300, 0x0302, 0x0311}, 0, {});
    req.resize(req.size() - 1);
    CHECK(parse_negotiate_request(req).error().code == Errc::MalformedNegotiate);
  }
  SECTION("request StructureSize") {
    Bytes req = negotiate_request({0x0311}, 0, {encryption_context({2})});
    req[64] = 35;
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("context list past the end") {
    Bytes req = negotiate_request({0x0311}, 0, {encryption_context({2})});
    req.resize(req.size() - 2);
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("misaligned context offset") {
    Bytes req = negotiate_request({0x0311}, 0, {encryption_context({2})});
    req[64 + 28] += 2;
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("context offset inside the fixed part") {
    Bytes req = negotiate_request({0x0311}, 0, {encryption_context({2})});
    req[64 + 28] = 64;
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("CipherCount 0") {
    const Bytes req = negotiate_request({0x0311}, 0, {context(0x0002, Bytes{0, 0})});
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("CipherCount larger than the data") {
    const Bytes req = negotiate_request({0x0311}, 0, {context(0x0002, Bytes{3, 0, 1, 0})});
    CHECK_FALSE(parse_negotiate_request(req));
  }
  SECTION("response body too short") {
    Bytes resp = negotiate_response(0x0311, 0, {});
    resp.resize(64 + 40);
    CHECK(parse_negotiate_response(resp).error().code == Errc::MalformedNegotiate);
  }
  SECTION("response StructureSize") {
    Bytes resp = negotiate_response(0x0300, kCapEncryption, {});
    resp[64] = 9;  // an ERROR body's size
    CHECK_FALSE(parse_negotiate_response(resp));
  }
}
