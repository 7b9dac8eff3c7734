// SMB2 NEGOTIATE request and response ([MS-SMB2] 2.2.3, 2.2.4) and the negotiate contexts
// the inspector needs ([MS-SMB2] 2.2.3.1): ENCRYPTION_CAPABILITIES and
// TRANSPORT_CAPABILITIES. Other contexts are walked over, not decoded.
#pragma once

#include <cstdint>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "smb/errors.h"

namespace intransit::smb {

// SMB2_GLOBAL_CAP_ENCRYPTION ([MS-SMB2] 2.2.3, 2.2.4): meaningful for 3.0 and 3.0.2.
inline constexpr uint32_t kCapEncryption = 0x00000040;

// Negotiate context types ([MS-SMB2] 2.2.3.1).
enum class ContextType : uint16_t {
  PreauthIntegrity = 0x0001,
  Encryption = 0x0002,
  Compression = 0x0003,
  NetName = 0x0005,
  Transport = 0x0006,
  RdmaTransform = 0x0007,
  Signing = 0x0008,
};

// SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY ([MS-SMB2] 2.2.3.1.5): leave encryption to the
// transport (SMB over QUIC). Meaningless, and refused, on TCP.
inline constexpr uint32_t kAcceptTransportLevelSecurity = 0x00000001;

// NegotiateContexts is what the inspector takes from a negotiate context list.
struct NegotiateContexts {
  uint16_t encryption_contexts = 0;  // how many ENCRYPTION_CAPABILITIES contexts
  std::vector<uint16_t> ciphers;     // the cipher ids of the (first) ENCRYPTION context
  bool transport_level_security = false;
};

// NegotiateRequest is a parsed NEGOTIATE request.
struct NegotiateRequest {
  std::vector<uint16_t> dialects;
  uint16_t security_mode = 0;
  uint32_t capabilities = 0;
  // contexts are parsed only when 0x0311 is offered; otherwise bytes 28..35 of the body are
  // ClientStartTime.
  NegotiateContexts contexts;

  bool offers(uint16_t dialect) const;
};

// NegotiateResponse is a parsed successful NEGOTIATE response.
struct NegotiateResponse {
  uint16_t security_mode = 0;
  uint16_t dialect = 0;
  uint32_t capabilities = 0;
  NegotiateContexts contexts;  // parsed only for dialect 0x0311
};

// parse_negotiate_request parses `msg`, one whole SMB2 message (header + body) whose header
// says NEGOTIATE. Errors are MalformedNegotiate with the offset in `msg`.
Result<NegotiateRequest, SmbError> parse_negotiate_request(BytesView msg);

// parse_negotiate_response parses `msg`, one whole SMB2 NEGOTIATE response with Status 0
// (an error response has a different body). Errors are MalformedNegotiate.
Result<NegotiateResponse, SmbError> parse_negotiate_response(BytesView msg);

}  // namespace intransit::smb
