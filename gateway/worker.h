// Worker is one event loop on its own thread with its own SO_REUSEPORT listening sockets,
// its own connections and its own backend pools: nothing on the request path is shared
// between workers except immutable snapshots and the (atomic) metric counters.
//
// Policy reloads arrive as new snapshots (post_snapshot, from any thread). The worker makes
// a new Generation for each one and reconciles its sockets: listeners whose kind and address
// are unchanged keep their socket (nothing is re-bound, nothing refused), new ones are bound,
// removed ones closed. Connections move to the new generation at their next request
// boundary; an old generation goes away with its last connection.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
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

// Generation is one policy snapshot as a worker uses it: the snapshot, backend pools built
// for its backends, and its access log buffer. Connections hold the generation they serve
// under (shared_ptr); pools and buffer go when the last of them does.
struct Generation {
  Generation(SnapshotPtr s, uv_loop_t* loop, uv::Flusher* flusher);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  SnapshotPtr snapshot;
  upstream::Pools pools;
  std::unique_ptr<AccessLog> access_log;  // nullptr when the policy has no access log
};
using GenerationPtr = std::shared_ptr<Generation>;

// Conn is a client connection owned by a worker.
class Conn {
 public:
  virtual ~Conn() = default;
  // drain asks the connection to finish its in-flight request and close; an idle
  // connection closes at once.
  virtual void drain() = 0;
  // abort closes at once (drain deadline passed).
  virtual void abort() = 0;
  // on_new_generation tells the connection a reload published a newer generation.
  virtual void on_new_generation() {}

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
  // post_snapshot hands the worker a newly loaded policy, from any thread.
  void post_snapshot(SnapshotPtr snap);
  // set_on_done registers what the worker thread calls once its loop has ended.
  void set_on_done(std::function<void()> f) { on_done_ = std::move(f); }

  int index() const { return index_; }
  uv_loop_t* loop() { return &loop_; }
  // generation is the newest generation: new connections start under it.
  const GenerationPtr& generation() const { return current_; }
  uv::Flusher* flusher() { return flusher_.get(); }
  bool draining() const { return draining_; }

  // adopt takes ownership of a new connection; retire schedules its deletion after the
  // current callback has returned (a connection may retire itself from inside a callback).
  Conn* adopt(std::unique_ptr<Conn> c);
  void retire(Conn* c);
  size_t connection_count() const { return conns_.size(); }

 private:
  // BoundListener is one listening socket; `index` follows the listener across reloads.
  struct BoundListener {
    std::string key;  // kind + address: what must match for the socket to be kept
    size_t index = 0;
    std::unique_ptr<uv::TcpListener> socket;
  };
  struct BoundRelay {
    std::string key;  // address + smb settings
    std::unique_ptr<smb::Relay> relay;
  };

  Result<void> reconcile(const policy::Policy& pol);
  void on_connection(BoundListener* l, uv_stream_t* server);
  void on_async();
  void on_drain_request();
  void on_drain_deadline();
  void reap();
  void maybe_stop();
  void on_relay_poll();

  int index_;
  uv_loop_t loop_{};
  bool loop_open_ = false;
  std::unique_ptr<uv::Flusher> flusher_;  // outlives every stream below
  GenerationPtr current_;
  std::vector<std::unique_ptr<BoundListener>> listeners_;
  std::vector<BoundRelay> smb_relays_;   // protocol: smb listeners
  std::vector<BoundRelay> retiring_;     // relays of removed/changed listeners, until empty
  uv::Timer relay_poll_;                 // checks retiring relays (and relays while draining)
  std::list<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> graveyard_;
  uv::Handle<uv_async_t> async_;
  uv::Handle<uv_check_t> reaper_;
  uv::Timer drain_deadline_;
  std::atomic<uint64_t> drain_ms_{0};
  std::atomic<bool> drain_requested_{false};
  std::mutex posted_mu_;
  SnapshotPtr posted_;  // newest snapshot handed over by post_snapshot, not yet adopted
  bool draining_ = false;
  uint64_t refused_since_log_ = 0;
  uint64_t last_refusal_log_ms_ = 0;
  std::function<void()> on_done_;
  std::thread thread_;
};

}  // namespace intransit::gateway
