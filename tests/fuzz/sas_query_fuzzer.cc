// libFuzzer target for the SAS verifier (policy/sas): the request query and path are hostile
// input. Input: one selector byte (method, scheme, URL style, account flags), then
// "path\nquery\nclient_ip" (missing parts are empty). Checks: no crash or sanitizer report;
// an allowed request really carries a signature that verifies; refusals are well-formed; the
// time, sip and decoding helpers accept whatever the verifier feeds them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/sas/check.h"
#include "policy/sas/errors.h"
#include "policy/sas/ip_range.h"
#include "policy/sas/query.h"
#include "policy/sas/time.h"
#include "policy/sas/verifier.h"

using namespace intransit::policy;

namespace {

const SasAccount& account() {
  static const SasAccount a = [] {
    SasAccount acct;
    acct.name = "devstoreaccount1";
    SasAccountKey k;
    k.secret = *sas::base64_decode(
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
    acct.keys.push_back(k);
    return acct;
  }();
  return a;
}

const std::vector<SasStoredPolicy>& policies() {
  static const std::vector<SasStoredPolicy> p = [] {
    SasStoredPolicy sp;
    sp.account = "devstoreaccount1";
    sp.container = "photos";
    sp.id = "readers";
    sp.permissions = "rl";
    sp.expiry = "2027-01-01";
    sp.expiry_ticks = sas::parse_time(*sp.expiry);
    return std::vector<SasStoredPolicy>{sp};
  }();
  return p;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view parts[3];
  for (auto& p : parts) {
    const size_t nl = in.find('\n');
    p = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  static constexpr std::string_view kMethods[] = {"GET",  "HEAD",    "PUT",   "DELETE",
                                                  "POST", "OPTIONS", "PATCH", "MERGE"};
  sas::Request r;
  r.method = kMethods[sel & 7];
  r.scheme = (sel & 8) ? "http" : "https";
  r.path = parts[0];
  r.query = parts[1];
  r.client_ip = parts[2];
  r.now = sas::ticks_from_unix(1'781'524'800);
  r.cors_preflight = (sel & 64) != 0;
  SasAccount acct = account();
  acct.secure_transfer_required = (sel & 32) == 0;
  const auto style = (sel & 16) ? SasUrlStyle::Host : SasUrlStyle::Path;
  const sas::Verdict v = sas::verify(r, acct, style, policies());
  if (v.allow && !v.cors_preflight) {
    // Allowed means: a signature was present and matched the string-to-sign.
    bool has_sig = false;
    for (const auto& q : sas::parse_query(r.query)) {
      if (q.name == "sig" || q.name == "SIG" || q.name == "Sig") {
        has_sig = true;
        check(q.value == sas::compute_signature(acct.keys[0].secret, v.string_to_sign));
      }
    }
    check(has_sig);
    check(!v.operation.empty());
  }
  if (!v.allow) {
    const auto i = sas::info(v.code);
    check(i.status == 400 || i.status == 403);
    const auto d = sas::to_decision(v, acct.name, r.method, r.client_ip, r.now, "");
    check(r.method == "HEAD" ? d.body.empty() : d.body.find("</Error>") != std::string::npos);
    for (const auto& [k, val] : d.log_fields) check(k != "sig" && val.size() <= 67);
  }
  // The helpers on raw input.
  (void)sas::parse_time(parts[1]);
  (void)sas::parse_sip(parts[2]);
  (void)sas::percent_decode_path(parts[0]);
  const std::string esc = sas::xml_escape(parts[1]);
  check(esc.find('<') == std::string::npos && esc.find('>') == std::string::npos);
  if (auto t = sas::parse_time(parts[1])) (void)sas::format_rfc1123(*t);
  return 0;
}
