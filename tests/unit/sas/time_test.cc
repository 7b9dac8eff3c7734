#include "policy/sas/time.h"

#include <catch2/catch.hpp>

using namespace intransit::policy::sas;

namespace {
constexpr Ticks kNoon = 1'781'524'800LL * kTicksPerSecond;  // 2026-06-15T12:00:00Z
}

TEST_CASE("sas: ISO-8601 forms Azure accepts", "[sas][time]") {
  CHECK(parse_time("2026-06-15T12:00:00Z") == kNoon);
  CHECK(parse_time("2026-06-15T12:00Z") == kNoon);
  CHECK(parse_time("2026-06-15T12:00:00") == kNoon);  // no zone: UTC
  CHECK(parse_time("2026-06-15") == kNoon - 12 * 3600 * kTicksPerSecond);
  CHECK(parse_time("2026-06-15T12:00:00.5Z") == kNoon + kTicksPerSecond / 2);
  CHECK(parse_time("2026-06-15T12:00:00.0000001Z") == kNoon + 1);
  CHECK(parse_time("2026-06-15T14:00:00+02:00") == kNoon);
  CHECK(parse_time("2026-06-15T06:30:00-05:30") == kNoon);
  CHECK(parse_time("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_time("2028-02-29T00:00:00Z"));
  CHECK(parse_time("2000-02-29T00:00:00Z"));
}

TEST_CASE("sas: malformed times are refused", "[sas][time]") {
  for (const char* s : {"",
                        "2026",
                        "2026-06",
                        "2026-6-15",
                        "2026-06-15T",
                        "2026-06-15T12",
                        "2026-06-15 12:00:00Z",
                        "2026-06-15T12:00:00 02:00",
                        "2026-06-15T12:00:00+0200",
                        "2026-06-15T24:00:00Z",
                        "2026-06-15T12:60:00Z",
                        "2026-06-15T12:00:60Z",
                        "2026-13-01",
                        "2026-00-01",
                        "2026-02-29",
                        "2100-02-29",
                        "2026-04-31",
                        "2026-06-15T12:00:00.Z",
                        "2026-06-15T12:00:00.12345678Z",
                        "2026-06-15T12:00:00ZZ",
                        "2026-06-15t12:00:00z",
                        "0000-01-01",
                        "yesterday",
                        "2026-06-15T12:00:00+15:00",
                        "2026-06-15T12:00:00+02:60",
                        "+2026-06-15"}) {
    INFO(s);
    CHECK_FALSE(parse_time(s));
  }
}

TEST_CASE("sas: times print as Azure prints them", "[sas][time]") {
  CHECK(format_rfc1123(kNoon) == "Mon, 15 Jun 2026 12:00:00 GMT");
  CHECK(format_rfc1123(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format_rfc1123(*parse_time("2020-07-10T10:16:22.8096444Z")) ==
        "Fri, 10 Jul 2020 10:16:22 GMT");
  CHECK(format_iso8601(kNoon + 1234567) == "2026-06-15T12:00:00.1234567Z");
  CHECK(format_iso8601(kNoon, false) == "2026-06-15T12:00:00Z");
  CHECK(ticks_from_unix(1'781'524'800) == kNoon);
}
