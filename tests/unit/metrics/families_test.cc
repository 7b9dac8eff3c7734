// The families of metrics/registry.h that registry_test.cc does not exercise (connections
// active, bytes, certificates, policy, build), and the contract deploy/prometheus and
// deploy/grafana rely on: every documented family exists with its type, and the exposition
// follows the naming rules `promtool check metrics` applies.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics/registry.h"

using namespace intransit::metrics;

namespace {

// value returns the sample value of the line `series` ("name{labels}") in `text`, or -1.
double value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, series.size() + 1, series + " ") == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// types maps every "# TYPE name type" of an exposition to its type.
std::map<std::string, std::string> types(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream l(line.substr(7));
    std::string name, type;
    l >> name >> type;
    out[name] = type;
  }
  return out;
}

// touch gives every family of the registry at least one series (prometheus-cpp does not
// expose a family that has none), without changing series other test cases check.
void touch() {
  auto& r = Registry::global();
  auto& l = ListenerMetrics::of("unit-families");
  l.accepted.Increment();
  l.active.Increment();
  l.bytes_in.Increment(10);
  l.request("r", "GET", 200, 0.01);
  l.refusal("no_route");
  l.handshake_failure("no_shared_cipher");
  l.handshake("TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519", false);
  auto& b = BackendMetrics::of("unit-families");
  b.up.Set(1);
  b.response(0.01);
  b.error("backend_connect_failed");
  SasMetrics::decision(false, "unit_families");
  r.build_info.Add({{"version", "0.0.0-unit"}}).Set(1);
  r.certificate_not_after
      .Add({{"listener", "unit-families"}, {"certificate", "unit.test"}, {"key_type", "RSA"}})
      .Set(2000000000);
  r.policy_reloads.Add({{"result", "success"}}).Increment(0);
  r.policy_info.Add({{"source", "/unit/policy.yaml"}, {"sha256", std::string(64, 'a')}}).Set(1);
  r.policy_loaded.Add({});  // values: see the policy test case
}

}  // namespace

TEST_CASE("metrics: connection gauges and byte counters per listener", "[metrics]") {
  auto& m = ListenerMetrics::of("unit-conn");
  m.active.Increment();
  m.active.Increment();
  m.active.Decrement();
  m.bytes_in.Increment(1200);
  m.bytes_out.Increment(34);
  const std::string text = Registry::global().serialize();
  CHECK(value(text, "intransit_connections_active{listener=\"unit-conn\"}") == 1);
  CHECK(value(text, "intransit_bytes_total{direction=\"in\",listener=\"unit-conn\"}") == 1200);
  CHECK(value(text, "intransit_bytes_total{direction=\"out\",listener=\"unit-conn\"}") == 34);
  // Both directions exist from the start, so rate() has a baseline.
  auto& fresh = ListenerMetrics::of("unit-conn-fresh");
  (void)fresh;
  const std::string text2 = Registry::global().serialize();
  CHECK(value(text2, "intransit_bytes_total{direction=\"in\",listener=\"unit-conn-fresh\"}") == 0);
  CHECK(value(text2, "intransit_bytes_total{direction=\"out\",listener=\"unit-conn-fresh\"}") == 0);
  CHECK(value(text2, "intransit_connections_active{listener=\"unit-conn-fresh\"}") == 0);
  CHECK(value(text2, "intransit_connections_accepted_total{listener=\"unit-conn-fresh\"}") == 0);
}

TEST_CASE("metrics: backend pool gauges move between idle and active", "[metrics]") {
  auto& b = BackendMetrics::of("unit-pool");
  b.active.Increment();
  b.active.Decrement();
  b.idle.Increment();
  b.up.Set(0);
  const std::string text = Registry::global().serialize();
  CHECK(value(text, "intransit_backend_connections{backend=\"unit-pool\",state=\"idle\"}") == 1);
  CHECK(value(text, "intransit_backend_connections{backend=\"unit-pool\",state=\"active\"}") == 0);
  CHECK(value(text, "intransit_backend_up{backend=\"unit-pool\"}") == 0);
  // The latency histogram has the documented buckets, +Inf, _sum and _count.
  b.response(0.3);
  const std::string t2 = Registry::global().serialize();
  CHECK(value(t2, "intransit_backend_response_seconds_bucket{backend=\"unit-pool\",le=\"0.25\"}") ==
        0);
  CHECK(value(t2, "intransit_backend_response_seconds_bucket{backend=\"unit-pool\",le=\"0.5\"}") ==
        1);
  CHECK(value(t2, "intransit_backend_response_seconds_bucket{backend=\"unit-pool\",le=\"+Inf\"}") ==
        1);
  CHECK(value(t2, "intransit_backend_response_seconds_count{backend=\"unit-pool\"}") == 1);
  CHECK(value(t2, "intransit_backend_response_seconds_sum{backend=\"unit-pool\"}") == Approx(0.3));
  CHECK(latency_buckets().size() == 15);
  CHECK(latency_buckets().front() == 0.0005);
  CHECK(latency_buckets().back() == 30);
}

