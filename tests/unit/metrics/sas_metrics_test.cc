#include <catch2/catch.hpp>

#include "metrics/registry.h"

using namespace intransit::metrics;

TEST_CASE("metrics: SAS decisions are counted by result and reason", "[metrics][sas]") {
  SasMetrics::decision(true, "allowed");
  SasMetrics::decision(false, "expired");
  SasMetrics::decision(false, "expired");
  const std::string text = Registry::global().serialize();
  CHECK(text.find("# TYPE intransit_sas_decisions_total counter") != std::string::npos);
  CHECK(text.find("intransit_sas_decisions_total{reason=\"allowed\",result=\"allow\"} 1") !=
        std::string::npos);
  CHECK(text.find("intransit_sas_decisions_total{reason=\"expired\",result=\"deny\"} 2") !=
        std::string::npos);
}
