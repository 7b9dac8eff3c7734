// The policy keys of session tickets and OCSP staples (policy/load.cc blocks owned by tls/):
// listeners[].tls.session_tickets and listeners[].tls.certificates[].ocsp_staple.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "policy/load.h"
#include "tls_support.h"

namespace intransit::tls {
namespace {

using namespace intransit::policy;

// kHead is a valid policy up to the end of its first listener's tls mapping header.
constexpr std::string_view kHead =
    "version: 1\n"                   // 1
    "listeners:\n"                   // 2
    "  - name: https\n"              // 3
    "    address: 127.0.0.1:8443\n"  // 4
    "    protocol: https\n"          // 5
    "    tls:\n";                    // 6
constexpr std::string_view kTail =
    "backends:\n"
    "  - name: app\n"
    "    address: 127.0.0.1:8081\n"
    "routes:\n"
    "  - backend: app\n";

constexpr std::string_view kCert =
    "      certificates:\n"
    "        - cert: certs/site.crt\n"
    "          key: certs/site.key\n";

std::string policy_text(std::string_view tls_lines, std::string_view certs = kCert) {
  return std::string(kHead) + std::string(tls_lines) + std::string(certs) + std::string(kTail);
}

std::vector<std::string> errors_of(const std::string& yaml) {
  const auto r = load("policy.yaml", yaml);
  std::vector<std::string> out;
  if (!r) {
    for (const auto& e : r.error()) out.push_back(format(e));
  }
  return out;
}

TEST_CASE("tls: policy session_tickets: defaults and every key", "[tls][tickets][policy]") {
  SECTION("absent: enabled, BoringSSL's own key, default lifetimes") {
    auto r = load("policy.yaml", policy_text(""));
    REQUIRE(r);
    const SessionTicketPolicy& st = (*r)->listeners[0].tls->session_tickets;
    CHECK(st.enabled);
    CHECK(st.key_file.empty());
    CHECK(st.lifetime_s == 0);
  }
  SECTION("key_file and lifetime_s") {
    auto r = load("policy.yaml", policy_text("      session_tickets:\n"              // 7
                                             "        key_file: /run/tickets.key\n"  // 8
                                             "        lifetime_s: 43200\n"));
    REQUIRE(r);
    const SessionTicketPolicy& st = (*r)->listeners[0].tls->session_tickets;
    CHECK(st.enabled);
    CHECK(st.key_file == "/run/tickets.key");
    CHECK(st.key_file_mark.line == 8);
    CHECK(st.key_file_mark.col == 19);
    CHECK(st.lifetime_s == 43200);
  }
  SECTION("enabled: false") {
    auto r = load("policy.yaml", policy_text("      session_tickets: {enabled: false}\n"));
    REQUIRE(r);
    CHECK_FALSE((*r)->listeners[0].tls->session_tickets.enabled);
  }
}

TEST_CASE("tls: policy session_tickets refusals", "[tls][tickets][policy]") {
  using Catch::Generators::table;
  auto [lines, want] = GENERATE(table<std::string, std::string>({
      {"      session_tickets:\n        lifetime_s: 100\n",
       "policy.yaml:8:21: listeners[0].tls.session_tickets.lifetime_s: "},
      {"      session_tickets:\n        lifetime_s: 90000\n",
       "policy.yaml:8:21: listeners[0].tls.session_tickets.lifetime_s: "},
      {"      session_tickets:\n        enabled: false\n        key_file: /k\n",
       "policy.yaml:9:9: listeners[0].tls.session_tickets.key_file: 'key_file' has no effect "
       "with 'enabled: false'"},
      {"      session_tickets:\n        enabled: false\n        lifetime_s: 3600\n",
       "policy.yaml:9:9: listeners[0].tls.session_tickets.lifetime_s: 'lifetime_s' has no "
       "effect with 'enabled: false'"},
      {"      session_tickets:\n        key_flie: /k\n",
       "policy.yaml:8:9: listeners[0].tls.session_tickets.key_flie: unknown key"},
      {"      session_tickets:\n        key_file: \"\"\n",
       "policy.yaml:8:19: listeners[0].tls.session_tickets.key_file: "},
      {"      lifetime_s: 3600\n", "policy.yaml:7:7: listeners[0].tls.lifetime_s: unknown key"},
  }));
  INFO(lines);
  const auto errors = errors_of(policy_text(lines));
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith(want));
}

TEST_CASE("tls: policy ocsp_staple: a path or false", "[tls][ocsp][policy]") {
  SECTION("absent: Auto") {
    auto r = load("policy.yaml", policy_text(""));
    REQUIRE(r);
    CHECK((*r)->listeners[0].tls->certificates[0].ocsp == OcspStaple::Auto);
  }
  SECTION("a path") {
    auto r = load("policy.yaml", policy_text("",
                                             "      certificates:\n"       // 7
                                             "        - cert: site.crt\n"  // 8
                                             "          key: site.key\n"   // 9
                                             "          ocsp_staple: site.der\n"));
    REQUIRE(r);
    const CertificateSpec& c = (*r)->listeners[0].tls->certificates[0];
    CHECK(c.ocsp == OcspStaple::File);
    CHECK(c.ocsp_file == "site.der");
    CHECK(c.ocsp_mark.line == 10);
    CHECK(c.ocsp_mark.col == 24);
  }
  SECTION("false") {
    auto r = load("policy.yaml", policy_text("",
                                             "      certificates:\n"
                                             "        - cert: site.crt\n"
                                             "          key: site.key\n"
                                             "          ocsp_staple: false\n"));
    REQUIRE(r);
    CHECK((*r)->listeners[0].tls->certificates[0].ocsp == OcspStaple::Off);
  }
  SECTION("true is refused") {
    const auto errors = errors_of(policy_text("",
                                              "      certificates:\n"
                                              "        - cert: site.crt\n"
                                              "          key: site.key\n"
                                              "          ocsp_staple: true\n"));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::StartsWith("policy.yaml:10:24: "
                                            "listeners[0].tls.certificates[0].ocsp_staple: "
                                            "expected a file path or false"));
  }
}

TEST_CASE("tls: relative key_file and ocsp_staple paths are relative to the policy file",
          "[tls][tickets][ocsp][policy]") {
  test::TempDir dir;
  const std::string yaml = policy_text(
      "      session_tickets:\n"
      "        key_file: secrets/tickets.key\n",
      "      certificates:\n"
      "        - cert: site.crt\n"
      "          key: site.key\n"
      "          ocsp_staple: site.der\n"
      "        - cert: /abs/other.crt\n"
      "          key: /abs/other.key\n"
      "          ocsp_staple: /abs/other.der\n");
  const std::string path = dir.write("policy.yaml", yaml, 0644);
  auto r = load_file(path);
  REQUIRE(r);
  const TlsPolicy& tls = *(*r)->listeners[0].tls;
  CHECK(tls.session_tickets.key_file == dir.path() + "/secrets/tickets.key");
  CHECK(tls.certificates[0].ocsp_file == dir.path() + "/site.der");
  CHECK(tls.certificates[1].ocsp_file == "/abs/other.der");
}

}  // namespace
}  // namespace intransit::tls
