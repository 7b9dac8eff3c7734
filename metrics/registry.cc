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
      backend_errors(
          BuildCounter()
              .Name("intransit_backend_errors_total")
              .Help("Backend failures (connect, timeout, protocol), by backend and reason.")
              .Register(*g_prom)),
      bytes(BuildCounter()
                .Name("intransit_bytes_total")
                .Help("Bytes on the client side of a listener, TLS records included, by direction "
                      "(in = from clients).")
                .Register(*g_prom)),
      build_info(BuildGauge()
                     .Name("intransit_build_info")
                     .Help("Build information; the value is always 1.")
                     .Register(*g_prom)),
      sas_decisions(BuildCounter()
                        .Name("intransit_sas_decisions_total")
                        .Help("Shared access signature decisions on SAS routes, by result and "
                              "reason.")
                        .Register(*g_prom)),
      request_seconds(prometheus::BuildHistogram()
                          .Name("intransit_http_request_duration_seconds")
                          .Help("Time from request head received to response done, by listener.")
                          .Register(*g_prom)),
      backend_response_seconds(prometheus::BuildHistogram()
                                   .Name("intransit_backend_response_seconds")
                                   .Help("Time from request sent to response head, by backend.")
                                   .Register(*g_prom)),
      backend_up(BuildGauge()
                     .Name("intransit_backend_up")
                     .Help("1 when the last connection attempt to the backend succeeded.")
                     .Register(*g_prom)),
      backend_connections(BuildGauge()
                              .Name("intransit_backend_connections")
                              .Help("Backend connections by state (idle in the pool, active).")
                              .Register(*g_prom)),
      certificate_not_after(BuildGauge()
                                .Name("intransit_tls_certificate_not_after_seconds")
                                .Help("Expiry (unix time) of each certificate a listener serves.")
                                .Register(*g_prom)),
      policy_reloads(BuildCounter()
                         .Name("intransit_policy_reloads_total")
                         .Help("Policy loads by result (the first load counts as one).")
                         .Register(*g_prom)),
      policy_info(BuildGauge()
                      .Name("intransit_policy_info")
                      .Help("The live policy: source file and SHA-256 of its text; value 1.")
                      .Register(*g_prom)),
      policy_loaded(BuildGauge()
                        .Name("intransit_policy_loaded_timestamp_seconds")
                        .Help("When the live policy was loaded (unix time).")
                        .Register(*g_prom)),
      registry_(g_prom) {}

std::string Registry::serialize() const {
  prometheus::TextSerializer s;
  return s.Serialize(registry_->Collect());
}

namespace {
constexpr std::string_view kMethodNames[ListenerMetrics::kMethods] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"};
constexpr std::string_view kClassNames[ListenerMetrics::kClasses] = {"1xx", "2xx", "3xx", "4xx",
                                                                     "5xx"};
size_t method_index(std::string_view m) {
  for (size_t i = 0; i + 1 < ListenerMetrics::kMethods; ++i) {
    if (m == kMethodNames[i]) return i;
  }
  return ListenerMetrics::kMethods - 1;
}
}  // namespace

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return b;
}

ListenerMetrics::ListenerMetrics(Registry& r, const std::string& name)
    : accepted(r.connections_accepted.Add({{"listener", name}})),
      active(r.connections_active.Add({{"listener", name}})),
      bytes_in(r.bytes.Add({{"listener", name}, {"direction", "in"}})),
      bytes_out(r.bytes.Add({{"listener", name}, {"direction", "out"}})),
      registry_(r),
      name_(name),
      seconds_(r.request_seconds.Add({{"listener", name}}, latency_buckets())),
      refusals_(r.http_refusals, {{"listener", name}}, "reason"),
      handshake_failures_(r.tls_handshake_failures, {{"listener", name}}, "reason") {}

ListenerMetrics& ListenerMetrics::of(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ListenerMetrics>, std::less<>> all;
  std::lock_guard lock(mu);
  if (auto it = all.find(name); it != all.end()) return *it->second;
  std::string n(name);
  auto* m = new ListenerMetrics(Registry::global(), n);
  all.emplace(n, std::unique_ptr<ListenerMetrics>(m));
  return *m;
}

void ListenerMetrics::request(std::string_view route, std::string_view method, unsigned status,
                              double seconds) {
  size_t c = status / 100;
  c = (c >= 1 && c <= 5) ? c - 1 : 4;
  const size_t m = method_index(method);
  // The request path takes no lock: each thread keeps the grids it has used. A grid (all
  // method x status class series of one route, made at once) is created under the lock and
  // never changes afterwards.
  struct Cached {
    const ListenerMetrics* owner;
    std::string route;
    const Grid* grid;
  };
  thread_local std::vector<Cached> cache;
  const Grid* grid = nullptr;
  for (const auto& e : cache) {
    if (e.owner == this && e.route == route) {
      grid = e.grid;
      break;
    }
  }
  if (!grid) {
    std::lock_guard lock(mu_);
    auto it = requests_.find(route);
    if (it == requests_.end()) {
      Grid g{};
      for (size_t mi = 0; mi < kMethods; ++mi) {
        for (size_t ci = 0; ci < kClasses; ++ci) {
          g[mi][ci] =
              &registry_.http_requests.Add({{"listener", name_},
                                            {"route", std::string(route)},
                                            {"method", std::string(kMethodNames[mi])},
                                            {"status_class", std::string(kClassNames[ci])}});
        }
      }
      it = requests_.emplace(std::string(route), g).first;
    }
    grid = &it->second;
    cache.push_back(Cached{this, std::string(route), grid});
  }
  (*grid)[m][c]->Increment();
  if (seconds >= 0) seconds_.Observe(seconds);
}

BackendMetrics::BackendMetrics(Registry& r, const std::string& name)
    : up(r.backend_up.Add({{"backend", name}})),
      idle(r.backend_connections.Add({{"backend", name}, {"state", "idle"}})),
      active(r.backend_connections.Add({{"backend", name}, {"state", "active"}})),
      response_seconds_(r.backend_response_seconds.Add({{"backend", name}}, latency_buckets())),
      errors_(r.backend_errors, {{"backend", name}}, "reason") {}

BackendMetrics& BackendMetrics::of(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<BackendMetrics>, std::less<>> all;
  std::lock_guard lock(mu);
  if (auto it = all.find(name); it != all.end()) return *it->second;
  std::string n(name);
  auto* m = new BackendMetrics(Registry::global(), n);
  all.emplace(n, std::unique_ptr<BackendMetrics>(m));
  return *m;
}

void ListenerMetrics::handshake(std::string_view version, std::string_view cipher,
                                std::string_view group, bool resumed) {
  registry_.tls_handshakes
      .Add({{"listener", name_},
            {"version", std::string(version)},
            {"cipher", std::string(cipher)},
            {"group", std::string(group)},
            {"resumed", resumed ? "true" : "false"}})
      .Increment();
}

void SasMetrics::decision(bool allow, std::string_view reason) {
  static LabeledCounter allowed(Registry::global().sas_decisions, {{"result", "allow"}}, "reason");
  static LabeledCounter denied(Registry::global().sas_decisions, {{"result", "deny"}}, "reason");
  (allow ? allowed : denied).inc(reason);
}

std::string_view status_class(unsigned status) {
  switch (status / 100) {
    case 1:
      return "1xx";
    case 2:
      return "2xx";
    case 3:
      return "3xx";
    case 4:
      return "4xx";
    default:
      return "5xx";
  }
}

std::string_view method_class(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    if (m == known) return known;
  }
  return "other";
}

}  // namespace intransit::metrics
