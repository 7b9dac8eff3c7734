// check_request: the glue's entry point, from a RequestHead to a ready refusal.
#include "policy/sas/check.h"

#include <catch2/catch.hpp>

#include "policy/sas/signer.h"
#include "sas_test_util.h"

using namespace intransit;
using namespace intransit::policy;

namespace {

constexpr int64_t kNoon = 1'781'524'800;  // 2026-06-15T12:00:00Z

std::string token(std::string_view sp = "rl", std::string_view sip = "") {
  sas::SasFields f;
  f.sv = "2021-08-06";
  f.ss = "b";
  f.srt = "sco";
  f.sp = std::string(sp);
  f.st = "2026-06-15T11:00:00Z";
  f.se = "2026-06-15T13:00:00Z";
  f.sip = std::string(sip);
  return sas::sign_account("devstoreaccount1", sas_test::account().keys[0].secret, f)->query;
}

http::RequestHead head(std::string method, std::string path, std::string query) {
  http::RequestHead h;
  h.method = std::move(method);
  h.scheme = "https";
  h.authority = "127.0.0.1:8443";
  h.path = std::move(path);
  h.query = std::move(query);
  h.has_query = !h.query.empty();
  return h;
}

}  // namespace

TEST_CASE("sas: check_request allows a valid token on path and host style routes", "[sas][check]") {
  const Policy p = sas_test::policy();
  auto d = sas::check_request(
      p, p.routes[0], head("GET", "/devstoreaccount1/photos/a.txt", token()), "192.0.2.1", kNoon);
  CHECK(d.allow);
  CHECK(d.reason == "allowed");
  CHECK(d.operation == "GetBlob");
  CHECK(d.body.empty());
  d = sas::check_request(p, p.routes[1], head("GET", "/photos/a.txt", token()), "192.0.2.1", kNoon);
  CHECK(d.allow);
  Route plain;
  d = sas::check_request(p, plain, head("GET", "/x", ""), "192.0.2.1", kNoon);
  CHECK(d.allow);
  CHECK(d.reason == "not_required");
}

TEST_CASE("sas: a refusal is complete: status, fields, XML, log fields", "[sas][check]") {
  const Policy p = sas_test::policy();
  std::string q = token();
  q.replace(q.find("sig=") + 6, 1, q[q.find("sig=") + 6] == 'A' ? "B" : "A");
  auto h = head("GET", "/devstoreaccount1/photos/a.txt", q);
  auto d = sas::check_request(p, p.routes[0], h, "192.0.2.1", kNoon, "req-42");
  REQUIRE_FALSE(d.allow);
  CHECK(d.status == 403);
  CHECK(d.error_code == "AuthenticationFailed");
  CHECK(d.reason == "signature_mismatch");
  CHECK(http::find(d.fields, "content-type")->value == "application/xml");
  CHECK(http::find(d.fields, "x-ms-error-code")->value == "AuthenticationFailed");
  CHECK(http::find(d.fields, "x-ms-request-id")->value == "req-42");
  CHECK(d.body.find("<Code>AuthenticationFailed</Code>") != std::string::npos);
  CHECK(d.body.find("RequestId:req-42\nTime:2026-06-15T12:00:00.0000000Z</Message>") !=
        std::string::npos);
  CHECK(d.body.find("<AuthenticationErrorDetail>Signature did not match. String to sign used was "
                    "devstoreaccount1\nrl\nb\nsco\n") != std::string::npos);
  CHECK_FALSE(d.close);
  bool has_sp = false;
  for (const auto& [k, v] : d.log_fields) {
    CHECK(k != "sig");
    if (k == "sp") has_sp = v == "rl";
  }
  CHECK(has_sp);

  h.method = "HEAD";
  d = sas::check_request(p, p.routes[0], h, "192.0.2.1", kNoon);
  CHECK(d.body.empty());  // HEAD: the header only
  CHECK(http::find(d.fields, "x-ms-error-code")->value == "AuthenticationFailed");

  h = head("PUT", "/devstoreaccount1/photos/a.txt", token("r"));
  h.content_length = 5;
  d = sas::check_request(p, p.routes[0], h, "192.0.2.1", kNoon);
  CHECK(d.error_code == "AuthorizationPermissionMismatch");
  CHECK(d.close);  // the unread body: close the HTTP/1.1 connection
}

TEST_CASE("sas: the IP refusal names the client address; http names the account", "[sas][check]") {
  const Policy p = sas_test::policy();
  auto d = sas::check_request(p, p.routes[0],
                              head("GET", "/devstoreaccount1/photos/a.txt", token("r", "10.0.0.1")),
                              "192.0.2.1", kNoon);
  CHECK(d.error_code == "AuthorizationSourceIPMismatch");
  CHECK(d.body.find("using this source IP 192.0.2.1.") != std::string::npos);
  auto h = head("GET", "/devstoreaccount1/photos/a.txt", token());
  h.scheme = "http";
  d = sas::check_request(p, p.routes[0], h, "192.0.2.1", kNoon);
  CHECK(d.status == 400);
  CHECK(d.error_code == "AccountRequiresHttps");
  CHECK(d.body.find("<AccountName>devstoreaccount1</AccountName>") != std::string::npos);
}

TEST_CASE("sas: an account with no loaded key refuses everything", "[sas][check]") {
  Policy p = sas_test::policy();
  for (auto& k : p.sas.accounts[0].keys) k.secret.clear();
  const auto d = sas::check_request(
      p, p.routes[0], head("GET", "/devstoreaccount1/photos/a.txt", token()), "192.0.2.1", kNoon);
  CHECK_FALSE(d.allow);
  CHECK(d.reason == "unknown_account");
}
