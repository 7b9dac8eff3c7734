#include "gateway/worker.h"

#include "gateway/base/log.h"
#include "gateway/conn/client_conn.h"
#include "metrics/registry.h"

namespace intransit::gateway {

namespace {

// smb_config maps a `protocol: smb` listener of the policy onto the relay's configuration.
smb::RelayConfig smb_config(const policy::Listener& l) {
  const policy::SmbPolicy& p = *l.smb;
  smb::RelayConfig c;
  c.listener = l.name;
  c.listen_host = l.address.host;
  c.listen_port = l.address.port;
  c.reuse_port = true;  // one relay per worker loop
  c.backend_host = p.backend.host;
  c.backend_port = p.backend.port;
  c.inspector.mode = p.mode == policy::SmbMode::Strict ? smb::Mode::Strict : smb::Mode::Standard;
  c.inspector.allowed_ciphers = smb::CipherSet();
  for (const auto& name : p.ciphers) {
    if (auto cipher = smb::parse_cipher(name)) c.inspector.allowed_ciphers.add(*cipher);
  }
  c.inspector.max_frame_bytes = p.max_frame_bytes;
  c.connect_timeout_ms = p.connect_timeout_ms;
  c.setup_timeout_ms = p.setup_timeout_ms;
  c.idle_timeout_ms = p.idle_timeout_ms;
  c.max_connections = p.max_connections;
  c.max_buffered_bytes = p.max_buffered_bytes;
  return c;
}

}  // namespace

Worker::Worker(int index, SnapshotPtr snapshot)
    : index_(index), snapshot_(std::move(snapshot)), pools_(*snapshot_->policy) {}

Worker::~Worker() {
  join();
  if (loop_open_) {
    // Close whatever is left (bind failure paths) and let the close callbacks run.
    listeners_.clear();
    smb_relays_.clear();
    drain_poll_.close();
    conns_.clear();
    graveyard_.clear();
    pools_.close_all();
    if (flusher_) flusher_->close();
    if (access_log_) access_log_->close();
    drain_async_.close();
    reaper_.close();
    drain_deadline_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

Result<void> Worker::bind() {
  if (int rc = uv_loop_init(&loop_); rc < 0) return unexpected(uv::uv_error(rc));
  loop_open_ = true;
  auto f = uv::Flusher::make(&loop_);
  if (!f) return unexpected(std::move(f).error());
  flusher_ = std::move(*f);
  pools_.set_loop(&loop_, flusher_.get());
  if (snapshot_->access_sink) {
    auto a = AccessLog::make(&loop_, snapshot_->access_sink);
    if (!a) return unexpected(std::move(a).error());
    access_log_ = std::move(*a);
  }
  const auto& pol = *snapshot_->policy;
  for (size_t i = 0; i < pol.listeners.size(); ++i) {
    const auto& l = pol.listeners[i];
    if (l.kind == policy::ListenerKind::Smb) {
      auto relay = smb::Relay::start(&loop_, smb_config(l), flusher_.get());
      if (!relay) {
        auto e = std::move(relay).error();
        e.detail = "listener '" + l.name + "' " + l.address.to_string() + ": " + e.detail;
        return unexpected(std::move(e));
      }
      smb_relays_.push_back(std::move(*relay));
      continue;
    }
    auto lis = uv::TcpListener::bind(&loop_, l.address.host, l.address.port, 1024,
                                     [this, i](uv_stream_t* server) { on_connection(i, server); },
                                     uv::TcpListener::Share::ReusePort);
    if (!lis) {
      auto e = std::move(lis).error();
      e.detail = "listener '" + l.name + "' " + l.address.to_string() + ": " + e.detail;
      return unexpected(std::move(e));
    }
    listeners_.push_back(std::move(*lis));
  }
  auto a = uv::make_handle<uv_async_t>(uv_async_init, &loop_, [](uv_async_t* h) {
    if (auto* w = static_cast<Worker*>(h->data)) w->on_drain_request();
  });
  if (!a) return unexpected(std::move(a).error());
  drain_async_ = std::move(*a);
  drain_async_.get()->data = this;
  auto c = uv::make_handle<uv_check_t>(uv_check_init, &loop_);
  if (!c) return unexpected(std::move(c).error());
  reaper_ = std::move(*c);
  reaper_.get()->data = this;
  uv_check_start(reaper_.get(), [](uv_check_t* h) {
    if (auto* w = static_cast<Worker*>(h->data)) w->reap();
  });
  uv_unref(reaper_.base());
  auto t = uv::Timer::make(&loop_);
  if (!t) return unexpected(std::move(t).error());
  drain_deadline_ = std::move(*t);
  auto p = uv::Timer::make(&loop_);
  if (!p) return unexpected(std::move(p).error());
  drain_poll_ = std::move(*p);
  return {};
}

void Worker::start() {
  thread_ = std::thread([this] {
    uv_run(&loop_, UV_RUN_DEFAULT);
    // Everything is closed by now; run once more so close callbacks free their memory.
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (on_done_) on_done_();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::post_drain(uint64_t drain_ms) {
  drain_ms_.store(drain_ms);
  if (drain_async_) uv_async_send(drain_async_.get());
}

void Worker::on_connection(size_t listener_index, uv_stream_t* server) {
  if (draining_) return;
  const auto& pol = *snapshot_->policy;
  if (conns_.size() >= pol.limits.max_connections) {
    // Over the limit: accept and close at once so the kernel queue does not fill up.
    auto s = uv::TcpStream::accept(server, nullptr);
    if (s) uv::TcpStream::close_reset(std::move(*s));
    metrics::ListenerMetrics::of(pol.listeners[listener_index].name).refusal("max_connections");
    // Under a connection flood, one line per second says how many were turned away.
    ++refused_since_log_;
    const uint64_t now = uv_now(&loop_);
    if (now - last_refusal_log_ms_ >= 1000 || last_refusal_log_ms_ == 0) {
      log::warn("listener", "refused")
          .kv("listener", pol.listeners[listener_index].name)
          .kv("reason", "max_connections")
          .kv("limit", pol.limits.max_connections)
          .kv("refused", refused_since_log_);
      refused_since_log_ = 0;
      last_refusal_log_ms_ = now;
    }
    return;
  }
  ClientConn::accept(*this, listener_index, server);
}

Conn* Worker::adopt(std::unique_ptr<Conn> c) {
  Conn* raw = c.get();
  conns_.push_back(std::move(c));
  raw->pos_ = std::prev(conns_.end());
  return raw;
}

void Worker::retire(Conn* c) {
  if (c->retired_) return;
  c->retired_ = true;
  graveyard_.push_back(std::move(*c->pos_));
  conns_.erase(c->pos_);
  uv_ref(reaper_.base());  // make sure the check handle runs this iteration
}

void Worker::reap() {
  if (graveyard_.empty()) return;
  // Connections may retire others while being destroyed; swap first.
  std::vector<std::unique_ptr<Conn>> dead;
  dead.swap(graveyard_);
  dead.clear();
  uv_unref(reaper_.base());
  maybe_stop();
}

void Worker::on_drain_request() {
  if (draining_) return;
  draining_ = true;
  for (auto& l : listeners_) l->close();
  listeners_.clear();
  for (auto& r : smb_relays_) r->stop_accepting();
  const uint64_t ms = drain_ms_.load();
  log::info("worker", "draining")
      .kv("worker", index_)
      .kv("connections", static_cast<uint64_t>(conns_.size()))
      .kv("drain_timeout_ms", ms);
  drain_deadline_.arm<Worker, &Worker::on_drain_deadline>(this, ms);
  // drain() may retire connections; walk a copy of the pointers.
  std::vector<Conn*> all;
  for (auto& c : conns_) all.push_back(c.get());
  for (Conn* c : all) c->drain();
  maybe_stop();
}

void Worker::on_drain_deadline() {
  log::warn("worker", "drain_deadline")
      .kv("worker", index_)
      .kv("aborted", static_cast<uint64_t>(conns_.size()));
  std::vector<Conn*> all;
  for (auto& c : conns_) all.push_back(c.get());
  for (Conn* c : all) c->abort();
  for (auto& r : smb_relays_) r->close_all();
  maybe_stop();
}

void Worker::on_drain_poll() { maybe_stop(); }

void Worker::maybe_stop() {
  if (!draining_ || !conns_.empty() || !graveyard_.empty()) return;
  size_t relayed = 0;
  for (const auto& r : smb_relays_) relayed += r->connections();
  if (relayed > 0) {
    // SMB sessions end on their own (or at the drain deadline): look again shortly.
    drain_poll_.arm<Worker, &Worker::on_drain_poll>(this, 200);
    return;
  }
  smb_relays_.clear();
  drain_poll_.close();
  pools_.close_all();
  if (flusher_) flusher_->close();
  if (access_log_) access_log_->close();
  drain_async_.close();
  reaper_.close();
  drain_deadline_.close();
}

}  // namespace intransit::gateway
