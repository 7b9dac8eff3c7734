// H2Conn serves the HTTP/2 side of a ClientConn once ALPN selected "h2": it feeds the
// decrypted bytes to http2::Session, turns each request stream into an exchange with an
// HTTP/1.1 backend connection, and moves response bytes back as DATA frames.
//
// Flow control is end to end. Request body: the window is given back (`consume`) only when
// the backend's write queue has room, so a slow backend slows the client. Response body:
// a stream's queue above kStreamHighWater pauses its backend, which resumes when nghttp2's
// data provider has drained it (the client's window and our socket set that pace); frames
// are produced only while the client socket's queue is below the connection high-water.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/http/request_head.h"
#include "gateway/http2/session.h"
#include "gateway/upstream/pool.h"
#include "gateway/uv/flusher.h"
#include "policy/model.h"

namespace intransit::gateway {

class ClientConn;

class H2Conn final : public uv::Deferred {
 public:
  static constexpr size_t kStreamHighWater = 64 * 1024;

  H2Conn(ClientConn& conn, const http2::Limits& limits);
  ~H2Conn();
  H2Conn(const H2Conn&) = delete;
  H2Conn& operator=(const H2Conn&) = delete;

  bool ok() const { return session_.ok(); }
  // on_input hands every byte of `in` to the session and reacts to its events.
  void on_input(ByteQueue& in);
  // on_output_room is called when the client socket's queue fell low: produce more frames.
  void on_output_room();
  // schedule_flush produces frames once, at the end of this loop iteration, for everything
  // the streams queued meanwhile: responses of many streams leave in few TLS records.
  void schedule_flush();
  void run_deferred() override { flush(); }
  // shutdown sends GOAWAY; the connection closes once the open streams are done.
  void shutdown();
  // active is true while any stream is open.
  bool active() const { return !streams_.empty(); }
  // abort drops every exchange (the client connection is going away).
  void abort();

 private:
  struct Stream;

  void on_request(int32_t id, http::RequestHead&& head);
  void on_data(int32_t id, BytesView data);
  void on_end(int32_t id);
  void on_reset(int32_t id, uint32_t error_code);
  void respond_error(int32_t id, uint16_t status, std::string_view label, std::string_view body,
                     http::Fields fields = {});
  void write_request_head(Stream& s);
  void give_back_window(Stream& s);
  void finish(Stream& s);
  void flush();
  void handle(std::vector<http2::Event>& events);
  // note_connection_errors logs and counts a GOAWAY we sent with an error code, or a
  // session nghttp2 gave up on, once.
  void note_connection_errors();

  ClientConn& conn_;
  http2::Session session_;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  // Closed streams, deleted at the next input or output event: a stream may close while one
  // of its own backend callbacks is running.
  std::vector<std::unique_ptr<Stream>> graveyard_;
  uint64_t goaways_seen_ = 0;
  std::vector<http2::Event> in_events_;   // reused buffers for the session's events
  std::vector<http2::Event> out_events_;
  bool failure_noted_ = false;
  ByteQueue scratch_;
  bool flushing_ = false;
};

}  // namespace intransit::gateway
