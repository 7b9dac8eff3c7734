#include "metrics/registry.h"

#include <prometheus/text_serializer.h>

namespace intransit::metrics {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

prometheus::Counter& LabeledCounter::get(std::string_view value) {
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(value); it != cache_.end()) return *it->second;
  auto labels = fixed_;
  labels[label_] = std::string(value);
  auto& c = family_->Add(labels);
  cache_.emplace(std::string(value), &c);
  return c;
}

Registry& Registry::global() {
  static Registry* r = new Registry();  // never destroyed: worker threads may still count
  return *r;
}

namespace {
std::shared_ptr<prometheus::Registry> g_prom = std::make_shared<prometheus::Registry>();
}  // namespace

Registry::Registry()
    : connections_accepted(BuildCounter()
                               .Name("intransit_connections_accepted_total")
                               .Help("Client connections accepted, by listener.")
                               .Register(*g_prom)),
      connections_active(BuildGauge()
                             .Name("intransit_connections_active")
                             .Help("Client connections currently open, by listener.")
                             .Register(*g_prom)),
      tls_handshakes(BuildCounter()
                         .Name("intransit_tls_handshakes_total")
                         .Help("Completed TLS handshakes by version, cipher, group and resumption.")
                         .Register(*g_prom)),
      tls_handshake_failures(BuildCounter()
                                 .Name("intransit_tls_handshake_failures_total")
                                 .Help("Failed TLS handshakes by reason.")
                                 .Register(*g_prom)),
      http_requests(BuildCounter()
                        .Name("intransit_http_requests_total")
                        .Help("HTTP requests answered, by listener, method and status class.")
                        .Register(*g_prom)),
      http_refusals(BuildCounter()
                        .Name("intransit_http_refusals_total")
                        .Help("Requests or connections refused by the gateway, by reason.")
                        .Register(*g_prom)),
      backend_errors(BuildCounter()
                         .Name("intransit_backend_errors_total")
                         .Help("Backend failures (connect, timeout, protocol), by backend and reason.")
                         .Register(*g_prom)),
      bytes(BuildCounter()
                .Name("intransit_bytes_total")
                .Help("Application bytes relayed, by listener and direction (in = from client).")
                .Register(*g_prom)),
      build_info(BuildGauge()
                     .Name("intransit_build_info")
                     .Help("Build information; the value is always 1.")
                     .Register(*g_prom)),
      registry_(g_prom) {}

std::string Registry::serialize() const {
  prometheus::TextSerializer s;
  return s.Serialize(registry_->Collect());
}

std::string_view status_class(unsigned status) {
  switch (status / 100) {
    case 1: return "1xx";
    case 2: return "2xx";
    case 3: return "3xx";
    case 4: return "4xx";
    default: return "5xx";
  }
}

std::string_view method_class(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    if (m == known) return known;
  }
  return "other";
}

}  // namespace intransit::metrics
