#include "gateway/admin_server.h"

#include "gateway/base/log.h"
#include "metrics/registry.h"

namespace intransit::gateway {
namespace {

class AdminHandler final : public LocalHandler {
 public:
  explicit AdminHandler(const std::function<bool()>& ready) : ready_(ready) {}
  void begin(const http::RequestHead&) override {}
  LocalResponse end(const http::RequestHead& r) override {
    if (r.method != "GET" && r.method != "HEAD") {
      return {405, "text/plain; charset=utf-8", "only GET and HEAD\n", {{"allow", "GET, HEAD"}}};
    }
    if (r.path == "/metrics") {
      return {200, "text/plain; version=0.0.4; charset=utf-8",
              metrics::Registry::global().serialize(), {}};
    }
    if (r.path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
    if (r.path == "/readyz") {
      if (ready_()) return {200, "text/plain; charset=utf-8", "ready\n", {}};
      return {503, "text/plain; charset=utf-8", "draining\n", {}};
    }
    return {404, "text/plain; charset=utf-8", "not found: try /metrics, /healthz, /readyz\n", {}};
  }

 private:
  const std::function<bool()>& ready_;
};

}  // namespace

Result<std::unique_ptr<LocalServer>> start_admin(uv_loop_t* loop,
                                                 const policy::SocketAddress& address,
                                                 std::function<bool()> ready) {
  auto shared = std::make_shared<std::function<bool()>>(std::move(ready));
  auto srv = LocalServer::start(loop, address.host, address.port, "admin", [shared] {
    return std::make_unique<AdminHandler>(*shared);
  });
  if (srv) log::info("admin", "listening").kv("address", address.to_string());
  return srv;
}

}  // namespace intransit::gateway
