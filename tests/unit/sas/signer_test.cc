// The signer reproduces the SDK's tokens (vectors) and round-trips through the verifier.
#include "policy/sas/signer.h"

#include <catch2/catch.hpp>

#include "policy/sas/query.h"
#include "policy/sas/verifier.h"
#include "sas_test_util.h"

using namespace intransit;
using namespace intransit::policy;
using namespace intransit::policy::sas;

TEST_CASE("sas: the Azurite known answer (devstoreaccount1 key)", "[sas][signer]") {
  SasFields f;
  f.sv = "2020-12-06";
  f.ss = "btqf";
  f.srt = "sco";
  f.sp = "rwdlacup";
  f.st = "2022-04-16T06:31:48Z";
  f.se = "2022-04-17T06:31:48Z";
  f.sip = "0.0.0.0-255.255.255.255";
  f.spr = "https,http";
  const auto key = base64_decode(sas_test::vectors()["key1"].as<std::string>());
  REQUIRE(key);
  auto t = sign_account("devstoreaccount1", *key, f);
  REQUIRE(t);
  CHECK(t->signature == "QB5jKCJTqn7jcPidkkXAazBQBL6VDMY7HumUIM78ROE=");
  CHECK(t->string_to_sign ==
        "devstoreaccount1\nrwdlacup\nbtqf\nsco\n2022-04-16T06:31:48Z\n2022-04-17T06:31:48Z\n"
        "0.0.0.0-255.255.255.255\nhttps,http\n2020-12-06\n\n");
  CHECK(t->query ==
        "sv=2020-12-06&ss=btqf&srt=sco&spr=https%2Chttp&st=2022-04-16T06%3A31%3A48Z"
        "&se=2022-04-17T06%3A31%3A48Z&sip=0.0.0.0-255.255.255.255&sp=rwdlacup"
        "&sig=QB5jKCJTqn7jcPidkkXAazBQBL6VDMY7HumUIM78ROE%3D");
}

TEST_CASE("sas: compute_signature matches every SDK signature in the vectors",
          "[sas][signer][vectors]") {
  const auto& v = sas_test::vectors();
  const auto key1 = *base64_decode(v["key1"].as<std::string>());
  const auto key2 = *base64_decode(v["key2"].as<std::string>());
  size_t checked = 0;
  for (const auto& c : v["cases"]) {
    if (c["string_to_sign"].IsNull() || c["expect"].as<std::string>() != "allow") continue;
    INFO("case " << c["id"].as<std::string>());
    std::string sig;
    for (const auto& p : parse_query(c["query"].as<std::string>())) {
      if (p.name == "sig") sig = p.value;
    }
    const std::string sts = c["string_to_sign"].as<std::string>();
    CHECK((compute_signature(key1, sts) == sig || compute_signature(key2, sts) == sig));
    ++checked;
  }
  CHECK(checked > 200);
}

TEST_CASE("sas: signed tokens verify; the signer refuses what the verifier would",
          "[sas][signer]") {
  const SasAccount acct = sas_test::account();
  SasFields f;
  f.sv = std::string(kNewestVersion);
  f.sr = "b";
  f.sp = "rcw";
  f.st = "2026-06-15T11:00:00Z";
  f.se = "2026-06-15T13:00:00Z";
  f.rsct = "text/plain";
  auto t = sign_service(acct.name, acct.keys[1].secret, "photos", "dir/a b.txt", "", f);
  REQUIRE(t);
  Request r;
  r.method = "PUT";
  r.scheme = "https";
  r.path = "/devstoreaccount1/photos/dir/a%20b.txt";
  r.query = t->query;
  r.client_ip = "192.0.2.1";
  r.now = *parse_time("2026-06-15T12:00:00Z");
  const Verdict v = verify(r, acct, SasUrlStyle::Path, {});
  INFO(v.detail);
  CHECK(v.allow);
  CHECK(v.operation == "PutBlob");

  SasFields bad = f;
  bad.sp = "wr";
  CHECK_FALSE(sign_service(acct.name, acct.keys[0].secret, "photos", "a", "", bad));
  bad = f;
  bad.sv = "2014-02-14";
  CHECK_FALSE(sign_service(acct.name, acct.keys[0].secret, "photos", "a", "", bad));
  bad = f;
  bad.sr = "c";
  CHECK_FALSE(sign_service(acct.name, acct.keys[0].secret, "photos", "a", "", bad));
  SasFields a;
  a.sv = "2019-12-12";
  a.ss = "b";
  a.srt = "o";
  a.sp = "r";
  a.se = "2026-06-15T13:00:00Z";
  a.ses = "scope";
  CHECK_FALSE(sign_account(acct.name, acct.keys[0].secret, a));
  a.ses.clear();
  CHECK(sign_account(acct.name, acct.keys[0].secret, a));
  a.sip = "1.2.3";
  CHECK_FALSE(sign_account(acct.name, acct.keys[0].secret, a));
}
