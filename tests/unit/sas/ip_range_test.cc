#include "policy/sas/ip_range.h"

#include <catch2/catch.hpp>

using namespace intransit::policy::sas;

TEST_CASE("sas: sip ranges compare as numbers, not strings", "[sas][sip]") {
  const auto r = parse_sip("198.51.100.10-198.51.100.20");
  REQUIRE(r);
  CHECK(r->contains(*parse_ipv4("198.51.100.10")));
  CHECK(r->contains(*parse_ipv4("198.51.100.15")));
  CHECK(r->contains(*parse_ipv4("198.51.100.20")));
  CHECK_FALSE(r->contains(*parse_ipv4("198.51.100.100")));  // string-prefix trap
  CHECK_FALSE(r->contains(*parse_ipv4("198.51.100.2")));
  CHECK_FALSE(r->contains(*parse_ipv4("198.51.100.9")));
  const auto across = parse_sip("10.0.255.250-10.1.0.5");
  REQUIRE(across);
  CHECK(across->contains(*parse_ipv4("10.1.0.0")));
  CHECK_FALSE(across->contains(*parse_ipv4("10.0.255.249")));
  const auto one = parse_sip("203.0.113.7");
  REQUIRE(one);
  CHECK(one->contains(*parse_ipv4("203.0.113.7")));
  CHECK_FALSE(one->contains(*parse_ipv4("203.0.113.8")));
  CHECK(parse_sip("0.0.0.0-255.255.255.255")->contains(0xFFFFFFFFu));
}

TEST_CASE("sas: sip syntax", "[sas][sip]") {
  for (const char* s : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4-", "-1.2.3.4",
                        "1.2.3.5-1.2.3.4", "1.2.3.4 ", " 1.2.3.4", "::1", "2001:db8::1",
                        "1.2.3.4/24", "1.2.3.4-1.2.3.5-1.2.3.6", "1.2.3.1234"}) {
    INFO(s);
    CHECK_FALSE(parse_sip(s));
  }
}

TEST_CASE("sas: client addresses; IPv6 never matches, IPv4-mapped does", "[sas][sip]") {
  CHECK(client_ipv4("203.0.113.7") == parse_ipv4("203.0.113.7"));
  CHECK(client_ipv4("::ffff:203.0.113.7") == parse_ipv4("203.0.113.7"));
  CHECK(client_ipv4("::FFFF:203.0.113.7") == parse_ipv4("203.0.113.7"));
  CHECK_FALSE(client_ipv4("2001:db8::7"));
  CHECK_FALSE(client_ipv4("::1"));
  CHECK_FALSE(client_ipv4(""));
}
