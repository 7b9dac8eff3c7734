// Worker is one event loop on its own thread with its own SO_REUSEPORT listening sockets,
// its own connections and its own backend pools: nothing on the request path is shared
// between workers except the immutable Snapshot and the (atomic) metric counters.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/access_log.h"
#include "gateway/base/result.h"
#include "gateway/snapshot.h"
#include "gateway/upstream/pool.h"
#include "gateway/uv/flusher.h"
#include "gateway/uv/handle.h"
#include "gateway/uv/tcp.h"
#include "smb/relay.h"

namespace intransit::gateway {

class Worker;

// Conn is a client connection owned by a worker.
class Conn {
 public:
  virtual ~Conn() = default;
  // drain asks the connection to finish its in-flight request and close; an idle
  // connection closes at once.
  virtual void drain() = 0;
  // abort closes at once (drain deadline passed).
  virtual void abort() = 0;

 private:
  friend class Worker;
  std::list<std::unique_ptr<Conn>>::iterator pos_;
  bool retired_ = false;
};

class Worker {
 public:
  Worker(int index, SnapshotPtr snapshot);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // bind opens this worker's listening sockets. Called before start(), on the control thread.
  Result<void> bind();
  // start runs the loop on a new thread until the worker has drained.
  void start();
  void join();
  // post_drain asks the worker, from any thread, to stop accepting and drain within
  // `drain_ms`; the loop ends when the last connection is gone.
  void post_drain(uint64_t drain_ms);
  // set_on_done registers what the worker thread calls once its loop has ended.
  void set_on_done(std::function<void()> f) { on_done_ = std::move(f); }

  int index() const { return index_; }
  uv_loop_t* loop() { return &loop_; }
  const SnapshotPtr& snapshot() const { return snapshot_; }
  upstream::Pools& pools() { return pools_; }
  uv::Flusher* flusher() { return flusher_.get(); }
  // access_log is this worker's access log buffer, or nullptr when logging is off.
  AccessLog* access_log() { return access_log_.get(); }
  bool draining() const { return draining_; }

  // adopt takes ownership of a new connection; retire schedules its deletion after the
  // current callback has returned (a connection may retire itself from inside a callback).
  Conn* adopt(std::unique_ptr<Conn> c);
  void retire(Conn* c);
  size_t connection_count() const { return conns_.size(); }

 private:
  void on_connection(size_t listener_index, uv_stream_t* server);
  void on_drain_request();
  void on_drain_deadline();
  void reap();
  void maybe_stop();
  void on_drain_poll();

  int index_;
  SnapshotPtr snapshot_;
  uv_loop_t loop_{};
  bool loop_open_ = false;
  std::unique_ptr<uv::Flusher> flusher_;  // outlives every stream below
  std::unique_ptr<AccessLog> access_log_;
  std::vector<std::unique_ptr<uv::TcpListener>> listeners_;
  std::vector<std::unique_ptr<smb::Relay>> smb_relays_;  // protocol: smb listeners
  uv::Timer drain_poll_;  // while draining: checks whether the relays have emptied
  std::list<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> graveyard_;
  upstream::Pools pools_;
  uv::Handle<uv_async_t> drain_async_;
  uv::Handle<uv_check_t> reaper_;
  uv::Timer drain_deadline_;
  std::atomic<uint64_t> drain_ms_{0};
  bool draining_ = false;
  uint64_t refused_since_log_ = 0;
  uint64_t last_refusal_log_ms_ = 0;
  std::function<void()> on_done_;
  std::thread thread_;
};

}  // namespace intransit::gateway
