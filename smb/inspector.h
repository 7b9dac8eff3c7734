// smb::Inspector is the SMB door's sans-I/O core: it sees the bytes of one TCP connection in
// both directions, lets through only SMB 3.x sessions that negotiate and use encryption, and
// never changes a byte (the 3.1.1 preauth integrity hash covers NEGOTIATE and
// SESSION_SETUP, so a relay must not rewrite them). It holds no keys.
//
// How it decides (SMB3-FACTS §9; every rule cites its [MS-SMB2] section in inspector.cc):
//   1. NEGOTIATE request: at least one 3.x dialect and an allowed way to encrypt.
//   2. NEGOTIATE response: 3.0/3.0.2 with CAP_ENCRYPTION (AES-128-CCM), or 3.1.1 with one
//      ENCRYPTION context naming an allowed cipher; no transport-level security.
//   3. Final SESSION_SETUP response: not guest, not anonymous, signed; in Strict mode also
//      ENCRYPT_DATA. The session id is then recorded as established.
//   4. From NEGOTIATE on, every message is a TRANSFORM for an established session, with a
//      consistent length and Flags 0x0001, except: SESSION_SETUP of a session that is not
//      established yet (new or binding), the plaintext oplock/lease break notification from
//      the server, and ECHO with SessionId 0. Anything else closes the connection.
//
// Streaming: frames reach 16 MiB. Only NBSS headers, TRANSFORM headers and plaintext frames
// (bounded by max_plain_frame_bytes) are held; TRANSFORM payloads go straight to the output.
// Feeding a stream one byte at a time or in one piece gives the same verdict and output.
//
// Shape (STYLE.md R4): one State enum, one do_<state>() per state, one driver (dispatch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "smb/config.h"
#include "smb/errors.h"
#include "smb/header.h"
#include "smb/types.h"

namespace intransit::smb {

// Side names the peer that sent some bytes.
enum class Side : uint8_t { Client, Server };

// name returns "client" or "server".
std::string_view name(Side s);

// State is where the connection stands.
enum class State : uint8_t {
  AwaitNegotiate,       // nothing yet: the client's NEGOTIATE request must come first
  AwaitNegotiateReply,  // the server's NEGOTIATE response must come next
  AwaitSession,         // negotiated with encryption; no session established yet
  Encrypted,            // at least one session established: TRANSFORMs flow
  Closed,               // dropped; nothing more passes
};

// name returns the state's name for logs and tests ("await_negotiate", ...).
std::string_view name(State s);

// Verdict is the outcome of feeding bytes: pass, or drop with a reason (close both sides).
class Verdict {
 public:
  static constexpr Verdict pass() { return Verdict(); }
  static constexpr Verdict drop(Errc reason) {
    Verdict v;
    v.dropped_ = true;
    v.reason_ = reason;
    return v;
  }
  constexpr bool dropped() const { return dropped_; }
  // reason is meaningful only when dropped().
  constexpr Errc reason() const { return reason_; }
  friend constexpr bool operator==(Verdict, Verdict) = default;

 private:
  bool dropped_ = false;
  Errc reason_ = Errc{};
};

// DropInfo says where a drop happened, for the log line.
struct DropInfo {
  Side side = Side::Client;
  State state = State::AwaitNegotiate;  // the state when the offending frame arrived
  uint64_t offset = 0;                  // stream offset of the offending frame (that side)
  std::optional<uint16_t> command;      // the offending plaintext message's command
  uint64_t session_id = 0;              // its SessionId (header or TRANSFORM), when known
};

// SessionEvent reports a session that passed rule 3.
struct SessionEvent {
  uint64_t session_id = 0;
  uint16_t session_flags = 0;
  bool binding = false;  // established by a binding SESSION_SETUP (another channel)
};

// Inspector judges one TCP connection, both directions, and forwards only what passes (see the
// top of this file). It is a pure state machine: no I/O, no clock, no allocation beyond its
// small per-direction hold buffers and session table. Not thread-safe.
class Inspector {
 public:
  // Inspector starts in AwaitNegotiate. `policy` is copied.
  explicit Inspector(const InspectorPolicy& policy);
  Inspector(const Inspector&) = delete;
  Inspector& operator=(const Inspector&) = delete;

