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
  // run flushes every queued stream now.
  void run();
  // close stops the handles; queued streams are flushed first.
  void close();

 private:
  Flusher() = default;

  Handle<uv_check_t> check_;
  Handle<uv_idle_t> idle_;
  bool idle_on_ = false;
  std::vector<TcpStream*> pending_;
  std::vector<TcpStream*> running_;
};

}  // namespace intransit::uv
