// TCP glue: listeners with SO_REUSEPORT and streams with a ByteQueue for output,
// back-pressure (pause/resume reading, pending bytes) and a lingering close that lets the
// last response reach the peer before the socket goes away.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "gateway/uv/flusher.h"
#include "gateway/uv/handle.h"

namespace intransit::uv {

// StreamEvents receives a TcpStream's events. The data passed to on_read is valid only during
// the call. Any callback may destroy the stream (and its owner); the stream never touches
// itself after calling out.
class StreamEvents {
 public:
  virtual ~StreamEvents() = default;
  virtual void on_read(BytesView data) = 0;
  // on_eof: the peer closed its sending side.
  virtual void on_eof() = 0;
  // on_error: a read or write failed (status is a negative libuv code).
  virtual void on_error(int status) = 0;
  // on_drained: an asynchronous write completed and every queued byte was handed to the
  // kernel. It is never called from inside flush(): after a flush, check pending().
  virtual void on_drained() {}
  // on_connected: an outgoing connect finished (status 0 or a negative libuv code).
  virtual void on_connected(int /*status*/) {}
};

// parse_ip_port turns a numeric host and port into a sockaddr_storage.
Result<sockaddr_storage> make_sockaddr(const std::string& host, uint16_t port);
// peer_ip returns the numeric address of a connected socket's peer ("" on failure).
std::string sockaddr_ip(const sockaddr_storage& sa);

class Flusher;

class TcpStream {
 public:
  // accept takes the next connection from `server`.
  static Result<std::unique_ptr<TcpStream>> accept(uv_stream_t* server, StreamEvents* events);
  // connect starts a connection to `to`; events->on_connected reports the outcome.
  static Result<std::unique_ptr<TcpStream>> connect(uv_loop_t* loop, const sockaddr_storage& to,
                                                    StreamEvents* events);
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  void set_events(StreamEvents* e) { events_ = e; }
  void start_reading();
  void stop_reading();
  bool reading() const { return reading_; }

  // out is the output queue: append, then flush().
  ByteQueue& out() { return out_; }
  void write(BytesView data) {
    out_.append(data);
    flush();
  }
  void flush();
  // flush_soon writes at the end of this loop iteration (through `flusher`, see
  // set_flusher), so output from several events leaves in one write. Without a flusher it
  // is flush().
  void flush_soon() {
    if (flusher_hook_) {
      flusher_hook_->schedule(this);
    } else {
      flush();
    }
  }
  void set_flusher(Flusher* f) { flusher_hook_ = f; }
  // bytes_written counts every byte the kernel has accepted on this stream.
  uint64_t bytes_written() const { return bytes_written_; }
  // pending is the number of bytes queued or being written.
  size_t pending() const { return out_.size(); }

  const std::string& peer_ip() const { return peer_ip_; }
  uint16_t peer_port() const { return peer_port_; }

  // linger_close flushes what is queued, sends FIN, then reads and discards what the peer
  // still sends until it closes or `linger_ms` passes, so an error response is not lost to
  // a TCP reset. The stream owns itself until then; no events are delivered any more.
  static void linger_close(std::unique_ptr<TcpStream> s, uint64_t linger_ms);
  // close_reset closes at once with a TCP reset (for aborting a broken exchange).
  static void close_reset(std::unique_ptr<TcpStream> s);

 private:
  TcpStream() = default;
  friend class Flusher;
  void on_write_done(int status, size_t bytes);
  void notify_drained() {
    if (events_ && !lingering_) events_->on_drained();
  }
  void fill_peer();
  void start_linger(uint64_t linger_ms);
  void shutdown_write();
  // finish_linger closes normally (FIN already sent); the stream deletes itself.
  void finish_linger() { auto last = std::move(self_); }
  void on_linger_timeout() { finish_linger(); }

  Handle<uv_tcp_t> tcp_;
  StreamEvents* events_ = nullptr;
  ByteQueue out_;
  size_t in_flight_ = 0;  // bytes of out_'s front handed to uv_write
  uint64_t bytes_written_ = 0;
  bool reading_ = false;
  bool lingering_ = false;
  bool broken_ = false;              // a write could not even be queued
  Flusher* flusher_hook_ = nullptr;  // where flush_soon queues us
  Flusher* flusher_ = nullptr;       // set while queued in a Flusher
  size_t flush_slot_ = 0;
  std::unique_ptr<TcpStream> self_;  // set while lingering
  Timer linger_timer_;
  std::string peer_ip_;
  uint16_t peer_port_ = 0;
};

// TcpListener binds with SO_REUSEADDR (and SO_REUSEPORT when asked, so one listener per
// worker loop can share an address) and calls `on_connection` for every pending connection.
class TcpListener {
 public:
  enum class Share : uint8_t { Exclusive, ReusePort };
  static Result<std::unique_ptr<TcpListener>> bind(uv_loop_t* loop, const std::string& host,
                                                   uint16_t port, int backlog,
                                                   std::function<void(uv_stream_t*)> on_connection,
                                                   Share share = Share::Exclusive);
  // check_free returns an error when another socket (of any process) already listens on the
  // address. SO_REUSEPORT would otherwise let a second gateway of the same user bind the
  // same port and silently split its traffic.
  static Result<void> check_free(const std::string& host, uint16_t port);
  ~TcpListener() = default;
  // close stops accepting: the socket is closed now, queued connections are reset by the
  // kernel once the last listener on the address is gone.
  void close() { tcp_.close(); }
  uint16_t port() const { return port_; }

 private:
  TcpListener() = default;
  Handle<uv_tcp_t> tcp_;
  std::function<void(uv_stream_t*)> on_connection_;
  uint16_t port_ = 0;
};

}  // namespace intransit::uv
