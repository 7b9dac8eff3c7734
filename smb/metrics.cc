#include "smb/metrics.h"

#include <map>
#include <memory>
#include <mutex>

#include "metrics/registry.h"

namespace intransit::smb {

using prometheus::BuildCounter;

SmbMetrics& SmbMetrics::global() {
  static SmbMetrics* m = new SmbMetrics();  // never destroyed: worker threads may still count
  return *m;
}

SmbMetrics::SmbMetrics()
    : sessions(BuildCounter()
                   .Name("intransit_smb_sessions_total")
                   .Help("SMB sessions established through the gateway, by dialect and cipher.")
                   .Register(metrics::Registry::global().prom())),
      drops(BuildCounter()
                .Name("intransit_smb_drops_total")
                .Help("SMB connections closed by the gateway (both sides), by reason.")
                .Register(metrics::Registry::global().prom())),
      bytes(BuildCounter()
                .Name("intransit_smb_bytes_total")
                .Help("Bytes relayed by the SMB door, by direction.")
                .Register(metrics::Registry::global().prom())) {}

ListenerSeries::ListenerSeries(const std::string& name)
    : accepted(metrics::Registry::global().connections_accepted.Add({{"listener", name}})),
      active(metrics::Registry::global().connections_active.Add({{"listener", name}})),
      bytes_client_to_server(
          SmbMetrics::global().bytes.Add({{"listener", name}, {"direction", "client_to_server"}})),
      bytes_server_to_client(
          SmbMetrics::global().bytes.Add({{"listener", name}, {"direction", "server_to_client"}})),
      name_(name) {
  for (size_t i = 0; i < kErrcCount; ++i) {
    drops_[i] = &SmbMetrics::global().drops.Add(
        {{"listener", name}, {"reason", std::string(label(static_cast<Errc>(i)))}});
  }
}

ListenerSeries& ListenerSeries::of(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ListenerSeries>, std::less<>> all;
  std::lock_guard lock(mu);
  if (auto it = all.find(name); it != all.end()) return *it->second;
  std::string n(name);
  auto* s = new ListenerSeries(n);
  all.emplace(n, std::unique_ptr<ListenerSeries>(s));
  return *s;
}

void ListenerSeries::session(Dialect d, Cipher c) {
  // Sessions are rare next to bytes: the family's own lock is enough.
  SmbMetrics::global()
      .sessions
      .Add({{"listener", name_},
            {"dialect", std::string(label(d))},
            {"cipher", std::string(label(c))}})
      .Increment();
}

}  // namespace intransit::smb
