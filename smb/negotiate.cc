#include "smb/negotiate.h"

#include <algorithm>

#include "smb/header.h"
#include "smb/reader.h"
#include "smb/types.h"

namespace intransit::smb {
namespace {

constexpr uint16_t kRequestStructureSize = 36;
constexpr uint16_t kResponseStructureSize = 65;
constexpr size_t kContextHeaderBytes = 8;

Unexpected<SmbError> malformed(size_t offset) {
  return unexpected(SmbError{Errc::MalformedNegotiate, static_cast<uint32_t>(offset)});
}

// parse_contexts walks `count` negotiate contexts starting at `offset` (from the SMB2 header),
// each 8-byte aligned ([MS-SMB2] 2.2.3.1). `min_offset` is the end of the fixed part.
Result<NegotiateContexts, SmbError> parse_contexts(BytesView msg, size_t offset, uint16_t count,
                                                   size_t min_offset) {
  NegotiateContexts out;
  if (count == 0) return out;
  if (offset % 8 != 0 || offset < min_offset) return malformed(kSmb2HeaderBytes);
  size_t pos = offset;
  for (uint16_t i = 0; i < count; ++i) {
    pos = (pos + 7) & ~size_t{7};
    Reader r(msg);
    if (!Reader::at(msg, pos, r)) return malformed(pos);
    uint16_t type = 0, data_len = 0;
    uint32_t reserved = 0;
    Reader data(msg);
    if (!r.u16le(type) || !r.u16le(data_len) || !r.u32le(reserved) || !r.sub(data_len, data))
      return malformed(pos);
    switch (static_cast<ContextType>(type)) {
      case ContextType::Encryption: {
        // [MS-SMB2] 2.2.3.1.2: CipherCount(2) Ciphers(2 * CipherCount).
        uint16_t n = 0;
        if (!data.u16le(n) || n == 0 || data.remaining() < size_t{2} * n)
          return malformed(pos + kContextHeaderBytes);
        if (out.encryption_contexts++ == 0) {
          out.ciphers.resize(n);
          for (uint16_t& c : out.ciphers) data.u16le(c);
        }
        break;
      }
      case ContextType::Transport: {
        // [MS-SMB2] 2.2.3.1.5: Flags(4).
        uint32_t flags = 0;
        if (!data.u32le(flags)) return malformed(pos + kContextHeaderBytes);
        if (flags & kAcceptTransportLevelSecurity) out.transport_level_security = true;
        break;
      }
      case ContextType::PreauthIntegrity:
      case ContextType::Compression:
      case ContextType::NetName:
      case ContextType::RdmaTransform:
      case ContextType::Signing:
      default:
        break;  // not needed for the decision; bounds already checked
    }
    pos = r.offset();
  }
  return out;
}

}  // namespace

bool NegotiateRequest::offers(uint16_t dialect) const {
  return std::find(dialects.begin(), dialects.end(), dialect) != dialects.end();
}

Result<NegotiateRequest, SmbError> parse_negotiate_request(BytesView msg) {
  Reader r(msg);
  NegotiateRequest req;
  uint16_t structure_size = 0, dialect_count = 0, reserved = 0, context_count = 0, reserved2 = 0;
  uint32_t context_offset = 0;
  if (!r.skip(kSmb2HeaderBytes) || !r.u16le(structure_size)) return malformed(kSmb2HeaderBytes);
  if (structure_size != kRequestStructureSize) return malformed(kSmb2HeaderBytes);
  if (!r.u16le(dialect_count) || !r.u16le(req.security_mode) || !r.u16le(reserved) ||
      !r.u32le(req.capabilities) || !r.skip(16) || !r.u32le(context_offset) ||
      !r.u16le(context_count) || !r.u16le(reserved2))
    return malformed(r.offset());
  req.dialects.resize(dialect_count);
  for (uint16_t& d : req.dialects) {
    if (!r.u16le(d)) return malformed(r.offset());
  }
  if (req.offers(static_cast<uint16_t>(Dialect::Smb311))) {
    auto ctx = parse_contexts(msg, context_offset, context_count, r.offset());
    if (!ctx) return unexpected(ctx.error());
    req.contexts = std::move(*ctx);
  }
  return req;
}

Result<NegotiateResponse, SmbError> parse_negotiate_response(BytesView msg) {
  Reader r(msg);
  NegotiateResponse resp;
  uint16_t structure_size = 0, context_count = 0, buffer_offset = 0, buffer_length = 0;
  uint32_t context_offset = 0;
  if (!r.skip(kSmb2HeaderBytes) || !r.u16le(structure_size)) return malformed(kSmb2HeaderBytes);
  if (structure_size != kResponseStructureSize) return malformed(kSmb2HeaderBytes);
  if (!r.u16le(resp.security_mode) || !r.u16le(resp.dialect) || !r.u16le(context_count) ||
      !r.skip(16) || !r.u32le(resp.capabilities) || !r.skip(12) || !r.skip(16) ||
      !r.u16le(buffer_offset) || !r.u16le(buffer_length) || !r.u32le(context_offset))
    return malformed(r.offset());
  if (resp.dialect == static_cast<uint16_t>(Dialect::Smb311)) {
    auto ctx = parse_contexts(msg, context_offset, context_count, r.offset());
    if (!ctx) return unexpected(ctx.error());
    resp.contexts = std::move(*ctx);
  }
  return resp;
}

}  // namespace intransit::smb
