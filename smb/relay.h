// smb::Relay is the SMB door's libuv glue: it accepts client connections on one address,
// connects each to the SMB server (the backend), and pumps bytes both ways through an
// smb::Inspector, under back-pressure (TcpStream queues with a watermark). A Drop verdict
// closes both sides at once, with a log line (reason, peer) and a metric. Bytes are never
// changed and no key is held.
//
// One Relay per uv loop (worker). Not thread-safe: use it from its loop's thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "gateway/base/result.h"
#include "gateway/uv/tcp.h"
#include "smb/config.h"
#include "smb/metrics.h"

namespace intransit::smb {

class RelayConn;

// Relay owns one listening socket and the connections accepted on it (see above).
class Relay {
 public:
  // start checks `config` (validate()), binds its listen address on `loop` and starts
  // accepting. Errors name the problem (invalid config, address in use, bad backend host).
  // `flusher` batches writes per loop iteration (the worker's); without one the relay makes
  // its own.
  static Result<std::unique_ptr<Relay>> start(uv_loop_t* loop, RelayConfig config,
                                              uv::Flusher* flusher = nullptr);
  // ~Relay stops accepting and closes every connection without waiting. Handles are freed
  // when the loop runs next (uv_run until it returns, then uv_loop_close succeeds).
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // port is the bound listening port (useful with listen_port 0).
  uint16_t port() const { return port_; }
  // connections is the number of relayed connections currently open.
  size_t connections() const { return conns_.size(); }
  const RelayConfig& config() const { return config_; }

  // stop_accepting closes the listening socket; open connections continue.
  void stop_accepting();
  // close_all closes every open connection at once (shutdown). Not counted as drops.
  void close_all();

 private:
  friend class RelayConn;
  Relay(uv_loop_t* loop, RelayConfig config, const sockaddr_storage& backend);
  void on_connection(uv_stream_t* server);
  // remove destroys `c`; called by the connection as its last act.
  void remove(RelayConn* c);
  uv_loop_t* loop_;
  RelayConfig config_;
  sockaddr_storage backend_addr_;
  ListenerSeries& metrics_;
  std::unique_ptr<uv::TcpListener> listener_;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
  uv::Flusher* flusher_ = nullptr;
  std::unique_ptr<uv::Flusher> own_flusher_;
  std::unordered_map<RelayConn*, std::unique_ptr<RelayConn>> conns_;
};

}  // namespace intransit::smb
