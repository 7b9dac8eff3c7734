// HTTPS-only: a plain-HTTP listener refuses (400 AccountRequiresHttps) or redirects (308).
#include <catch2/catch.hpp>

#include <string>

#include "policy/https_only.h"

namespace {

using namespace intransit;
using policy::Listener;
using policy::plain_http_response;
using policy::PlainHttpAction;

http::RequestHead request(std::string authority, std::string path, std::string query = {},
                          bool has_query = false) {
  http::RequestHead h;
  h.method = "GET";
  h.scheme = "http";
  h.authority = std::move(authority);
  h.path = std::move(path);
  h.query = std::move(query);
  h.has_query = has_query;
  return h;
}

std::string field(const http::ResponseHead& h, std::string_view name) {
  const http::Field* f = http::find(h.fields, name);
  return f == nullptr ? std::string("(absent)") : f->value;
}

Listener redirecting(uint16_t port) {
  Listener l;
  l.name = "plain";
  l.kind = policy::ListenerKind::Http;
  l.plain_http = PlainHttpAction::Redirect;
  l.redirect_https_port = port;
  return l;
}

void check_refusal(const policy::PlainResponse& r) {
  CHECK(r.action == PlainHttpAction::Refuse);
  CHECK(r.label == "https_required");
  CHECK(r.head.status == 400);
  CHECK(field(r.head, "x-ms-error-code") == "AccountRequiresHttps");
  CHECK(field(r.head, "content-type") == "application/xml");
  CHECK(r.body ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AccountRequiresHttps</Code>"
        "<Message>The account being accessed does not support http. HTTPS is required."
        "</Message></Error>");
  CHECK(r.head.content_length == r.body.size());
  CHECK_FALSE(r.head.keep_alive);
}

}  // namespace

TEST_CASE("policy: plain http is refused with AccountRequiresHttps", "[policy][https_only]") {
  Listener l;
  l.kind = policy::ListenerKind::Http;
  l.plain_http = PlainHttpAction::Refuse;
  const auto r = plain_http_response(l, request("acct.blob.example:80", "/c/b", "sv=1", true));
  check_refusal(r);
  // Nothing from the request is echoed, whatever it holds.
  const auto evil = plain_http_response(l, request("x", "/<script>&amp;\"'", "<a>", true));
  CHECK(evil.body == r.body);
}

TEST_CASE("policy: plain http redirects with 308 to the https URL", "[policy][https_only]") {
  using Catch::Generators::table;
  auto [port, authority, path, query, has_query, want] =
      GENERATE(table<uint16_t, std::string, std::string, std::string, bool, std::string>({
          {443, "example.com", "/", "", false, "https://example.com/"},
          {443, "example.com:80", "/a/b", "x=1&y=2", true, "https://example.com/a/b?x=1&y=2"},
          {443, "Example.COM:8080", "/a", "", true, "https://example.com/a?"},
          {8443, "example.com", "/a", "", false, "https://example.com:8443/a"},
          {8443, "127.0.0.1:8080", "/", "q", true, "https://127.0.0.1:8443/?q"},
          {443, "[::1]:8080", "/v6", "", false, "https://[::1]/v6"},
          {9443, "[2001:db8::1]", "/v6", "", false, "https://[2001:db8::1]:9443/v6"},
          {443, "example.com", "/sp ace\x01\xff", "a b", true,
           "https://example.com/sp%20ace%01%FF?a%20b"},
      }));
  INFO(authority << path);
  const auto r = plain_http_response(redirecting(port), request(authority, path, query, has_query));
  CHECK(r.action == PlainHttpAction::Redirect);
  CHECK(r.label == "redirected");
  CHECK(r.head.status == 308);
  CHECK(field(r.head, "location") == want);
  CHECK(r.head.content_length == r.body.size());
  CHECK_FALSE(r.head.keep_alive);
  CHECK(r.body.find("HTTPS") != std::string::npos);
}

TEST_CASE("policy: a redirect without a usable host is refused instead", "[policy][https_only]") {
  for (const char* authority : {"", ":80", "[::1", "[::1]x", "[zz::1]:80", "exa mple.com",
                                "evil.com/x", "a@b.com", "example.com:8o", "[fe80::1%25eth0]"}) {
    INFO("authority: " << authority);
    check_refusal(plain_http_response(redirecting(443), request(authority, "/x")));
  }
  // OPTIONS * has no path to redirect to.
  check_refusal(plain_http_response(redirecting(443), request("example.com", "*")));
}
