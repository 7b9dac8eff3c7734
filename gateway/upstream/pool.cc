#include "gateway/upstream/pool.h"

#include "gateway/base/assert.h"
#include "gateway/base/log.h"
#include "metrics/registry.h"

namespace intransit::gateway::upstream {

FailureInfo describe(BackendFailure f) {
  switch (f) {
    case BackendFailure::PoolExhausted:
      return {503, "backend_busy", "the backend has no free connection on this gateway"};
    case BackendFailure::ConnectFailed:
      return {502, "backend_connect_failed", "the backend refused or could not be reached"};
    case BackendFailure::ConnectTimeout:
      return {504, "backend_connect_timeout", "connecting to the backend timed out"};
    case BackendFailure::ResponseTimeout:
      return {504, "backend_response_timeout", "the backend did not answer in time"};
    case BackendFailure::Closed:
      return {502, "backend_closed", "the backend closed the connection before answering"};
    case BackendFailure::BadResponse:
      return {502, "backend_bad_response", "the backend sent an invalid HTTP response"};
  }
  return {502, "backend_error", "backend error"};
}

// ---- BackendConn ---------------------------------------------------------------------------

void BackendConn::set_state(State next) {
  auto gauge = [&](State st) -> prometheus::Gauge* {
    switch (st) {
      case State::Idle:
        return &metrics_->idle;
      case State::Connecting:
      case State::Busy:
        return &metrics_->active;
      case State::Closed:
        return nullptr;
    }
    return nullptr;
  };
  prometheus::Gauge* from = gauge(state_);
  prometheus::Gauge* to = gauge(next);
  if (from != to) {
    if (from) from->Decrement();
    if (to) to->Increment();
  }
  state_ = next;
}

BackendConn::BackendConn(Pool& pool, const policy::Backend& backend)
    : pool_(pool), backend_(&backend), metrics_(&metrics::BackendMetrics::of(backend.name)) {}

BackendConn::~BackendConn() = default;

void BackendConn::begin(BackendUser* user, std::string_view method) {
  user_ = user;
  method_ = std::string(method);
  head_request_ = method == "HEAD";
  request_done_ = false;
  have_head_ = false;
  reusable_ = true;
  paused_ = false;
  response_bytes_ = 0;
  ++exchanges_;
  parser_.reset(method_);
  clear_deadline();
  if (state_ == State::Idle) set_state(State::Busy);
  if (state_ == State::Busy) stream_->start_reading();
}

void BackendConn::flush() {
  if (state_ == State::Connecting || state_ == State::Closed) return;
  stream_->flush_soon();
  if (stream_->pending() > kHighWater) want_writable_ = true;
}

void BackendConn::request_sent() {
  request_done_ = true;
  if (!have_head_) arm_response_timer();
}

void BackendConn::arm_response_timer() {
  set_deadline(backend_->response_timeout_ms);
}

void BackendConn::set_deadline(uint64_t ms) {
  const uint64_t now = uv_now(pool_.loop_);
  deadline_ms_ = now + ms;
  // The timer is only moved when it would fire too late: most deadlines are pushed back
  // (every read restarts the response timeout), and on_timer re-arms for what is left.
  if (!timer_armed_ || timer_at_ms_ > deadline_ms_) {
    timer_armed_ = true;
    timer_at_ms_ = deadline_ms_;
    timer_.arm<BackendConn, &BackendConn::on_timer>(this, ms);
  }
}

void BackendConn::clear_deadline() {
  deadline_ms_ = 0;
}

void BackendConn::pause_response() {
  if (paused_) return;
  paused_ = true;
  stream_->stop_reading();
  clear_deadline();  // a slow client is not the backend's fault
}

void BackendConn::resume_response() {
  if (!paused_ || state_ != State::Busy) return;
  paused_ = false;
  stream_->start_reading();
  arm_response_timer();
}

void BackendConn::on_connected(int status) {
  if (status < 0) {
    log::warn("backend", "connect_failed")
        .kv("backend", backend_->name)
        .kv("address", backend_->address.to_string())
        .kv("error", uv_err_name(status));
    return fail(BackendFailure::ConnectFailed);
  }
  clear_deadline();
  metrics_->up.Set(1);
  set_state(user_ ? State::Busy : State::Idle);
  stream_->start_reading();
  stream_->flush();
  if (user_) {
    BackendUser* u = user_;
    u->on_backend_writable();
  }
}

void BackendConn::on_drained() {
  if (!user_ || !want_writable_) return;
  want_writable_ = false;
  user_->on_backend_writable();
}

void BackendConn::on_timer() {
  timer_armed_ = false;
  if (deadline_ms_ == 0) return;  // nothing is timed any more
  const uint64_t now = uv_now(pool_.loop_);
  if (now < deadline_ms_) {
    timer_armed_ = true;
    timer_at_ms_ = deadline_ms_;
    timer_.arm<BackendConn, &BackendConn::on_timer>(this, deadline_ms_ - now);
    return;
  }
  deadline_ms_ = 0;
  switch (state_) {
    case State::Connecting:
      return fail(BackendFailure::ConnectTimeout);
    case State::Busy:
      return fail(BackendFailure::ResponseTimeout);
    case State::Idle:
      return pool_.destroy(this);  // idle keep-alive lifetime over
    case State::Closed:
      return;
  }
}

void BackendConn::on_eof() {
  if (state_ == State::Idle) return pool_.destroy(this);
  if (state_ != State::Busy) return;
  if (have_head_ && body_.finish().done) {
    reusable_ = false;  // the body ran until close
    return finish_response();
  }
  fail(BackendFailure::Closed);
}

void BackendConn::on_error(int status) {
  if (state_ == State::Idle) return pool_.destroy(this);
  log::warn("backend", "io_error").kv("backend", backend_->name).kv("error", uv_err_name(status));
  fail(BackendFailure::Closed);
}

void BackendConn::on_read(BytesView data) {
  if (state_ != State::Busy || !user_) {
    // Bytes on an idle connection: the backend is out of sync; drop the connection.
    return pool_.destroy(this);
  }
  response_bytes_ += data.size();
  if (!paused_) arm_response_timer();
  process_input(data);
}

void BackendConn::process_input(BytesView data) {
  BackendUser* const u = user_;
  while (!data.empty() && user_ == u && state_ == State::Busy) {
    if (!have_head_) {
      auto r = parser_.feed(data);
      if (std::holds_alternative<NeedMore>(r)) return;
      if (auto* e = std::get_if<ParseError<http1::Errc>>(&r)) {
        log::warn("backend", "bad_response")
            .kv("backend", backend_->name)
            .kv("reason", http1::refusal(e->code).label);
        return fail(BackendFailure::BadResponse);
      }
      auto& parsed = std::get<Parsed<http::ResponseHead>>(r);
      data = data.subspan(parsed.consumed);
      http::ResponseHead& head = parsed.value;
      if (head.status >= 100 && head.status < 200) {
        parser_.reset(method_);
        u->on_backend_interim(head);
        continue;
      }
      have_head_ = true;
      if (!head.keep_alive) reusable_ = false;
      body_ = http1::BodyReader(http1::response_framing(head, method_));
      u->on_backend_head(head);
      if (user_ != u) return;
      if (body_.done()) return finish_response();
      continue;
    }
    auto step = body_.feed(data);
    if (step.error) {
      log::warn("backend", "bad_response_body")
          .kv("backend", backend_->name)
          .kv("reason", http1::refusal(*step.error).label);
      return fail(BackendFailure::BadResponse);
    }
    data = data.subspan(step.consumed);
    if (!step.data.empty()) {
      u->on_backend_data(step.data);
      if (user_ != u) return;
    }
    if (step.done) {
      if (!data.empty()) reusable_ = false;  // bytes after the response: out of sync
      return finish_response();
    }
    if (step.consumed == 0) return;
  }
}

void BackendConn::finish_response() {
  clear_deadline();
  BackendUser* u = user_;
  const bool reusable =
      reusable_ && request_done_ && body_.framing().kind != http1::BodyKind::UntilClose;
  user_ = nullptr;
  pool_.release(this, reusable);
  u->on_backend_end();
}

void BackendConn::fail(BackendFailure f) {
  clear_deadline();
  const auto info = describe(f);
  metrics_->error(info.label);
  if (f == BackendFailure::ConnectFailed || f == BackendFailure::ConnectTimeout)
    metrics_->up.Set(0);
  BackendUser* u = user_;
  user_ = nullptr;
  pool_.destroy(this);
  if (u) u->on_backend_failure(f);
}

// ---- Pool ----------------------------------------------------------------------------------

Pool::Pool(uv_loop_t* loop, uv::Flusher* flusher, const policy::Backend& backend,
           const policy::Limits& limits)
    : loop_(loop), flusher_(flusher), backend_(backend), limits_(limits) {
  auto a = uv::make_sockaddr(backend.address.host, backend.address.port);
  if (a) {
    addr_ = *a;
    addr_ok_ = true;
  }
  auto c = uv::make_handle<uv_check_t>(uv_check_init, loop);
  if (c) {
    reaper_ = std::move(*c);
    reaper_.get()->data = this;
    uv_check_start(reaper_.get(), [](uv_check_t* h) {
      if (auto* p = static_cast<Pool*>(h->data)) {
        p->dead_.clear();
        uv_unref(reinterpret_cast<uv_handle_t*>(h));
      }
    });
    uv_unref(reaper_.base());
  }
}

Pool::~Pool() {
  close_all();
}

BackendConn* Pool::acquire(BackendUser* user, std::string_view method) {
  while (!idle_.empty()) {
    BackendConn* c = idle_.back();
    idle_.pop_back();
    if (c->state_ != BackendConn::State::Idle) continue;
    c->begin(user, method);
    return c;
  }
  if (all_.size() >= backend_.max_connections || !addr_ok_) return nullptr;
  std::unique_ptr<BackendConn> c(new BackendConn(*this, backend_));
  auto t = uv::Timer::make(loop_);
  if (!t) return nullptr;
  c->timer_ = std::move(*t);
  auto s = uv::TcpStream::connect(loop_, addr_, c.get());
  if (!s) {
    log::warn("backend", "connect_failed")
        .kv("backend", backend_.name)
        .kv("error", s.error().message());
    return nullptr;
  }
  c->stream_ = std::move(*s);
  c->stream_->set_flusher(flusher_);
  c->set_state(BackendConn::State::Connecting);
  BackendConn* raw = c.get();
  all_.push_back(std::move(c));
  raw->pos_ = std::prev(all_.end());
  raw->begin(user, method);
  raw->set_deadline(backend_.connect_timeout_ms);
  return raw;
}

void Pool::release(BackendConn* c, bool reusable) {
  if (c->state_ == BackendConn::State::Closed) return;
  c->user_ = nullptr;
  if (!reusable || idle_.size() >= backend_.max_idle_connections ||
      c->state_ == BackendConn::State::Connecting) {
    return destroy(c);
  }
  c->set_state(BackendConn::State::Idle);
  c->paused_ = false;
  c->stream_->start_reading();  // notice a close from the backend while idle
  c->set_deadline(backend_.idle_timeout_ms);
  idle_.push_back(c);
}

void Pool::destroy(BackendConn* c) {
  if (c->state_ == BackendConn::State::Closed) return;
  c->set_state(BackendConn::State::Closed);
  c->timer_.close();
  if (c->stream_) c->stream_->set_events(nullptr);
  c->stream_.reset();
  std::erase(idle_, c);
  // Deleted after the current callback returns (we may be inside one of c's callbacks).
  dead_.push_back(std::move(*c->pos_));
  all_.erase(c->pos_);
  if (reaper_) uv_ref(reaper_.base());
}

void Pool::close_all() {
  std::vector<BackendConn*> all;
  for (auto& c : all_) all.push_back(c.get());
  for (BackendConn* c : all) destroy(c);
  dead_.clear();
  reaper_.close();
}

// ---- Pools ---------------------------------------------------------------------------------

Pool& Pools::get(size_t backend_index) {
  if (pools_.size() < policy_->backends.size()) pools_.resize(policy_->backends.size());
  auto& p = pools_[backend_index];
  if (!p) {
    p = std::make_unique<Pool>(loop_, flusher_, policy_->backends[backend_index], policy_->limits);
  }
  return *p;
}

void Pools::close_all() {
  for (auto& p : pools_) {
    if (p) p->close_all();
  }
}

}  // namespace intransit::gateway::upstream
