// The inspector on real Samba sessions (tests/vectors/smb/capture_*.hex, made with
// tests/integration/smb_make_vectors.sh) and on built messages for what no real peer sends.
// Every case runs whole, one byte at a time and in 7-byte pieces, with the same verdict and
// the same output; the output is always exactly the input up to the offending frame.
#include "smb/inspector.h"

#include <catch2/catch.hpp>

#include "smb/negotiate.h"
#include "smb/session_setup.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

namespace {

constexpr Chunking kChunkings[] = {Chunking::Whole, Chunking::ByteByByte, Chunking::Split7};

// concat returns the bytes of frames[0..n) sent by `side`.
Bytes concat(const std::vector<Frame>& frames, size_t n, Side side) {
  Bytes out;
  for (size_t i = 0; i < n && i < frames.size(); ++i) {
    if (frames[i].side == side)
      out.insert(out.end(), frames[i].bytes.begin(), frames[i].bytes.end());
  }
  return out;
}

// run_all feeds `frames` under every chunking and checks that they agree: same verdict, same
// frame, output = the input of the frames that passed. Returns the whole-frame run.
Run run_all(const InspectorPolicy& policy, const std::vector<Frame>& frames,
            State* state = nullptr) {
  Run first;
  for (Chunking how : kChunkings) {
    Inspector insp(policy);
    const Run r = feed_frames(insp, frames, how);
    INFO("chunking " << static_cast<int>(how));
    CHECK(r.out[0] == concat(frames, r.frames_passed, Side::Client));
    CHECK(r.out[1] == concat(frames, r.frames_passed, Side::Server));
    if (how == Chunking::Whole) {
      first = r;
      if (state) *state = insp.state();
    } else {
      CHECK(r.verdict == first.verdict);
      CHECK(r.frames_passed == first.frames_passed);
    }
  }
  return first;
}

InspectorPolicy policy_with(std::initializer_list<Cipher> ciphers, Mode mode = Mode::Standard) {
  InspectorPolicy p;
  p.allowed_ciphers = CipherSet();
  for (Cipher c : ciphers) p.allowed_ciphers.add(c);
  p.mode = mode;
  return p;
}

// A built 3.1.1 connection up to an established session `sid` (AES-128-GCM).
std::vector<Frame> established_311(uint64_t sid = 0x1000) {
  return {C(negotiate_request({0x0300, 0x0302, 0x0311}, kCapEncryption,
                              {preauth_context(), encryption_context({2, 1})})),
          S(negotiate_response(0x0311, 0x0F, {preauth_context(), encryption_context({2})})),
          C(session_setup_request(0)),
          S(session_setup_response(sid, kStatusMoreProcessingRequired, 0, false)),
          C(session_setup_request(sid, 0, 2)),
          S(session_setup_response(sid, kStatusSuccess, kSessionFlagEncryptData, true, 2))};
}

std::vector<Frame> operator+(std::vector<Frame> a, const std::vector<Frame>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

// ---- real sessions that pass --------------------------------------------------------------

TEST_CASE("smb: encrypted Samba sessions pass untouched", "[smb][inspector][vectors]") {
  using Catch::Generators::table;
  auto [file, dialect, cipher, flags] = GENERATE(table<std::string, Dialect, Cipher, uint16_t>({
      {"capture_311_aes128gcm.hex", Dialect::Smb311, Cipher::Aes128Gcm, kSessionFlagEncryptData},
      {"capture_311_aes256gcm.hex", Dialect::Smb311, Cipher::Aes256Gcm, kSessionFlagEncryptData},
      {"capture_311_aes128ccm.hex", Dialect::Smb311, Cipher::Aes128Ccm, kSessionFlagEncryptData},
      {"capture_311_aes256ccm.hex", Dialect::Smb311, Cipher::Aes256Ccm, kSessionFlagEncryptData},
      {"capture_300.hex", Dialect::Smb300, Cipher::Aes128Ccm, kSessionFlagEncryptData},
      {"capture_302.hex", Dialect::Smb302, Cipher::Aes128Ccm, kSessionFlagEncryptData},
      {"capture_311_client_encrypt.hex", Dialect::Smb311, Cipher::Aes128Gcm, 0},
      {"capture_oplock_break.hex", Dialect::Smb300, Cipher::Aes128Ccm, kSessionFlagEncryptData},
  }));
  INFO(file);
  const auto frames = load_capture(file);
  State state{};
  const Run r = run_all(InspectorPolicy{}, frames, &state);
  CHECK_FALSE(r.verdict.dropped());
  CHECK(r.frames_passed == frames.size());
  CHECK(state == State::Encrypted);

  Inspector insp{InspectorPolicy{}};
  feed_frames(insp, frames, Chunking::Whole);
  CHECK(insp.dialect() == dialect);
  CHECK(insp.cipher() == cipher);
  REQUIRE(insp.events().size() == 1);
  CHECK(insp.events()[0].session_flags == flags);
  CHECK_FALSE(insp.events()[0].binding);
  CHECK(insp.trace() == std::vector<State>{State::AwaitNegotiate, State::AwaitNegotiateReply,
                                           State::AwaitSession, State::Encrypted});
  CHECK(insp.transforms(Side::Client) >= 2);
  CHECK(insp.plain_frames(Side::Client) == 3);
}

TEST_CASE("smb: Samba's plaintext oplock break on an encrypted session passes",
          "[smb][inspector][vectors]") {
  const auto frames = load_capture("capture_oplock_break.hex");
  const Frame& last = frames.back();
  REQUIRE(last.side == Side::Server);
  REQUIRE(classify(message(last)) == ProtocolId::Smb2);
  const auto h = std::get<Parsed<Smb2Header>>(read_smb2_header(message(last))).value;
  CHECK(h.command == static_cast<uint16_t>(Command::OplockBreak));
  CHECK(h.message_id == kUnsolicitedMessageId);
  CHECK(h.session_id != 0);
  CHECK(message(last).size() == 64 + 24);
  const Run r = run_all(InspectorPolicy{}, frames);
  CHECK(r.frames_passed == frames.size());
}

// ---- real sessions that are dropped -------------------------------------------------------

TEST_CASE("smb: Samba sessions short of encryption are dropped at the right frame",
          "[smb][inspector][vectors]") {
  using Catch::Generators::table;
  auto [file, mode, reason, at] = GENERATE(table<std::string, Mode, Errc, size_t>({
      {"capture_311_encrypt_off.hex", Mode::Standard, Errc::NoEncryptionContext, 1},
      {"capture_311_no_common_cipher.hex", Mode::Standard, Errc::NoCommonCipher, 1},
      {"capture_311_plain_tree_connect.hex", Mode::Standard, Errc::PlaintextMessage, 6},
      {"capture_311_share_encrypt.hex", Mode::Standard, Errc::PlaintextMessage, 6},
      {"capture_311_client_encrypt.hex", Mode::Strict, Errc::SessionNotEncrypted, 5},
      {"capture_311_plain_tree_connect.hex", Mode::Strict, Errc::SessionNotEncrypted, 5},
      {"capture_smb2_only.hex", Mode::Standard, Errc::NoSmb3Dialect, 0},
      {"capture_smb21_chosen.hex", Mode::Standard, Errc::DialectTooOld, 1},
      {"capture_smb1.hex", Mode::Standard, Errc::Smb1, 0},
      {"capture_smb1_multiprotocol.hex", Mode::Standard, Errc::Smb1, 0},
      {"capture_negotiate_failed.hex", Mode::Standard, Errc::NegotiateFailed, 1},
      {"capture_guest.hex", Mode::Standard, Errc::GuestSession, 5},
      {"capture_anonymous.hex", Mode::Standard, Errc::SessionNotSigned, 9},
  }));
  INFO(file << " mode " << label(mode));
  InspectorPolicy p;
  p.mode = mode;
  const auto frames = load_capture(file);
  const Run r = run_all(p, frames);
  CHECK(r.verdict == Verdict::drop(reason));
  CHECK(r.frames_passed == at);
}

TEST_CASE("smb: strict mode passes sessions with ENCRYPT_DATA", "[smb][inspector][vectors]") {
  const std::string file = GENERATE(as<std::string>{}, "capture_311_aes128gcm.hex",
                                    "capture_300.hex", "capture_311_aes256ccm.hex");
  InspectorPolicy p;
  p.mode = Mode::Strict;
  const auto frames = load_capture(file);
  CHECK(run_all(p, frames).frames_passed == frames.size());
}

TEST_CASE("smb: the cipher policy applies to what the server picks", "[smb][inspector][vectors]") {
  SECTION("only AES-256-GCM allowed, Samba picks AES-128-GCM") {
    const auto frames = load_capture("capture_311_aes128gcm.hex");
    const Run r = run_all(policy_with({Cipher::Aes256Gcm}), frames);
    CHECK(r.verdict == Verdict::drop(Errc::CipherNotAllowed));
    CHECK(r.frames_passed == 1);
  }
  SECTION("AES-128-CCM not allowed: a 3.0-only client cannot encrypt") {
    const auto frames = load_capture("capture_300.hex");
    const Run r = run_all(policy_with({Cipher::Aes128Gcm, Cipher::Aes256Gcm}), frames);
    CHECK(r.verdict == Verdict::drop(Errc::NoEncryptionOffered));
    CHECK(r.frames_passed == 0);
  }
  SECTION("GCM only: AES-256-GCM passes") {
    const auto frames = load_capture("capture_311_aes256gcm.hex");
    CHECK(run_all(policy_with({Cipher::Aes128Gcm, Cipher::Aes256Gcm}), frames).frames_passed ==
          frames.size());
  }
}

TEST_CASE("smb: a drop is final and holds back the whole offending frame",
          "[smb][inspector][vectors]") {
  const auto frames = load_capture("capture_311_plain_tree_connect.hex");
  Inspector insp{InspectorPolicy{}};
  const Run r = feed_frames(insp, frames, Chunking::Whole);
  REQUIRE(r.verdict == Verdict::drop(Errc::PlaintextMessage));
  CHECK(insp.state() == State::Closed);
  const DropInfo& i = insp.drop_info();
  CHECK(i.side == Side::Client);
  CHECK(i.state == State::Encrypted);
  CHECK(i.command == static_cast<uint16_t>(Command::TreeConnect));
  CHECK(i.session_id != 0);
  CHECK(i.offset == concat(frames, 6, Side::Client).size());
  ByteQueue out;
  CHECK(insp.feed(Side::Server, frames.at(7).bytes, out) == Verdict::drop(Errc::PlaintextMessage));
  CHECK(insp.feed(Side::Client, frames.at(8).bytes, out) == Verdict::drop(Errc::PlaintextMessage));
  CHECK(out.empty());
}

// ---- every drop reason and every allowed exception, on built messages ----------------------

TEST_CASE("smb: framing refusals", "[smb][inspector]") {
  using Catch::Generators::table;
  auto [bytes, reason] = GENERATE(table<std::vector<uint8_t>, Errc>({
      {{0x81, 0, 0, 0}, Errc::NbssType},
      {{0x85, 0, 0, 1, 0}, Errc::NbssType},
      {{0x00, 0, 0, 3, 0xFE, 'S', 'M'}, Errc::FrameTooShort},
      {{0x00, 0, 0, 8, 0xFE, 'S', 'M', 'B', 0, 0, 0, 0}, Errc::FrameTooShort},
      {{0x00, 0, 0, 40, 0xFD, 'S', 'M', 'B'}, Errc::FrameTooShort},
      {{0x00, 0, 0, 40, 0xFF, 'S', 'M', 'B'}, Errc::Smb1},
      {{0x00, 0, 0, 40, 0xFC, 'S', 'M', 'B'}, Errc::Compressed},
      {{0x00, 0, 0, 40, 'G', 'E', 'T', ' '}, Errc::UnknownProtocol},
      {{0x00, 0x05, 0, 0, 0xFE, 'S', 'M', 'B'}, Errc::FrameTooLarge},  // 320 KiB plaintext
      {{0x00, 0xFF, 0xFF, 0xFF}, Errc::FrameTooLarge},  // over the 1 MiB max_frame_bytes below
  }));
  InspectorPolicy p;
  p.max_frame_bytes = 1 << 20;
  for (Chunking how : kChunkings) {
    Inspector insp(p);
    const Run r = feed_frames(insp, {Frame{Side::Client, bytes, 0}}, how);
    CHECK(r.verdict == Verdict::drop(reason));
    CHECK(r.out[0].empty());
  }
}

TEST_CASE("smb: the largest legitimate plaintext frame fits the default limit",
          "[smb][inspector]") {
  // A SESSION_SETUP request with a 65535-byte security buffer (a big Kerberos ticket).
  Bytes big = session_setup_request(0);
  big.resize(64 + 24 + 65535, 0x60);
  auto frames = established_311();
  frames.resize(2);
  frames.push_back(C(big));
  CHECK(run_all(InspectorPolicy{}, frames).frames_passed == 3);
}

TEST_CASE("smb: keepalives pass in any state", "[smb][inspector]") {
  const Frame ka{Side::Client, {0x85, 0, 0, 0}, 0};
  const Frame kas{Side::Server, {0x85, 0, 0, 0}, 0};
  auto frames = std::vector<Frame>{ka, kas} + established_311();
  frames.push_back(ka);
  frames.push_back(kas);
  CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
}

TEST_CASE("smb: NEGOTIATE request refusals", "[smb][inspector]") {
  using Catch::Generators::table;
  auto [req, reason] = GENERATE(table<Bytes, Errc>({
      {negotiate_request({0x0202, 0x0210}, kCapEncryption, {}), Errc::NoSmb3Dialect},
      {negotiate_request({}, kCapEncryption, {}), Errc::NoSmb3Dialect},
      {negotiate_request({0x0311}, 0x7F, {preauth_context()}), Errc::NoEncryptionOffered},
      {negotiate_request({0x0311}, 0x7F, {encryption_context({5})}), Errc::NoEncryptionOffered},
      {negotiate_request({0x0300, 0x0302}, 0x3F, {}), Errc::NoEncryptionOffered},
      {negotiate_request({0x0311}, 0, {context(0x0002, Bytes{0, 0})}), Errc::MalformedNegotiate},
  }));
  const Run r = run_all(InspectorPolicy{}, {C(req)});
  CHECK(r.verdict == Verdict::drop(reason));
}

TEST_CASE("smb: NEGOTIATE response refusals", "[smb][inspector]") {
  const Bytes req = negotiate_request({0x0300, 0x0311}, kCapEncryption,
                                      {preauth_context(), encryption_context({2, 4})});
  using Catch::Generators::table;
  auto [resp, reason] = GENERATE_COPY(table<Bytes, Errc>({
      {negotiate_response(0x0210, 0x07, {}), Errc::DialectTooOld},
      {negotiate_response(0x02FF, 0x07, {}), Errc::DialectTooOld},
      {negotiate_response(0x0302, 0x4F, {}), Errc::DialectNotOffered},
      {negotiate_response(0x0310, 0x4F, {}), Errc::DialectNotOffered},
      {negotiate_response(0x0300, 0x0F, {}), Errc::NoEncryptionCapability},
      {negotiate_response(0x0311, 0x4F, {preauth_context()}), Errc::NoEncryptionContext},
      {negotiate_response(0x0311, 0, {encryption_context({0})}), Errc::NoCommonCipher},
      {negotiate_response(0x0311, 0, {encryption_context({1})}),
       Errc::CipherNotAllowed},  // not offered
      {negotiate_response(0x0311, 0, {encryption_context({9})}), Errc::CipherNotAllowed},
      {negotiate_response(0x0311, 0, {encryption_context({2, 4})}), Errc::MalformedNegotiate},
      {negotiate_response(0x0311, 0, {encryption_context({2}), encryption_context({2})}),
       Errc::MalformedNegotiate},
      {negotiate_response(0x0311, 0, {encryption_context({2}), transport_context(1)}),
       Errc::TransportSecurity},
  }));
  const Run r = run_all(InspectorPolicy{}, {C(req), S(resp)});
  CHECK(r.verdict == Verdict::drop(reason));
  CHECK(r.frames_passed == 1);
}

TEST_CASE("smb: 3.0 needs CAP_ENCRYPTION from both sides", "[smb][inspector]") {
  // The request also offers 3.1.1 with a cipher, so it passes; the server then picks 3.0.
  const Bytes req = negotiate_request({0x0300, 0x0311}, 0x3F, {encryption_context({2})});
  const Run r = run_all(InspectorPolicy{}, {C(req), S(negotiate_response(0x0300, 0x4F, {}))});
  CHECK(r.verdict == Verdict::drop(Errc::NoEncryptionCapability));
}

TEST_CASE("smb: protocol order", "[smb][inspector]") {
  const Bytes req = negotiate_request({0x0311}, 0, {encryption_context({2})});
  const Bytes resp = negotiate_response(0x0311, 0, {encryption_context({2})});
  using Catch::Generators::table;
  auto [frames, reason, at] = GENERATE_COPY(table<std::vector<Frame>, Errc, size_t>({
      {{S(resp)}, Errc::UnexpectedMessage, 0},                      // server talks first
      {{C(session_setup_request(0))}, Errc::UnexpectedMessage, 0},  // no NEGOTIATE first
      {{C(echo(false, 0))}, Errc::UnexpectedMessage, 0},
      {{C(transform(1, 100))}, Errc::UnexpectedMessage, 0},
      {{C(req), C(req)}, Errc::RepeatedNegotiate, 1},
      {{C(req), C(session_setup_request(0))}, Errc::UnexpectedMessage, 1},
      {{C(req), S(session_setup_response(5, kStatusSuccess, 4))}, Errc::UnexpectedMessage, 1},
      {{C(req), S(resp), C(req)}, Errc::RepeatedNegotiate, 2},
      {{C(req), S(resp), S(resp)}, Errc::RepeatedNegotiate, 2},
      {{C(req), S(resp), C(transform(1, 100))}, Errc::UnknownSession, 2},
      {{C(resp)}, Errc::WrongDirection, 0},
      {{C(req), S(req)}, Errc::WrongDirection, 1},
  }));
  const Run r = run_all(InspectorPolicy{}, frames);
  CHECK(r.verdict == Verdict::drop(reason));
  CHECK(r.frames_passed == at);
}

TEST_CASE("smb: a failed NEGOTIATE is dropped", "[smb][inspector]") {
  Builder b;
  b.header(Hdr{0, kFlagServerToRedir, 0xC00000BB, 0, 0, 0}).u16(9).zeros(7);
  const Run r =
      run_all(InspectorPolicy{}, {C(negotiate_request({0x0302}, kCapEncryption, {})), S(b.take())});
  CHECK(r.verdict == Verdict::drop(Errc::NegotiateFailed));
}

TEST_CASE("smb: SESSION_SETUP refusals", "[smb][inspector]") {
  const auto base = established_311(0x1000);
  using Catch::Generators::table;
  auto [extra, reason] = GENERATE(table<std::vector<Frame>, Errc>({
      // A new session whose final response is guest, anonymous, unsigned.
      {{C(session_setup_request(0, 0, 9)),
        S(session_setup_response(0x2000, kStatusSuccess, kSessionFlagIsGuest | 4))},
       Errc::GuestSession},
      {{C(session_setup_request(0, 0, 9)),
        S(session_setup_response(0x2000, kStatusSuccess, kSessionFlagIsNull))},
       Errc::NullSession},
      {{C(session_setup_request(0, 0, 9)),
        S(session_setup_response(0x2000, kStatusSuccess, 4, false))},
       Errc::SessionNotSigned},
      // Re-authentication of the established session in plaintext, either way.
      {{C(session_setup_request(0x1000, 0, 9))}, Errc::PlaintextReauth},
      {{C(session_setup_request(0x1000, kSessionSetupBinding, 9))}, Errc::PlaintextReauth},
      {{S(session_setup_response(0x1000, kStatusSuccess, 4))}, Errc::PlaintextReauth},
      // A SessionId nobody set up, without the binding flag.
      {{C(session_setup_request(0x3000, 0, 9))}, Errc::UnknownSession},
      // Responses that cannot be right.
      {{C(session_setup_request(0, 0, 9)), S(session_setup_response(0, kStatusSuccess, 4))},
       Errc::MalformedSessionSetup},
      {{C(session_setup_request(0, 0, 9)),
        S(session_setup_response(0, kStatusMoreProcessingRequired, 0))},
       Errc::MalformedSessionSetup},
  }));
  const auto frames = base + extra;
  const Run r = run_all(InspectorPolicy{}, frames);
  CHECK(r.verdict == Verdict::drop(reason));
  CHECK(r.frames_passed == frames.size() - 1);
}

TEST_CASE("smb: a malformed SESSION_SETUP request is dropped", "[smb][inspector]") {
  Bytes req = session_setup_request(0);
  req[64] = 24;
  auto frames = established_311();
  frames.resize(2);
  frames.push_back(C(req));
  CHECK(run_all(InspectorPolicy{}, frames).verdict == Verdict::drop(Errc::MalformedSessionSetup));
}

TEST_CASE("smb: the session table is bounded", "[smb][inspector]") {
  InspectorPolicy p;
  p.max_sessions = 1;
  auto frames = established_311(0x1000) +
                std::vector<Frame>{
                    C(session_setup_request(0, 0, 9)),
                    S(session_setup_response(0x2000, kStatusMoreProcessingRequired, 0, false, 9))};
  const Run r = run_all(p, frames);
  CHECK(r.verdict == Verdict::drop(Errc::TooManySessions));
  CHECK(r.frames_passed == 7);
}

TEST_CASE("smb: plaintext after NEGOTIATE", "[smb][inspector]") {
  const uint16_t command = GENERATE(range<uint16_t>(0x02, 0x14), uint16_t{0x0D}, uint16_t{0x77});
  INFO("command " << command_name(command));
  SECTION("on the established session") {
    auto frames = established_311(0x1000) + std::vector<Frame>{C(plain_request(command, 0x1000))};
    const Run r = run_all(InspectorPolicy{}, frames);
    CHECK(r.verdict == Verdict::drop(Errc::PlaintextMessage));
  }
  SECTION("before any session") {
    auto frames = established_311(0x1000);
    frames.resize(2);
    frames.push_back(C(plain_request(command, 0x1000)));
    CHECK(run_all(InspectorPolicy{}, frames).verdict == Verdict::drop(Errc::PlaintextMessage));
  }
}

TEST_CASE("smb: a compound hiding plaintext behind a SESSION_SETUP is dropped whole",
          "[smb][inspector]") {
  Builder b;
  b.header(Hdr{0x0001, 0, 0, 9, 0, 88}).u16(25).u8(0).u8(1).u32(0).u32(0).u16(88).u16(0).u64(0);
  b.pad8();
  b.header(Hdr{0x0003, kFlagRelated, 0, 10, 0x1000, 0}).u16(9).zeros(7);
  const Bytes compound = b.take();
  auto frames = established_311(0x1000) + std::vector<Frame>{C(compound)};
  const Run r = run_all(InspectorPolicy{}, frames);
  CHECK(r.verdict == Verdict::drop(Errc::PlaintextMessage));
  CHECK(r.out[0] == concat(frames, 6, Side::Client));
}

TEST_CASE("smb: TRANSFORM refusals", "[smb][inspector]") {
  using Catch::Generators::table;
  auto [msg, reason] = GENERATE(table<Bytes, Errc>({
      {transform(0x1000, 100, 0x0000), Errc::BadTransformFlags},
      {transform(0x1000, 100, 0x0002), Errc::BadTransformFlags},
      {transform(0x1000, 100, 1, 99), Errc::BadTransformLength},
      {transform(0x1000, 100, 1, 101), Errc::BadTransformLength},
      {transform(0x1000, 0), Errc::BadTransformLength},
      {transform(0x1001, 100), Errc::UnknownSession},
      {transform(0, 100), Errc::UnknownSession},
  }));
  for (Side side : {Side::Client, Side::Server}) {
    auto frames = established_311(0x1000);
    frames.push_back(Frame{side, nbss_frame(msg), 0});
    const Run r = run_all(InspectorPolicy{}, frames);
    CHECK(r.verdict == Verdict::drop(reason));
    CHECK(r.frames_passed == 6);
  }
}

TEST_CASE("smb: TRANSFORM for a session still being set up is refused", "[smb][inspector]") {
  auto frames = established_311(0x1000);
  frames.resize(4);  // MORE_PROCESSING for 0x1000, not final yet
  frames.push_back(C(transform(0x1000, 80)));
  CHECK(run_all(InspectorPolicy{}, frames).verdict == Verdict::drop(Errc::UnknownSession));
}

TEST_CASE("smb: allowed plaintext exceptions", "[smb][inspector]") {
  const auto base = established_311(0x1000);
  SECTION("a second session set up on the encrypted connection") {
    const auto frames =
        base + std::vector<Frame>{
                   C(transform(0x1000, 200)),
                   C(session_setup_request(0, 0, 9)),
                   S(session_setup_response(0x2000, kStatusMoreProcessingRequired, 0, false, 9)),
                   S(transform(0x1000, 120)),
                   C(session_setup_request(0x2000, 0, 10)),
                   S(session_setup_response(0x2000, kStatusSuccess, 4, true, 10)),
                   C(transform(0x2000, 90)),
                   S(transform(0x2000, 90))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
    Inspector insp{InspectorPolicy{}};
    feed_frames(insp, frames, Chunking::Whole);
    CHECK(insp.events().size() == 2);
  }
  SECTION("binding a session of another channel") {
    const auto frames =
        base + std::vector<Frame>{
                   C(session_setup_request(0x7777, kSessionSetupBinding, 9)),
                   S(session_setup_response(0x7777, kStatusMoreProcessingRequired, 0, false, 9)),
                   C(session_setup_request(0x7777, kSessionSetupBinding, 10)),
                   S(session_setup_response(0x7777, kStatusSuccess, 4, true, 10)),
                   C(transform(0x7777, 64)),
                   S(transform(0x7777, 64))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
    Inspector insp{InspectorPolicy{}};
    feed_frames(insp, frames, Chunking::Whole);
    REQUIRE(insp.events().size() == 2);
    CHECK(insp.events()[1].binding);
  }
  SECTION("a binding as the connection's only session") {
    auto frames = base;
    frames.resize(2);
    frames =
        frames + std::vector<Frame>{C(session_setup_request(0x7777, kSessionSetupBinding, 1)),
                                    S(session_setup_response(0x7777, kStatusSuccess, 4, true, 1)),
                                    C(transform(0x7777, 64))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
  }
  SECTION("interim STATUS_PENDING and a failed leg") {
    Builder pending;
    pending.header(Hdr{0x0001, kFlagServerToRedir | kFlagAsync, kStatusPending, 9, 0x2000, 0});
    pending.u16(9).zeros(7);
    const auto frames =
        base + std::vector<Frame>{
                   C(session_setup_request(0, 0, 9)),
                   S(session_setup_response(0x2000, kStatusMoreProcessingRequired, 0, false, 9)),
                   C(session_setup_request(0x2000, 0, 10)),
                   S(pending.take()),
                   S(session_setup_response(0x2000, 0xC000006D, 0, false, 10)),  // LOGON_FAILURE
                   C(transform(0x1000, 64))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
    // The failed session is forgotten: its id no longer carries a SESSION_SETUP.
    auto more = frames;
    more.push_back(C(session_setup_request(0x2000, 0, 11)));
    CHECK(run_all(InspectorPolicy{}, more).verdict == Verdict::drop(Errc::UnknownSession));
  }
  SECTION("ECHO without a session, both ways") {
    const auto frames = base + std::vector<Frame>{C(echo(false, 0)), S(echo(true, 0))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
  }
  SECTION("oplock and lease break notifications") {
    const auto frames =
        base + std::vector<Frame>{S(break_notification(24, 0x1000)), S(break_notification(44, 0)),
                                  S(break_notification(24, 0))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
  }
  SECTION("an error response to a first leg with SessionId 0") {
    const auto frames =
        base + std::vector<Frame>{C(session_setup_request(0, 0, 9)),
                                  S(session_setup_response(0, 0xC0000022, 0, false, 9))};
    CHECK(run_all(InspectorPolicy{}, frames).frames_passed == frames.size());
  }
}

TEST_CASE("smb: only the exact shape of the exceptions passes", "[smb][inspector]") {
  const auto base = established_311(0x1000);
  Bytes long_echo = echo(false, 0);
  long_echo.resize(long_echo.size() + 64);
  Builder ack;  // the client's OPLOCK_BREAK acknowledgement belongs in a TRANSFORM
  ack.header(Hdr{0x0012, 0, 0, 12, 0x1000, 0}).u16(24).zeros(22);
  const Bytes ack_msg = ack.take();
  using Catch::Generators::table;
  auto [frame, reason] = GENERATE_COPY(table<Frame, Errc>({
      {C(echo(false, 0x1000)), Errc::PlaintextMessage},
      {S(echo(true, 0x1000)), Errc::PlaintextMessage},
      {C(long_echo), Errc::PlaintextMessage},
      {C(ack_msg), Errc::PlaintextMessage},
      {S(break_notification(24, 0x5555)), Errc::PlaintextMessage},  // unknown session
      {S(break_notification(24, 0x1000, kFlagServerToRedir | kFlagSigned)), Errc::PlaintextMessage},
      {S(break_notification(24, 0x1000, kFlagServerToRedir | kFlagAsync)), Errc::PlaintextMessage},
      {S(break_notification(32, 0x1000)), Errc::PlaintextMessage},
      {S(break_notification(44, 0x1000, 0)), Errc::WrongDirection},
  }));
  const Run r = run_all(InspectorPolicy{}, base + std::vector<Frame>{frame});
  CHECK(r.verdict == Verdict::drop(reason));
  CHECK(r.frames_passed == 6);
}

TEST_CASE("smb: large TRANSFORM payloads stream through without being held", "[smb][inspector]") {
  Inspector insp{InspectorPolicy{}};
  const auto base = established_311(0x1000);
  REQUIRE_FALSE(feed_frames(insp, base, Chunking::Whole).verdict.dropped());
  constexpr uint32_t kPayload = 8 * 1024 * 1024 + 64;  // one 8 MiB READ response
  const Bytes frame = nbss_frame(transform(0x1000, kPayload));
  ByteQueue out;
  // The 56 header bytes are held until complete, then everything goes straight through.
  CHECK_FALSE(insp.feed(Side::Server, BytesView(frame).first(55), out).dropped());
  CHECK(out.size() == 0);
  size_t fed = 55;
  while (fed < frame.size()) {
    const size_t n = std::min<size_t>(65536, frame.size() - fed);
    CHECK_FALSE(insp.feed(Side::Server, BytesView(frame).subspan(fed, n), out).dropped());
    fed += n;
    REQUIRE(out.size() == fed);  // nothing buffered inside the inspector
  }
  CHECK(smbtest::drain(out) == frame);
  // The next frame after the payload is inspected again.
  const Bytes bad = nbss_frame(transform(0x1000, 10, 1, 11));
  CHECK(insp.feed(Side::Server, bad, out) == Verdict::drop(Errc::BadTransformLength));
}

TEST_CASE("smb: names of states and sides", "[smb][inspector]") {
  CHECK(name(State::AwaitNegotiate) == "await_negotiate");
  CHECK(name(State::Encrypted) == "encrypted");
  CHECK(name(Side::Server) == "server");
  for (size_t i = 0; i < kErrcCount; ++i) {
    const auto e = static_cast<Errc>(i);
    CHECK_FALSE(label(e).empty());
    CHECK(label(e) != "internal");
    CHECK_FALSE(describe(e).empty());
  }
}
