// Shared helpers of the SAS unit tests: the vector file (tests/vectors/sas/vectors.json,
// minted by gen.mjs with @azure/storage-blob) and a Policy built around its account.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "policy/model.h"
#include "policy/sas/string_to_sign.h"
#include "policy/sas/time.h"

namespace sas_test {

using namespace intransit;
using namespace intransit::policy;

inline const YAML::Node& vectors() {
  static const YAML::Node v =
      YAML::LoadFile(std::string(INTRANSIT_VECTORS_DIR) + "/sas/vectors.json");
  return v;
}

// account returns the vectors' account with key1 and key2 loaded.
inline SasAccount account() {
  const auto& v = vectors();
  SasAccount a;
  a.name = v["account"].as<std::string>();
  for (const char* k : {"key1", "key2"}) {
    SasAccountKey key;
    key.file = std::string("<") + k + ">";
    key.secret = *sas::base64_decode(v[k].as<std::string>());
    a.keys.push_back(key);
  }
  return a;
}

// stored_policies returns the vectors' stored access policies, for the account.
inline std::vector<SasStoredPolicy> stored_policies() {
  std::vector<SasStoredPolicy> out;
  for (const auto& n : vectors()["stored_policies"]) {
    SasStoredPolicy p;
    p.account = vectors()["account"].as<std::string>();
    p.container = n["container"].as<std::string>();
    p.id = n["id"].as<std::string>();
    if (n["permissions"]) p.permissions = n["permissions"].as<std::string>();
    if (n["start"]) {
      p.start = n["start"].as<std::string>();
      p.start_ticks = sas::parse_time(*p.start);
    }
    if (n["expiry"]) {
      p.expiry = n["expiry"].as<std::string>();
      p.expiry_ticks = sas::parse_time(*p.expiry);
    }
    out.push_back(p);
  }
  return out;
}

// policy returns a Policy with the vectors' account and stored policies and two routes on
// one listener "https": host "*" path "/devstoreaccount1" (path style) and host
// "devstoreaccount1.blob.example" (host style).
inline Policy policy() {
  Policy p;
  p.sas.accounts.push_back(account());
  p.sas.stored_policies = stored_policies();
  Route path_route;
  path_route.path_prefix = "/" + p.sas.accounts[0].name;
  path_route.backend = "b";
  path_route.sas = RouteSas{p.sas.accounts[0].name, 0, SasUrlStyle::Path, {}, {}};
  Route host_route;
  host_route.host = p.sas.accounts[0].name + ".blob.example";
  host_route.backend = "b";
  host_route.sas = RouteSas{p.sas.accounts[0].name, 0, SasUrlStyle::Host, {}, {}};
  p.routes = {path_route, host_route};
  return p;
}

}  // namespace sas_test
