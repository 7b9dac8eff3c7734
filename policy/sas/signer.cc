#include "policy/sas/signer.h"

#include "gateway/base/text.h"
#include "policy/sas/ip_range.h"
#include "policy/sas/permissions.h"
#include "policy/sas/query.h"
#include "policy/sas/time.h"

namespace intransit::policy::sas {

namespace {

Result<void> check_common(const SasFields& f) {
  if (!is_version_syntax(f.sv) || f.sv < kOldestVersion || f.sv > kNewestVersion) {
    return fail("sas", "version must be from " + std::string(kOldestVersion) + " to " +
                           std::string(kNewestVersion));
  }
  if (!f.st.empty() && !parse_time(f.st)) return fail("sas", "start is not an ISO-8601 time");
  if (!f.se.empty() && !parse_time(f.se)) return fail("sas", "expiry is not an ISO-8601 time");
  if (!f.sip.empty() && !parse_sip(f.sip)) {
    return fail("sas", "ip must be an IPv4 address or a range lo-hi");
  }
  if (!f.spr.empty() && f.spr != "https" && f.spr != "https,http") {
    return fail("sas", "protocol must be https or https,http");
  }
  if (!f.ses.empty() && f.sv < "2020-12-06") {
    return fail("sas", "an encryption scope needs version 2020-12-06 or later");
  }
  return {};
}

}  // namespace

std::string token_query(const SasFields& f, std::string_view sig) {
  std::string q;
  auto add = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (!q.empty()) q += '&';
    q += name;
    q += '=';
    q += encode_component(value);
  };
  add("sv", f.sv);
  add("ss", f.ss);
  add("srt", f.srt);
  add("spr", f.spr);
  add("st", f.st);
  add("se", f.se);
  add("sip", f.sip);
  add("si", f.si);
  add("ses", f.ses);
  add("sr", f.sr);
  add("sp", f.sp);
  add("rscc", f.rscc);
  add("rscd", f.rscd);
  add("rsce", f.rsce);
  add("rscl", f.rscl);
  add("rsct", f.rsct);
  add("sdd", f.sdd);
  add("sig", sig);
  return q;
}

Result<SignedToken> sign_account(std::string_view account, std::string_view key,
                                 const SasFields& f) {
  if (auto r = check_common(f); !r) return unexpected(r.error());
  std::string why;
  if (f.ss.empty() || f.srt.empty() || f.sp.empty() || f.se.empty()) {
    return fail("sas", "an account SAS needs services, resource types, permissions and expiry");
  }
  if (!check_account_permissions(f.sp, why)) return fail("sas", why);
  for (char c : f.ss) {
    if (std::string_view("bfqt").find(c) == std::string_view::npos) {
      return fail("sas", "services must be letters of bfqt");
    }
  }
  for (char c : f.srt) {
    if (std::string_view("sco").find(c) == std::string_view::npos) {
      return fail("sas", "resource types must be letters of sco");
    }
  }
  if (!f.sr.empty() || !f.si.empty() || !f.sdd.empty() || !f.rscc.empty() || !f.rscd.empty() ||
      !f.rsce.empty() || !f.rscl.empty() || !f.rsct.empty()) {
    return fail("sas", "an account SAS has no resource, identifier or response overrides");
  }
  SignedToken t;
  t.string_to_sign = account_string_to_sign(account, f);
  t.signature = compute_signature(key, t.string_to_sign);
  t.query = token_query(f, t.signature);
  return t;
}

Result<SignedToken> sign_service(std::string_view account, std::string_view key,
                                 std::string_view container, std::string_view blob,
                                 std::string_view snapshot_time, const SasFields& f) {
  if (auto r = check_common(f); !r) return unexpected(r.error());
  if (f.sr != "b" && f.sr != "c" && f.sr != "bs" && f.sr != "bv" && f.sr != "d") {
    return fail("sas", "resource must be b, c, bs, bv or d");
  }
  if ((f.sr == "c") != blob.empty()) {
    return fail("sas", "sr=c signs a container (no blob); other resources need a blob");
  }
  if (f.si.empty() && (f.sp.empty() || f.se.empty())) {
    return fail("sas", "a service SAS without a stored policy needs permissions and expiry");
  }
  std::string why;
  if (!check_service_permissions(f.sp, why)) return fail("sas", why);
  if (!f.ss.empty() || !f.srt.empty()) return fail("sas", "a service SAS has no ss/srt");
  SignedToken t;
  t.string_to_sign =
      service_string_to_sign(canonical_resource(account, container, blob), snapshot_time, f);
  t.signature = compute_signature(key, t.string_to_sign);
  t.query = token_query(f, t.signature);
  return t;
}

}  // namespace intransit::policy::sas
