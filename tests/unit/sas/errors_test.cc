#include "policy/sas/errors.h"

#include <catch2/catch.hpp>

using namespace intransit::policy::sas;

TEST_CASE("sas: every refusal has Azure's status and code", "[sas][errors]") {
  CHECK(info(Errc::HttpNotAllowed).status == 400);
  CHECK(info(Errc::HttpNotAllowed).code == "AccountRequiresHttps");
  CHECK(info(Errc::SignatureMismatch).code == "AuthenticationFailed");
  CHECK(info(Errc::Expired).code == "AuthenticationFailed");
  CHECK(info(Errc::IpMismatch).code == "AuthorizationSourceIPMismatch");
  CHECK(info(Errc::ProtocolMismatch).code == "AuthorizationProtocolMismatch");
  CHECK(info(Errc::ServiceMismatch).code == "AuthorizationServiceMismatch");
  CHECK(info(Errc::ResourceTypeMismatch).code == "AuthorizationResourceTypeMismatch");
  CHECK(info(Errc::PermissionMismatch).code == "AuthorizationPermissionMismatch");
  CHECK(info(Errc::OperationNotAllowed).code == "AuthorizationFailure");
  for (int e = 0; e <= static_cast<int>(Errc::OperationNotAllowed); ++e) {
    const auto i = info(static_cast<Errc>(e));
    INFO(i.label);
    CHECK((i.status == 400 || i.status == 403));
    CHECK_FALSE(i.label.empty());
    CHECK_FALSE(i.message.empty());
  }
}

TEST_CASE("sas: the XML body escapes everything it echoes", "[sas][errors]") {
  CHECK(xml_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  CHECK(xml_escape("line\nnext\ttab") == "line\nnext\ttab");
  CHECK(xml_escape(std::string("nul\0bell\x07", 9)) == "nul?bell?");
  CHECK(xml_escape("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(xml_escape("bad\xFF\xC3") == "bad??");
  CHECK(xml_escape("\xEF\xBF\xBE") == "???");  // U+FFFE is not an XML character

  ErrorBody b;
  b.code = "AuthenticationFailed";
  b.message = "Server failed.";
  b.time = "2026-06-15T12:00:00.0000000Z";
  b.auth_detail = "Signature did not match. String to sign used was r\n</Error><x>";
  const std::string x = error_xml(b);
  CHECK(
      x.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed"
                    "</Code><Message>Server failed.\nTime:2026-06-15T12:00:00.0000000Z"
                    "</Message><AuthenticationErrorDetail>"));
  CHECK(x.find("&lt;/Error&gt;&lt;x&gt;") != std::string::npos);
  CHECK(x.ends_with("</AuthenticationErrorDetail></Error>"));
  CHECK(x.find("RequestId") == std::string::npos);
  b.request_id = "r-1";
  b.account_name = "acct<1>";
  const std::string y = error_xml(b);
  CHECK(y.find("\nRequestId:r-1\nTime:") != std::string::npos);
  CHECK(y.find("<AccountName>acct&lt;1&gt;</AccountName>") != std::string::npos);
}
