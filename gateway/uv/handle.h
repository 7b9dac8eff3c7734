// RAII for libuv handles. libuv frees nothing itself and a handle's memory may only be
// released in (or after) its close callback, so Handle heap-allocates the uv struct, only
// ever holds an initialised one, detaches the owner (data = nullptr) before uv_close, and
// deletes in the close callback. Late callbacks then find no owner and must return.
#pragma once

#include <uv.h>

#include <utility>

#include "gateway/base/result.h"

namespace intransit::uv {

// uv_error turns a negative libuv status into an Error with the libuv name as label.
inline Error uv_error(int status, std::string detail = {}) {
  return Error{uv_err_name(status), detail.empty() ? uv_strerror(status) : std::move(detail)};
}

template <class H>
class Handle {
 public:
  Handle() = default;
  explicit Handle(H* h) noexcept : h_(h) {}
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      close();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { close(); }

  H* get() const noexcept { return h_; }
  explicit operator bool() const noexcept { return h_ != nullptr; }
  uv_handle_t* base() const noexcept { return reinterpret_cast<uv_handle_t*>(h_); }
  uv_stream_t* stream() const noexcept { return reinterpret_cast<uv_stream_t*>(h_); }
  // release gives up ownership; the caller must close the handle.
  H* release() noexcept { return std::exchange(h_, nullptr); }

  // close detaches the owner and closes the handle; memory is freed by libuv's close callback.
  void close() noexcept {
    if (!h_) return;
    auto* b = reinterpret_cast<uv_handle_t*>(std::exchange(h_, nullptr));
    b->data = nullptr;
    uv_close(b, [](uv_handle_t* p) { delete reinterpret_cast<H*>(p); });
  }

 private:
  H* h_ = nullptr;
};

// make_handle allocates and initialises a handle with `init(loop, h, args...)`.
template <class H, class Init, class... A>
Result<Handle<H>> make_handle(Init init, uv_loop_t* loop, A... args) {
  auto* h = new H{};
  if (int rc = init(loop, h, args...); rc < 0) {
    delete h;
    return unexpected(uv_error(rc));
  }
  return Handle<H>(h);
}

// Timer is a one-shot timer owned by one object; `arm` replaces any pending expiry.
class Timer {
 public:
  Timer() = default;
  static Result<Timer> make(uv_loop_t* loop) {
    auto h = make_handle<uv_timer_t>(uv_timer_init, loop);
    if (!h) return unexpected(std::move(h).error());
    Timer t;
    t.h_ = std::move(*h);
    return t;
  }
  // arm calls `cb(owner)` once after `ms` milliseconds. `owner` must outlive the timer or
  // call `close` first.
  template <class T, void (T::*Cb)()>
  void arm(T* owner, uint64_t ms) {
    h_.get()->data = owner;
    uv_timer_start(
        h_.get(),
        [](uv_timer_t* t) {
          if (auto* o = static_cast<T*>(t->data)) (o->*Cb)();
        },
        ms, 0);
  }
  void stop() {
    if (h_) uv_timer_stop(h_.get());
  }
  void close() { h_.close(); }
  explicit operator bool() const { return static_cast<bool>(h_); }

 private:
  Handle<uv_timer_t> h_;
};

}  // namespace intransit::uv
