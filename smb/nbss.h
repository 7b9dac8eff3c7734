// NetBIOS session service framing as SMB2 uses it over Direct TCP ([MS-SMB2] 2.1; RFC 1002
// §4.3.1): each SMB message is preceded by a 4-byte header, type(1) + length(3, big-endian).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gateway/base/bytes.h"
#include "gateway/base/parse_result.h"
#include "smb/errors.h"

namespace intransit::smb {

inline constexpr size_t kNbssHeaderBytes = 4;
// NBSS message types ([MS-SMB2] 2.1 uses only the session message; RFC 1002 §4.3.1 adds the
// keepalive, which some clients send on port 445 too). 0x81-0x83 belong to port 139 only.
inline constexpr uint8_t kNbssSessionMessage = 0x00;
inline constexpr uint8_t kNbssKeepalive = 0x85;
// kNbssMaxLength is the largest length the 24-bit field can carry.
inline constexpr uint32_t kNbssMaxLength = 0xFFFFFF;

// NbssHeader is one parsed frame header.
struct NbssHeader {
  uint8_t type = kNbssSessionMessage;
  uint32_t length = 0;  // bytes that follow the header

  bool keepalive() const { return type == kNbssKeepalive; }
};

// read_nbss_header parses the frame header at the start of `in`: NeedMore with fewer than 4
// bytes; Parsed{header, 4} for a session message of at most `max_frame_bytes` or an empty
// keepalive; otherwise ParseError NbssType (other types, a keepalive with a length) or
// FrameTooLarge (offset 1, the length field).
ParseResult<NbssHeader, Errc> read_nbss_header(BytesView in, uint32_t max_frame_bytes);

// write_nbss_header writes the session-message header for a `length`-byte message
// (length <= kNbssMaxLength) into out[0..4).
void write_nbss_header(uint32_t length, uint8_t out[kNbssHeaderBytes]);

// nbss_frame returns `message` preceded by its session-message header.
Bytes nbss_frame(BytesView message);

}  // namespace intransit::smb
