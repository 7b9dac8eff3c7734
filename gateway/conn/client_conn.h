// ClientConn is one client connection on an HTTPS or plain-HTTP listener: TCP stream ⇄
// tls::Session (HTTPS) ⇄ HTTP/1.1 request parser ⇄ routing ⇄ backend connection, with
// bodies streamed both ways under back-pressure and every refusal answered, logged and
// counted.
//
// Phases: Handshake → Idle ⇄ Head → Exchange → Idle (keep-alive) … → Closing.
// One request is in flight at a time; pipelined requests wait in the input buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/byte_queue.h"
#include "gateway/conn/admission.h"
#include "gateway/conn/h2_conn.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/chunked.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/parser.h"
#include "gateway/snapshot.h"
#include "gateway/upstream/pool.h"
#include "gateway/uv/tcp.h"
#include "gateway/worker.h"
#include "metrics/registry.h"
#include "tls/session.h"

namespace intransit::gateway {

class ClientConn final : public Conn, public uv::StreamEvents, public upstream::BackendUser {
 public:
  // accept takes a pending connection from `server` (listener `listener_index` of the
  // worker's snapshot) and starts serving it.
  static void accept(Worker& worker, size_t listener_index, uv_stream_t* server);
  ~ClientConn() override;

  // Conn
  void drain() override;
  void abort() override;
  void on_new_generation() override;

  // uv::StreamEvents (client socket)
  void on_read(BytesView data) override;
  void on_eof() override;
  void on_error(int status) override;
  void on_drained() override;

  // upstream::BackendUser
  void on_backend_writable() override;
  void on_backend_interim(const http::ResponseHead& head) override;
  void on_backend_head(http::ResponseHead& head) override;
  void on_backend_data(BytesView data) override;
  void on_backend_end() override;
  void on_backend_failure(upstream::BackendFailure f) override;

  // --- what H2Conn uses ---------------------------------------------------------------------
  // Response bytes queued towards the client above this size pause the producers.
  static constexpr size_t kOutputHighWater = 256 * 1024;
  const std::string& peer_ip() const { return peer_ip_; }
  size_t client_pending() const { return client_ ? client_->pending() : 0; }
  // send_queue encrypts (HTTPS) and queues everything in `q`, leaving it empty.
  void send_queue(ByteQueue& q);
  // add_security_fields adds HSTS and X-Content-Type-Options on TLS listeners.
  void add_security_fields(http::ResponseHead& head) const;
  metrics::ListenerMetrics& metrics() { return metrics_; }
  const policy::Listener& listener() const { return *listener_; }
  const GenerationPtr& generation() const { return gen_; }
  Worker& worker() { return worker_; }
  // after_h2_flush updates timers and closes once the HTTP/2 session is done.
  void after_h2_flush(bool dead, bool active);
  // report counts one answered request and writes its access log line.
  void report(const http::RequestHead& req, const ExchangeStats& st, uint16_t status,
              const policy::Route* route);

 private:
  enum class Phase : uint8_t { Handshake, Idle, Head, Exchange, H2, Closing };
  enum class Wait : uint8_t { None, Handshake, Idle, Head, Body, Send };
  // How the response body is framed towards the client.
  enum class Framing : uint8_t { None, Length, Chunked, UntilClose };

  // Exchange is the state of the request in flight.
  struct Exchange {
    http::RequestHead req;
    const policy::Route* route = nullptr;
    upstream::BackendConn* backend = nullptr;
    http1::BodyReader body{http1::BodyFraming::none()};
    bool body_done = false;
    bool sent_continue = false;
    bool request_chunked_out = false;  // request body re-framed as chunked to the backend
    uint64_t body_bytes = 0;
    bool response_started = false;
    uint16_t status = 0;
    Framing framing = Framing::None;
    bool retried = false;
    bool backend_reused = false;  // the backend connection had served an earlier exchange
    bool prepared = false;        // req already rewritten for the backend
    ExchangeStats stats;
  };

  ClientConn(Worker& worker, size_t listener_index, std::unique_ptr<uv::TcpStream> stream);

  // input side
  void drive_tls();
  void process();
  void start_exchange(http::RequestHead&& head);
  void connect_backend();
  void write_request_head();
  void pump_request_body();
  void update_reading();

  // output side
  void send(BytesView plain);
  void flush_tls();
  void start_h2();
  // adopt_generation moves to the worker's newest generation (between requests only).
  void adopt_generation();
  void respond_simple(uint16_t status, std::string_view reason_label, std::string_view body,
                      bool close, std::string_view content_type = "text/plain; charset=utf-8",
                      http::Fields extra = {}, bool logged = false);
  void refuse(http1::Errc code);
  void finish_exchange();

  // timers and teardown
  void arm(Wait w);
  // check_rate applies a gap limit and a minimum rate over each window to a byte counter
  // (request body bytes read, or response bytes the kernel accepted).
  enum class RateCheck : uint8_t { Ok, Stalled, TooSlow };
  RateCheck check_rate(uint64_t bytes_now, uint64_t gap_limit_ms, uint32_t min_rate);
  void on_timer();
  void release_backend();
  void close_gracefully();
  void close_now();

  Worker& worker_;
  // gen_ is the policy generation this connection serves under; it moves to a newer one at
  // request boundaries (adopt_generation), so a keep-alive connection is never cut by a
  // reload and still gets the new policy for its next request.
  GenerationPtr gen_;
  const policy::Listener* listener_;
  const policy::Limits* limits_;
  metrics::ListenerMetrics& metrics_;
  std::unique_ptr<uv::TcpStream> client_;
  std::unique_ptr<tls::Session> tls_;
  std::unique_ptr<H2Conn> h2_;  // set once ALPN selected h2
  std::string peer_ip_;
  uv::Timer timer_;
  Wait wait_ = Wait::None;
  // Body and send waits: last progress, and the rate window (uv_hrtime ns / byte counters).
  uint64_t progress_ns_ = 0;
  uint64_t window_start_ns_ = 0;
  uint64_t window_start_bytes_ = 0;
  uint64_t sent_seen_ = 0;
  Phase phase_ = Phase::Idle;
  ByteQueue in_;       // plaintext received, not yet consumed
  ByteQueue scratch_;  // serialized output before encryption
  http1::RequestParser parser_;
  std::optional<Exchange> ex_;
  bool close_after_ = false;
  bool draining_ = false;
  bool waiting_client_drain_ = false;
  bool eof_ = false;
  uint64_t requests_ = 0;
};

}  // namespace intransit::gateway
