#include "gateway/uv/flusher.h"

#include "gateway/uv/tcp.h"

namespace intransit::uv {

Result<std::unique_ptr<Flusher>> Flusher::make(uv_loop_t* loop) {
  std::unique_ptr<Flusher> f(new Flusher());
  auto c = make_handle<uv_check_t>(uv_check_init, loop);
  if (!c) return unexpected(std::move(c).error());
  auto i = make_handle<uv_idle_t>(uv_idle_init, loop);
  if (!i) return unexpected(std::move(i).error());
  f->check_ = std::move(*c);
  f->idle_ = std::move(*i);
  f->check_.get()->data = f.get();
  f->idle_.get()->data = f.get();
  uv_check_start(f->check_.get(), [](uv_check_t* h) {
    if (auto* self = static_cast<Flusher*>(h->data)) self->run();
  });
  uv_unref(f->check_.base());  // only the idle handle (while work is queued) keeps the loop up
  return f;
}

Flusher::~Flusher() { close(); }

Deferred::~Deferred() {
  if (deferred_in_) deferred_in_->cancel(this);
}

void Flusher::defer(Deferred* d) {
  if (d->deferred_in_ == this) return;
  d->deferred_in_ = this;
  d->deferred_slot_ = deferred_.size();
  deferred_.push_back(d);
  wake();
}

void Flusher::cancel(Deferred* d) {
  if (d->deferred_in_ != this) return;
  const size_t slot = d->deferred_slot_;
  if (slot < deferred_running_.size() && deferred_running_[slot] == d)
    deferred_running_[slot] = nullptr;
  if (slot < deferred_.size() && deferred_[slot] == d) deferred_[slot] = nullptr;
  d->deferred_in_ = nullptr;
}

void Flusher::wake() {
  if (!idle_on_ && idle_) {
    idle_on_ = true;
    uv_idle_start(idle_.get(), [](uv_idle_t* h) {
      if (auto* self = static_cast<Flusher*>(h->data)) self->run();
    });
  }
}

void Flusher::schedule(TcpStream* s) {
  if (s->flusher_ == this) return;  // already queued
  s->flusher_ = this;
  s->flush_slot_ = pending_.size();
  pending_.push_back(s);
  wake();
}

void Flusher::cancel(TcpStream* s) {
  if (s->flusher_ != this) return;
  const size_t slot = s->flush_slot_;
  if (slot < running_.size() && running_[slot] == s) running_[slot] = nullptr;
  if (slot < pending_.size() && pending_[slot] == s) pending_[slot] = nullptr;
  s->flusher_ = nullptr;
}

void Flusher::run() {
  if (idle_on_) {
    idle_on_ = false;
    uv_idle_stop(idle_.get());
  }
  if (!deferred_.empty()) {
    // Deferred work runs first: what it produces joins this flush. Work deferred while
    // running waits for the next one (the idle handle keeps the loop from blocking).
    deferred_running_.swap(deferred_);
    for (size_t i = 0; i < deferred_running_.size(); ++i) {
      Deferred* d = deferred_running_[i];
      if (!d) continue;
      d->deferred_in_ = nullptr;
      deferred_running_[i] = nullptr;
      d->run_deferred();
    }
    deferred_running_.clear();
  }
  if (pending_.empty()) return;
  running_.swap(pending_);
  for (size_t i = 0; i < running_.size(); ++i) {
    TcpStream* s = running_[i];
    if (!s) continue;
    s->flusher_ = nullptr;
    running_[i] = nullptr;
    s->flush();
    // A queue emptied here was written synchronously: tell the owner, as an asynchronous
    // completion would. The owner may destroy the stream (cancel() keeps running_ valid).
    if (s->pending() == 0) s->notify_drained();
  }
  running_.clear();
}

void Flusher::close() {
  run();
  check_.close();
  idle_.close();
  idle_on_ = false;
}

}  // namespace intransit::uv
