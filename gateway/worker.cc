#include "gateway/worker.h"

#include <algorithm>

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

std::string listener_key(const policy::Listener& l) {
  return std::to_string(static_cast<int>(l.kind)) + "|" + l.address.to_string();
}

// relay_key names everything a running relay was started with: a change restarts it.
std::string relay_key(const smb::RelayConfig& c) {
  std::string k = c.listen_host + "|" + std::to_string(c.listen_port) + "|" + c.backend_host + "|" +
                  std::to_string(c.backend_port) + "|" + std::string(smb::label(c.inspector.mode)) +
                  "|" + c.listener;
  for (smb::Cipher ci : smb::kAllCiphers) {
    if (c.inspector.allowed_ciphers.contains(ci)) k += "|" + std::string(smb::label(ci));
  }
  k += "|" + std::to_string(c.inspector.max_frame_bytes) + "|" +
       std::to_string(c.connect_timeout_ms) + "|" + std::to_string(c.setup_timeout_ms) + "|" +
       std::to_string(c.idle_timeout_ms) + "|" + std::to_string(c.max_connections) + "|" +
       std::to_string(c.max_buffered_bytes);
  return k;
}

}  // namespace

Generation::Generation(SnapshotPtr s, uv_loop_t* loop, uv::Flusher* flusher)
    : snapshot(std::move(s)), pools(*snapshot->policy) {
  pools.set_loop(loop, flusher);
  if (snapshot->access_sink) {
    if (auto a = AccessLog::make(loop, snapshot->access_sink)) {
      access_log = std::move(*a);
    } else {
      log::error("worker", "access_log_unavailable").kv("error", a.error().message());
    }
  }
}

Generation::~Generation() {
  pools.close_all();
  if (access_log) access_log->close();
}

Worker::Worker(int index, SnapshotPtr snapshot) : index_(index) {
  std::lock_guard lock(posted_mu_);
  posted_ = std::move(snapshot);
}

