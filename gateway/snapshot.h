// Snapshot is everything a connection needs from the configuration, built once per policy
// load off the request path and shared read-only by every worker: the typed policy and the
// TLS contexts of its HTTPS listeners. A connection keeps the snapshot it started with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/access_log.h"
#include "gateway/base/result.h"
#include "policy/model.h"
#include "tls/context.h"

namespace intransit::gateway {

struct Snapshot {
  policy::PolicyPtr policy;
  // tls[i] is the context of policy->listeners[i] (nullptr for plain HTTP listeners).
  std::vector<std::shared_ptr<const tls::ServerContext>> tls;
  std::string state_dir;  // where generated material lives
  std::shared_ptr<AccessSink> access_sink;  // nullptr: no access log
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// default_state_dir returns $INTRANSIT_STATE_DIR, else /var/lib/intransit for root, else
// $XDG_STATE_HOME/intransit or ~/.local/state/intransit.
std::string default_state_dir();

// build_snapshot loads the policy file (or the embedded default when `path` is empty),
// validates it, and builds its TLS contexts (reading certificates and keys, generating
// self-signed ones). Every problem is returned at once, formatted file:line:col.
// `state_dir_override`, when not empty, wins over the policy's state_dir.
Result<SnapshotPtr, policy::ConfigErrors> build_snapshot(const std::string& path,
                                                         const std::string& state_dir_override);

// publish_metrics exports what a snapshot says about itself: the policy's source and digest,
// when it was loaded, and the expiry of every certificate it serves.
void publish_metrics(const Snapshot& snap);

}  // namespace intransit::gateway
