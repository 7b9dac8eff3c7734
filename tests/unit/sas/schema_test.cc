// The policy file's sas: section and routes[].sas (policy/README.md, "sas").
#include "policy/sas/schema.h"

#include <catch2/catch.hpp>

#include <map>

#include "policy/load.h"
#include "policy/sas/keys.h"
#include "policy/sas/time.h"

using namespace intransit;
using namespace intransit::policy;

namespace {

std::string policy_text(const std::string& sas, const std::string& route_sas,
                        const std::string& prefix = "/devstoreaccount1") {
  return "version: 1\n"
         "listeners:\n"
         "  - name: https\n"
         "    address: 127.0.0.1:8443\n"
         "    protocol: https\n"
         "    tls:\n"
         "      certificates:\n"
         "        - self_signed: [localhost]\n"
         "backends:\n"
         "  - name: storage\n"
         "    address: 127.0.0.1:10000\n"
         "routes:\n"
         "  - path_prefix: " +
         prefix +
         "\n"
         "    backend: storage\n" +
         route_sas + sas;
}

const std::string kSas =
    "sas:\n"
    "  accounts:\n"
    "    - name: devstoreaccount1\n"
    "      key1: keys/k1\n"
    "      key2: /etc/intransit/k2\n"
    "  stored_policies:\n"
    "    - account: devstoreaccount1\n"
    "      container: photos\n"
    "      id: readers\n"
    "      permissions: rl\n"
    "      start: \"2026-01-01T00:00:00Z\"\n"
    "      expiry: \"2027-01-01\"\n";
const std::string kRouteSas =
    "    sas:\n"
    "      account: devstoreaccount1\n"
    "      style: path\n";

std::vector<std::string> errors_of(const std::string& text) {
  auto r = load("p.yaml", text);
  std::vector<std::string> out;
  if (!r) {
    for (const auto& e : r.error()) out.push_back(format(e));
  }
  return out;
}

}  // namespace

TEST_CASE("sas schema: a valid sas section loads", "[sas][schema]") {
  auto r = load("p.yaml", policy_text(kSas, kRouteSas));
  REQUIRE(r);
  const Policy& p = **r;
  REQUIRE(p.sas.accounts.size() == 1);
  const auto& a = p.sas.accounts[0];
  CHECK(a.name == "devstoreaccount1");
  REQUIRE(a.keys.size() == 2);
  CHECK(a.keys[0].file == "keys/k1");
  CHECK(a.keys[0].mark.line == 21);
  CHECK(a.keys[0].secret.empty());  // load() reads no file
  CHECK(a.secure_transfer_required);
  REQUIRE(p.sas.stored_policies.size() == 1);
  const auto& sp = p.sas.stored_policies[0];
  CHECK(sp.id == "readers");
  CHECK(sp.permissions == "rl");
  CHECK(sp.expiry_ticks == sas::parse_time("2027-01-01"));
  REQUIRE(p.routes[0].sas);
  CHECK(p.routes[0].sas->account == "devstoreaccount1");
  CHECK(p.routes[0].sas->style == SasUrlStyle::Path);
  CHECK(p.routes[0].sas->account_index == 0);
}

