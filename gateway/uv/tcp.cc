#include "gateway/uv/tcp.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "gateway/base/c_handle.h"

namespace intransit::uv {
namespace {

// One read buffer per thread: reads are handled synchronously inside the read callback, so
// connections do not each hold a receive buffer.
constexpr size_t kReadBufferBytes = 64 * 1024;
thread_local std::array<char, kReadBufferBytes> t_read_buf;

constexpr size_t kMaxWriteBufs = 16;

struct WriteReq {
  uv_write_t req;
  size_t bytes;
};

TcpStream* owner_of(uv_stream_t* s) {
  return static_cast<TcpStream*>(s->data);
}

}  // namespace

Result<sockaddr_storage> make_sockaddr(const std::string& host, uint16_t port) {
  sockaddr_storage ss{};
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    if (int rc = uv_ip6_addr(host.c_str(), port, a); rc < 0) return unexpected(uv_error(rc, host));
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    if (int rc = uv_ip4_addr(host.c_str(), port, a); rc < 0) return unexpected(uv_error(rc, host));
  }
  return ss;
}

std::string sockaddr_ip(const sockaddr_storage& sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&sa), buf, sizeof buf);
  } else if (sa.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&sa), buf, sizeof buf);
  }
  return buf;
}

TcpStream::~TcpStream() {
  if (flusher_) flusher_->cancel(this);
}

void TcpStream::fill_peer() {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp_.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    peer_ip_ = sockaddr_ip(ss);
    peer_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
}

Result<std::unique_ptr<TcpStream>> TcpStream::accept(uv_stream_t* server, StreamEvents* events) {
  auto h = make_handle<uv_tcp_t>(uv_tcp_init, server->loop);
  if (!h) return unexpected(std::move(h).error());
  std::unique_ptr<TcpStream> s(new TcpStream());
  s->tcp_ = std::move(*h);
  s->tcp_.get()->data = s.get();
  if (int rc = uv_accept(server, s->tcp_.stream()); rc < 0) return unexpected(uv_error(rc));
  uv_tcp_nodelay(s->tcp_.get(), 1);
  s->events_ = events;
  s->fill_peer();
  return s;
}

Result<std::unique_ptr<TcpStream>> TcpStream::connect(uv_loop_t* loop, const sockaddr_storage& to,
                                                      StreamEvents* events) {
  auto h = make_handle<uv_tcp_t>(uv_tcp_init, loop);
  if (!h) return unexpected(std::move(h).error());
  std::unique_ptr<TcpStream> s(new TcpStream());
  s->tcp_ = std::move(*h);
  s->tcp_.get()->data = s.get();
  s->events_ = events;
  uv_tcp_nodelay(s->tcp_.get(), 1);
  auto* req = new uv_connect_t{};
  const int rc = uv_tcp_connect(req, s->tcp_.get(), reinterpret_cast<const sockaddr*>(&to),
                                [](uv_connect_t* r, int status) {
                                  auto* self = owner_of(r->handle);
                                  delete r;
                                  if (!self || !self->events_) return;
                                  if (status == 0) self->fill_peer();
                                  self->events_->on_connected(status);
                                });
  if (rc < 0) {
    delete req;
    return unexpected(uv_error(rc));
  }
  return s;
}

void TcpStream::start_reading() {
  if (reading_ || !tcp_) return;
  reading_ = true;
  uv_read_start(
      tcp_.stream(),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        buf->base = t_read_buf.data();
        buf->len = t_read_buf.size();
      },
      [](uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
        auto* self = owner_of(st);
        if (!self) return;
        if (self->lingering_) {
          if (nread < 0) self->finish_linger();
          return;  // discard what the peer still sends
        }
        if (nread > 0) {
          if (self->events_)
            self->events_->on_read(
                BytesView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)));
        } else if (nread == UV_EOF) {
          self->reading_ = false;
          uv_read_stop(st);
          if (self->events_) self->events_->on_eof();
        } else if (nread < 0) {
          self->reading_ = false;
          uv_read_stop(st);
          if (self->events_) self->events_->on_error(static_cast<int>(nread));
        }
      });
}

void TcpStream::stop_reading() {
  if (!reading_ || !tcp_) return;
  reading_ = false;
  uv_read_stop(tcp_.stream());
}

void TcpStream::flush() {
  // flush never calls out to the owner: errors and completions are reported from libuv
  // callbacks only, so a caller can keep using itself (and this stream) after flush().
  while (tcp_ && !broken_ && in_flight_ == 0 && !out_.empty()) {
    std::array<BytesView, kMaxWriteBufs> views;
    const size_t n = out_.peek(views);
    std::array<uv_buf_t, kMaxWriteBufs> bufs;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) {
      bufs[i] = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(views[i].data())),
                            static_cast<unsigned>(views[i].size()));
      total += views[i].size();
    }
    // The fast path: most writes fit the socket buffer and need no callback. On an error
    // other than EAGAIN, fall through to uv_write, which reports it from its callback.
    const int tried = uv_try_write(tcp_.stream(), bufs.data(), static_cast<unsigned>(n));
    if (tried > 0) {
      out_.consume(static_cast<size_t>(tried));
      bytes_written_ += static_cast<uint64_t>(tried);
      if (static_cast<size_t>(tried) == total) continue;  // maybe more chunks than bufs
    }
    auto* wr = new WriteReq{};
    const size_t left = out_.peek(views);
    size_t bytes = 0;
    for (size_t i = 0; i < left; ++i) {
      bufs[i] = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(views[i].data())),
                            static_cast<unsigned>(views[i].size()));
      bytes += views[i].size();
    }
    wr->bytes = bytes;
    in_flight_ = bytes;
    const int rc = uv_write(&wr->req, tcp_.stream(), bufs.data(), static_cast<unsigned>(left),
                            [](uv_write_t* r, int status) {
                              auto* w = reinterpret_cast<WriteReq*>(r);
                              auto* self = owner_of(r->handle);
                              const size_t done = w->bytes;
                              delete w;
                              if (self) self->on_write_done(status, done);
                            });
    if (rc < 0) {
      // Nothing will report this asynchronously: stop all I/O on the stream. The owner's
      // timers (idle, send, response) end the connection.
      delete wr;
      in_flight_ = 0;
      out_.clear();
      broken_ = true;
      stop_reading();
    }
    return;
  }
}