TEST_CASE("metrics: certificate expiry, policy and build gauges", "[metrics]") {
  auto& r = Registry::global();
  r.certificate_not_after
      .Add({{"listener", "unit-cert"}, {"certificate", "a.example"}, {"key_type", "ECDSA P-256"}})
      .Set(1893456000);  // 2030-01-01T00:00:00Z
  r.policy_info.Add({{"source", "/etc/intransit/unit.yaml"}, {"sha256", std::string(64, 'b')}})
      .Set(1);
  r.policy_loaded.Add({}).Set(1700000000.5);
  r.policy_reloads.Add({{"result", "failure"}}).Increment();
  r.build_info.Add({{"version", "9.9.9-unit"}}).Set(1);
  const std::string text = r.serialize();
  CHECK(value(text,
              "intransit_tls_certificate_not_after_seconds{certificate=\"a.example\","
              "key_type=\"ECDSA P-256\",listener=\"unit-cert\"}") == 1893456000);
  CHECK(value(text, "intransit_policy_info{sha256=\"" + std::string(64, 'b') +
                        "\",source=\"/etc/intransit/unit.yaml\"}") == 1);
  CHECK(value(text, "intransit_policy_loaded_timestamp_seconds") == Approx(1700000000.5));
  CHECK(value(text, "intransit_policy_reloads_total{result=\"failure\"}") == 1);
  CHECK(value(text, "intransit_build_info{version=\"9.9.9-unit\"}") == 1);
}

TEST_CASE("metrics: every documented family is registered with its type", "[metrics]") {
  touch();
  // README.md "Metrics and logs"; deploy/prometheus/rules and deploy/grafana use these names.
  const std::map<std::string, std::string> documented = {
      {"intransit_connections_accepted_total", "counter"},
      {"intransit_connections_active", "gauge"},
      {"intransit_tls_handshakes_total", "counter"},
      {"intransit_tls_handshake_failures_total", "counter"},
      {"intransit_tls_certificate_not_after_seconds", "gauge"},
      {"intransit_http_requests_total", "counter"},
      {"intransit_http_request_duration_seconds", "histogram"},
      {"intransit_http_refusals_total", "counter"},
      {"intransit_sas_decisions_total", "counter"},
      {"intransit_backend_up", "gauge"},
      {"intransit_backend_connections", "gauge"},
      {"intransit_backend_response_seconds", "histogram"},
      {"intransit_backend_errors_total", "counter"},
      {"intransit_bytes_total", "counter"},
      {"intransit_policy_reloads_total", "counter"},
      {"intransit_policy_info", "gauge"},
      {"intransit_policy_loaded_timestamp_seconds", "gauge"},
      {"intransit_build_info", "gauge"},
  };
  const auto got = types(Registry::global().serialize());
  for (const auto& [name, type] : documented) {
    INFO(name);
    REQUIRE(got.count(name) == 1);
    CHECK(got.at(name) == type);
  }
}

TEST_CASE("metrics: the exposition follows the Prometheus naming rules", "[metrics]") {
  // The rules `promtool check metrics` lints (tests/integration/prometheus.sh runs promtool
  // itself on a live scrape): HELP on every family, counters end in _total and nothing else
  // does, histograms carry a base unit, _info and _timestamp_seconds gauges are what they say.
  touch();
  const std::string text = Registry::global().serialize();
  const std::regex name_re("^intransit_[a-z][a-z0-9_]*[a-z0-9]$");
  std::set<std::string> helped;
  std::istringstream in(text);
  std::string line;
  size_t families = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::istringstream l(line.substr(7));
      std::string name, help;
      l >> name;
      std::getline(l, help);
      INFO(name);
      CHECK(help.size() > 5);
      helped.insert(name);
      continue;
    }
    if (line.rfind("# TYPE ", 0) != 0) continue;
    ++families;
    std::istringstream l(line.substr(7));
    std::string name, type;
    l >> name >> type;
    INFO(name << " " << type);
    CHECK(std::regex_match(name, name_re));
    CHECK(helped.count(name) == 1);
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    CHECK(total == (type == "counter"));
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      const std::string s = suffix;
      CHECK_FALSE(
          (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0));
    }
    if (type == "histogram") {
      CHECK(name.compare(name.size() - 8, 8, "_seconds") == 0);
    }
    if (name.find("timestamp") != std::string::npos ||
        name.find("not_after") != std::string::npos) {
      CHECK(name.compare(name.size() - 8, 8, "_seconds") == 0);
      CHECK(type == "gauge");
    }
    if (name.size() > 5 && name.compare(name.size() - 5, 5, "_info") == 0) CHECK(type == "gauge");
  }
  CHECK(families >= 18);
}

TEST_CASE("metrics: label values never carry request data", "[metrics]") {
  // Methods and status codes fold into fixed sets, so a client cannot grow the series count.
  auto& m = ListenerMetrics::of("unit-cardinality");
  const auto count_series = [] {
    const std::string text = Registry::global().serialize();
    const std::string key = "intransit_http_requests_total{listener=\"unit-cardinality\"";
    size_t series = 0;
    for (size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + 1)) ++series;
    return series;
  };
  m.request("r", "GET", 200, 0.001);
  const size_t first = count_series();
  for (int i = 0; i < 50; ++i) {
    m.request("r", "X-METHOD-" + std::to_string(i), 100 + (i * 37) % 500, 0.001);
  }
  CHECK(Registry::global().serialize().find("X-METHOD-") == std::string::npos);
  CHECK(count_series() == first);
  CHECK(first <= ListenerMetrics::kMethods * ListenerMetrics::kClasses);
}
