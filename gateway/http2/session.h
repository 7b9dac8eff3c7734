// http2::Session is the server side of one HTTP/2 connection (RFC 9113) as a sans-I/O state
// machine over nghttp2: plaintext in, events out; responses in, plaintext out. It opens no
// socket and reads no clock.
//
// nghttp2's callbacks only record what happened: requests, body data, stream ends and
// resets come out of `feed` as a list of Events, and nothing is ever submitted or sent from
// inside a callback (nghttp2#1088). The glue reacts to the events, then calls `produce` to
// collect the bytes to send.
//
// HTTP messaging checks stay on in nghttp2 (pseudo-headers, connection-specific fields,
// content-length against DATA, TE other than "trailers"), and every limit of the policy is
// applied: concurrent streams, header list bytes and field count (checked in the header
// callback: the request gets 431), streams per connection (then GOAWAY), windows, the reset
// rate (CVE-2023-44487), CONTINUATION frames (CVE-2024-28182), SETTINGS entries, queued
// outbound ACKs, and the HPACK table size.
//
// Flow control towards the backend is explicit: automatic WINDOW_UPDATEs are off and the
// glue calls `consume` once the request body bytes it was given have been handed on, so a
// slow backend holds back a fast client instead of filling our memory.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "gateway/base/c_handle.h"
#include "gateway/http/request_head.h"

namespace intransit::http2 {

// Limits of one connection; defaults are the edge values nghttpx/Envoy/HAProxy converge on.
struct Limits {
  uint32_t max_concurrent_streams = 100;      // SETTINGS_MAX_CONCURRENT_STREAMS
  uint32_t max_header_list_bytes = 16 * 1024; // decoded size (RFC 9113 §6.5.2 accounting)
  uint32_t max_header_count = 100;
  uint32_t max_streams_per_connection = 1000;  // then GOAWAY(NO_ERROR), like keepalive_requests
  uint32_t stream_window_bytes = 64 * 1024;     // SETTINGS_INITIAL_WINDOW_SIZE
  uint32_t connection_window_bytes = 1024 * 1024;
  uint64_t reset_burst = 1000;                  // nghttp2 stream reset rate limit
  uint64_t reset_rate_per_s = 33;
  uint32_t max_continuations = 8;
  uint32_t max_settings = 32;
  uint32_t max_outbound_ack = 1000;
  uint32_t header_table_bytes = 4096;           // SETTINGS_HEADER_TABLE_SIZE and our encoder
};

enum class EventKind : uint8_t {
  // Request: a complete, validated request head on `stream`.
  Request,
  // Data: request body bytes; `data` points into the buffer given to feed().
  Data,
  // End: the client finished the request body (END_STREAM).
  End,
  // Refused: the request was refused before it became a Request (head too large, malformed
  // beyond what nghttp2 checks). `status` is the HTTP status to answer with, `label` the
  // reason. The Session has not answered: the glue does.
  Refused,
  // Reset: the stream is gone (client RST_STREAM, a protocol error on it, or the connection
  // going away). Nothing more may be submitted on it.
  Reset,
};

struct Event {
  Event(EventKind k, int32_t id) : kind(k), stream(id) {}
  EventKind kind;
  int32_t stream = 0;
  http::RequestHead head;  // Request
  BytesView data;          // Data
  uint16_t status = 0;     // Refused
  std::string_view label;  // Refused, Reset: a static metric label
  uint32_t error_code = 0; // Reset: the HTTP/2 error code
};

// Counters the glue turns into metrics (labels are static strings).
struct Stats {
  uint64_t goaway_sent = 0;
  uint32_t last_goaway_code = 0;
  uint64_t rst_sent = 0;
  uint64_t protocol_errors = 0;
};

class Session {
 public:
  // Session starts a server session and queues our SETTINGS. On allocation failure `ok()`
  // is false and the connection must be closed.
  explicit Session(const Limits& limits);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool ok() const { return static_cast<bool>(session_); }

  // feed hands plaintext from the client to nghttp2. Its events are collected for
  // take_events; Data events point into `in`, so take and handle them before `in` goes away.
  // On a connection-level error (bad preface, flood, compression error) the session queues
  // GOAWAY where nghttp2 can and `dead()` becomes true once that is sent.
  void feed(BytesView in);
  // take_events moves the events recorded since the last call (by feed, and by produce:
  // streams close when their last frame is sent) into `out`, replacing its contents.
  // The vectors trade places, so neither side allocates once both have grown.
  void take_events(std::vector<Event>& out) {
    out.clear();
    out.swap(events_);
  }

  // --- responses ----------------------------------------------------------------------------
  // respond submits the response head of `stream`. With `end_stream` the response has no
  // body; otherwise body bytes follow through send_body / end_body. Fields must be lowercase
  // and free of connection-specific fields (http::prepare_client_response). Returns false if
  // the stream is gone.
  bool respond(int32_t stream, const http::ResponseHead& head, bool end_stream);
  // send_body queues response body bytes (copied) for `stream`.
  void send_body(int32_t stream, BytesView data);
  // end_body ends the response body of `stream`.
  void end_body(int32_t stream);
  // pending_body returns the response bytes queued for `stream` and not yet framed.
  size_t pending_body(int32_t stream) const;
  // reset sends RST_STREAM with `error_code` (e.g. NGHTTP2_INTERNAL_ERROR, NGHTTP2_CANCEL).
  void reset(int32_t stream, uint32_t error_code);

  // --- flow control -------------------------------------------------------------------------
  // consume gives back `n` bytes of window for request body data the glue has handed on.
  void consume(int32_t stream, size_t n);

  // --- output -------------------------------------------------------------------------------
  // produce appends frames to `out` until nghttp2 has nothing more to send or `out` holds
  // more than `max_queued` bytes. Returns true if it stopped because of max_queued.
  bool produce(ByteQueue& out, size_t max_queued);
  // drained_streams lists the streams whose queued response body fell below `low_water`
  // during the last produce (so the glue can resume their backends); cleared by produce.
  const std::vector<int32_t>& drained_streams() const { return drained_; }

  // shutdown sends GOAWAY(NO_ERROR) naming the last stream we will process; streams already
  // open finish. Idempotent.
  void shutdown();
  // dead is true when the session can neither read nor write any more: close the socket
  // once the output is flushed.
  bool dead() const;
  // open_streams returns the number of streams the client opened that are not closed yet.
  size_t open_streams() const { return streams_.size(); }
  const Stats& stats() const { return stats_; }
  // failure names the connection-level error that killed the session ("" if none).
  std::string_view failure() const { return failure_; }

  static constexpr size_t kBodyLowWater = 16 * 1024;

 private:
  struct Stream;
  friend struct Callbacks;

  Stream* find(int32_t id) const;
  void finish_head(Stream& s, int32_t id, bool end_stream);

  Limits limits_;
  std::unique_ptr<nghttp2_session, CFree<&nghttp2_session_del>> session_;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::vector<Event> events_;
  std::vector<int32_t> drained_;
  uint32_t streams_seen_ = 0;
  bool goaway_queued_ = false;
  bool failed_ = false;
  std::string_view failure_;  // nghttp2_strerror text of a connection-level error
  Stats stats_;
};

}  // namespace intransit::http2
