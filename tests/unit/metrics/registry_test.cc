#include "metrics/registry.h"

#include <catch2/catch.hpp>

using namespace intransit::metrics;

TEST_CASE("metrics: listener series are counted and serialized", "[metrics]") {
  auto& m = ListenerMetrics::of("unit-test-listener");
  CHECK(&m == &ListenerMetrics::of("unit-test-listener"));  // one instance per name
  m.accepted.Increment();
  m.request("api", "GET", 200, 0.003);
  m.request("api", "BREW", 503, 0.2);  // unknown methods fold into "other"
  m.refusal("dup_content_length");
  m.refusal("dup_content_length");
  m.handshake_failure("no_shared_cipher");
  m.handshake("TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519", false);
  const std::string text = Registry::global().serialize();
  CHECK_THAT(text, Catch::Contains("intransit_connections_accepted_total{listener=\"unit-test-listener\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_http_requests_total{listener=\"unit-test-listener\",method=\"GET\",route=\"api\",status_class=\"2xx\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_http_requests_total{listener=\"unit-test-listener\",method=\"other\",route=\"api\",status_class=\"5xx\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_http_refusals_total{listener=\"unit-test-listener\",reason=\"dup_content_length\"} 2"));
  CHECK_THAT(text, Catch::Contains("reason=\"no_shared_cipher\""));
  CHECK_THAT(text, Catch::Contains("version=\"TLSv1.3\""));
}

TEST_CASE("metrics: label folding keeps cardinality bounded", "[metrics]") {
  CHECK(status_class(101) == "1xx");
  CHECK(status_class(204) == "2xx");
  CHECK(status_class(308) == "3xx");
  CHECK(status_class(431) == "4xx");
  CHECK(status_class(599) == "5xx");
  CHECK(method_class("PATCH") == "PATCH");
  CHECK(method_class("get") == "other");
  CHECK(method_class("PROPFIND") == "other");
}

TEST_CASE("metrics: latency histograms and backend series", "[metrics]") {
  auto& b = BackendMetrics::of("unit-test-backend");
  CHECK(&b == &BackendMetrics::of("unit-test-backend"));
  b.up.Set(1);
  b.active.Increment();
  b.response(0.004);
  b.error("backend_connect_failed");
  ListenerMetrics::of("unit-test-hist").request("", "GET", 200, 0.0007);
  const std::string text = Registry::global().serialize();
  CHECK_THAT(text, Catch::Contains("intransit_backend_up{backend=\"unit-test-backend\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_backend_connections{backend=\"unit-test-backend\",state=\"active\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_backend_response_seconds_bucket{backend=\"unit-test-backend\",le=\"0.005\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_http_request_duration_seconds_bucket{listener=\"unit-test-hist\",le=\"0.001\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "intransit_backend_errors_total{backend=\"unit-test-backend\",reason=\"backend_connect_failed\"} 1"));
}
