#include "smb/inspector.h"

#include <algorithm>

#include "gateway/base/assert.h"
#include "smb/nbss.h"
#include "smb/negotiate.h"
#include "smb/reader.h"
#include "smb/session_setup.h"

namespace intransit::smb {
namespace {

// A plaintext frame keeps its hold buffer's capacity up to this size for the next frame.
constexpr size_t kKeepHoldCapacity = 4096;

bool contains(const std::vector<uint16_t>& v, uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// body_structure_size returns the StructureSize that opens a message body (0 if absent).
uint16_t body_structure_size(BytesView msg) {
  Reader r(msg);
  uint16_t size = 0;
  if (!r.skip(kSmb2HeaderBytes) || !r.u16le(size)) return 0;
  return size;
}

}  // namespace

std::string_view name(Side s) {
  switch (s) {
    case Side::Client:
      return "client";
    case Side::Server:
      return "server";
  }
  return "?";
}

std::string_view name(State s) {
  switch (s) {
    case State::AwaitNegotiate:
      return "await_negotiate";
    case State::AwaitNegotiateReply:
      return "await_negotiate_reply";
    case State::AwaitSession:
      return "await_session";
    case State::Encrypted:
      return "encrypted";
    case State::Closed:
      return "closed";
  }
  return "?";
}

Inspector::Inspector(const InspectorPolicy& policy) : policy_(policy) {
  trace_.push_back(state_);
  for (Direction& d : dirs_) {
    d.need = kNbssHeaderBytes;
    d.hold.reserve(64);
  }
}

// ---- framing ---------------------------------------------------------------------------------

Verdict Inspector::feed(Side from, BytesView in, ByteQueue& out) {
  if (verdict_.dropped()) return verdict_;
  Direction& d = dir(from);
  size_t pos = 0;
  while (pos < in.size()) {
    if (d.stage == Stage::Payload) {
      // The body of a TRANSFORM: ciphertext the gateway cannot read. Pass it on untouched.
      const size_t n = std::min<size_t>(d.payload_left, in.size() - pos);
      out.append(in.subspan(pos, n));
      pos += n;
      d.forwarded += n;
      d.payload_left -= static_cast<uint32_t>(n);
      if (d.payload_left == 0) {
        d.stage = Stage::Nbss;
        d.need = kNbssHeaderBytes;
      }
      continue;
    }
    const size_t n = std::min(d.need - d.hold.size(), in.size() - pos);
    d.hold.insert(d.hold.end(), in.begin() + static_cast<std::ptrdiff_t>(pos),
                  in.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    if (d.hold.size() < d.need) break;
    if (const Verdict v = on_frame_head(from, d, out); v.dropped()) return v;
  }
  return verdict_;
}

void Inspector::forward_hold(Direction& d, ByteQueue& out) {
  out.append(d.hold);
  d.forwarded += d.hold.size();
  if (d.hold.capacity() > kKeepHoldCapacity) {
    Bytes().swap(d.hold);
    d.hold.reserve(64);
  }
  d.hold.clear();
  d.stage = Stage::Nbss;
  d.need = kNbssHeaderBytes;
}

Verdict Inspector::on_frame_head(Side from, Direction& d, ByteQueue& out) {
  const BytesView held(d.hold);
  switch (d.stage) {
    case Stage::Nbss: {
      // [MS-SMB2] 2.1: every message travels in one NBSS session message.
      const auto r = read_nbss_header(held, policy_.max_frame_bytes);
      if (const auto* e = std::get_if<ParseError<Errc>>(&r)) return drop(from, e->code);
      INTRANSIT_ASSERT(std::holds_alternative<Parsed<NbssHeader>>(r));
      const NbssHeader h = std::get<Parsed<NbssHeader>>(r).value;
      if (h.keepalive()) {
        forward_hold(d, out);
        return Verdict::pass();
      }
      if (h.length < kProtocolIdBytes) return drop(from, Errc::FrameTooShort);
      d.frame_len = h.length;
      d.stage = Stage::ProtocolId;
      d.need = kNbssHeaderBytes + kProtocolIdBytes;
      return Verdict::pass();
    }
    case Stage::ProtocolId:
      switch (classify(held.subspan(kNbssHeaderBytes))) {
        case ProtocolId::Smb2:
          // Plaintext is allowed only for a few small messages: hold the frame whole.
          if (d.frame_len < kSmb2HeaderBytes) return drop(from, Errc::FrameTooShort);
          if (d.frame_len > policy_.max_plain_frame_bytes) return drop(from, Errc::FrameTooLarge);
          d.stage = Stage::Plain;
          d.need = kNbssHeaderBytes + d.frame_len;
          return Verdict::pass();
        case ProtocolId::Transform:
          if (d.frame_len < kTransformHeaderBytes) return drop(from, Errc::FrameTooShort);
          d.stage = Stage::TransformHead;
          d.need = kNbssHeaderBytes + kTransformHeaderBytes;
          return Verdict::pass();
        case ProtocolId::Smb1:
          // SMB1, and the SMB1 multi-protocol NEGOTIATE that upgrades to SMB2: refused.
          return drop(from, Errc::Smb1);
        case ProtocolId::Compressed:
          // [MS-SMB2] 3.1.4.4: a sender compresses, then encrypts. An outer COMPRESSION_
          // TRANSFORM_HEADER is therefore compressed plaintext.
          return drop(from, Errc::Compressed);
        case ProtocolId::Unknown:
          return drop(from, Errc::UnknownProtocol);
      }
      break;
    case Stage::Plain: {
      if (const Verdict v = on_plain_frame(from, held.subspan(kNbssHeaderBytes)); v.dropped())
        return v;
      ++d.plain_frames;
      forward_hold(d, out);
      return Verdict::pass();
    }
    case Stage::TransformHead: {
      if (const Verdict v = on_transform(from, held.subspan(kNbssHeaderBytes), d.frame_len);
          v.dropped())
        return v;
      ++d.transforms;
      const uint32_t payload = d.frame_len - static_cast<uint32_t>(kTransformHeaderBytes);
      forward_hold(d, out);
      if (payload > 0) {
        d.stage = Stage::Payload;
        d.payload_left = payload;
      }
      return Verdict::pass();
    }
    case Stage::Payload:
      break;  // feed streams payload bytes without calling here
  }
  INTRANSIT_ASSERT(false);
  return drop(from, Errc::UnexpectedMessage);
}

Verdict Inspector::on_plain_frame(Side from, BytesView frame) {
  // [MS-SMB2] 3.2.4.1.4: a frame may hold a compound chain. Every message is judged; one
  // refusal refuses the whole frame.
  BytesView rest = frame;
  size_t base = 0;
  while (!rest.empty()) {
    const size_t before = rest.size();
    auto m = next_message(rest, base);
    if (!m) return drop(from, m.error().code);
    if (const Verdict v = dispatch(from, *m, frame); v.dropped()) return v;
    base += before - rest.size();
  }
  return Verdict::pass();
}

Verdict Inspector::drop(Side from, Errc reason, std::optional<uint16_t> command,
                        uint64_t session_id) {
  drop_ = DropInfo{from, state_, dir(from).forwarded, command, session_id};
  verdict_ = Verdict::drop(reason);
  enter(State::Closed);
  return verdict_;
}

void Inspector::enter(State s) {
  state_ = s;
  trace_.push_back(s);
}

// ---- plaintext messages: the driver and the states -------------------------------------------

Verdict Inspector::dispatch(Side from, const Smb2Message& m, BytesView frame) {
  const Smb2Header& h = m.header;
  // [MS-SMB2] 2.2.1.2: SMB2_FLAGS_SERVER_TO_REDIR is set on responses, which only the server
  // sends (oplock and lease break notifications included).
  if (h.is_response() != (from == Side::Server))
    return drop(from, Errc::WrongDirection, h.command, h.session_id);
  switch (state_) {
    case State::AwaitNegotiate:
      return do_await_negotiate(from, m);
    case State::AwaitNegotiateReply:
      return do_await_negotiate_reply(from, m);
    case State::AwaitSession:
      return do_await_session(from, m, frame);
    case State::Encrypted:
      return do_encrypted(from, m, frame);
    case State::Closed:
      break;
  }
  INTRANSIT_ASSERT(false);  // feed never dispatches once dropped
  return verdict_;
}

Verdict Inspector::do_await_negotiate(Side from, const Smb2Message& m) {
  const Smb2Header& h = m.header;
  // [MS-SMB2] 3.3.5.2: the first message on a connection is the client's NEGOTIATE (the SMB1
  // form was refused by the framer).
  if (from != Side::Client || h.command != static_cast<uint16_t>(Command::Negotiate))
    return drop(from, Errc::UnexpectedMessage, h.command, h.session_id);
  auto req = parse_negotiate_request(m.bytes);
  if (!req) return drop(from, req.error().code, h.command);
  // [MS-SMB2] 2.2.3: Dialects. Only the 3.x family can encrypt.
  const bool smb3 = std::any_of(req->dialects.begin(), req->dialects.end(),
                                [](uint16_t d) { return smb3_dialect(d).has_value(); });
  if (!smb3) return drop(from, Errc::NoSmb3Dialect, h.command);
  // The client must be able to encrypt with an allowed cipher: 3.1.1 through an
  // ENCRYPTION_CAPABILITIES context ([MS-SMB2] 2.2.3.1.2), 3.0/3.0.2 through
  // SMB2_GLOBAL_CAP_ENCRYPTION, which means AES-128-CCM ([MS-SMB2] 3.2.4.2.2.2).
  bool can_encrypt = false;
  if (req->offers(static_cast<uint16_t>(Dialect::Smb311))) {
    for (uint16_t id : req->contexts.ciphers) {
      const auto c = cipher_from_wire(id);
      if (c && policy_.allowed_ciphers.contains(*c)) can_encrypt = true;
    }
  }
  const bool offers_30x = req->offers(static_cast<uint16_t>(Dialect::Smb300)) ||
                          req->offers(static_cast<uint16_t>(Dialect::Smb302));
  offered_cap_encryption_ = (req->capabilities & kCapEncryption) != 0;
  if (offers_30x && offered_cap_encryption_ && policy_.allowed_ciphers.contains(Cipher::Aes128Ccm))
    can_encrypt = true;
  if (!can_encrypt) return drop(from, Errc::NoEncryptionOffered, h.command);
  offered_dialects_ = std::move(req->dialects);
  offered_ciphers_ = std::move(req->contexts.ciphers);
  enter(State::AwaitNegotiateReply);
  return Verdict::pass();
}

Verdict Inspector::do_await_negotiate_reply(Side from, const Smb2Message& m) {
  const Smb2Header& h = m.header;
  if (from == Side::Client) {
    // The client waits for the answer; a second NEGOTIATE is never valid ([MS-SMB2] 3.3.5.3.1).
    return drop(from,
                h.command == static_cast<uint16_t>(Command::Negotiate) ? Errc::RepeatedNegotiate
                                                                       : Errc::UnexpectedMessage,
                h.command, h.session_id);
  }
  if (h.command != static_cast<uint16_t>(Command::Negotiate))
    return drop(from, Errc::UnexpectedMessage, h.command, h.session_id);
  // [MS-SMB2] 3.2.5.2: a failed NEGOTIATE ends the connection.
  if (h.status != kStatusSuccess) return drop(from, Errc::NegotiateFailed, h.command);
  auto resp = parse_negotiate_response(m.bytes);
  if (!resp) return drop(from, resp.error().code, h.command);
  // [MS-SMB2] 2.2.4 DialectRevision: below 3.0 (or the 0x02FF wildcard) cannot encrypt.
  const uint16_t wire = resp->dialect;
  if (wire < static_cast<uint16_t>(Dialect::Smb300))
    return drop(from, Errc::DialectTooOld, h.command);
  const auto dialect = smb3_dialect(wire);
  if (!dialect || !contains(offered_dialects_, wire))
    return drop(from, Errc::DialectNotOffered, h.command);
  Cipher cipher = Cipher::Aes128Ccm;
  switch (*dialect) {
    case Dialect::Smb300:
    case Dialect::Smb302:
      // [MS-SMB2] 3.3.5.4: the server sets SMB2_GLOBAL_CAP_ENCRYPTION when it supports
      // encryption and the client asked for it; the cipher is then AES-128-CCM.
      if (!(resp->capabilities & kCapEncryption) || !offered_cap_encryption_)
        return drop(from, Errc::NoEncryptionCapability, h.command);
      break;
    case Dialect::Smb311: {
      // [MS-SMB2] 2.2.4, 2.2.3.1.2: exactly one ENCRYPTION_CAPABILITIES context, CipherCount 1;
      // cipher 0 means no common cipher. CAP_ENCRYPTION is not the 3.1.1 signal (Samba's
      // 0x4F quirk for a client without the context is therefore not accepted).
      const NegotiateContexts& ctx = resp->contexts;
      if (ctx.transport_level_security) return drop(from, Errc::TransportSecurity, h.command);
      if (ctx.encryption_contexts == 0) return drop(from, Errc::NoEncryptionContext, h.command);
      if (ctx.encryption_contexts > 1 || ctx.ciphers.size() != 1)
        return drop(from, Errc::MalformedNegotiate, h.command);
      if (ctx.ciphers[0] == 0) return drop(from, Errc::NoCommonCipher, h.command);
      const auto c = cipher_from_wire(ctx.ciphers[0]);
      if (!c || !contains(offered_ciphers_, ctx.ciphers[0]))
        return drop(from, Errc::CipherNotAllowed, h.command);
      cipher = *c;
      break;
    }
  }
  if (!policy_.allowed_ciphers.contains(cipher))
    return drop(from, Errc::CipherNotAllowed, h.command);
  dialect_ = *dialect;
  cipher_ = cipher;
  enter(State::AwaitSession);
  return Verdict::pass();
}

// AwaitSession and Encrypted apply the same rule 4; they differ in what a TRANSFORM may
// carry (no session yet vs the established ones), and the first session established moves
// AwaitSession to Encrypted.
Verdict Inspector::do_await_session(Side from, const Smb2Message& m, BytesView frame) {
  return check_plaintext(from, m, frame);
}

Verdict Inspector::do_encrypted(Side from, const Smb2Message& m, BytesView frame) {
  return check_plaintext(from, m, frame);
}

Verdict Inspector::check_plaintext(Side from, const Smb2Message& m, BytesView frame) {
  const Smb2Header& h = m.header;
  // [MS-SMB2] 3.3.4.1.4 / 3.2.4.1.8: once a session encrypts, its messages travel in
  // TRANSFORMs. Plaintext is left for what cannot be encrypted (SMB3-FACTS §8).
  switch (static_cast<Command>(h.command)) {
    case Command::Negotiate:
      // [MS-SMB2] 3.3.5.3.1: a second NEGOTIATE makes the server disconnect.
      return drop(from, Errc::RepeatedNegotiate, h.command, h.session_id);
    case Command::SessionSetup:
      return from == Side::Client ? on_session_setup_request(m) : on_session_setup_response(m);
    case Command::Echo:
      if (is_sessionless_echo(m)) return Verdict::pass();
      break;
    case Command::OplockBreak:
      if (is_break_notification(from, m, frame)) return Verdict::pass();
      break;
    case Command::Logoff:
    case Command::TreeConnect:
    case Command::TreeDisconnect:
    case Command::Create:
    case Command::Close:
    case Command::Flush:
    case Command::Read:
    case Command::Write:
    case Command::Lock:
    case Command::Ioctl:
    case Command::Cancel:
    case Command::QueryDirectory:
    case Command::ChangeNotify:
    case Command::QueryInfo:
    case Command::SetInfo:
    case Command::ServerToClientNotification:
      break;
  }
  return drop(from, Errc::PlaintextMessage, h.command, h.session_id);
}

Verdict Inspector::on_session_setup_request(const Smb2Message& m) {
  const Smb2Header& h = m.header;
  auto req = parse_session_setup_request(m.bytes);
  if (!req) return drop(Side::Client, req.error().code, h.command, h.session_id);
  // [MS-SMB2] 3.2.4.2.3: a new session starts with SessionId 0.
  if (h.session_id == 0) return Verdict::pass();
  if (const Session* s = find_session(h.session_id)) {
    // Re-authentication (or a binding) of a session established here must be encrypted
    // ([MS-SMB2] 3.2.4.2.3.1 and the SMB 3.0 encryption blog: the server refuses it otherwise).
    if (s->state == SessionState::Established)
      return drop(Side::Client, Errc::PlaintextReauth, h.command, h.session_id);
    return Verdict::pass();  // the next leg of a session being set up
  }
  if (req->binding()) {
    // [MS-SMB2] 3.3.5.5.2: binding a session established on another channel; its legs are
    // plaintext and signed.
    if (sessions_.size() >= policy_.max_sessions)
      return drop(Side::Client, Errc::TooManySessions, h.command, h.session_id);
    sessions_.push_back(Session{h.session_id, SessionState::InProgress, true});
    return Verdict::pass();
  }
  return drop(Side::Client, Errc::UnknownSession, h.command, h.session_id);
}

Verdict Inspector::on_session_setup_response(const Smb2Message& m) {
  const Smb2Header& h = m.header;
  const uint64_t sid = h.session_id;
  Session* s = find_session(sid);
  if (s && s->state == SessionState::Established)
    return drop(Side::Server, Errc::PlaintextReauth, h.command, sid);
  switch (h.status) {
    case kStatusPending:
      return Verdict::pass();  // interim response ([MS-SMB2] 3.3.4.2)
    case kStatusMoreProcessingRequired:
      // [MS-SMB2] 3.3.5.5.3: the first leg's response assigns the SessionId.
      if (sid == 0) return drop(Side::Server, Errc::MalformedSessionSetup, h.command);
      if (!s) {
        if (sessions_.size() >= policy_.max_sessions)
          return drop(Side::Server, Errc::TooManySessions, h.command, sid);
        sessions_.push_back(Session{sid, SessionState::InProgress, false});
      }
      return Verdict::pass();
    case kStatusSuccess: {
      if (sid == 0) return drop(Side::Server, Errc::MalformedSessionSetup, h.command);
      auto resp = parse_session_setup_response(m.bytes);
      if (!resp) return drop(Side::Server, resp.error().code, h.command, sid);
      const uint16_t flags = resp->session_flags;
      // [MS-SMB2] 2.2.6 SessionFlags; 3.3.5.5.3: guest and anonymous sessions have no session
      // key, so they can neither sign nor encrypt.
      if (flags & kSessionFlagIsGuest)
        return drop(Side::Server, Errc::GuestSession, h.command, sid);
      if (flags & kSessionFlagIsNull) return drop(Side::Server, Errc::NullSession, h.command, sid);
      // [MS-SMB2] 3.3.5.5.3: for 3.x the server signs the final response of every session that
      // has a key. Samba marks an anonymous session with SessionFlags 0, unsigned [lab].
      if (!h.is_signed()) return drop(Side::Server, Errc::SessionNotSigned, h.command, sid);
      switch (policy_.mode) {
        case Mode::Standard:
          break;  // the TRANSFORM rule alone decides
        case Mode::Strict:
          if (!(flags & kSessionFlagEncryptData))
            return drop(Side::Server, Errc::SessionNotEncrypted, h.command, sid);
          break;
      }
      if (!s) {
        if (sessions_.size() >= policy_.max_sessions)
          return drop(Side::Server, Errc::TooManySessions, h.command, sid);
        sessions_.push_back(Session{sid, SessionState::InProgress, false});
        s = &sessions_.back();
      }
      s->state = SessionState::Established;
      events_.push_back(SessionEvent{sid, flags, s->binding});
      if (state_ == State::AwaitSession) enter(State::Encrypted);
      return Verdict::pass();
    }
    default:
      // The server refused this leg: the session (if it was being set up) is gone.
      if (s) sessions_.erase(sessions_.begin() + (s - sessions_.data()));
      return Verdict::pass();
  }
}

bool Inspector::is_break_notification(Side from, const Smb2Message& m, BytesView frame) const {
  const Smb2Header& h = m.header;
  // [MS-SMB2] 2.2.23.1 oplock break notification (StructureSize 24) and 2.2.23.2 lease break
  // notification (StructureSize 44), sent unsolicited with MessageId 0xFFFFFFFFFFFFFFFF
  // ([MS-SMB2] 3.3.4.6, 3.3.4.7). Lease breaks carry no session; Samba 4.17 also sends oplock
  // breaks in plaintext on encrypted sessions [lab]. Exactly this shape, alone in its frame.
  if (from != Side::Server) return false;
  if (h.message_id != kUnsolicitedMessageId || h.status != kStatusSuccess) return false;
  if (h.next_command != 0 || m.bytes.size() != frame.size()) return false;
  if (h.flags & (kFlagAsync | kFlagRelated | kFlagSigned)) return false;
  const uint16_t size = body_structure_size(m.bytes);
  const bool oplock = size == 24 && m.bytes.size() == kSmb2HeaderBytes + 24;
  const bool lease = size == 44 && m.bytes.size() == kSmb2HeaderBytes + 44;
  if (!oplock && !lease) return false;
  return h.session_id == 0 || established(h.session_id);
}

bool Inspector::is_sessionless_echo(const Smb2Message& m) const {
  // [MS-SMB2] 2.2.28/2.2.29: ECHO carries no data (StructureSize 4); without a session it
  // cannot be encrypted, and Windows answers it in plaintext (SMB 3.0 encryption blog).
  return m.header.session_id == 0 && body_structure_size(m.bytes) == 4 &&
         m.bytes.size() <= kSmb2HeaderBytes + 8;
}

// ---- TRANSFORM headers -----------------------------------------------------------------------

Verdict Inspector::on_transform(Side from, BytesView head, uint32_t frame_len) {
  const auto parsed = read_transform_header(head);
  INTRANSIT_ASSERT(std::holds_alternative<Parsed<TransformHeader>>(parsed));
  const TransformHeader& t = std::get<Parsed<TransformHeader>>(parsed).value;
  switch (state_) {
    case State::AwaitNegotiate:
    case State::AwaitNegotiateReply:
      return drop(from, Errc::UnexpectedMessage, std::nullopt, t.session_id);
    case State::AwaitSession:
      return drop(from, Errc::UnknownSession, std::nullopt, t.session_id);
    case State::Encrypted:
      break;
    case State::Closed:
      return verdict_;
  }
  // [MS-SMB2] 2.2.41: Flags (3.1.1) / EncryptionAlgorithm (3.0.x) is 0x0001.
  if (t.flags != kTransformEncrypted)
    return drop(from, Errc::BadTransformFlags, std::nullopt, t.session_id);
  // The ciphertext is exactly OriginalMessageSize bytes: NBSS length = 52 + it [lab].
  if (t.original_message_size == 0 ||
      uint64_t{frame_len} != kTransformHeaderBytes + uint64_t{t.original_message_size})
    return drop(from, Errc::BadTransformLength, std::nullopt, t.session_id);
  // [MS-SMB2] 3.3.5.2.1.1: the SessionId names a session of this connection (established
  // here, or bound to it).
  if (!established(t.session_id))
    return drop(from, Errc::UnknownSession, std::nullopt, t.session_id);
  return Verdict::pass();
}

// ---- sessions --------------------------------------------------------------------------------

Inspector::Session* Inspector::find_session(uint64_t id) {
  for (Session& s : sessions_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Inspector::Session* Inspector::find_session(uint64_t id) const {
  for (const Session& s : sessions_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool Inspector::established(uint64_t id) const {
  const Session* s = find_session(id);
  return s && s->state == SessionState::Established;
}

}  // namespace intransit::smb
