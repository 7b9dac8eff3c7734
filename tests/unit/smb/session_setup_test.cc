// SESSION_SETUP codec ([MS-SMB2] 2.2.5, 2.2.6) on Samba's messages and built ones.
#include "smb/session_setup.h"

#include <catch2/catch.hpp>

#include "smb/header.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

TEST_CASE("smb: SessionFlags of Samba's final SESSION_SETUP responses",
          "[smb][session_setup][vectors]") {
  using Catch::Generators::table;
  auto [file, index, flags] = GENERATE(table<std::string, size_t, uint16_t>({
      {"capture_311_aes128gcm.hex", 5, kSessionFlagEncryptData},
      {"capture_300.hex", 5, kSessionFlagEncryptData},
      {"capture_311_client_encrypt.hex", 5, 0},      // client-initiated encryption
      {"capture_311_plain_tree_connect.hex", 5, 0},  // if_required
      {"capture_guest.hex", 5, kSessionFlagIsGuest},
      {"capture_anonymous.hex", 9, 0},  // Samba: anonymous is flags 0, unsigned
  }));
  INFO(file);
  const auto frames = load_capture(file);
  const BytesView msg = message(frames.at(index));
  const auto h = std::get<Parsed<Smb2Header>>(read_smb2_header(msg)).value;
  REQUIRE(h.command == static_cast<uint16_t>(Command::SessionSetup));
  REQUIRE(h.status == kStatusSuccess);
  const auto r = parse_session_setup_response(msg);
  REQUIRE(r);
  CHECK(r->session_flags == flags);
}

TEST_CASE("smb: SESSION_SETUP requests", "[smb][session_setup]") {
  const auto frames = load_capture("capture_311_aes128gcm.hex");
  const auto first = parse_session_setup_request(message(frames.at(2)));
  REQUIRE(first);
  CHECK_FALSE(first->binding());
  CHECK(first->previous_session_id == 0);

  const auto bind = parse_session_setup_request(session_setup_request(0x55, kSessionSetupBinding));
  REQUIRE(bind);
  CHECK(bind->binding());
}

TEST_CASE("smb: malformed SESSION_SETUP messages", "[smb][session_setup]") {
  SECTION("request StructureSize") {
    Bytes m = session_setup_request(0);
    m[64] = 24;
    CHECK(parse_session_setup_request(m).error().code == Errc::MalformedSessionSetup);
  }
  SECTION("request truncated") {
    Bytes m = session_setup_request(0);
    m.resize(64 + 20);
    CHECK_FALSE(parse_session_setup_request(m));
  }
  SECTION("response truncated") {
    Bytes m = session_setup_response(0x10, kStatusSuccess, 0);
    m.resize(64 + 3);
    CHECK_FALSE(parse_session_setup_response(m));
  }
  SECTION("response StructureSize") {
    Bytes m = session_setup_response(0x10, kStatusSuccess, 0);
    m[64] = 8;
    CHECK_FALSE(parse_session_setup_response(m));
  }
}
