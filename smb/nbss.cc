#include "smb/nbss.h"

#include <algorithm>

#include "gateway/base/assert.h"
#include "smb/reader.h"

namespace intransit::smb {

ParseResult<NbssHeader, Errc> read_nbss_header(BytesView in, uint32_t max_frame_bytes) {
  if (in.size() < kNbssHeaderBytes) return NeedMore{};
  Reader r(in.first(kNbssHeaderBytes));
  NbssHeader h;
  if (!r.u8(h.type) || !r.u24be(h.length)) return NeedMore{};  // unreachable: 4 bytes present
  switch (h.type) {
    case kNbssSessionMessage:
      if (h.length > max_frame_bytes) return ParseError<Errc>{Errc::FrameTooLarge, 1};
      break;
    case kNbssKeepalive:
      if (h.length != 0) return ParseError<Errc>{Errc::NbssType, 1};
      break;
    default:
      return ParseError<Errc>{Errc::NbssType, 0};
  }
  return Parsed<NbssHeader>{h, kNbssHeaderBytes};
}

void write_nbss_header(uint32_t length, uint8_t out[kNbssHeaderBytes]) {
  INTRANSIT_ASSERT(length <= kNbssMaxLength);
  out[0] = kNbssSessionMessage;
  out[1] = static_cast<uint8_t>(length >> 16);
  out[2] = static_cast<uint8_t>(length >> 8);
  out[3] = static_cast<uint8_t>(length);
}

Bytes nbss_frame(BytesView message) {
  Bytes out(kNbssHeaderBytes + message.size());
  write_nbss_header(static_cast<uint32_t>(message.size()), out.data());
  std::copy(message.begin(), message.end(), out.begin() + kNbssHeaderBytes);
  return out;
}

}  // namespace intransit::smb
