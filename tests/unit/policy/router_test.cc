// The router: host priority (exact > longest wildcard > "*"), whole-segment path prefixes,
// listener restrictions.
#include <catch2/catch.hpp>

#include <string>

#include "policy/load.h"
#include "policy/router.h"

namespace {

using namespace intransit::policy;

// kRoutes: each route's backend is named after the route, so a lookup's answer is readable.
constexpr std::string_view kPolicy = R"(version: 1
listeners:
  - name: main
    address: 127.0.0.1:9443
    protocol: https
    tls: {certificates: [{self_signed: [localhost]}]}
  - name: side
    address: 127.0.0.1:9444
    protocol: https
    tls: {certificates: [{self_signed: [localhost]}]}
  - name: plain
    address: 127.0.0.1:9080
    protocol: http
backends:
  - {name: any-root, address: 127.0.0.1:9001}
  - {name: any-api, address: 127.0.0.1:9002}
  - {name: any-api-v2, address: 127.0.0.1:9003}
  - {name: exact-root, address: 127.0.0.1:9004}
  - {name: exact-static, address: 127.0.0.1:9005}
  - {name: wild-root, address: 127.0.0.1:9006}
  - {name: deep-wild, address: 127.0.0.1:9007}
  - {name: side-only, address: 127.0.0.1:9008}
  - {name: only-api, address: 127.0.0.1:9009}
  - {name: slash-dir, address: 127.0.0.1:9010}
routes:
  - {host: "*", path_prefix: /, backend: any-root}
  - {host: "*", path_prefix: /api, backend: any-api}
  - {host: "*", path_prefix: /api/v2, backend: any-api-v2}
  - {host: Example.COM, path_prefix: /, backend: exact-root}
  - {host: example.com, path_prefix: /static, backend: exact-static}
  - {host: "*.example.com", path_prefix: /, backend: wild-root}
  - {host: "*.eu.example.com", path_prefix: /, backend: deep-wild}
  - {host: "*", path_prefix: /side, backend: side-only, listeners: [side]}
  - {host: api.test, path_prefix: /v1, backend: only-api}
  - {host: "*", path_prefix: /dir/, backend: slash-dir}
)";

const Policy& policy() {
  static const PolicyPtr p = [] {
    auto r = load("router.yaml", kPolicy);
    if (!r) {
      for (const auto& e : r.error()) UNSCOPED_INFO(format(e));
    }
    REQUIRE(r.has_value());
    return *r;
  }();
  return *p;
}

std::string backend_for(std::string_view listener, std::string_view host, std::string_view path) {
  const Policy& p = policy();
  const Route* r = route(p, listener, host, path);
  return r == nullptr ? "(none)" : p.backends[r->backend_index].name;
}

}  // namespace

TEST_CASE("policy: router priority table", "[policy][router]") {
  using Catch::Generators::table;
  auto [listener, host, path, want] =
      GENERATE(table<std::string, std::string, std::string, std::string>({
          // "*" routes, longest whole-segment prefix
          {"main", "other.test", "/", "any-root"},
          {"main", "other.test", "/index.html", "any-root"},
          {"main", "other.test", "/api", "any-api"},
          {"main", "other.test", "/api/", "any-api"},
          {"main", "other.test", "/api/x", "any-api"},
          {"main", "other.test", "/api?x=1", "any-api"},
          {"main", "other.test", "/apix", "any-root"},
          {"main", "other.test", "/api/v2", "any-api-v2"},
          {"main", "other.test", "/api/v2/blob", "any-api-v2"},
          {"main", "other.test", "/api/v20", "any-api"},
          {"main", "other.test", "/API", "any-root"},  // paths are case-sensitive
          {"main", "", "/api", "any-api"},             // no host: only "*" routes
          // a prefix ending in '/' matches below it only
          {"main", "other.test", "/dir/a", "slash-dir"},
          {"main", "other.test", "/dir", "any-root"},
          // exact host beats wildcards and "*", case-insensitively, trailing dot ignored
          {"main", "example.com", "/", "exact-root"},
          {"main", "EXAMPLE.com", "/api", "exact-root"},
          {"main", "example.com.", "/static/app.js", "exact-static"},
          {"main", "example.com", "/staticx", "exact-root"},
          // longest wildcard suffix; the bare domain is not a wildcard match
          {"main", "www.example.com", "/api", "wild-root"},
          {"main", "a.b.example.com", "/", "wild-root"},
          {"main", "x.eu.example.com", "/", "deep-wild"},
          {"main", "eu.example.com", "/", "wild-root"},
          {"main", "xexample.com", "/", "any-root"},
          // a host with routes never falls back to a less specific host
          {"main", "api.test", "/v1/x", "only-api"},
          {"main", "api.test", "/", "(none)"},
          // listener restrictions
          {"main", "other.test", "/side", "any-root"},
          {"side", "other.test", "/side/x", "side-only"},
          {"side", "other.test", "/", "any-root"},
          {"plain", "other.test", "/", "(none)"},
          {"nope", "other.test", "/", "(none)"},
      }));
  INFO(listener << " " << host << " " << path);
  CHECK(backend_for(listener, host, path) == want);
}

TEST_CASE("policy: route by listener index matches route by name", "[policy][router]") {
  const Policy& p = policy();
  CHECK(route(p, size_t{0}, "example.com", "/static") ==
        route(p, "main", "example.com", "/static"));
  CHECK(route(p, size_t{99}, "example.com", "/") == nullptr);
  CHECK(route(p, size_t{2}, "example.com", "/") == nullptr);  // plain http listener
}

TEST_CASE("policy: whole-segment path prefixes", "[policy][router]") {
  CHECK(path_matches("/", "/"));
  CHECK(path_matches("/", "/anything"));
  CHECK(path_matches("/api", "/api"));
  CHECK(path_matches("/api", "/api/"));
  CHECK(path_matches("/api", "/api?q"));
  CHECK_FALSE(path_matches("/api", "/apix"));
  CHECK_FALSE(path_matches("/api", "/ap"));
  CHECK_FALSE(path_matches("/api", ""));
  CHECK(path_matches("/api/", "/api/x"));
  CHECK_FALSE(path_matches("/api/", "/api"));
}

TEST_CASE("policy: the route table is precomputed per listener", "[policy][router]") {
  const Policy& p = policy();
  REQUIRE(p.route_table.listeners.size() == 3);
  const auto& main = p.route_table.listeners[0];
  REQUIRE(main.exact.size() == 2);
  CHECK(main.exact[0].host == "api.test");
  CHECK(main.exact[1].host == "example.com");
  REQUIRE(main.wildcard.size() == 2);
  CHECK(main.wildcard[0].host == ".eu.example.com");
  CHECK(main.any.size() == 4);  // the "/side" route is for the side listener only
  CHECK(p.route_table.listeners[1].any.size() == 5);
  CHECK(p.route_table.listeners[2].any.empty());
}
