#include "smb/header.h"

#include <algorithm>

#include "smb/reader.h"

namespace intransit::smb {

ProtocolId classify(BytesView first) {
  if (first.size() < kProtocolIdBytes) return ProtocolId::Unknown;
  if (first[1] != 'S' || first[2] != 'M' || first[3] != 'B') return ProtocolId::Unknown;
  switch (first[0]) {
    case 0xFE:
      return ProtocolId::Smb2;
    case 0xFD:
      return ProtocolId::Transform;
    case 0xFC:
      return ProtocolId::Compressed;
    case 0xFF:
      return ProtocolId::Smb1;
    default:
      return ProtocolId::Unknown;
  }
}

std::string_view command_name(uint16_t command) {
  switch (static_cast<Command>(command)) {
    case Command::Negotiate:
      return "NEGOTIATE";
    case Command::SessionSetup:
      return "SESSION_SETUP";
    case Command::Logoff:
      return "LOGOFF";
    case Command::TreeConnect:
      return "TREE_CONNECT";
    case Command::TreeDisconnect:
      return "TREE_DISCONNECT";
    case Command::Create:
      return "CREATE";
    case Command::Close:
      return "CLOSE";
    case Command::Flush:
      return "FLUSH";
    case Command::Read:
      return "READ";
    case Command::Write:
      return "WRITE";
    case Command::Lock:
      return "LOCK";
    case Command::Ioctl:
      return "IOCTL";
    case Command::Cancel:
      return "CANCEL";
    case Command::Echo:
      return "ECHO";
    case Command::QueryDirectory:
      return "QUERY_DIRECTORY";
    case Command::ChangeNotify:
      return "CHANGE_NOTIFY";
    case Command::QueryInfo:
      return "QUERY_INFO";
    case Command::SetInfo:
      return "SET_INFO";
    case Command::OplockBreak:
      return "OPLOCK_BREAK";
    case Command::ServerToClientNotification:
      return "SERVER_TO_CLIENT_NOTIFICATION";
  }
  return "unknown";
}

ParseResult<Smb2Header, Errc> read_smb2_header(BytesView msg) {
  if (msg.size() < kSmb2HeaderBytes) return NeedMore{};
  if (classify(msg) != ProtocolId::Smb2) return ParseError<Errc>{Errc::MalformedHeader, 0};
  Reader r(msg.first(kSmb2HeaderBytes));
  Smb2Header h;
  uint16_t structure_size = 0;
  uint32_t pid_or_async_lo = 0;
  r.skip(kProtocolIdBytes);
  r.u16le(structure_size);
  if (structure_size != kSmb2HeaderBytes) return ParseError<Errc>{Errc::MalformedHeader, 4};
  r.u16le(h.credit_charge);
  r.u32le(h.status);
  r.u16le(h.command);
  r.u16le(h.credits);
  r.u32le(h.flags);
  r.u32le(h.next_command);
  r.u64le(h.message_id);
  if (h.flags & kFlagAsync) {
    r.u64le(h.async_id);
  } else {
    r.u32le(pid_or_async_lo);  // Reserved (ProcessId)
    r.u32le(h.tree_id);
  }
  r.u64le(h.session_id);
  return Parsed<Smb2Header>{h, kSmb2HeaderBytes};
}

ParseResult<TransformHeader, Errc> read_transform_header(BytesView msg) {
  if (msg.size() < kTransformHeaderBytes) return NeedMore{};
  if (classify(msg) != ProtocolId::Transform) return ParseError<Errc>{Errc::UnknownProtocol, 0};
  Reader r(msg.first(kTransformHeaderBytes));
  TransformHeader t;
  BytesView sig, nonce;
  r.skip(kProtocolIdBytes);
  r.bytes(16, sig);
  r.bytes(16, nonce);
  r.u32le(t.original_message_size);
  r.u16le(t.reserved);
  r.u16le(t.flags);
  r.u64le(t.session_id);
  std::copy(sig.begin(), sig.end(), t.signature.begin());
  std::copy(nonce.begin(), nonce.end(), t.nonce.begin());
  return Parsed<TransformHeader>{t, kTransformHeaderBytes};
}

BytesView transform_aad(BytesView msg) {
  return msg.subspan(20, kTransformHeaderBytes - 20);
}

Result<Smb2Message, SmbError> next_message(BytesView& rest, size_t base) {
  auto parsed = read_smb2_header(rest);
  if (std::holds_alternative<NeedMore>(parsed))
    return unexpected(SmbError{Errc::MalformedHeader, static_cast<uint32_t>(base)});
  if (auto* e = std::get_if<ParseError<Errc>>(&parsed))
    return unexpected(SmbError{e->code, static_cast<uint32_t>(base + e->offset)});
  Smb2Message m{std::get<Parsed<Smb2Header>>(parsed).value, {}};
  const uint32_t next = m.header.next_command;
  if (next == 0) {
    m.bytes = rest;
    rest = rest.subspan(rest.size());
    return m;
  }
  if (next < kSmb2HeaderBytes || next % 8 != 0 || next >= rest.size())
    return unexpected(SmbError{Errc::MalformedHeader, static_cast<uint32_t>(base + 20)});
  m.bytes = rest.first(next);
  rest = rest.subspan(next);
  return m;
}

}  // namespace intransit::smb