Worker::~Worker() {
  join();
  if (loop_open_) {
    // Close whatever is left (bind failure paths) and let the close callbacks run.
    listeners_.clear();
    smb_relays_.clear();
    retiring_.clear();
    relay_poll_.close();
    conns_.clear();
    graveyard_.clear();
    current_.reset();
    if (flusher_) flusher_->close();
    async_.close();
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
  SnapshotPtr first;
  {
    std::lock_guard lock(posted_mu_);
    first = std::exchange(posted_, nullptr);
  }
  current_ = std::make_shared<Generation>(first, &loop_, flusher_.get());
  if (auto r = reconcile(*first->policy); !r) return r;

  auto a = uv::make_handle<uv_async_t>(uv_async_init, &loop_, [](uv_async_t* h) {
    if (auto* w = static_cast<Worker*>(h->data)) w->on_async();
  });
  if (!a) return unexpected(std::move(a).error());
  async_ = std::move(*a);
  async_.get()->data = this;
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
  relay_poll_ = std::move(*p);
  return {};
}

Result<void> Worker::reconcile(const policy::Policy& pol) {
  std::vector<std::unique_ptr<BoundListener>> keep;
  std::vector<BoundRelay> relays;
  Result<void> result;
  for (size_t i = 0; i < pol.listeners.size(); ++i) {
    const auto& l = pol.listeners[i];
    if (l.kind == policy::ListenerKind::Smb) {
      const smb::RelayConfig cfg = smb_config(l);
      const std::string key = relay_key(cfg);
      auto same = std::find_if(smb_relays_.begin(), smb_relays_.end(),
                               [&](const BoundRelay& r) { return r.relay && r.key == key; });
      if (same != smb_relays_.end()) {
        relays.push_back(std::move(*same));
        continue;
      }
      // A changed relay on the same address must let go of its socket first.
      for (auto& r : smb_relays_) {
        if (r.relay && r.relay->config().listen_host == cfg.listen_host &&
            r.relay->config().listen_port == cfg.listen_port) {
          r.relay->stop_accepting();
        }
      }
      auto relay = smb::Relay::start(&loop_, cfg, flusher_.get());
      if (!relay) {
        auto e = std::move(relay).error();
        e.detail = "listener '" + l.name + "' " + l.address.to_string() + ": " + e.detail;
        log::error("worker", "listener_failed").kv("worker", index_).kv("error", e.message());
        if (result) result = unexpected(std::move(e));
        continue;
      }
      relays.push_back(BoundRelay{key, std::move(*relay)});
      continue;
    }
    const std::string key = listener_key(l);
    auto same = std::find_if(listeners_.begin(), listeners_.end(),
                             [&](const auto& b) { return b && b->key == key; });
    if (same != listeners_.end()) {
      (*same)->index = i;  // the socket stays; connections it accepts use the new entry
      keep.push_back(std::move(*same));
      continue;
    }
    auto bound = std::make_unique<BoundListener>();
    bound->key = key;
    bound->index = i;
    BoundListener* raw = bound.get();
    auto sock = uv::TcpListener::bind(
        &loop_, l.address.host, l.address.port, 1024,
        [this, raw](uv_stream_t* server) { on_connection(raw, server); },
        uv::TcpListener::Share::ReusePort);
    if (!sock) {
      auto e = std::move(sock).error();
      e.detail = "listener '" + l.name + "' " + l.address.to_string() + ": " + e.detail;
      log::error("worker", "listener_failed").kv("worker", index_).kv("error", e.message());
      if (result) result = unexpected(std::move(e));
      continue;
    }
    bound->socket = std::move(*sock);
    keep.push_back(std::move(bound));
  }
  for (auto& b : listeners_) {
    if (b) b->socket->close();  // listeners the policy no longer has
  }
  for (auto& r : smb_relays_) {
    if (!r.relay) continue;
    r.relay->stop_accepting();  // sessions continue until they end
    retiring_.push_back(std::move(r));
  }
  listeners_ = std::move(keep);
  smb_relays_ = std::move(relays);
  if (!retiring_.empty()) relay_poll_.arm<Worker, &Worker::on_relay_poll>(this, 1000);
  return result;
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
  drain_requested_.store(true);
  if (async_) uv_async_send(async_.get());
}

void Worker::post_snapshot(SnapshotPtr snap) {
  {
    std::lock_guard lock(posted_mu_);
    posted_ = std::move(snap);
  }
  if (async_) uv_async_send(async_.get());
}

void Worker::on_async() {
  // uv_async_send coalesces: look at everything that may have been posted.
  SnapshotPtr snap;
  {
    std::lock_guard lock(posted_mu_);
    snap = std::exchange(posted_, nullptr);
  }
  if (snap && !draining_) {
    current_ = std::make_shared<Generation>(snap, &loop_, flusher_.get());
    (void)reconcile(*snap->policy);  // failures are logged; the other listeners serve on
    std::vector<Conn*> all;
    for (auto& c : conns_) all.push_back(c.get());
    for (Conn* c : all) c->on_new_generation();
    log::info("worker", "policy_adopted")
        .kv("worker", index_)
        .kv("sha256", snap->policy->sha256)
        .kv("connections", static_cast<uint64_t>(conns_.size()));
  }
  if (drain_requested_.load()) on_drain_request();
}

void Worker::on_connection(BoundListener* l, uv_stream_t* server) {
  if (draining_) return;
  const auto& pol = *current_->snapshot->policy;
  if (conns_.size() >= pol.limits.max_connections) {
    // Over the limit: accept and close at once so the kernel queue does not fill up.
    auto s = uv::TcpStream::accept(server, nullptr);
    if (s) uv::TcpStream::close_reset(std::move(*s));
    const auto& name = pol.listeners[l->index].name;
    metrics::ListenerMetrics::of(name).refusal("max_connections");
    // Under a connection flood, one line per second says how many were turned away.
    ++refused_since_log_;
    const uint64_t now = uv_now(&loop_);
    if (now - last_refusal_log_ms_ >= 1000 || last_refusal_log_ms_ == 0) {
      log::warn("listener", "refused")
          .kv("listener", name)
          .kv("reason", "max_connections")
          .kv("limit", pol.limits.max_connections)
          .kv("refused", refused_since_log_);
      refused_since_log_ = 0;
      last_refusal_log_ms_ = now;
    }
    return;
  }
  ClientConn::accept(*this, l->index, server);
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
  for (auto& l : listeners_) l->socket->close();
  listeners_.clear();
  for (auto& r : smb_relays_) r.relay->stop_accepting();
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
  for (auto& r : smb_relays_) r.relay->close_all();
  for (auto& r : retiring_) r.relay->close_all();
  maybe_stop();
}

void Worker::on_relay_poll() {
  std::erase_if(retiring_, [](const BoundRelay& r) { return r.relay->connections() == 0; });
  if (draining_) return maybe_stop();
  if (!retiring_.empty()) relay_poll_.arm<Worker, &Worker::on_relay_poll>(this, 1000);
}

void Worker::maybe_stop() {
  if (!draining_ || !conns_.empty() || !graveyard_.empty()) return;
  size_t relayed = 0;
  for (const auto& r : smb_relays_) relayed += r.relay->connections();
  for (const auto& r : retiring_) relayed += r.relay->connections();
  if (relayed > 0) {
    // SMB sessions end on their own (or at the drain deadline): look again shortly.
    relay_poll_.arm<Worker, &Worker::on_relay_poll>(this, 200);
    return;
  }
  smb_relays_.clear();
  retiring_.clear();
  relay_poll_.close();
  current_.reset();
  if (flusher_) flusher_->close();
  async_.close();
  reaper_.close();
  drain_deadline_.close();
}

}  // namespace intransit::gateway