void TcpStream::on_write_done(int status, size_t bytes) {
  in_flight_ = 0;
  if (status < 0) {
    out_.clear();
    if (lingering_) return finish_linger();
    if (events_) events_->on_error(status);
    return;
  }
  out_.consume(bytes);
  bytes_written_ += bytes;
  flush();
  if (in_flight_ > 0 || !out_.empty()) return;
  if (lingering_) return shutdown_write();
  if (events_) events_->on_drained();
}

void TcpStream::start_linger(uint64_t linger_ms) {
  lingering_ = true;
  events_ = nullptr;
  auto t = Timer::make(tcp_.get()->loop);
  if (!t) return finish_linger();
  linger_timer_ = std::move(*t);
  linger_timer_.arm<TcpStream, &TcpStream::on_linger_timeout>(this, linger_ms);
  start_reading();
  flush();
  if (out_.empty() && in_flight_ == 0) shutdown_write();
}

void TcpStream::shutdown_write() {
  auto* req = new uv_shutdown_t{};
  if (uv_shutdown(req, tcp_.stream(), [](uv_shutdown_t* r, int) { delete r; }) < 0) delete req;
}

void TcpStream::linger_close(std::unique_ptr<TcpStream> s, uint64_t linger_ms) {
  if (!s || !s->tcp_) return;
  TcpStream* raw = s.get();
  raw->self_ = std::move(s);
  raw->start_linger(linger_ms);
}

void TcpStream::close_reset(std::unique_ptr<TcpStream> s) {
  if (!s || !s->tcp_) return;
  s->linger_timer_.close();
  // Hand the handle to uv_tcp_close_reset; it frees through the close callback.
  uv_tcp_t* h = s->tcp_.release();
  h->data = nullptr;
  if (uv_tcp_close_reset(h, [](uv_handle_t* p) { delete reinterpret_cast<uv_tcp_t*>(p); }) < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* p) { delete reinterpret_cast<uv_tcp_t*>(p); });
  }
}

namespace {

Result<UniqueFd> bound_socket(const std::string& host, uint16_t port, bool reuse_port) {
  auto sa = make_sockaddr(host, port);
  if (!sa) return unexpected(std::move(sa).error());
  UniqueFd fd(::socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return unexpected(uv_error(-errno, "socket"));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    return unexpected(uv_error(-errno, "SO_REUSEPORT"));
  if (sa->ss_family == AF_INET6)
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const socklen_t len = sa->ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), len) < 0)
    return unexpected(
        uv_error(-errno, "bind " + (sa->ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" +
                             std::to_string(port) + ": " + std::strerror(errno)));
  return fd;
}

}  // namespace

Result<void> TcpListener::check_free(const std::string& host, uint16_t port) {
  auto fd = bound_socket(host, port, /*reuse_port=*/false);
  if (!fd) return unexpected(std::move(fd).error());
  return {};
}

Result<std::unique_ptr<TcpListener>> TcpListener::bind(
    uv_loop_t* loop, const std::string& host, uint16_t port, int backlog,
    std::function<void(uv_stream_t*)> on_connection, Share share) {
  auto bound = bound_socket(host, port, share == Share::ReusePort);
  if (!bound) return unexpected(std::move(bound).error());
  UniqueFd fd = std::move(*bound);
  auto h = make_handle<uv_tcp_t>(uv_tcp_init, loop);
  if (!h) return unexpected(std::move(h).error());
  std::unique_ptr<TcpListener> l(new TcpListener());
  l->tcp_ = std::move(*h);
  if (int rc = uv_tcp_open(l->tcp_.get(), fd.get()); rc < 0) return unexpected(uv_error(rc));
  fd.release();  // owned by the uv handle now
  l->tcp_.get()->data = l.get();
  l->on_connection_ = std::move(on_connection);
  if (int rc = uv_listen(l->tcp_.stream(), backlog,
                         [](uv_stream_t* server, int status) {
                           auto* self = static_cast<TcpListener*>(server->data);
                           if (!self || status < 0) return;
                           self->on_connection_(server);
                         });
      rc < 0)
    return unexpected(uv_error(rc, "listen " + host + ":" + std::to_string(port)));
  sockaddr_storage name{};
  int nlen = sizeof name;
  uv_tcp_getsockname(l->tcp_.get(), reinterpret_cast<sockaddr*>(&name), &nlen);
  l->port_ = ntohs(name.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&name)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&name)->sin_port);
  return l;
}

}  // namespace intransit::uv
