// Configuration of the SMB door: what the inspector enforces (InspectorPolicy) and how the
// relay listens, reaches the SMB server and bounds its resources (RelayConfig). The policy
// file's `protocol: smb` listeners map onto RelayConfig (see smb/README.md for the keys).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/result.h"
#include "smb/nbss.h"
#include "smb/types.h"

namespace intransit::smb {

// Mode selects how much the inspector demands of an established session. Consumed by an
// exhaustive switch: a new mode that is not handled is a build error, never a silent pass.
enum class Mode : uint8_t {
  // Every message of the session after the final SESSION_SETUP response must be a TRANSFORM
  // (apart from the exceptions of SMB3-FACTS §8). Sessions that the client chose to encrypt
  // although the server did not ask for it (SessionFlags without ENCRYPT_DATA) pass.
  Standard,
  // Standard, and the final SESSION_SETUP response must also carry ENCRYPT_DATA: the server
  // has promised to refuse plaintext on that session.
  Strict,
};

// label returns "standard" or "strict" (the policy file's words).
std::string_view label(Mode m);
// parse_mode accepts the words `label` returns, case-insensitively.
bool parse_mode(std::string_view s, Mode& out);

// InspectorPolicy is everything the sans-I/O inspector enforces. Immutable once a
// connection starts; the defaults are the safe set.
struct InspectorPolicy {
  // allowed_ciphers must be non-empty. 3.0 and 3.0.2 imply AES-128-CCM, so they are refused
  // when that cipher is not allowed.
  CipherSet allowed_ciphers = CipherSet::all();
  Mode mode = Mode::Standard;
  // max_frame_bytes bounds one NBSS frame (an 8 MiB READ response is 8 MiB + 52 + 64 + 16).
  uint32_t max_frame_bytes = kNbssMaxLength;
  // max_plain_frame_bytes bounds a plaintext frame, which the inspector holds whole before
  // deciding. The largest legitimate one is a SESSION_SETUP with a Kerberos ticket: its
  // SecurityBufferLength is 16 bits, so 64 + 24 + 65535 bytes; NEGOTIATE is smaller.
  uint32_t max_plain_frame_bytes = 96 * 1024;
  // max_sessions bounds the sessions (established or being set up) of one connection.
  uint32_t max_sessions = 64;
};

// RelayConfig is one SMB listener: where it listens, the SMB server it relays to (the
// "backend"), the inspector policy and the connection limits.
struct RelayConfig {
  std::string listener = "smb";           // name in logs and metric labels
  std::string listen_host = "127.0.0.1";  // numeric IPv4 or IPv6
  uint16_t listen_port = 445;             // 0 picks a free port (tests)
  // reuse_port shares the address between the listeners of several worker loops.
  bool reuse_port = false;
  int backlog = 511;
  std::string backend_host;  // numeric IPv4 or IPv6 of the SMB server
  uint16_t backend_port = 445;
  InspectorPolicy inspector;
  uint32_t connect_timeout_ms = 5'000;  // TCP connect to the SMB server
  // setup_timeout_ms bounds the time from accept to the first encrypted session.
  uint32_t setup_timeout_ms = 60'000;
  // idle_timeout_ms closes a connection with no bytes in either direction for that long.
  uint32_t idle_timeout_ms = 900'000;
  uint32_t max_connections = 4'096;  // per relay (per worker loop)
  // max_buffered_bytes is the back-pressure watermark: above it, queued bytes towards one
  // side stop reading from the other side until that queue drains.
  uint32_t max_buffered_bytes = 4 * 1024 * 1024;
};

// validate returns one message per problem in `c` (empty when valid).
std::vector<std::string> validate(const RelayConfig& c);

}  // namespace intransit::smb
