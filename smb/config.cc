#include "smb/config.h"

#include "gateway/base/text.h"

namespace intransit::smb {

std::string_view label(Mode m) {
  switch (m) {
    case Mode::Standard:
      return "standard";
    case Mode::Strict:
      return "strict";
  }
  return "?";
}

bool parse_mode(std::string_view s, Mode& out) {
  for (Mode m : {Mode::Standard, Mode::Strict}) {
    if (iequals(s, label(m))) {
      out = m;
      return true;
    }
  }
  return false;
}

std::vector<std::string> validate(const RelayConfig& c) {
  std::vector<std::string> errors;
  const InspectorPolicy& p = c.inspector;
  if (c.listener.empty()) errors.emplace_back("listener: a name is required");
  if (c.listen_host.empty()) errors.emplace_back("listen_host: required");
  if (c.backend_host.empty()) errors.emplace_back("backend_host: required");
  if (c.backend_port == 0) errors.emplace_back("backend_port: must be 1..65535");
  if (p.allowed_ciphers.empty()) errors.emplace_back("ciphers: at least one cipher is required");
  if (p.max_frame_bytes < 4096 || p.max_frame_bytes > kNbssMaxLength)
    errors.emplace_back("max_frame_bytes: must be 4096..16777215");
  if (p.max_plain_frame_bytes < 4096 || p.max_plain_frame_bytes > p.max_frame_bytes)
    errors.emplace_back("max_plain_frame_bytes: must be 4096..max_frame_bytes");
  if (p.max_sessions == 0) errors.emplace_back("max_sessions: must be at least 1");
  if (c.connect_timeout_ms == 0) errors.emplace_back("connect_timeout_ms: must be positive");
  if (c.setup_timeout_ms == 0) errors.emplace_back("setup_timeout_ms: must be positive");
  if (c.idle_timeout_ms == 0) errors.emplace_back("idle_timeout_ms: must be positive");
  if (c.max_connections == 0) errors.emplace_back("max_connections: must be at least 1");
  if (c.max_buffered_bytes < 65536)
    errors.emplace_back("max_buffered_bytes: must be at least 65536");
  if (c.backlog <= 0) errors.emplace_back("backlog: must be positive");
  return errors;
}

}  // namespace intransit::smb
