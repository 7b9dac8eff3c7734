// DemoBackend is the small HTTP/1.1 origin behind the quick start's default policy: a
// backend marked `demo: true` is served by the gateway process itself, on the control loop,
// so `curl -k https://127.0.0.1:8443/` shows a page that really went through the proxy.
//
//   GET|HEAD /      an HTML page showing what the gateway forwarded (X-Forwarded-*, Forwarded)
//   any /echo       JSON: method, path, body byte count and SHA-256 of the body
//   anything else   404
#pragma once

#include <uv.h>

#include <list>
#include <memory>

#include "gateway/base/result.h"
#include "gateway/uv/tcp.h"
#include "policy/model.h"

namespace intransit::gateway {

class DemoBackend {
 public:
  // start listens on backend.address on `loop`.
  static Result<std::unique_ptr<DemoBackend>> start(uv_loop_t* loop,
                                                    const policy::Backend& backend);
  ~DemoBackend();
  void close();

  class Conn;

 private:
  DemoBackend() = default;
  friend class Conn;
  void remove(Conn* c);

  uv_loop_t* loop_ = nullptr;
  std::unique_ptr<uv::TcpListener> listener_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> dead_;
};

}  // namespace intransit::gateway
