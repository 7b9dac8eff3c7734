// The process-wide Prometheus registry (prometheus-cpp core only; exposition is served from
// our own loop, never from civetweb) and the metric families of the HTTPS door.
//
// Label values come from enums and static labels only: never paths, addresses or tokens.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

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

  void request(std::string_view method, unsigned status);
  void refusal(std::string_view reason) { refusals_.inc(reason); }
  void handshake_failure(std::string_view reason) { handshake_failures_.inc(reason); }
  void handshake(std::string_view version, std::string_view cipher, std::string_view group,
                 bool resumed);

 private:
  explicit ListenerMetrics(Registry& r, const std::string& name);
  Registry& registry_;
  std::string name_;
  prometheus::Counter* requests_[kMethods][kClasses];
  LabeledCounter refusals_;
  LabeledCounter handshake_failures_;
};

// SasMetrics counts SAS decisions on routes with `sas:`:
// intransit_sas_decisions_total{result="allow"|"deny", reason=<policy::sas::Decision::reason>}.
// Reasons are static labels from policy/sas/errors.h (a bounded set).
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
