#include "smb/session_setup.h"

#include "smb/header.h"
#include "smb/reader.h"

namespace intransit::smb {
namespace {

constexpr uint16_t kRequestStructureSize = 25;
constexpr uint16_t kResponseStructureSize = 9;

Unexpected<SmbError> malformed(size_t offset) {
  return unexpected(SmbError{Errc::MalformedSessionSetup, static_cast<uint32_t>(offset)});
}

}  // namespace

Result<SessionSetupRequest, SmbError> parse_session_setup_request(BytesView msg) {
  Reader r(msg);
  SessionSetupRequest req;
  uint16_t structure_size = 0, buffer_offset = 0, buffer_length = 0;
  uint32_t channel = 0;
  if (!r.skip(kSmb2HeaderBytes) || !r.u16le(structure_size)) return malformed(kSmb2HeaderBytes);
  if (structure_size != kRequestStructureSize) return malformed(kSmb2HeaderBytes);
  if (!r.u8(req.flags) || !r.u8(req.security_mode) || !r.u32le(req.capabilities) ||
      !r.u32le(channel) || !r.u16le(buffer_offset) || !r.u16le(buffer_length) ||
      !r.u64le(req.previous_session_id))
    return malformed(r.offset());
  return req;
}

Result<SessionSetupResponse, SmbError> parse_session_setup_response(BytesView msg) {
  Reader r(msg);
  SessionSetupResponse resp;
  uint16_t structure_size = 0, buffer_offset = 0, buffer_length = 0;
  if (!r.skip(kSmb2HeaderBytes) || !r.u16le(structure_size)) return malformed(kSmb2HeaderBytes);
  if (structure_size != kResponseStructureSize) return malformed(kSmb2HeaderBytes);
  if (!r.u16le(resp.session_flags) || !r.u16le(buffer_offset) || !r.u16le(buffer_length))
    return malformed(r.offset());
  return resp;
}

}  // namespace intransit::smb
