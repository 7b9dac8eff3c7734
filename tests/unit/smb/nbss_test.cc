// NBSS framing ([MS-SMB2] 2.1): need-more, session messages, keepalives, limits.
#include "smb/nbss.h"

#include <catch2/catch.hpp>

#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;

TEST_CASE("smb: nbss header needs four bytes, one at a time", "[smb][nbss]") {
  const Bytes frame = {0x00, 0x01, 0x02, 0x03};
  for (size_t n = 0; n < 4; ++n) {
    const auto r = read_nbss_header(BytesView(frame).first(n), kNbssMaxLength);
    CHECK(std::holds_alternative<NeedMore>(r));
  }
  const auto r = read_nbss_header(frame, kNbssMaxLength);
  REQUIRE(std::holds_alternative<Parsed<NbssHeader>>(r));
  const auto& p = std::get<Parsed<NbssHeader>>(r);
  CHECK(p.consumed == 4);
  CHECK(p.value.type == kNbssSessionMessage);
  CHECK(p.value.length == 0x010203);  // 24-bit big-endian
  CHECK_FALSE(p.value.keepalive());
}

TEST_CASE("smb: nbss keepalives and other types", "[smb][nbss]") {
  using Catch::Generators::table;
  auto [bytes, want_ok, want_code] = GENERATE(table<std::vector<uint8_t>, bool, Errc>({
      {{0x85, 0x00, 0x00, 0x00}, true, Errc::NbssType},   // keepalive
      {{0x85, 0x00, 0x00, 0x01}, false, Errc::NbssType},  // keepalive with a length
      {{0x81, 0x00, 0x00, 0x04}, false, Errc::NbssType},  // session request (port 139)
      {{0x82, 0x00, 0x00, 0x00}, false, Errc::NbssType},  // positive response
      {{0x00, 0xFF, 0xFF, 0xFF}, true, Errc::NbssType},   // largest session message
  }));
  const auto r = read_nbss_header(bytes, kNbssMaxLength);
  if (want_ok) {
    CHECK(std::holds_alternative<Parsed<NbssHeader>>(r));
  } else {
    REQUIRE(std::holds_alternative<ParseError<Errc>>(r));
    CHECK(std::get<ParseError<Errc>>(r).code == want_code);
  }
}

TEST_CASE("smb: nbss frames over the limit are refused", "[smb][nbss]") {
  const Bytes frame = {0x00, 0x01, 0x00, 0x01};  // 65537 bytes
  const auto r = read_nbss_header(frame, 65536);
  REQUIRE(std::holds_alternative<ParseError<Errc>>(r));
  CHECK(std::get<ParseError<Errc>>(r).code == Errc::FrameTooLarge);
  CHECK(std::get<ParseError<Errc>>(r).offset == 1);
  CHECK(std::holds_alternative<Parsed<NbssHeader>>(read_nbss_header(frame, 65537)));
}

TEST_CASE("smb: nbss_frame writes the header of a message", "[smb][nbss]") {
  const Bytes msg(300, 0xAB);
  const Bytes f = nbss_frame(msg);
  REQUIRE(f.size() == 304);
  CHECK(f[0] == 0x00);
  CHECK(f[1] == 0x00);
  CHECK(f[2] == 0x01);
  CHECK(f[3] == 0x2C);
  const auto r = read_nbss_header(f, kNbssMaxLength);
  REQUIRE(std::holds_alternative<Parsed<NbssHeader>>(r));
  CHECK(std::get<Parsed<NbssHeader>>(r).value.length == 300);
}

TEST_CASE("smb: every captured frame has a consistent nbss header", "[smb][nbss][vectors]") {
  const std::string name =
      GENERATE(as<std::string>{}, "capture_311_aes128gcm.hex", "capture_300.hex",
               "capture_oplock_break.hex", "capture_smb1_multiprotocol.hex");
  INFO(name);
  for (const auto& f : smbtest::load_capture(name)) {
    INFO("line " << f.line);
    const auto r = read_nbss_header(f.bytes, kNbssMaxLength);
    REQUIRE(std::holds_alternative<Parsed<NbssHeader>>(r));
    CHECK(std::get<Parsed<NbssHeader>>(r).value.length + 4 == f.bytes.size());
  }
}
