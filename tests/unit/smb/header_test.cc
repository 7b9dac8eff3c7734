// SMB2 header, TRANSFORM_HEADER and compound chains ([MS-SMB2] 2.2.1, 2.2.41, 3.2.4.1.4).
#include "smb/header.h"

#include <catch2/catch.hpp>

#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using smbtest::Builder;
using smbtest::Hdr;

TEST_CASE("smb: protocol ids", "[smb][header]") {
  using Catch::Generators::table;
  auto [bytes, want] = GENERATE(table<std::vector<uint8_t>, ProtocolId>({
      {{0xFE, 'S', 'M', 'B'}, ProtocolId::Smb2},
      {{0xFD, 'S', 'M', 'B'}, ProtocolId::Transform},
      {{0xFC, 'S', 'M', 'B'}, ProtocolId::Compressed},
      {{0xFF, 'S', 'M', 'B'}, ProtocolId::Smb1},
      {{0xFE, 'S', 'M', 'X'}, ProtocolId::Unknown},
      {{'G', 'E', 'T', ' '}, ProtocolId::Unknown},
      {{0xFE, 'S', 'M'}, ProtocolId::Unknown},
  }));
  CHECK(classify(bytes) == want);
}

TEST_CASE("smb: SMB2 header of a captured NEGOTIATE response", "[smb][header][vectors]") {
  const auto frames = smbtest::load_capture("capture_311_aes128gcm.hex");
  const BytesView msg = smbtest::message(frames.at(1));
  for (size_t n = 0; n < kSmb2HeaderBytes; ++n)
    CHECK(std::holds_alternative<NeedMore>(read_smb2_header(msg.first(n))));
  const auto r = read_smb2_header(msg);
  REQUIRE(std::holds_alternative<Parsed<Smb2Header>>(r));
  const Smb2Header& h = std::get<Parsed<Smb2Header>>(r).value;
  CHECK(h.command == static_cast<uint16_t>(Command::Negotiate));
  CHECK(h.is_response());
  CHECK(h.status == kStatusSuccess);
  CHECK(h.message_id == 0);
  CHECK(h.session_id == 0);
  CHECK(h.next_command == 0);
}

TEST_CASE("smb: SMB2 header fields and the async form", "[smb][header]") {
  Builder b;
  b.header(Hdr{0x0008, kFlagServerToRedir | kFlagAsync | kFlagSigned, kStatusPending, 42,
               0x1122334455667788ull, 0});
  const Bytes msg = b.take();
  const auto r = read_smb2_header(msg);
  REQUIRE(std::holds_alternative<Parsed<Smb2Header>>(r));
  const Smb2Header& h = std::get<Parsed<Smb2Header>>(r).value;
  CHECK(h.command == 8);
  CHECK(h.status == kStatusPending);
  CHECK(h.message_id == 42);
  CHECK(h.session_id == 0x1122334455667788ull);
  CHECK(h.async_id == 0x00000000'0000FEFFull);  // the bytes a sync header keeps ProcessId in
  CHECK(h.is_signed());
}

TEST_CASE("smb: malformed SMB2 headers", "[smb][header]") {
  Bytes msg = Builder().header(Hdr{}).take();
  SECTION("StructureSize is not 64") {
    msg[4] = 65;
    const auto r = read_smb2_header(msg);
    REQUIRE(std::holds_alternative<ParseError<Errc>>(r));
    CHECK(std::get<ParseError<Errc>>(r).code == Errc::MalformedHeader);
    CHECK(std::get<ParseError<Errc>>(r).offset == 4);
  }
  SECTION("not FE 'SMB'") {
    msg[0] = 0xFD;
    const auto r = read_smb2_header(msg);
    REQUIRE(std::holds_alternative<ParseError<Errc>>(r));
    CHECK(std::get<ParseError<Errc>>(r).offset == 0);
  }
}

TEST_CASE("smb: TRANSFORM_HEADER of Microsoft's 3.0 vector", "[smb][header][vectors]") {
  const auto v = smbtest::load_vectors("transform.txt").at(0);
  const Bytes t = v.bytes("Transform");
  for (size_t n = 0; n < kTransformHeaderBytes; ++n)
    CHECK(std::holds_alternative<NeedMore>(read_transform_header(BytesView(t).first(n))));
  const auto r = read_transform_header(t);
  REQUIRE(std::holds_alternative<Parsed<TransformHeader>>(r));
  const TransformHeader& h = std::get<Parsed<TransformHeader>>(r).value;
  CHECK(h.session_id == 0x0008e40014000011ull);
  CHECK(h.flags == kTransformEncrypted);
  CHECK(h.original_message_size == t.size() - kTransformHeaderBytes);
  CHECK(h.nonce[0] == 0x66);
  CHECK(h.nonce[15] == 0xEE);  // the non-zero reserved tail of this vector
  CHECK(h.signature[0] == 0x81);
  CHECK(transform_aad(t).size() == 32);
  CHECK(transform_aad(t)[0] == 0x66);
  CHECK(read_smb2_header(t).index() == 2);  // not an SMB2 header
}

TEST_CASE("smb: compound chains split on NextCommand", "[smb][header]") {
  Builder b;
  b.header(Hdr{0x0005, 0, 0, 1, 7, 72}).zeros(8);  // CREATE, next at 72
  b.header(Hdr{0x0010, kFlagRelated, 0, 2, 7, 0}).zeros(5);
  const Bytes frame = b.take();
  BytesView rest(frame);
  auto m1 = next_message(rest, 0);
  REQUIRE(m1);
  CHECK(m1->header.command == 0x0005);
  CHECK(m1->bytes.size() == 72);
  auto m2 = next_message(rest, 72);
  REQUIRE(m2);
  CHECK(m2->header.command == 0x0010);
  CHECK(m2->bytes.size() == 69);
  CHECK(rest.empty());
}

TEST_CASE("smb: bad NextCommand values are refused", "[smb][header]") {
  const uint32_t next =
      GENERATE(uint32_t{8}, uint32_t{63}, uint32_t{68}, uint32_t{72}, uint32_t{4096});
  INFO("NextCommand " << next);
  Builder b;
  b.header(Hdr{0x0005, 0, 0, 1, 7, next}).zeros(8);  // 72 bytes: nothing follows
  const Bytes frame = b.take();
  BytesView rest(frame);
  auto m = next_message(rest, 0);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == Errc::MalformedHeader);
}

TEST_CASE("smb: command names", "[smb][header]") {
  CHECK(command_name(0x03) == "TREE_CONNECT");
  CHECK(command_name(0x12) == "OPLOCK_BREAK");
  CHECK(command_name(0x99) == "unknown");
}