TEST_CASE("sas schema: errors carry file:line:col and a key path", "[sas][schema]") {
  SECTION("route names an unknown account") {
    auto e = errors_of(policy_text(kSas, "    sas:\n      account: nosuchaccount\n"));
    REQUIRE(e.size() == 1);
    CHECK(e[0] ==
          "p.yaml:16:16: routes[0].sas.account: account \"nosuchaccount\" is not in "
          "sas.accounts (add it under sas.accounts with its key files)");
  }
  SECTION("path-style route whose prefix cannot hold the account") {
    auto e = errors_of(policy_text(kSas, kRouteSas, "/other"));
    REQUIRE(e.size() == 1);
    CHECK(
        e[0].starts_with("p.yaml:13:18: routes[0].path_prefix: \"/other\" cannot hold path-style"));
  }
  SECTION("host style does not care about the prefix") {
    auto e = errors_of(
        policy_text(kSas, "    sas:\n      account: devstoreaccount1\n      style: host\n", "/"));
    CHECK(e.empty());
  }
  SECTION("bad values") {
    const std::string bad =
        "sas:\n"
        "  accounts:\n"
        "    - name: Dev_Store\n"
        "      key1: k\n"
        "      secure_transfer_required: maybe\n"
        "  stored_policies:\n"
        "    - account: devstoreaccount1\n"
        "      container: Photos\n"
        "      id: x\n"
        "      permissions: wr\n"
        "      start: tomorrow\n";
    auto e = errors_of(policy_text(bad, ""));
    REQUIRE(e.size() == 5);
    CHECK(e[0].starts_with(
        "p.yaml:17:13: sas.accounts[0].name: \"Dev_Store\" is not a storage account name"));
    CHECK(e[1].starts_with(
        "p.yaml:19:33: sas.accounts[0].secure_transfer_required: expected true or false"));
    CHECK(e[2].starts_with(
        "p.yaml:22:18: sas.stored_policies[0].container: \"Photos\" is not a container name"));
    CHECK(e[3].starts_with(
        "p.yaml:24:20: sas.stored_policies[0].permissions: \"wr\": sp: letter 'r' out of order"));
    CHECK(e[4].starts_with(
        "p.yaml:25:14: sas.stored_policies[0].start: \"tomorrow\" is not an ISO-8601 time"));
  }
  SECTION("unknown keys get hints") {
    auto e = errors_of(
        policy_text("sas:\n  accounts:\n    - name: abc\n      key1: k\n      kye2: k\n", ""));
    REQUIRE(e.size() == 1);
    CHECK(e[0] == "p.yaml:19:7: sas.accounts[0].kye2: unknown key \"kye2\" (did you mean 'key2'?)");
    e = errors_of(policy_text("sas:\n  accounts:\n    - name: abc\n  key1: k\n", ""));
    REQUIRE(e.size() >= 1);
    CHECK(e.back().find("'key1' belongs under 'sas.accounts[]'") != std::string::npos);
  }
  SECTION("duplicates and Azure's limit of five policies per container") {
    std::string s =
        "sas:\n"
        "  accounts:\n"
        "    - name: abc\n"
        "      key1: k\n"
        "    - name: abc\n"
        "      key1: k\n"
        "  stored_policies:\n";
    for (int i = 0; i < 7; ++i) {
      s += "    - {account: abc, container: photos, id: p" + std::to_string(i == 6 ? 0 : i) +
           ", expiry: \"2027-01-01\"}\n";
    }
    auto e = errors_of(policy_text(s, ""));
    REQUIRE(e.size() == 3);  // the limit is reported once, at the sixth policy
    CHECK(e[0].starts_with("p.yaml:19:13: sas.accounts[1].name: account \"abc\" is defined twice"));
    CHECK(e[1].find("sas.stored_policies[5]: container \"photos\" has more than 5 stored access "
                    "policies") != std::string::npos);
    CHECK(e[2].find("sas.stored_policies[6].id: stored policy \"p0\" of container \"photos\" is "
                    "defined twice") != std::string::npos);
  }
  SECTION("stored policy expiry before start; unknown account") {
    auto e =
        errors_of(policy_text("sas:\n  accounts:\n    - {name: abc, key1: k}\n  stored_policies:\n"
                              "    - {account: xyz, container: c01, id: a, start: \"2027-01-01\", "
                              "expiry: \"2026-01-01\"}\n",
                              ""));
    REQUIRE(e.size() == 2);
    CHECK(e[0].find("is before start") != std::string::npos);
    CHECK(e[1].find("sas.stored_policies[0].account: account \"xyz\" is not in sas.accounts") !=
          std::string::npos);
  }
}

TEST_CASE("sas keys: read from files with the TLS key rule (mode 0600)", "[sas][keys]") {
  auto r = load("/etc/intransit/p.yaml", policy_text(kSas, kRouteSas));
  REQUIRE(r);
  const std::string good =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==\n";
  std::map<std::string, sas::KeyFile> files;
  std::vector<std::string> asked;
  auto reader = [&](const std::string& path) -> Result<sas::KeyFile> {
    asked.push_back(path);
    auto it = files.find(path);
    if (it == files.end()) return fail("open", "No such file or directory");
    return it->second;
  };
  SECTION("good keys; relative paths are relative to the policy file") {
    files["/etc/intransit/keys/k1"] = {good, 0600};
    files["/etc/intransit/k2"] = {"  " + good + "\r\n", 0400};
    Policy p = **r;
    auto errs = sas::read_account_keys(p, "/etc/intransit/", reader);
    CHECK(errs.empty());
    CHECK(asked == std::vector<std::string>{"/etc/intransit/keys/k1", "/etc/intransit/k2"});
    CHECK(p.sas.accounts[0].keys[0].secret.size() == 64);
    CHECK(p.sas.accounts[0].keys[0].secret == p.sas.accounts[0].keys[1].secret);
  }
  SECTION("every problem is reported at the key's position") {
    files["/etc/intransit/keys/k1"] = {good, 0644};
    files["/etc/intransit/k2"] = {"not base64!", 0600};
    Policy p = **r;
    auto errs = sas::read_account_keys(p, "/etc/intransit/", reader);
    REQUIRE(errs.size() == 2);
    CHECK(format(errs[0]) ==
          "/etc/intransit/p.yaml:21:13: sas.accounts[0].key1: key file "
          "\"/etc/intransit/keys/k1\": the key file is readable by group/other (mode 0644); "
          "chmod 600 it");
    CHECK(format(errs[1]).find("sas.accounts[0].key2: key file \"/etc/intransit/k2\": the key file "
                               "does not hold a Base64 account key") != std::string::npos);
    files["/etc/intransit/k2"] = {"c2hvcnQ=", 0600};
    files.erase("/etc/intransit/keys/k1");
    Policy q = **r;
    errs = sas::read_account_keys(q, "/etc/intransit/", reader);
    REQUIRE(errs.size() == 2);
    CHECK(errs[0].message.find("cannot read key file") != std::string::npos);
    CHECK(errs[1].message.find("decodes to 5 bytes") != std::string::npos);
  }
}
