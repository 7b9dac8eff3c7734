// policy::load: the embedded default, the deployable example, and the refusals with their
// exact file:line:col (more refusals are data-driven in fixtures_test.cc).
#include <catch2/catch.hpp>

#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy/load.h"

namespace {

using namespace intransit::policy;

const std::string kRoot = std::string(INTRANSIT_VECTORS_DIR) + "/../..";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// errors_of loads `yaml` as "policy.yaml" and returns the formatted errors (empty if it loads).
std::vector<std::string> errors_of(std::string_view yaml) {
  const auto r = load("policy.yaml", yaml);
  std::vector<std::string> out;
  if (!r) {
    for (const auto& e : r.error()) out.push_back(format(e));
  }
  return out;
}

// kHead is a valid policy up to (not including) the tls section of its first listener.
constexpr std::string_view kHead =
    "version: 1\n"                   // 1
    "listeners:\n"                   // 2
    "  - name: https\n"              // 3
    "    address: 127.0.0.1:8443\n"  // 4
    "    protocol: https\n"          // 5
    "    tls:\n";                    // 6
constexpr std::string_view kTail =
    "      certificates:\n"
    "        - self_signed: [localhost]\n"
    "backends:\n"
    "  - name: app\n"
    "    address: 127.0.0.1:8081\n"
    "routes:\n"
    "  - backend: app\n";

std::string with_tls(std::string_view tls_lines) {
  return std::string(kHead) + std::string(tls_lines) + std::string(kTail);
}

}  // namespace

TEST_CASE("policy: the embedded default policy loads and really serves", "[policy][load]") {
  CHECK(embedded_default() == read(kRoot + "/policy/default_policy.yaml"));
  const auto r = load_default();
  REQUIRE(r.has_value());
  const Policy& p = **r;
  CHECK(p.source == "<embedded>");
  REQUIRE(p.listeners.size() == 2);

  const Listener& https = p.listeners[0];
  CHECK(https.kind == ListenerKind::Https);
  CHECK(https.address.to_string() == "127.0.0.1:8443");
  REQUIRE(https.tls.has_value());
  CHECK(https.tls->min_version == TlsVersion::Tls12);
  CHECK(https.tls->max_version == TlsVersion::Tls13);
  REQUIRE(https.tls->certificates.size() == 1);
  const CertificateSpec& cert = https.tls->certificates[0];
  CHECK(cert.self_signed);
  CHECK(cert.self_signed_names == std::vector<std::string>{"localhost", "127.0.0.1", "::1"});
  CHECK(cert.mark.file == "<embedded>");
  CHECK(cert.mark.line > 0);

  const Listener& http = p.listeners[1];
  CHECK(http.kind == ListenerKind::Http);
  CHECK(http.address.to_string() == "127.0.0.1:8080");
  CHECK(http.plain_http == PlainHttpAction::Refuse);
  CHECK_FALSE(http.tls.has_value());

  REQUIRE(p.backends.size() == 1);
  CHECK(p.backends[0].name == "demo");
  CHECK(p.backends[0].demo);
  CHECK(p.backends[0].address.to_string() == "127.0.0.1:8081");
  REQUIRE(p.routes.size() == 1);
  CHECK(p.routes[0].host == "*");
  CHECK(p.routes[0].path_prefix == "/");
  CHECK(p.routes[0].backend_index == 0);
  CHECK(p.workers == 0);  // auto
  CHECK(p.log_threshold == intransit::log::Level::Info);
}

TEST_CASE("policy: the deployable example loads", "[policy][load]") {
  const std::string path = kRoot + "/deploy/policies/example.yaml";
  const auto r = load_file(path);
  if (!r) {
    for (const auto& e : r.error()) UNSCOPED_INFO(format(e));
  }
  REQUIRE(r.has_value());
  const Policy& p = **r;
  CHECK(p.source == path);
  CHECK(p.state_dir == "/var/lib/intransit");
  REQUIRE(p.listeners.size() == 3);
  const TlsPolicy& tls = *p.listeners[0].tls;
  CHECK(tls.unknown_sni == UnknownSni::Reject);
  CHECK(tls.hsts_include_subdomains);
  REQUIRE(tls.certificates.size() == 3);
  CHECK(tls.certificates[0].key_file.find("ecdsa") != std::string::npos);
  CHECK(tls.certificates[1].key_file.find("rsa") != std::string::npos);
  CHECK(tls.certificates[0].cert_mark.line > 0);
  CHECK(tls.certificates[0].key_mark.line == tls.certificates[0].cert_mark.line + 1);
  CHECK(p.listeners[1].address.host == "2001:db8::10");
  CHECK(p.listeners[2].plain_http == PlainHttpAction::Redirect);
  CHECK(p.listeners[2].redirect_https_port == 443);
  REQUIRE(p.backends.size() == 2);
  REQUIRE(p.routes.size() == 4);
  CHECK(p.routes[0].backend_index == 1);  // admin
  CHECK(p.routes[1].backend_index == 0);  // blob
  CHECK(p.routes[1].max_body_bytes == 5368709120ull);
  CHECK(p.find_backend("admin") == &p.backends[1]);
  CHECK(p.find_listener("plain") == &p.listeners[2]);
  CHECK(p.find_listener("nope") == nullptr);
}

