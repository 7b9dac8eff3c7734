// Backend connections: a per-worker, per-backend pool of keep-alive HTTP/1.1 connections,
// and the connection itself, which sends a request and parses the response stream.
//
// One BackendConn serves one exchange at a time for one BackendUser. Requests are written
// through `out()`+`flush()`; the response arrives as head, data and end events. Flow control
// works both ways: the user pauses the response while its client is slow, and the
// connection reports when its own write queue has drained.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/parser.h"
#include "gateway/uv/handle.h"
#include "gateway/uv/tcp.h"
#include "metrics/registry.h"
#include "policy/model.h"

namespace intransit::gateway::upstream {

// BackendFailure says why an exchange with a backend failed.
enum class BackendFailure : uint8_t {
  PoolExhausted,    // max_connections reached on this worker
  ConnectFailed,    // refused, unreachable, reset during connect
  ConnectTimeout,   // connect_timeout_ms passed
  ResponseTimeout,  // response_timeout_ms passed without progress
  Closed,           // the backend closed or reset before the response was complete
  BadResponse,      // the response did not parse (framing, syntax, limits)
};

struct FailureInfo {
  uint16_t status;         // what the client gets when no response has started
  std::string_view label;  // metric label
  std::string_view what;   // human sentence for the error body and the log
};
FailureInfo describe(BackendFailure f);

// BackendUser receives the events of one exchange.
class BackendUser {
 public:
  virtual ~BackendUser() = default;
  // on_backend_writable: connected, and the write queue is below the low watermark.
  virtual void on_backend_writable() = 0;
  // on_backend_interim: a 1xx response other than 101.
  virtual void on_backend_interim(const http::ResponseHead& head) = 0;
  virtual void on_backend_head(http::ResponseHead& head) = 0;
  // on_backend_data: response body bytes, valid during the call only.
  virtual void on_backend_data(BytesView data) = 0;
  virtual void on_backend_end() = 0;
  virtual void on_backend_failure(BackendFailure f) = 0;
};

class Pool;

class BackendConn final : public uv::StreamEvents {
 public:
  // Watermarks of the request write queue: above kHighWater the user stops feeding request
  // body; on_backend_writable fires when it is back under kLowWater.
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  ~BackendConn() override;

  // out is where the user writes the serialized request; flush sends it.
  ByteQueue& out() { return stream_->out(); }
  void flush();
  size_t pending() const { return stream_->pending(); }
  bool connected() const { return state_ != State::Connecting; }
  // reused is true when this connection already served an exchange (a stale keep-alive
  // connection may fail on first write: the user may retry a body-less request once).
  bool reused() const { return exchanges_ > 1; }
  // response_started is true once any response byte arrived for this exchange.
  bool response_started() const { return response_bytes_ > 0; }

  // request_sent tells the connection the whole request is written; the response timeout
  // starts here (it also runs while a response is being received, reset by every read).
  void request_sent();
  // pause_response / resume_response stop and restart reading the response.
  void pause_response();
  void resume_response();

  const policy::Backend& backend() const { return *backend_; }

  // uv::StreamEvents
  void on_read(BytesView data) override;
  void on_eof() override;
  void on_error(int status) override;
  void on_drained() override;
  void on_connected(int status) override;

 private:
  friend class Pool;
  enum class State : uint8_t { Connecting, Idle, Busy, Closed };
  // set_state moves to `next`, keeping the idle/active connection gauges right.
  void set_state(State next);

  BackendConn(Pool& pool, const policy::Backend& backend);
  void begin(BackendUser* user, std::string_view method);
  void fail(BackendFailure f);
  void finish_response();
  void on_timer();
  void arm_response_timer();
  // set_deadline makes on_timer act `ms` from now; clear_deadline cancels it.
  void set_deadline(uint64_t ms);
  void clear_deadline();
  void process_input(BytesView data);

  Pool& pool_;
  const policy::Backend* backend_;
  std::unique_ptr<uv::TcpStream> stream_;
  uv::Timer timer_;
  uint64_t deadline_ms_ = 0;  // uv_now() time the current timeout expires; 0 = none
  uint64_t timer_at_ms_ = 0;  // when the uv timer is set to fire
  bool timer_armed_ = false;
  metrics::BackendMetrics* metrics_;
  State state_ = State::Closed;
  BackendUser* user_ = nullptr;
  bool head_request_ = false;
  bool request_done_ = false;
  bool have_head_ = false;
  bool reusable_ = true;
  bool paused_ = false;
  bool want_writable_ = false;
  uint64_t exchanges_ = 0;
  uint64_t response_bytes_ = 0;
  std::string method_;
  http1::ResponseParser parser_{"GET"};
  http1::BodyReader body_{http1::BodyFraming::none()};
  std::list<std::unique_ptr<BackendConn>>::iterator pos_;
};

// Pool holds one backend's connections on one worker.
class Pool {
 public:
  Pool(uv_loop_t* loop, uv::Flusher* flusher, const policy::Backend& backend,
       const policy::Limits& limits);
  ~Pool();
  // acquire returns an idle connection or starts a new one for `user`; nullptr when
  // max_connections is reached. The user's events start with on_backend_writable.
  BackendConn* acquire(BackendUser* user, std::string_view method);
  // release returns a connection after its exchange ended. `reusable` false closes it.
  void release(BackendConn* c, bool reusable);
  // close_all closes every connection (drain end).
  void close_all();
  size_t size() const { return all_.size(); }
  size_t idle() const { return idle_.size(); }

 private:
  friend class BackendConn;
  void destroy(BackendConn* c);

  uv_loop_t* loop_;
  uv::Flusher* flusher_;
  const policy::Backend& backend_;
  const policy::Limits& limits_;
  sockaddr_storage addr_{};
  bool addr_ok_ = false;
  std::list<std::unique_ptr<BackendConn>> all_;
  std::vector<BackendConn*> idle_;
  std::vector<std::unique_ptr<BackendConn>> dead_;
  uv::Handle<uv_check_t> reaper_;  // deletes dead_ after the callback that killed them
};

// Pools indexes one Pool per backend of a policy, created on first use.
class Pools {
 public:
  explicit Pools(const policy::Policy& policy) : policy_(&policy) {}
  void set_loop(uv_loop_t* loop, uv::Flusher* flusher) {
    loop_ = loop;
    flusher_ = flusher;
  }
  Pool& get(size_t backend_index);
  void close_all();

 private:
  const policy::Policy* policy_;
  uv_loop_t* loop_ = nullptr;
  uv::Flusher* flusher_ = nullptr;
  std::vector<std::unique_ptr<Pool>> pools_;
};

}  // namespace intransit::gateway::upstream
