// Socket address and host-name syntax.
#include <catch2/catch.hpp>

#include <string>

#include "policy/address.h"

namespace {
using namespace intransit::policy;
}

TEST_CASE("policy: socket addresses are numeric and canonical", "[policy][address]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, std::string>({
      {"127.0.0.1:8443", "127.0.0.1:8443"},
      {"0.0.0.0:1", "0.0.0.0:1"},
      {"[::1]:65535", "[::1]:65535"},
      {"[0:0::1]:80", "[::1]:80"},
      {"[2001:DB8::1]:443", "[2001:db8::1]:443"},
  }));
  SocketAddress a;
  std::string why;
  REQUIRE(parse_socket_address(in, a, why));
  CHECK(a.to_string() == want);
}

TEST_CASE("policy: bad socket addresses say why", "[policy][address]") {
  for (const char* in :
       {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:08443",
        "127.0.0.1:+1", "localhost:80", "1.2.3:80", "01.2.3.4:80", "1.2.3.4.5:80", "::1:80",
        "[::1]", "[::1]80", "[::1:80", "[fe80::1%eth0]:80", "[1.2.3.4]:80", " 1.2.3.4:80"}) {
    INFO("address: '" << in << "'");
    SocketAddress a;
    std::string why;
    CHECK_FALSE(parse_socket_address(in, a, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("policy: host names", "[policy][address]") {
  CHECK(is_dns_name("example.com"));
  CHECK(is_dns_name("a-b.c_d.example."));
  CHECK(is_dns_name("localhost"));
  CHECK_FALSE(is_dns_name(""));
  CHECK_FALSE(is_dns_name("."));
  CHECK_FALSE(is_dns_name("a..b"));
  CHECK_FALSE(is_dns_name("-a.b"));
  CHECK_FALSE(is_dns_name("a-.b"));
  CHECK_FALSE(is_dns_name("a b"));
  CHECK_FALSE(is_dns_name(std::string(64, 'a')));
  CHECK(is_dns_name(std::string(63, 'a')));
  CHECK(is_ipv4_literal("255.255.255.255"));
  CHECK_FALSE(is_ipv4_literal("256.1.1.1"));
  CHECK_FALSE(is_ipv4_literal("1.1.1"));
  CHECK(is_ipv6_literal("::"));
  CHECK_FALSE(is_ipv6_literal("[::]"));
  SocketAddress any{"0.0.0.0", 1};
  SocketAddress lo{"127.0.0.5", 1};
  SocketAddress lo6{"::1", 1};
  CHECK(is_unspecified(any));
  CHECK(is_loopback(lo));
  CHECK(is_loopback(lo6));
  CHECK_FALSE(is_loopback(any));
}
