// The admin listener: Prometheus exposition and health, served from the control loop (no
// civetweb, no extra thread). Meant for loopback or a management network only.
//
//   GET /metrics   every metric family, text exposition format 0.0.4
//   GET /healthz   200 while the process runs
//   GET /readyz    200 while accepting traffic, 503 once draining (SIGTERM/SIGINT)
#pragma once

#include <functional>
#include <memory>

#include "gateway/local_server.h"
#include "policy/model.h"

namespace intransit::gateway {

// start_admin listens on `address`; `ready` tells /readyz whether the gateway takes traffic.
Result<std::unique_ptr<LocalServer>> start_admin(uv_loop_t* loop,
                                                 const policy::SocketAddress& address,
                                                 std::function<bool()> ready);

}  // namespace intransit::gateway
