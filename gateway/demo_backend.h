// The demo backend of the quick start: a backend marked `demo: true` is served by the gateway
// process itself (a LocalServer on the control loop), so `curl -k https://127.0.0.1:8443/`
// shows a page that really went through the proxy.
//
//   GET|HEAD /      an HTML page showing what the gateway forwarded (X-Forwarded-*, Forwarded)
//   any /echo       JSON: method, path, body byte count and SHA-256 of the body
//   anything else   404
#pragma once

#include <memory>

#include "gateway/local_server.h"
#include "policy/model.h"

namespace intransit::gateway {

// start_demo_backend listens on backend.address on `loop`.
Result<std::unique_ptr<LocalServer>> start_demo_backend(uv_loop_t* loop,
                                                        const policy::Backend& backend);

}  // namespace intransit::gateway
