// The access log: one JSON object per line per answered request, written off the request
// path. Each worker appends to its own buffer; the buffer goes to the file (or stdout) in one
// write from libuv's thread pool every 200 ms or once it holds 64 KiB, so a slow disk never
// stalls a loop. Lines carry no query strings and no credentials.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/base/result.h"
#include "gateway/uv/handle.h"

namespace intransit::gateway {

// AccessRecord is what a connection knows about one finished request.
struct AccessRecord {
  std::string_view listener;
  std::string_view client_ip;
  std::string_view protocol;  // "HTTP/1.1", "HTTP/1.0", "HTTP/2"
  std::string_view method;
  std::string_view host;
  std::string_view path;       // without the query
  std::string_view route;      // route name, "" when none matched
  std::string_view backend;    // backend name, "" when not forwarded
  uint16_t status = 0;
  uint64_t bytes_in = 0;       // request body bytes from the client
  uint64_t bytes_out = 0;      // response body bytes to the client
  double duration_s = 0;       // head received → response done
  double backend_s = -1;       // request sent → response head (-1: no backend exchange)
  std::string_view tls_version;
  std::string_view tls_cipher;
  std::string_view refusal;    // the reason label when the gateway answered itself
  std::string_view sas;        // "allow", "deny" or "" when the route needs no SAS
  std::string_view sas_reason;
};

// AccessSink is the shared destination (file opened O_APPEND, or stdout). Thread-safe.
class AccessSink {
 public:
  // open opens `path` ("-" = stdout) for appending, creating it 0640.
  static Result<std::shared_ptr<AccessSink>> open(const std::string& path);
  ~AccessSink();
  // write writes `data` whole (retrying short writes) under a lock; lines from different
  // workers never interleave.
  void write(std::string_view data);

 private:
  AccessSink() = default;
  int fd_ = -1;
  bool owned_ = false;
  std::mutex mu_;
};

// AccessLog is one worker's buffer in front of the sink.
class AccessLog {
 public:
  static Result<std::unique_ptr<AccessLog>> make(uv_loop_t* loop, std::shared_ptr<AccessSink> sink);
  ~AccessLog();
  void record(const AccessRecord& r);
  // flush hands the buffer to the thread pool now.
  void flush();
  // close flushes synchronously and stops the timer (loop shutdown).
  void close();

  // format renders one record as a JSON line (exposed for tests).
  static void format(const AccessRecord& r, int64_t unix_ms, std::string& out);

 private:
  AccessLog() = default;
  void on_timer();

  uv_loop_t* loop_ = nullptr;
  std::shared_ptr<AccessSink> sink_;
  std::string buf_;
  uv::Timer timer_;
  bool timer_armed_ = false;
};

}  // namespace intransit::gateway
