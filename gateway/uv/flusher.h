// Flusher batches socket writes per loop iteration: a stream that gets output from several
// events in one iteration (HTTP/2 responses of many streams, a response head and its first
// body bytes) is written once, right after that iteration's I/O callbacks (uv_check). An
// idle handle keeps the loop from blocking in poll while writes scheduled by timers wait.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "gateway/base/result.h"
#include "gateway/uv/handle.h"

namespace intransit::uv {

class TcpStream;
class Flusher;

// Deferred is work that produces output and wants to run once per loop iteration, just
// before the sockets are flushed (an HTTP/2 connection turning the responses of all its
// streams into one batch of frames, hence few TLS records). The destructor cancels it.
class Deferred {
 public:
  virtual void run_deferred() = 0;

 protected:
  Deferred() = default;
  ~Deferred();
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;

 private:
  friend class Flusher;
  Flusher* deferred_in_ = nullptr;
  size_t deferred_slot_ = 0;
};

class Flusher {
 public:
  static Result<std::unique_ptr<Flusher>> make(uv_loop_t* loop);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // schedule queues `s` for the next flush; a stream is queued at most once.
  void schedule(TcpStream* s);
  // cancel forgets `s` (called by its destructor).
  void cancel(TcpStream* s);
  // defer queues `d` to run at the next flush, before the streams are written.
  void defer(Deferred* d);
  void cancel(Deferred* d);
  // run runs the deferred work, then flushes every queued stream.
  void run();
  // close stops the handles; queued streams are flushed first.
  void close();

 private:
  Flusher() = default;
  void wake();  // keep the loop from blocking in poll until run()

  Handle<uv_check_t> check_;
  Handle<uv_idle_t> idle_;
  bool idle_on_ = false;
  std::vector<TcpStream*> pending_;
  std::vector<TcpStream*> running_;
  std::vector<Deferred*> deferred_;
  std::vector<Deferred*> deferred_running_;
};

}  // namespace intransit::uv
