// The SDK-minted vectors (tests/vectors/sas/vectors.json, from gen.mjs): every case is judged
// through the verifier for path-style and host-style URLs, and through check_request.
#include <catch2/catch.hpp>

#include <map>

#include "gateway/http/request_head.h"
#include "policy/sas/check.h"
#include "policy/sas/verifier.h"
#include "sas_test_util.h"

using namespace intransit;
using namespace intransit::policy;

namespace {

sas::Request request_of(const YAML::Node& c, const std::string& path, const std::string& query,
                        sas::Ticks now, std::map<std::string, std::string>& headers) {
  for (const auto& h : c["headers"])
    headers[h.first.as<std::string>()] = h.second.as<std::string>();
  sas::Request r;
  r.method = c["method"].Scalar();
  r.scheme = c["scheme"].Scalar();
  r.path = path;
  r.query = query;
  r.client_ip = c["client_ip"].Scalar();
  r.now = now;
  r.has_authorization = headers.count("authorization") > 0;
  r.has_copy_source = headers.count("x-ms-copy-source") > 0;
  if (headers.count("x-ms-lease-action")) r.lease_action = headers["x-ms-lease-action"];
  r.cors_preflight = headers.count("origin") && headers.count("access-control-request-method");
  return r;
}

}  // namespace

TEST_CASE("sas: SDK vectors are judged as Azure judges them", "[sas][vectors]") {
  const auto& v = sas_test::vectors();
  const auto policies = sas_test::stored_policies();
  size_t n = 0, allowed = 0;
  for (const auto& c : v["cases"]) {
    const std::string id = c["id"].as<std::string>();
    INFO("case " << id);
    SasAccount acct = sas_test::account();
    acct.secure_transfer_required = c["secure_transfer_required"].as<bool>();
    const auto now = sas::parse_time(c["now"].as<std::string>());
    REQUIRE(now);
    const std::string expect = c["expect"].as<std::string>();
    const std::string query = c["query"].as<std::string>();
    std::vector<std::pair<std::string, SasUrlStyle>> urls = {
        {c["path"].as<std::string>(), SasUrlStyle::Path}};
    if (!c["host_path"].IsNull())
      urls.push_back({c["host_path"].as<std::string>(), SasUrlStyle::Host});
    for (const auto& [path, style] : urls) {
      INFO("path " << path << (style == SasUrlStyle::Path ? " (path style)" : " (host style)"));
      std::map<std::string, std::string> headers;
      const sas::Request r = request_of(c, path, query, *now, headers);
      const sas::Verdict verdict = sas::verify(r, acct, style, policies);
      INFO("detail: " << verdict.detail);
      if (expect == "allow") {
        CHECK(verdict.allow);
      } else {
        CHECK_FALSE(verdict.allow);
        if (!verdict.allow) {
          CHECK(sas::info(verdict.code).code == expect);
          CHECK(sas::info(verdict.code).status == c["status"].as<int>());
        }
      }
      if (!c["reason"].IsNull()) CHECK(verdict.reason() == c["reason"].as<std::string>());
      if (!c["string_to_sign"].IsNull()) {
        CHECK(verdict.string_to_sign == c["string_to_sign"].as<std::string>());
      }
    }
    ++n;
    if (expect == "allow") ++allowed;
  }
  CHECK(n >= 500);
  CHECK(allowed >= 200);
}

TEST_CASE("sas: check_request gives the vectors' status and code from a RequestHead",
          "[sas][vectors]") {
  const auto& v = sas_test::vectors();
  Policy p = sas_test::policy();
  for (const auto& c : v["cases"]) {
    INFO("case " << c["id"].as<std::string>());
    p.sas.accounts[0].secure_transfer_required = c["secure_transfer_required"].as<bool>();
    http::RequestHead h;
    h.method = c["method"].as<std::string>();
    h.scheme = c["scheme"].as<std::string>();
    h.authority = "127.0.0.1:8443";
    h.path = c["path"].as<std::string>();
    h.query = c["query"].as<std::string>();
    h.has_query = !h.query.empty();
    for (const auto& f : c["headers"])
      h.fields.push_back({f.first.as<std::string>(), f.second.as<std::string>()});
    const auto now = sas::parse_time(c["now"].as<std::string>());
    const auto d = sas::decide(p, p.routes[0], h, c["client_ip"].as<std::string>(), *now);
    const std::string expect = c["expect"].as<std::string>();
    CHECK(d.allow == (expect == "allow"));
    if (!d.allow) {
      CHECK(d.error_code == expect);
      CHECK(d.status == c["status"].as<int>());
      REQUIRE(d.fields.size() >= 2);
      CHECK(http::find(d.fields, "x-ms-error-code")->value == expect);
      CHECK(http::find(d.fields, "content-type")->value == "application/xml");
      if (h.method == "HEAD") {
        CHECK(d.body.empty());
      } else {
        CHECK(d.body.find("<Code>" + expect + "</Code>") != std::string::npos);
      }
      // Never the signature, in any log field.
      for (const auto& [k, val] : d.log_fields) {
        CHECK(k != "sig");
        if (h.query.find("sig=") != std::string::npos) {
          const auto sig_start = h.query.find("sig=") + 4;
          const auto sig = h.query.substr(sig_start, h.query.find('&', sig_start) - sig_start);
          if (sig.size() > 8) CHECK(val.find(sig.substr(0, 12)) == std::string::npos);
        }
      }
    }
  }
}
