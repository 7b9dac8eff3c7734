#include "smb/relay.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "gateway/base/log.h"
#include "smb/header.h"
#include "smb/inspector.h"

namespace intransit::smb {
namespace {

// How long a normally ending connection keeps flushing what is queued to each peer.
constexpr uint64_t kLingerMs = 2000;

std::string peer_of(const uv::TcpStream& s) {
  const std::string& ip = s.peer_ip();
  const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(s.peer_port());
}

std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

constexpr Side other(Side s) {
  return s == Side::Client ? Side::Server : Side::Client;
}

}  // namespace

// RelayConn is one relayed connection: client stream ⇄ Inspector ⇄ backend stream, one timer
// for the connect, setup and idle deadlines. It destroys itself through Relay::remove.
class RelayConn {
 public:
  RelayConn(Relay& relay, uint64_t id);
  ~RelayConn();
  RelayConn(const RelayConn&) = delete;
  RelayConn& operator=(const RelayConn&) = delete;

  // start takes the client stream and connects to the backend. When the connection is
  // refused here it logs, counts and removes itself: the caller must not touch it afterwards.
  void start(std::unique_ptr<uv::TcpStream> client);
  // abort closes both streams at once without a log line or a drop count (shutdown).
  void abort();

 private:
  // Events adapts one stream's callbacks to the connection, tagged with the side.
  struct Events final : uv::StreamEvents {
    RelayConn* conn = nullptr;
    Side side = Side::Client;
    void on_read(BytesView data) override { conn->on_read(side, data); }
    void on_eof() override { conn->on_eof(side); }
    void on_error(int status) override { conn->on_error(side, status); }
    void on_drained() override { conn->on_drained(side); }
    void on_connected(int status) override { conn->on_connected(status); }
  };

  uv::TcpStream* stream(Side s) { return s == Side::Client ? client_.get() : backend_.get(); }
  uint64_t now_ms() const { return uv_now(relay_.loop_); }

  void on_read(Side from, BytesView data);
  void on_eof(Side from);
  void on_error(Side from, int status);
  void on_drained(Side to);
  void on_connected(int status);
  void on_timer();
  void arm_timer();
  void report_sessions();

  // drop logs, counts and closes both sides at once; `this` is gone afterwards.
  void drop(Errc reason, std::string_view detail = {});
  // finish ends a connection that a peer closed: queued bytes still go out; `this` is gone.
  void finish(std::string_view why);
  void close_streams();

