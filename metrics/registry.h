// The process-wide Prometheus registry (prometheus-cpp core only; exposition is served from
// our own loop, never from civetweb) and the metric families of the HTTPS door.
//
// Label values come from enums and static labels only: never paths, addresses or tokens.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace intransit::metrics {

// LabeledCounter caches one Counter per value of a single variable label, on top of fixed
// labels. Lookups take a short lock; the hot paths keep the returned reference.
class LabeledCounter {
 public:
  LabeledCounter(prometheus::Family<prometheus::Counter>& family, prometheus::Labels fixed,
                 std::string label)
      : family_(&family), fixed_(std::move(fixed)), label_(std::move(label)) {}
  prometheus::Counter& get(std::string_view value);
  void inc(std::string_view value) { get(value).Increment(); }

 private:
  prometheus::Family<prometheus::Counter>* family_;
  prometheus::Labels fixed_;
  std::string label_;
  std::mutex mu_;
  std::map<std::string, prometheus::Counter*, std::less<>> cache_;
};

// Registry owns every family. One instance per process (global()).
class Registry {
 public:
  static Registry& global();

  prometheus::Registry& prom() { return *registry_; }
  // serialize renders every family in the text exposition format 0.0.4.
  std::string serialize() const;

  prometheus::Family<prometheus::Counter>& connections_accepted;  // {listener}
  prometheus::Family<prometheus::Gauge>& connections_active;      // {listener}
  prometheus::Family<prometheus::Counter>& tls_handshakes;        // {listener,version,cipher,group,resumed}
  prometheus::Family<prometheus::Counter>& tls_handshake_failures;  // {listener,reason}
  prometheus::Family<prometheus::Counter>& http_requests;         // {listener,method,status_class}
  prometheus::Family<prometheus::Counter>& http_refusals;         // {listener,reason}
  prometheus::Family<prometheus::Counter>& backend_errors;        // {backend,reason}
  prometheus::Family<prometheus::Counter>& bytes;                 // {listener,direction}
  prometheus::Family<prometheus::Gauge>& build_info;              // {version}
  prometheus::Family<prometheus::Counter>& sas_decisions;         // {result,reason} (policy/sas)
  prometheus::Family<prometheus::Histogram>& request_seconds;     // {listener}
  prometheus::Family<prometheus::Histogram>& backend_response_seconds;  // {backend}
  prometheus::Family<prometheus::Gauge>& backend_up;              // {backend}
  prometheus::Family<prometheus::Gauge>& backend_connections;     // {backend,state}
  prometheus::Family<prometheus::Gauge>& certificate_not_after;   // {listener,certificate,key_type}
  prometheus::Family<prometheus::Counter>& policy_reloads;        // {result}
  prometheus::Family<prometheus::Gauge>& policy_info;             // {source,sha256}
  prometheus::Family<prometheus::Gauge>& policy_loaded;           // unix time of the live policy

 private:
  Registry();
  std::shared_ptr<prometheus::Registry> registry_;
};

// ListenerMetrics holds the pre-resolved series of one listener, so the request path does
// an array index instead of a label lookup. One instance per listener name per process.
class ListenerMetrics {
 public:
  static constexpr size_t kMethods = 8;  // see method_class
  static constexpr size_t kClasses = 5;  // 1xx..5xx

  // of returns the metrics of the listener `name`, creating them on first use.
  static ListenerMetrics& of(std::string_view name);

  prometheus::Counter& accepted;
  prometheus::Gauge& active;
  prometheus::Counter& bytes_in;
  prometheus::Counter& bytes_out;

  // request counts one answered request on `route` ("" when none matched) and observes its
  // duration (head received to response done).
  void request(std::string_view route, std::string_view method, unsigned status,
               double seconds);
  void refusal(std::string_view reason) { refusals_.inc(reason); }
  void handshake_failure(std::string_view reason) { handshake_failures_.inc(reason); }
  void handshake(std::string_view version, std::string_view cipher, std::string_view group,
                 bool resumed);

 private:
  explicit ListenerMetrics(Registry& r, const std::string& name);
  Registry& registry_;
  std::string name_;
  using Grid = std::array<std::array<prometheus::Counter*, kClasses>, kMethods>;
  std::mutex mu_;
  std::map<std::string, Grid, std::less<>> requests_;  // by route, series made on first use
  prometheus::Histogram& seconds_;
  LabeledCounter refusals_;
  LabeledCounter handshake_failures_;
};

// SasMetrics counts SAS decisions on routes with `sas:`:
// intransit_sas_decisions_total{result="allow"|"deny", reason=<policy::sas::Decision::reason>}.
// Reasons are static labels from policy/sas/errors.h (a bounded set).
// BackendMetrics holds one backend's series: reachability, pool connections, errors and
// response latency. One instance per backend name per process.
class BackendMetrics {
 public:
  static BackendMetrics& of(std::string_view name);

  prometheus::Gauge& up;      // 1 after a successful connect, 0 after a failed one
  prometheus::Gauge& idle;    // pooled idle connections (all workers)
  prometheus::Gauge& active;  // connections serving an exchange or connecting
  // response observes the time from request sent to response head.
  void response(double seconds) { response_seconds_.Observe(seconds); }
  void error(std::string_view reason) { errors_.inc(reason); }

 private:
  BackendMetrics(Registry& r, const std::string& name);
  prometheus::Histogram& response_seconds_;
  LabeledCounter errors_;
};

// latency_buckets are the histogram buckets (seconds) of request and backend latency.
const prometheus::Histogram::BucketBoundaries& latency_buckets();

class SasMetrics {
 public:
  // decision counts one decision. Thread-safe.
  static void decision(bool allow, std::string_view reason);
};

// status_class returns "1xx".."5xx" for a status code.
std::string_view status_class(unsigned status);
// method_class folds methods into a bounded set: GET HEAD POST PUT DELETE OPTIONS PATCH other.
std::string_view method_class(std::string_view method);

}  // namespace intransit::metrics