TEST_CASE("policy: every key's value reaches the model", "[policy][load]") {
  const auto r = load_file(std::string(INTRANSIT_VECTORS_DIR) + "/policy/valid/every_key.yaml");
  REQUIRE(r.has_value());
  const Policy& p = **r;
  CHECK(p.log_level == "debug");
  CHECK(p.log_threshold == intransit::log::Level::Debug);
  CHECK(p.workers == 4);
  CHECK(p.limits.max_head_bytes == 32768);
  CHECK(p.limits.max_header_count == 50);
  CHECK(p.limits.head_read_timeout_ms == 5000);
  CHECK(p.limits.drain_timeout_ms == 5000);
  CHECK(p.limits.max_connections == 500);
  const Listener& l = p.listeners[0];
  CHECK(l.address.host == "::1");
  CHECK(l.address.to_string() == "[::1]:9443");
  const TlsPolicy& t = *l.tls;
  CHECK(t.min_version == TlsVersion::Tls13);
  CHECK(t.max_version == TlsVersion::Tls13);
  CHECK(t.cipher_suites ==
        std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"});
  CHECK(t.groups == std::vector<std::string>{"X25519", "P-256", "P-384"});
  CHECK(t.unknown_sni == UnknownSni::Reject);
  CHECK(t.hsts_max_age_s == 0);
  CHECK(t.hsts_include_subdomains);
  CHECK(t.handshake_timeout_ms == 5000);
  REQUIRE(t.certificates.size() == 2);
  CHECK(t.certificates[0].cert_file == "/etc/intransit/a.crt");
  CHECK(t.certificates[0].server_names == std::vector<std::string>{"a.example", "*.a.example"});
  CHECK_FALSE(t.certificates[0].self_signed);
  CHECK(t.certificates[1].self_signed);
  const Listener& h = p.listeners[1];
  CHECK(h.kind == ListenerKind::Http);
  CHECK(h.plain_http == PlainHttpAction::Redirect);
  CHECK(h.redirect_https_port == 9443);
  const Backend& b = p.backends[0];
  CHECK(b.connect_timeout_ms == 1000);
  CHECK(b.response_timeout_ms == 2000);
  CHECK(b.idle_timeout_ms == 3000);
  CHECK(b.max_idle_connections == 0);
  CHECK(b.max_connections == 10);
  CHECK(p.routes[0].host == "a.example");  // lowercased
  CHECK(p.routes[0].listeners == std::vector<std::string>{"tls13-only"});
  CHECK(p.routes[0].max_body_bytes == 1024);
}

TEST_CASE("policy: TLS below 1.2 is refused at the value", "[policy][load][tls]") {
  CHECK(errors_of(with_tls("      min_version: \"1.0\"\n")) ==
        std::vector<std::string>{"policy.yaml:7:20: listeners[0].tls.min_version: \"1.0\" is not "
                                 "allowed: TLS versions below 1.2 are refused"});
  CHECK(errors_of(with_tls("      max_version: 1.1\n")) ==
        std::vector<std::string>{"policy.yaml:7:20: listeners[0].tls.max_version: \"1.1\" is not "
                                 "allowed: TLS versions below 1.2 are refused"});
  CHECK(errors_of(with_tls("      min_version: TLSv1.2\n")) ==
        std::vector<std::string>{"policy.yaml:7:20: listeners[0].tls.min_version: unknown TLS "
                                 "version \"TLSv1.2\" (write \"1.2\")"});
}

TEST_CASE("policy: weak cipher suites are refused with the reason", "[policy][load][tls]") {
  CHECK(errors_of(with_tls("      cipher_suites: [AES128-GCM-SHA256]\n")) ==
        std::vector<std::string>{"policy.yaml:7:23: listeners[0].tls.cipher_suites[0]: "
                                 "\"AES128-GCM-SHA256\" is not allowed: RSA key exchange is not "
                                 "forward-secret"});
  CHECK(errors_of(with_tls("      cipher_suites:\n        - ECDHE-RSA-AES128-SHA\n")) ==
        std::vector<std::string>{"policy.yaml:8:11: listeners[0].tls.cipher_suites[0]: "
                                 "\"ECDHE-RSA-AES128-SHA\" is not allowed: CBC mode is not AEAD"});
  CHECK(errors_of(with_tls("      groups: [X25519, P-521]\n")) ==
        std::vector<std::string>{"policy.yaml:7:24: listeners[0].tls.groups[1]: \"P-521\" is not "
                                 "allowed: only X25519, P-256 and P-384 are accepted"});
}

TEST_CASE("policy: unknown, duplicate and wrongly-kinded keys", "[policy][load]") {
  SECTION("unknown key with a hint") {
    CHECK(errors_of(with_tls("      cipher_suite: [ECDHE-RSA-AES128-GCM-SHA256]\n")) ==
          std::vector<std::string>{"policy.yaml:7:7: listeners[0].tls.cipher_suite: unknown key "
                                   "\"cipher_suite\" (did you mean 'cipher_suites'?)"});
  }
  SECTION("duplicate key names the first line") {
    CHECK(errors_of(with_tls("      min_version: \"1.2\"\n      min_version: \"1.3\"\n")) ==
          std::vector<std::string>{"policy.yaml:8:7: listeners[0].tls.min_version: duplicate key "
                                   "'min_version' (first defined at line 7) (remove one of them)"});
  }
  SECTION("a sequence where a string belongs") {
    CHECK(errors_of(with_tls("      unknown_sni: [reject]\n")) ==
          std::vector<std::string>{"policy.yaml:7:20: listeners[0].tls.unknown_sni: expected a "
                                   "string, got a sequence"});
  }
  SECTION("a scalar where a mapping belongs") {
    const std::string y = std::string(kHead).substr(0, std::string(kHead).size() - 5) +
                          "tls: on\nbackends: []\nroutes: []\n";
    CHECK(errors_of(y) ==
          std::vector<std::string>{
              "policy.yaml:6:10: listeners[0].tls: expected a mapping, got a string",
              "policy.yaml:7:11: backends: must list at least one entry",
              "policy.yaml:8:9: routes: must list at least one entry"});
  }
}

TEST_CASE("policy: a YAML syntax error is reported at its position", "[policy][load]") {
  CHECK(errors_of("version: 1\nlisteners:\n  - name: [https\n    address: x\n") ==
        std::vector<std::string>{
            "policy.yaml:4:12: YAML syntax error: end of sequence flow not found"});
  CHECK(errors_of("version: 1\n\tlisteners: []\n").size() == 1);
  // yaml-cpp 0.7 stalls on a stray flow indicator at the top (its LoadAll loops forever);
  // the loader must report it instead.
  CHECK(errors_of(", version: 1\n") ==
        std::vector<std::string>{"policy.yaml:1:1: YAML syntax error: unexpected \",\""});
  CHECK(errors_of("version: 1\n---\nversion: 1\n") ==
        std::vector<std::string>{
            "policy.yaml:2:1: only one YAML document is allowed in a policy file"});
}

TEST_CASE("policy: several independent errors are all reported, in file order", "[policy][load]") {
  const std::string y =
      "version: 1\n"                          // 1
      "listeners:\n"                          // 2
      "  - name: https\n"                     // 3
      "    address: 127.0.0.1:8443\n"         // 4
      "    protocol: https\n"                 // 5
      "    tls:\n"                            // 6
      "      min_version: \"1.1\"\n"          // 7
      "      certificates:\n"                 // 8
      "        - self_signed: [localhost]\n"  // 9
      "backends:\n"                           // 10
      "  - name: app\n"                       // 11
      "    address: 127.0.0.1:8081\n"         // 12
      "    conect_timeout_ms: 10\n"           // 13
      "routes:\n"                             // 14
      "  - backend: appp\n";                  // 15
  CHECK(errors_of(y) ==
        std::vector<std::string>{
            "policy.yaml:7:20: listeners[0].tls.min_version: \"1.1\" is not allowed: TLS versions "
            "below 1.2 are refused",
            "policy.yaml:13:5: backends[0].conect_timeout_ms: unknown key \"conect_timeout_ms\" "
            "(did you mean 'connect_timeout_ms'?)",
            "policy.yaml:15:14: routes[0].backend: unknown backend 'appp' (did you mean 'app'?)"});
}

TEST_CASE("policy: missing required keys point at the mapping", "[policy][load]") {
  CHECK(errors_of("version: 1\nlisteners:\n  - name: https\n    protocol: https\n"
                  "    tls: {certificates: [{self_signed: [localhost]}]}\n"
                  "backends:\n  - name: app\n    address: 127.0.0.1:8081\n"
                  "routes:\n  - backend: app\n") ==
        std::vector<std::string>{"policy.yaml:3:5: listeners[0]: missing required key 'address'"});
}

TEST_CASE("policy: hostile input is refused, never crashes", "[policy][load][limits]") {
  SECTION("deep flow nesting is refused at the 65th bracket") {
    CHECK(errors_of("version: " + std::string(20000, '[')) ==
          std::vector<std::string>{"policy.yaml:1:74: YAML nesting is deeper than 64 levels"});
    CHECK(errors_of("version: 1\nk: " + std::string(20000, '{')) ==
          std::vector<std::string>{"policy.yaml:2:68: YAML nesting is deeper than 64 levels"});
    // Brackets in scalars and comments do not count.
    std::string y = with_tls("      unknown_sni: reject\n");
    y += "# " + std::string(100, '[') + "\n";
    y += "state_dir: \"/" + std::string(100, '{') + "\"\n";
    CHECK(errors_of(y).empty());
  }
  SECTION("deep block nesting stays within a small thread stack") {
    // yaml-cpp's own guard stops block nesting at 500 levels; that must fit in far less
    // stack than any thread the gateway parses on (libuv's pool threads get >= 2 MiB).
    static std::string y;
    y = "version: 1\nlisteners:\n";
    for (int i = 0; i < 3000; ++i) y += "- ";
    y += "x\n";
    static std::vector<std::string> e;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    pthread_t t;
    REQUIRE(pthread_create(
                &t, &attr,
                [](void*) -> void* {
                  e = errors_of(y);
                  return nullptr;
                },
                nullptr) == 0);
    pthread_join(t, nullptr);
    pthread_attr_destroy(&attr);
    CHECK(e == std::vector<std::string>{"policy.yaml:3:998: YAML nesting is too deep"});
  }
  SECTION("oversized input") {
    const std::string big(kMaxPolicyBytes + 1, '#');
    CHECK(errors_of(big) ==
          std::vector<std::string>{"policy.yaml:0:0: the policy is larger than 1048576 bytes"});
  }
  SECTION("too many errors stop at a bound") {
    std::string y = "version: 1\n";
    for (int i = 0; i < 500; ++i) y += "junk" + std::to_string(i) + ": 1\n";
    const auto e = errors_of(y);
    REQUIRE(e.size() == 101);
    CHECK(e.back() == "policy.yaml:0:0: too many errors; stopped after 100");
  }
  SECTION("alias expansion is bounded") {
    // 100 listeners x 100 certificates x 100 names, written in a few hundred lines.
    std::string y =
        "version: 1\nlisteners:\n  - &L\n    name: a\n    address: 127.0.0.1:1\n"
        "    protocol: https\n    tls:\n      certificates: &C\n        - &c\n"
        "          self_signed: [";
    for (int i = 0; i < 100; ++i) y += (i ? ", h" : "h") + std::to_string(i);
    y += "]\n";
    for (int i = 0; i < 99; ++i) y += "        - *c\n";
    for (int i = 0; i < 99; ++i) y += "  - *L\n";
    y += "backends: [{name: app, address: 127.0.0.1:2}]\nroutes: [{backend: app}]\n";
    CHECK(errors_of(y) ==
          std::vector<std::string>{"policy.yaml:1:1: the policy expands to more than 200000 YAML "
                                   "nodes (through anchors and aliases?)"});
  }
  SECTION("NUL and binary bytes") {
    const std::string y("version: 1\n\0\xff\xfe: x\n", 17);
    CHECK_FALSE(errors_of(y).empty());
  }
}

TEST_CASE("policy: load_file reports an unreadable file at line 0", "[policy][load]") {
  const auto r = load_file("/nonexistent/intransit-policy.yaml");
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error().size() == 1);
  CHECK(format(r.error()[0]) ==
        "/nonexistent/intransit-policy.yaml:0:0: cannot read policy file: No such file or "
        "directory");
  const auto d = load_file(INTRANSIT_VECTORS_DIR);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error()[0].mark.line == 0);
}

TEST_CASE("policy: relative certificate paths are relative to the policy file",
          "[policy][load]") {
  char tmpl[] = "/tmp/policy-rel.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string file = dir + "/policy.yaml";
  {
    std::ofstream out(file);
    out << "version: 1\n"
           "listeners:\n"
           "  - name: https\n"
           "    address: 127.0.0.1:9443\n"
           "    protocol: https\n"
           "    tls:\n"
           "      certificates:\n"
           "        - cert: certs/a.crt\n"
           "          key: /abs/a.key\n"
           "backends:\n"
           "  - name: app\n"
           "    address: 127.0.0.1:9080\n"
           "routes:\n"
           "  - backend: app\n";
  }
  const auto r = load_file(file);
  std::remove(file.c_str());
  rmdir(dir.c_str());
  REQUIRE(r);
  const auto& cert = (*r)->listeners[0].tls->certificates[0];
  CHECK(cert.cert_file == dir + "/certs/a.crt");
  CHECK(cert.key_file == "/abs/a.key");
}
