// SMB2 SESSION_SETUP request and response ([MS-SMB2] 2.2.5, 2.2.6): the binding flag of the
// request and the SessionFlags of the final response, which the inspector decides on.
#pragma once

#include <cstdint>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "smb/errors.h"

namespace intransit::smb {

// SMB2_SESSION_FLAG_BINDING ([MS-SMB2] 2.2.5): bind an existing session to this connection.
inline constexpr uint8_t kSessionSetupBinding = 0x01;

// SessionFlags of a SESSION_SETUP response ([MS-SMB2] 2.2.6).
inline constexpr uint16_t kSessionFlagIsGuest = 0x0001;
inline constexpr uint16_t kSessionFlagIsNull = 0x0002;
inline constexpr uint16_t kSessionFlagEncryptData = 0x0004;

// SessionSetupRequest is a parsed SESSION_SETUP request.
struct SessionSetupRequest {
  uint8_t flags = 0;
  uint8_t security_mode = 0;
  uint32_t capabilities = 0;
  uint64_t previous_session_id = 0;

  bool binding() const { return (flags & kSessionSetupBinding) != 0; }
};

// SessionSetupResponse is a parsed successful (or MORE_PROCESSING_REQUIRED) response.
struct SessionSetupResponse {
  uint16_t session_flags = 0;
};

// parse_session_setup_request parses `msg`, one whole SMB2 message whose header says
// SESSION_SETUP: StructureSize 25 and the 24-byte fixed part. Errors are
// MalformedSessionSetup with the offset in `msg`.
Result<SessionSetupRequest, SmbError> parse_session_setup_request(BytesView msg);

// parse_session_setup_response parses a response with Status SUCCESS or
// MORE_PROCESSING_REQUIRED (error responses carry the 9-byte ERROR body instead):
// StructureSize 9 and the 8-byte fixed part.
Result<SessionSetupResponse, SmbError> parse_session_setup_response(BytesView msg);

}  // namespace intransit::smb