  Relay& relay_;
  const RelayConfig& config_;
  uint64_t id_;
  Inspector inspector_;
  std::unique_ptr<uv::TcpStream> client_;
  std::unique_ptr<uv::TcpStream> backend_;
  Events client_events_;
  Events backend_events_;
  uv::Timer timer_;
  std::string peer_;
  bool connected_ = false;
  bool paused_[2] = {false, false};  // reading from that side is paused (back-pressure)
  uint64_t accepted_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  uint64_t bytes_[2] = {0, 0};
};

RelayConn::RelayConn(Relay& relay, uint64_t id)
    : relay_(relay), config_(relay.config_), id_(id), inspector_(relay.config_.inspector) {
  client_events_.conn = this;
  client_events_.side = Side::Client;
  backend_events_.conn = this;
  backend_events_.side = Side::Server;
  relay_.metrics_.accepted.Increment();
  relay_.metrics_.active.Increment();
}

RelayConn::~RelayConn() {
  close_streams();
  relay_.metrics_.active.Decrement();
}

void RelayConn::close_streams() {
  timer_.close();
  if (client_) client_->set_events(nullptr);
  if (backend_) backend_->set_events(nullptr);
  client_.reset();
  backend_.reset();
}

void RelayConn::start(std::unique_ptr<uv::TcpStream> client) {
  client_ = std::move(client);
  client_->set_flusher(relay_.flusher_);
  client_->set_events(&client_events_);
  peer_ = peer_of(*client_);
  accepted_ms_ = last_activity_ms_ = now_ms();
  auto t = uv::Timer::make(relay_.loop_);
  if (!t) return drop(Errc::BackendConnectFailed, t.error().message());
  timer_ = std::move(*t);
  if (relay_.conns_.size() > config_.max_connections) return drop(Errc::TooManyConnections);
  auto b = uv::TcpStream::connect(relay_.loop_, relay_.backend_addr_, &backend_events_);
  if (!b) return drop(Errc::BackendConnectFailed, b.error().message());
  backend_ = std::move(*b);
  backend_->set_flusher(relay_.flusher_);
  log::debug("smb", "accepted").kv("listener", config_.listener).kv("conn", id_).kv("peer", peer_);
  arm_timer();
}

void RelayConn::abort() {
  close_streams();
}

void RelayConn::on_connected(int status) {
  if (status < 0) return drop(Errc::BackendConnectFailed, uv::uv_error(status).message());
  connected_ = true;
  last_activity_ms_ = now_ms();
  // The client's NEGOTIATE waited in the kernel until now.
  client_->start_reading();
  backend_->start_reading();
  arm_timer();
}

void RelayConn::on_read(Side from, BytesView data) {
  last_activity_ms_ = now_ms();
  bytes_[static_cast<size_t>(from)] += data.size();
  (from == Side::Client ? relay_.metrics_.bytes_client_to_server
                        : relay_.metrics_.bytes_server_to_client)
      .Increment(static_cast<double>(data.size()));
  uv::TcpStream* dst = stream(other(from));
  const Verdict v = inspector_.feed(from, data, dst->out());
  if (v.dropped()) return drop(v.reason());
  if (!inspector_.events().empty()) report_sessions();
  dst->flush_soon();  // one write per loop iteration for a burst of reads
  if (dst->pending() > config_.max_buffered_bytes) {
    // Back-pressure: stop reading this side until the other side's queue drains.
    stream(from)->stop_reading();
    paused_[static_cast<size_t>(from)] = true;
  }
}

void RelayConn::on_drained(Side to) {
  const Side from = other(to);
  if (paused_[static_cast<size_t>(from)]) {
    paused_[static_cast<size_t>(from)] = false;
    stream(from)->start_reading();
  }
}

void RelayConn::on_eof(Side from) {
  finish(from == Side::Client ? "client_closed" : "server_closed");
}

void RelayConn::on_error(Side from, int status) {
  log::info("smb", "io_error")
      .kv("listener", config_.listener)
      .kv("conn", id_)
      .kv("peer", peer_)
      .kv("side", name(from))
      .kv("error", uv::uv_error(status).message());
  close_streams();
  relay_.remove(this);
}

void RelayConn::report_sessions() {
  for (const SessionEvent& e : inspector_.events()) {
    // Both are set once NEGOTIATE passed, which a session requires.
    if (inspector_.dialect() && inspector_.cipher())
      relay_.metrics_.session(*inspector_.dialect(), *inspector_.cipher());
    log::info("smb", "session")
        .kv("listener", config_.listener)
        .kv("conn", id_)
        .kv("peer", peer_)
        .kv("session_id", hex64(e.session_id))
        .kv("dialect", inspector_.dialect() ? label(*inspector_.dialect()) : "?")
        .kv("cipher", inspector_.cipher() ? label(*inspector_.cipher()) : "?")
        .kv("encrypt_data", (e.session_flags & 0x4) ? "yes" : "no")
        .kv("binding", e.binding ? "yes" : "no");
  }
  inspector_.clear_events();
}

void RelayConn::drop(Errc reason, std::string_view detail) {
  relay_.metrics_.drop(reason);
  {
    log::Line line = log::warn("smb", "drop");
    line.kv("listener", config_.listener)
        .kv("conn", id_)
        .kv("peer", peer_)
        .kv("reason", label(reason))
        .kv("detail", detail.empty() ? describe(reason) : detail);
    if (inspector_.verdict().dropped()) {
      const DropInfo& i = inspector_.drop_info();
      line.kv("side", name(i.side)).kv("state", name(i.state)).kv("offset", i.offset);
      if (i.command) line.kv("command", command_name(*i.command));
      if (i.session_id != 0) line.kv("session_id", hex64(i.session_id));
    } else {
      line.kv("state", name(inspector_.state()));
    }
  }
  close_streams();
  relay_.remove(this);
}

void RelayConn::finish(std::string_view why) {
  log::info("smb", "closed")
      .kv("listener", config_.listener)
      .kv("conn", id_)
      .kv("peer", peer_)
      .kv("why", why)
      .kv("state", name(inspector_.state()))
      .kv("bytes_in", bytes_[0])
      .kv("bytes_out", bytes_[1]);
  timer_.close();
  for (auto* s : {&client_, &backend_}) {
    if (!*s) continue;
    (*s)->set_events(nullptr);
    uv::TcpStream::linger_close(std::move(*s), kLingerMs);
  }
  relay_.remove(this);
}

void RelayConn::arm_timer() {
  if (!timer_) return;
  const uint64_t now = now_ms();
  uint64_t deadline = last_activity_ms_ + config_.idle_timeout_ms;
  if (!connected_) deadline = std::min(deadline, accepted_ms_ + config_.connect_timeout_ms);
  if (inspector_.state() != State::Encrypted)
    deadline = std::min(deadline, accepted_ms_ + config_.setup_timeout_ms);
  timer_.arm<RelayConn, &RelayConn::on_timer>(this, deadline > now ? deadline - now : 0);
}

void RelayConn::on_timer() {
  const uint64_t now = now_ms();
  if (!connected_ && now >= accepted_ms_ + config_.connect_timeout_ms)
    return drop(Errc::BackendConnectTimeout);
  if (inspector_.state() != State::Encrypted && now >= accepted_ms_ + config_.setup_timeout_ms)
    return drop(Errc::SetupTimeout);
  if (now >= last_activity_ms_ + config_.idle_timeout_ms) return drop(Errc::IdleTimeout);
  arm_timer();  // activity moved the idle deadline: wait for the new one
}

// ---- Relay -----------------------------------------------------------------------------------

Result<std::unique_ptr<Relay>> Relay::start(uv_loop_t* loop, RelayConfig config,
                                            uv::Flusher* flusher) {
  if (const auto errors = validate(config); !errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
    return fail("invalid_config", all);
  }
  auto backend = uv::make_sockaddr(config.backend_host, config.backend_port);
  if (!backend) return unexpected(std::move(backend).error());
  std::unique_ptr<Relay> r(new Relay(loop, std::move(config), *backend));
  Relay* raw = r.get();
  raw->flusher_ = flusher;
  auto l = uv::TcpListener::bind(
      loop, raw->config_.listen_host, raw->config_.listen_port, raw->config_.backlog,
      [raw](uv_stream_t* server) { raw->on_connection(server); },
      raw->config_.reuse_port ? uv::TcpListener::Share::ReusePort
                              : uv::TcpListener::Share::Exclusive);
  if (!l) return unexpected(std::move(l).error());
  if (!raw->flusher_) {
    auto f = uv::Flusher::make(loop);
    if (!f) return unexpected(std::move(f).error());
    raw->own_flusher_ = std::move(*f);
    raw->flusher_ = raw->own_flusher_.get();
  }
  raw->listener_ = std::move(*l);
  raw->port_ = raw->listener_->port();
  log::info("smb", "listening")
      .kv("listener", raw->config_.listener)
      .kv("address", raw->config_.listen_host + ":" + std::to_string(raw->port_))
      .kv("backend", raw->config_.backend_host + ":" + std::to_string(raw->config_.backend_port))
      .kv("mode", label(raw->config_.inspector.mode));
  return r;
}

Relay::Relay(uv_loop_t* loop, RelayConfig config, const sockaddr_storage& backend)
    : loop_(loop),
      config_(std::move(config)),
      backend_addr_(backend),
      metrics_(ListenerSeries::of(config_.listener)) {}

Relay::~Relay() {
  stop_accepting();
  close_all();
  if (own_flusher_) own_flusher_->close();
}

void Relay::stop_accepting() {
  if (listener_) listener_->close();
  listener_.reset();
}

void Relay::close_all() {
  auto conns = std::move(conns_);
  conns_.clear();
  for (auto& [raw, conn] : conns) conn->abort();
}

void Relay::on_connection(uv_stream_t* server) {
  auto s = uv::TcpStream::accept(server, nullptr);
  if (!s) {
    log::warn("smb", "accept_failed")
        .kv("listener", config_.listener)
        .kv("error", s.error().message());
    return;
  }
  auto c = std::make_unique<RelayConn>(*this, next_id_++);
  RelayConn* raw = c.get();
  conns_.emplace(raw, std::move(c));
  raw->start(std::move(*s));  // may remove itself
}

void Relay::remove(RelayConn* c) {
  conns_.erase(c);
}

}  // namespace intransit::smb