  // feed inspects `in`, the next bytes `from` sent, and appends to `out` the bytes that may
  // be forwarded to the other side, unchanged and in order. Bytes of a frame whose header is
  // still incomplete are held until it is. On a drop nothing of the offending frame is
  // appended, and every later call returns the same verdict and appends nothing.
  Verdict feed(Side from, BytesView in, ByteQueue& out);

  State state() const { return state_; }
  Verdict verdict() const { return verdict_; }
  // drop_info is meaningful once verdict().dropped().
  const DropInfo& drop_info() const { return drop_; }

  // The negotiated dialect and cipher, from AwaitSession on.
  std::optional<Dialect> dialect() const { return dialect_; }
  std::optional<Cipher> cipher() const { return cipher_; }

  // events lists the sessions established since the last clear_events().
  std::span<const SessionEvent> events() const { return events_; }
  void clear_events() { events_.clear(); }

  // trace lists every state entered, starting with AwaitNegotiate (tests assert on it).
  const std::vector<State>& trace() const { return trace_; }

  // Frame counters per side (index static_cast<size_t>(Side)).
  uint64_t transforms(Side s) const { return dir(s).transforms; }
  uint64_t plain_frames(Side s) const { return dir(s).plain_frames; }

 private:
  // Stage is where the framer of one direction stands inside the current NBSS frame.
  enum class Stage : uint8_t { Nbss, ProtocolId, Plain, TransformHead, Payload };

  struct Direction {
    Stage stage = Stage::Nbss;
    Bytes hold;                 // the current frame's bytes held for inspection (NBSS header on)
    size_t need = 0;            // hold must reach this many bytes before the next decision
    uint32_t frame_len = 0;     // NBSS length of the current frame
    uint32_t payload_left = 0;  // TRANSFORM payload bytes still to pass through
    uint64_t forwarded = 0;     // bytes of this side appended to the output so far
    uint64_t transforms = 0;
    uint64_t plain_frames = 0;
  };

  enum class SessionState : uint8_t { InProgress, Established };
  struct Session {
    uint64_t id = 0;
    SessionState state = SessionState::InProgress;
    bool binding = false;
  };

  Direction& dir(Side s) { return dirs_[static_cast<size_t>(s)]; }
  const Direction& dir(Side s) const { return dirs_[static_cast<size_t>(s)]; }

  // Framing.
  Verdict on_frame_head(Side from, Direction& d, ByteQueue& out);
  Verdict on_plain_frame(Side from, BytesView frame);
  void forward_hold(Direction& d, ByteQueue& out);
  Verdict drop(Side from, Errc reason, std::optional<uint16_t> command = std::nullopt,
               uint64_t session_id = 0);

  // The driver and one function per state (R4) for plaintext messages.
  Verdict dispatch(Side from, const Smb2Message& m, BytesView frame);
  Verdict do_await_negotiate(Side from, const Smb2Message& m);
  Verdict do_await_negotiate_reply(Side from, const Smb2Message& m);
  Verdict do_await_session(Side from, const Smb2Message& m, BytesView frame);
  Verdict do_encrypted(Side from, const Smb2Message& m, BytesView frame);
  // Rule 4 for a plaintext message once negotiated (AwaitSession and Encrypted).
  Verdict check_plaintext(Side from, const Smb2Message& m, BytesView frame);
  Verdict on_session_setup_request(const Smb2Message& m);
  Verdict on_session_setup_response(const Smb2Message& m);
  bool is_break_notification(Side from, const Smb2Message& m, BytesView frame) const;
  bool is_sessionless_echo(const Smb2Message& m) const;

  // TRANSFORM headers.
  Verdict on_transform(Side from, BytesView head, uint32_t frame_len);

  Session* find_session(uint64_t id);
  const Session* find_session(uint64_t id) const;
  bool established(uint64_t id) const;
  void enter(State s);

  InspectorPolicy policy_;
  State state_ = State::AwaitNegotiate;
  Verdict verdict_;
  DropInfo drop_;
  Direction dirs_[2];
  std::vector<uint16_t> offered_dialects_;
  std::vector<uint16_t> offered_ciphers_;
  bool offered_cap_encryption_ = false;
  std::optional<Dialect> dialect_;
  std::optional<Cipher> cipher_;
  std::vector<Session> sessions_;
  std::vector<SessionEvent> events_;
  std::vector<State> trace_;
};

}  // namespace intransit::smb
