#include "gateway/snapshot.h"

#include <unistd.h>

#include <cstdlib>

#include "gateway/base/time_format.h"
#include "metrics/registry.h"
#include "policy/load.h"

namespace intransit::gateway {

std::string default_state_dir() {
  if (const char* e = std::getenv("INTRANSIT_STATE_DIR"); e && *e) return e;
  if (::geteuid() == 0) return "/var/lib/intransit";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/intransit";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/intransit";
  return "./intransit-state";
}

Result<SnapshotPtr, policy::ConfigErrors> build_snapshot(const std::string& path,
                                                         const std::string& state_dir_override) {
  auto loaded = path.empty() ? policy::load_default() : policy::load_file(path);
  if (!loaded) return unexpected(std::move(loaded).error());
  auto snap = std::make_shared<Snapshot>();
  snap->policy = *loaded;
  const auto& pol = *snap->policy;
  snap->state_dir = !state_dir_override.empty() ? state_dir_override
                    : !pol.state_dir.empty()    ? pol.state_dir
                                                : default_state_dir();
  policy::ConfigErrors errors;
  snap->tls.resize(pol.listeners.size());
  for (size_t i = 0; i < pol.listeners.size(); ++i) {
    const auto& l = pol.listeners[i];
    if (!l.tls) continue;
    tls::ContextOptions opts;
    opts.state_dir = snap->state_dir;
    opts.path = "listeners[" + std::to_string(i) + "].tls";
    opts.offer_h2 = l.http2;
    auto ctx = tls::build_server_context(*l.tls, opts);
    if (!ctx) {
      for (auto& e : ctx.error()) errors.push_back(std::move(e));
      continue;
    }
    snap->tls[i] = *ctx;
  }
  if (pol.access_log.enabled) {
    auto sink = AccessSink::open(pol.access_log.path);
    if (!sink) {
      errors.push_back(policy::ConfigError{pol.access_log.mark, "access_log.path",
                                           sink.error().detail, {}});
    } else {
      snap->access_sink = std::move(*sink);
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return SnapshotPtr(std::move(snap));
}

void publish_metrics(const Snapshot& snap) {
  auto& r = metrics::Registry::global();
  const auto& pol = *snap.policy;
  r.policy_info.Add({{"source", pol.source}, {"sha256", pol.sha256}}).Set(1);
  r.policy_loaded.Add({}).Set(static_cast<double>(now_unix_ms()) / 1000.0);
  r.policy_reloads.Add({{"result", "success"}}).Increment();
  for (size_t i = 0; i < pol.listeners.size(); ++i) {
    if (!snap.tls[i]) continue;
    for (const auto& c : snap.tls[i]->certificates()) {
      const std::string name = c.names.empty() ? c.subject : c.names.front();
      r.certificate_not_after
          .Add({{"listener", pol.listeners[i].name},
                {"certificate", name},
                {"key_type", std::string(tls::name(c.key_type))}})
          .Set(static_cast<double>(c.not_after_unix));
    }
  }
}

}  // namespace intransit::gateway
