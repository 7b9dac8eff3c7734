// gateway/http/field_rules: character classes, authority syntax, and the rewrites a proxy
// makes before forwarding (RFC 9110 §7.6.1 hop-by-hop fields, X-Forwarded-*, RFC 7239).
#include "gateway/http/field_rules.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http;

namespace {

std::vector<std::string> names(const Fields& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.name);
  return out;
}

std::string value(const Fields& f, std::string_view n) {
  const Field* x = find(f, n);
  return x ? x->value : "<none>";
}

RequestHead parsed(const std::string& in) {
  const auto r = http1::test::parse_request(in);
  REQUIRE(r.kind == http1::test::HeadOutcome<RequestHead>::Parsed);
  return r.head;
}

}  // namespace

TEST_CASE("http: character classes", "[http][field_rules]") {
  CHECK(is_token("GET"));
  CHECK(is_token("x-!#$%&'*+.^_`|~09AZaz"));
  CHECK_FALSE(is_token(""));
  CHECK_FALSE(is_token("a b"));
  CHECK_FALSE(is_token("a:b"));
  CHECK_FALSE(is_token("\"a\""));
  CHECK_FALSE(is_token("a\xe9"));
  CHECK(is_field_value(""));
  CHECK(is_field_value("a \t b\xff"));
  CHECK_FALSE(is_field_value(" a"));
  CHECK_FALSE(is_field_value("a\t"));
  CHECK_FALSE(is_field_value("a\rb"));
  CHECK_FALSE(is_field_value("a\nb"));
  CHECK_FALSE(is_field_value(std::string("a\0b", 3)));
  CHECK_FALSE(is_field_value("a\x7f"));
  for (int c = 0; c < 256; ++c) {
    const bool ctl = c < 0x20 || c == 0x7f;
    INFO(c);
    CHECK(is_field_vchar(static_cast<uint8_t>(c)) == (!ctl || c == '\t'));
  }
}

TEST_CASE("http: authority syntax", "[http][field_rules]") {
  const auto good = GENERATE(as<std::string>{}, "a", "a.b.c", "A-B_c~d", "10.0.0.1", "h:0",
                             "h:65535", "[::1]", "[::]", "[2001:db8::a:B]:443", "[::ffff:1.2.3.4]");
  CHECK(is_valid_authority(good));
  const auto bad = GENERATE(as<std::string>{}, "", ":80", "a:", "a:65536", "a:123456", "a:-1",
                            "u@a", "a b", "a/b", "a?b", "a#b", "a%41", "a,b", "[::1", "[]",
                            "[::1]:", "[::1]a", "[g::1]", "[1.2.3.4]", "a:1:2", "caf\xe9");
  CHECK_FALSE(is_valid_authority(bad));
}

TEST_CASE("http: prepare_backend_request strips hop-by-hop fields", "[http][field_rules]") {
  auto h = parsed(
      "POST /x HTTP/1.1\r\nHost: App.Example\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
      "Trailer: X-T\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Secret, keep-alive\r\n"
      "X-Secret: s\r\nHTTP2-Settings: AAA\r\nProxy-Authorization: Basic abc\r\n"
      "Authorization: Bearer t\r\nContent-Length: 3\r\nAccept: */*\r\n"
      "X_Forwarded_For: 6.6.6.6\r\nTransfer_Encoding: chunked\r\nHost_: kept\r\n"
      "My_Field: kept\r\nExpect: 100-continue\r\n\r\n");
  prepare_backend_request(h, "192.0.2.7", "https");
  CHECK(names(h.fields) == std::vector<std::string>{"authorization", "accept", "host_", "my_field",
                                                    "expect", "x-forwarded-for",
                                                    "x-forwarded-proto", "forwarded"});
  CHECK(value(h.fields, "x-forwarded-for") == "192.0.2.7");
  CHECK(value(h.fields, "x-forwarded-proto") == "https");
  CHECK(value(h.fields, "forwarded") == "for=192.0.2.7;proto=https;host=app.example");
  // Framing is untouched: the serializer writes it from the head.
  CHECK(h.content_length == 3u);
  CHECK(h.authority == "app.example");
}

TEST_CASE("http: h2c upgrade attempts lose their upgrade fields", "[http][field_rules]") {
  auto h = parsed(
      "GET /sm/x HTTP/1.1\r\nHost: localhost\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n");
  prepare_backend_request(h, "127.0.0.1", "https");
  CHECK(find(h.fields, "upgrade") == nullptr);
  CHECK(find(h.fields, "http2-settings") == nullptr);
  CHECK(find(h.fields, "connection") == nullptr);
}

TEST_CASE("http: X-Forwarded-* and Forwarded", "[http][field_rules]") {
  SECTION("existing values are joined and ours appended") {
    auto h = parsed(
        "GET / HTTP/1.1\r\nHost: h:8443\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\n"
        "X-Forwarded-Proto: http\r\nForwarded: for=1.1.1.1\r\nX-Forwarded-For: 3.3.3.3\r\n"
        "Forwarded: for=2.2.2.2;proto=http\r\n\r\n");
    prepare_backend_request(h, "2001:db8::1", "https");
    CHECK(value(h.fields, "x-forwarded-for") == "1.1.1.1, 2.2.2.2, 3.3.3.3, 2001:db8::1");
    CHECK(value(h.fields, "x-forwarded-proto") == "https");
    CHECK(value(h.fields, "forwarded") ==
          "for=1.1.1.1, for=2.2.2.2;proto=http, "
          "for=\"[2001:db8::1]\";proto=https;host=\"h:8443\"");
    size_t xff = 0;
    for (const auto& f : h.fields) xff += f.name == "x-forwarded-for";
    CHECK(xff == 1);
  }
  SECTION("bracketed IPv6 and IPv6 hosts") {
    auto h = parsed("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    prepare_backend_request(h, "[::1]", "http");
    CHECK(value(h.fields, "x-forwarded-for") == "::1");
    CHECK(value(h.fields, "forwarded") == "for=\"[::1]\";proto=http;host=\"[::1]\"");
  }
  SECTION("unknown client and no authority") {
    auto h = parsed("GET / HTTP/1.0\r\n\r\n");
    prepare_backend_request(h, "", "https");
    CHECK(value(h.fields, "x-forwarded-for") == "unknown");
    CHECK(value(h.fields, "forwarded") == "for=unknown;proto=https");
  }
}

TEST_CASE("http: prepare_client_response strips hop-by-hop fields", "[http][field_rules]") {
  const auto r = http1::test::parse_response(
      "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nConnection: close, X-Internal\r\n"
      "X-Internal: 1\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nTE: x\r\n"
      "Trailer: X-T\r\nUpgrade: h2c\r\nProxy-Connection: close\r\nProxy-Authenticate: Basic\r\n"
      "HTTP2-Settings: AAA\r\nSet-Cookie: a=b\r\nX-Forwarded-For: 9.9.9.9\r\n\r\n");
  REQUIRE(r.kind == http1::test::HeadOutcome<ResponseHead>::Parsed);
  ResponseHead h = r.head;
  prepare_client_response(h);
  CHECK(names(h.fields) ==
        std::vector<std::string>{"content-type", "set-cookie", "x-forwarded-for"});
  CHECK(h.chunked);
  CHECK_FALSE(h.keep_alive);
}
