// Request and response head parsers (RFC 9112 §2-§6). Every case runs split-invariant:
// whole, one byte at a time and in seeded random splits (http1_test_util.h).
#include "gateway/http1/parser.h"

#include <catch2/catch.hpp>

#include <string>

#include "gateway/base/text.h"
#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http1;
using test::parse_request;
using test::parse_response;
using Req = test::HeadOutcome<http::RequestHead>;
using Resp = test::HeadOutcome<http::ResponseHead>;

TEST_CASE("http1: simple GET parses into a RequestHead", "[http1][parser]") {
  const std::string in =
      "GET /a/b?x=1&y=%20 HTTP/1.1\r\n"
      "Host: Example.COM:8443\r\n"
      "User-Agent: curl/8.0\r\n"
      "Accept:  */*  \r\n"
      "X-Empty:\r\n"
      "\r\n";
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.length == in.size());
  const auto& h = r.head;
  CHECK(h.method == "GET");
  CHECK(h.authority == "example.com:8443");
  CHECK(h.host() == "example.com");
  CHECK(h.path == "/a/b");
  CHECK(h.has_query);
  CHECK(h.query == "x=1&y=%20");
  CHECK(h.version == http::Version::Http11);
  CHECK(h.scheme.empty());
  REQUIRE(h.fields.size() == 3);  // Host is not in fields
  CHECK(h.fields[0].name == "user-agent");
  CHECK(h.fields[0].value == "curl/8.0");
  CHECK(h.fields[1].name == "accept");
  CHECK(h.fields[1].value == "*/*");
  CHECK(h.fields[2].name == "x-empty");
  CHECK(h.fields[2].value.empty());
  CHECK_FALSE(h.content_length);
  CHECK_FALSE(h.chunked);
  CHECK(h.keep_alive);
  CHECK_FALSE(h.expect_continue);
  CHECK_FALSE(h.has_body());
}

TEST_CASE("http1: consumed counts only the head bytes of the last input", "[http1][parser]") {
  const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  const std::string all = head + "helloGET / HTTP/1.1\r\n";
  RequestParser p;
  // First piece ends in the middle of the head; the second holds the rest plus the body.
  auto r1 = p.feed(as_bytes(std::string_view(all).substr(0, 10)));
  REQUIRE(std::holds_alternative<NeedMore>(r1));
  CHECK(p.bytes_seen() == 10);
  auto r2 = p.feed(as_bytes(std::string_view(all).substr(10)));
  REQUIRE(std::holds_alternative<Parsed<http::RequestHead>>(r2));
  const auto& parsed = std::get<Parsed<http::RequestHead>>(r2);
  CHECK(parsed.consumed == head.size() - 10);
  CHECK(parsed.value.content_length == 5u);

  SECTION("reset parses the next pipelined request") {
    p.reset();
    CHECK(p.bytes_seen() == 0);
    const std::string next = "GET /two HTTP/1.1\r\nHost: b\r\n\r\n";
    auto r3 = p.feed(as_bytes(next));
    REQUIRE(std::holds_alternative<Parsed<http::RequestHead>>(r3));
    CHECK(std::get<Parsed<http::RequestHead>>(r3).value.path == "/two");
    CHECK(std::get<Parsed<http::RequestHead>>(r3).value.authority == "b");
  }
}

TEST_CASE("http1: an error is sticky until reset", "[http1][parser]") {
  RequestParser p;
  auto r = p.feed(as_bytes("GET / HTTP/1.1\nHost: a\r\n\r\n"));
  REQUIRE(std::holds_alternative<ParseError<Errc>>(r));
  CHECK(std::get<ParseError<Errc>>(r).code == Errc::BareLf);
  CHECK(std::get<ParseError<Errc>>(r).offset == 14);
  auto again = p.feed(as_bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  REQUIRE(std::holds_alternative<ParseError<Errc>>(again));
  CHECK(std::get<ParseError<Errc>>(again).code == Errc::BareLf);
  p.reset();
  CHECK(std::holds_alternative<Parsed<http::RequestHead>>(
      p.feed(as_bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))));
}

TEST_CASE("http1: incomplete heads need more", "[http1][parser]") {
  const auto in =
      GENERATE(as<std::string>{}, "", "G", "GET", "GET /", "GET / HTTP/1.1", "GET / HTTP/1.1\r",
               "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost", "GET / HTTP/1.1\r\nHost: a\r\n",
               "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r\n\r\n");
  INFO(in);
  CHECK(parse_request(in).kind == Req::NeedMore);
}

TEST_CASE("http1: request targets", "[http1][parser]") {
  using Catch::Generators::table;
  auto [line, host, path, query, has_query] =
      GENERATE(table<std::string, std::string, std::string, std::string, bool>({
          {"GET / HTTP/1.1", "a", "/", "", false},
          {"GET /? HTTP/1.1", "a", "/", "", true},
          {"GET /p?q?r=/s HTTP/1.1", "a", "/p", "q?r=/s", true},
          {"GET /%7E%2F;x=[]@!$&'()*+,= HTTP/1.1", "a", "/%7E%2F;x=[]@!$&'()*+,=", "", false},
          {"OPTIONS * HTTP/1.1", "a", "*", "", false},
          {"GET http://a/x?y HTTP/1.1", "a", "/x", "y", true},
          {"GET HTTPS://A:443/x HTTP/1.1", "a:443", "/x", "", false},
          {"GET http://a HTTP/1.1", "a", "/", "", false},
          {"GET http://a?q HTTP/1.1", "a", "/", "q", true},
          {"OPTIONS http://a HTTP/1.1", "a", "*", "", false},
          {"GET http://[::1]:8080/v6 HTTP/1.1", "[::1]:8080", "/v6", "", false},
      }));
  const std::string in = line + "\r\nHost: " + host + "\r\n\r\n";
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.head.path == path);
  CHECK(r.head.query == query);
  CHECK(r.head.has_query == has_query);
  CHECK(r.head.authority == to_lower(host));
}

TEST_CASE("http1: request line and target refusals", "[http1][parser]") {
  using Catch::Generators::table;
  auto [line, want] = GENERATE(table<std::string, Errc>({
      {"GET  / HTTP/1.1", Errc::BadRequestLine},
      {" GET / HTTP/1.1", Errc::BadRequestLine},
      {"GET / HTTP/1.1 ", Errc::BadRequestLine},
      {"GET /  HTTP/1.1", Errc::BadRequestLine},
      {"GET / ", Errc::BadVersion},
      {"GET /", Errc::BadRequestLine},
      {"GET\t/ HTTP/1.1", Errc::BadMethod},
      {"G@T / HTTP/1.1", Errc::BadMethod},
      {"GET /a\tb HTTP/1.1", Errc::BadTarget},
      {"GET /a\x7f HTTP/1.1", Errc::BadTarget},
      {"GET /\xc3\xa9 HTTP/1.1", Errc::BadTarget},
      {"GET /a#frag HTTP/1.1", Errc::BadTarget},
      {"GET a/b HTTP/1.1", Errc::BadTarget},
      {"GET * HTTP/1.1", Errc::BadTarget},
      {"GET a:443 HTTP/1.1", Errc::BadTarget},
      {"GET ftp://a/ HTTP/1.1", Errc::BadTarget},
      {"GET http:///x HTTP/1.1", Errc::BadTarget},
      {"GET http://u@a/x HTTP/1.1", Errc::BadTarget},
      {"GET http://a:99999/x HTTP/1.1", Errc::BadTarget},
      {"CONNECT a:443 HTTP/1.1", Errc::ConnectRefused},
      {"GET / http/1.1", Errc::BadVersion},
      {"GET / HTTP/1.1x", Errc::BadVersion},
      {"GET / HTTP/1.", Errc::BadVersion},
      {"GET / HTTP/11", Errc::BadVersion},
      {"GET / HTTP/1.10", Errc::BadVersion},
      {"GET / HTTPS/1.1", Errc::BadVersion},
      {"GET / HTTP/2.0", Errc::UnsupportedVersion},
      {"GET / HTTP/1.2", Errc::UnsupportedVersion},
      {"GET / HTTP/0.9", Errc::UnsupportedVersion},
      {"GET / HTTP/3.0", Errc::UnsupportedVersion},
  }));
  const std::string in = line + "\r\nHost: a\r\n\r\n";
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == want);
}

TEST_CASE("http1: line endings are CRLF only", "[http1][parser]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, Errc>({
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", Errc::BareLf},
      {"GET / HTTP/1.1\r\nHost: a\n\r\n", Errc::BareLf},
      {"GET / HTTP/1.1\r\nHost: a\r\n\n", Errc::BareLf},
      {"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", Errc::BareCr},
      {"GET / HTTP/1.1\rHost: a\r\n\r\n", Errc::BareCr},
      {"GET / HTTP/1.1\r\nHost: a\r\n\rX", Errc::BareCr},
      {"GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", Errc::BareCr},
      {"GET\n/ HTTP/1.1\r\n\r\n", Errc::BareLf},
      {"GET /\n HTTP/1.1\r\n\r\n", Errc::BareLf},
      {"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Errc::BareLf},
      {"\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", Errc::BareCr},
      {"GET /\r HTTP/1.1\r\n\r\n", Errc::BadRequestLine},
      {"GET\r / HTTP/1.1\r\n\r\n", Errc::BadRequestLine},
  }));
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == want);
}

TEST_CASE("http1: empty lines before the request line are skipped", "[http1][parser]") {
  const std::string in = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.length == in.size());
  CHECK(r.head.method == "GET");

  SECTION("and error offsets count them") {
    const auto e = parse_request("\r\nGET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n");
    REQUIRE(e.kind == Req::Error);
    CHECK(e.code == Errc::WhitespaceBeforeColon);
    CHECK(e.offset == 28);
  }
}

TEST_CASE("http1: field line refusals", "[http1][parser]") {
  using Catch::Generators::table;
  auto [fields, want] = GENERATE(table<std::string, Errc>({
      {"X-A : b\r\n", Errc::WhitespaceBeforeColon},
      {"X-A\t: b\r\n", Errc::WhitespaceBeforeColon},
      {"X A: b\r\n", Errc::WhitespaceBeforeColon},
      {" X-A: b\r\n", Errc::ObsFold},
      {"\tX-A: b\r\n", Errc::ObsFold},
      {"X-A: a\r\n b\r\n", Errc::ObsFold},
      {"X-A: a\r\n\tb\r\n", Errc::ObsFold},
      {": b\r\n", Errc::BadFieldName},
      {"X-A b\r\n", Errc::WhitespaceBeforeColon},
      {"X-A\r\n", Errc::BadFieldName},
      {"X(A): b\r\n", Errc::BadFieldName},
      {"X\xc3\xa9: b\r\n", Errc::BadFieldName},
      {"X-A: a\x01\r\n", Errc::BadFieldValue},
      {"X-A: a\x7f\r\n", Errc::BadFieldValue},
      {"X-A: \x0b\r\n", Errc::BadFieldValue},
      {std::string("X-A: a\0b\r\n", 10), Errc::BadFieldValue},
      {"X-A: a\nb\r\n", Errc::BareLf},
      {"X-A: a\rb\r\n", Errc::BareCr},
      {"X-A\n: b\r\n", Errc::BareLf},
  }));
  const std::string in = "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == want);
}

TEST_CASE("http1: field values keep obs-text and inner whitespace", "[http1][parser]") {
  const std::string in =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9 \t au  lait\t\r\nX-Tab:\t\tv\r\n\r\n";
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Parsed);
  REQUIRE(r.head.fields.size() == 2);
  CHECK(r.head.fields[0].value == "caf\xe9 \t au  lait");
  CHECK(r.head.fields[1].value == "v");
}

TEST_CASE("http1: Host rules", "[http1][parser]") {
  using Catch::Generators::table;
  auto [head, want] = GENERATE(table<std::string, Errc>({
      {"GET / HTTP/1.1\r\n\r\n", Errc::MissingHost},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", Errc::DuplicateHost},
      {"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", Errc::DuplicateHost},
      {"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", Errc::DuplicateHost},
      {"GET / HTTP/1.1\r\nHost:\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a:\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: [a.b]\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: a%2eb\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: caf\xe9\r\n\r\n", Errc::BadHost},
      {"GET / HTTP/1.1\r\nHost: :80\r\n\r\n", Errc::BadHost},
      {"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", Errc::HostMismatch},
      {"GET http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", Errc::HostMismatch},
      {"GET http://a/ HTTP/1.0\r\n\r\n", Errc::MissingHost},
  }));
  INFO(head);
  const auto r = parse_request(head);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == want);
}

TEST_CASE("http1: accepted hosts are lowercased", "[http1][parser]") {
  const auto host = GENERATE(as<std::string>{}, "a", "EXAMPLE.com", "x-y.z_w~v:1", "10.0.0.1:65535",
                             "[2001:DB8::1]", "[::ffff:10.0.0.1]:443");
  const auto r = parse_request("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.head.authority == to_lower(host));
}

TEST_CASE("http1: HTTP/1.0 without Host is accepted", "[http1][parser]") {
  const auto r = parse_request("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.head.authority.empty());
  CHECK(r.head.version == http::Version::Http10);
  CHECK_FALSE(r.head.keep_alive);
}

TEST_CASE("http1: framing fields", "[http1][parser]") {
  SECTION("Content-Length") {
    const auto r = parse_request("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0012\r\n\r\n");
    REQUIRE(r.kind == Req::Parsed);
    CHECK(r.head.content_length == 12u);
    CHECK_FALSE(r.head.chunked);
    REQUIRE(r.head.fields.size() == 1);
    CHECK(r.head.fields[0].name == "content-length");
    CHECK(request_framing(r.head) == BodyFraming::of_length(12));
  }
  SECTION("Content-Length at the 64-bit limit") {
    const auto r =
        parse_request("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n");
    REQUIRE(r.kind == Req::Parsed);
    CHECK(r.head.content_length == UINT64_MAX);
  }
  SECTION("Content-Length: 0") {
    const auto r = parse_request("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(r.kind == Req::Parsed);
    CHECK(r.head.content_length == 0u);
    CHECK_FALSE(r.head.has_body());
    CHECK(request_framing(r.head) == BodyFraming::of_length(0));
  }
  SECTION("chunked, any case, OWS trimmed") {
    const auto te = GENERATE(as<std::string>{}, "chunked", "Chunked", "CHUNKED", "\tchunked \t");
    const auto r =
        parse_request("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:" + te + "\r\n\r\n");
    REQUIRE(r.kind == Req::Parsed);
    CHECK(r.head.chunked);
    CHECK_FALSE(r.head.content_length);
    CHECK(request_framing(r.head) == BodyFraming::chunked());
  }
  SECTION("no framing") {
    const auto r = parse_request("POST /x HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(r.kind == Req::Parsed);
    CHECK(request_framing(r.head) == BodyFraming::none());
  }
}

TEST_CASE("http1: framing refusals", "[http1][parser]") {
  using Catch::Generators::table;
  auto [fields, want] = GENERATE(table<std::string, Errc>({
      {"Content-Length: 1\r\nContent-Length: 2\r\n", Errc::DuplicateContentLength},
      {"Content-Length: 1\r\nContent-Length: 1\r\n", Errc::DuplicateContentLength},
      {"Content-Length: 1, 1\r\n", Errc::DuplicateContentLength},
      {"Content-Length: 1,\r\n", Errc::DuplicateContentLength},
      {"Content-Length:\r\n", Errc::BadContentLength},
      {"Content-Length: -1\r\n", Errc::BadContentLength},
      {"Content-Length: +1\r\n", Errc::BadContentLength},
      {"Content-Length: 0x1\r\n", Errc::BadContentLength},
      {"Content-Length: 1 1\r\n", Errc::BadContentLength},
      {"Content-Length: 1.0\r\n", Errc::BadContentLength},
      {"Content-Length: \"1\"\r\n", Errc::BadContentLength},
      {"Content-Length: 18446744073709551616\r\n", Errc::BadContentLength},
      {"Content-Length: \xd9\xa1\r\n", Errc::BadContentLength},
      {"Transfer-Encoding: chunked\r\nContent-Length: 1\r\n", Errc::ContentLengthWithChunked},
      {"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n", Errc::ContentLengthWithChunked},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
       Errc::DuplicateTransferEncoding},
      {"Transfer-Encoding:\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: \"chunked\"\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: chunked;q=1\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: chunked,\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: ,chunked\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: chunked, chunked\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: \xa0"
       "chunked\r\n",
       Errc::BadTransferEncoding},
      {"Transfer-Encoding: chunk\xc3\xa9\r\n", Errc::BadTransferEncoding},
      {"Transfer-Encoding: gzip\r\n", Errc::TransferEncodingNotChunked},
      {"Transfer-Encoding: identity\r\n", Errc::TransferEncodingNotChunked},
      {"Transfer-Encoding: chunked, gzip\r\n", Errc::TransferEncodingNotChunked},
      {"Transfer-Encoding: xchunked\r\n", Errc::TransferEncodingNotChunked},
      {"Transfer-Encoding: gzip, chunked\r\n", Errc::UnsupportedTransferCoding},
      {"Connection: close, content-length\r\n", Errc::ConnectionNamesFraming},
      {"Connection: Transfer-Encoding\r\n", Errc::ConnectionNamesFraming},
      {"Connection: host\r\n", Errc::ConnectionNamesFraming},
      {"Connection: \"close\"\r\n", Errc::BadConnection},
      {"Connection: a b\r\n", Errc::BadConnection},
      {"Expect: 100-continue, x\r\n", Errc::UnsupportedExpectation},
      {"Expect: 200-ok\r\n", Errc::UnsupportedExpectation},
  }));
  const std::string in = "POST /x HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == want);
  CHECK(refusal(r.code).status >= 400);
}

TEST_CASE("http1: Transfer-Encoding in HTTP/1.0 is refused", "[http1][parser]") {
  const auto r = parse_request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == Errc::TransferEncodingInHttp10);
}

TEST_CASE("http1: names that only resemble framing fields are plain fields", "[http1][parser]") {
  const auto r = parse_request(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\nContent_Length: 9\r\n"
      "Content-Length: 3\r\n\r\n");
  REQUIRE(r.kind == Req::Parsed);
  CHECK_FALSE(r.head.chunked);
  CHECK(r.head.content_length == 3u);
  REQUIRE(r.head.fields.size() == 3);
  CHECK(r.head.fields[0].name == "transfer_encoding");
  CHECK(r.head.fields[1].name == "content_length");
}

TEST_CASE("http1: persistence and Expect", "[http1][parser]") {
  using Catch::Generators::table;
  auto [version, fields, keep_alive, expect] =
      GENERATE(table<std::string, std::string, bool, bool>({
          {"HTTP/1.1", "", true, false},
          {"HTTP/1.1", "Connection: close\r\n", false, false},
          {"HTTP/1.1", "Connection: Keep-Alive, CLOSE\r\n", false, false},
          {"HTTP/1.1", "Connection: upgrade\r\nConnection: close\r\n", false, false},
          {"HTTP/1.1", "Connection: ,, keep-alive ,\r\n", true, false},
          {"HTTP/1.0", "", false, false},
          {"HTTP/1.0", "Connection: keep-alive\r\n", true, false},
          {"HTTP/1.0", "Connection: keep-alive, close\r\n", false, false},
          {"HTTP/1.1", "Expect: 100-continue\r\n", true, true},
          {"HTTP/1.1", "Expect: 100-Continue\r\n", true, true},
          {"HTTP/1.0", "Expect: 100-continue\r\n", false, false},
      }));
  const std::string in = "POST / " + version + "\r\nHost: a\r\n" + fields + "\r\n";
  INFO(in);
  const auto r = parse_request(in);
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.head.keep_alive == keep_alive);
  CHECK(r.head.expect_continue == expect);
}

TEST_CASE("http1: Upgrade requests parse; the upgrade is not the parser's business",
          "[http1][parser]") {
  const auto r = parse_request(
      "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
      "Connection: Upgrade, HTTP2-Settings\r\n\r\n");
  REQUIRE(r.kind == Req::Parsed);
  CHECK(r.head.fields.size() == 3);
  CHECK(r.head.keep_alive);
}

TEST_CASE("http1: head limits", "[http1][parser]") {
  ParserLimits lim;
  lim.max_head_bytes = 64;
  lim.max_header_count = 3;
  lim.max_target_bytes = 16;

  SECTION("a head of exactly max_head_bytes is accepted, one more byte is not") {
    std::string in = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    in += std::string(64 - in.size() - 4, 'v') + "\r\n\r\n";
    REQUIRE(in.size() == 64);
    CHECK(parse_request(in, lim).kind == Req::Parsed);
    in.insert(in.size() - 4, "v");
    const auto r = parse_request(in, lim);
    REQUIRE(r.kind == Req::Error);
    CHECK(r.code == Errc::HeadTooLarge);
    CHECK(r.offset == 64);
    CHECK(refusal(r.code).status == 431);
  }
  SECTION("the limit holds without a line end in sight") {
    const auto r = parse_request("GET / HTTP/1.1\r\nX: " + std::string(200, 'v'), lim);
    REQUIRE(r.kind == Req::Error);
    CHECK(r.code == Errc::HeadTooLarge);
  }
  SECTION("empty lines before the request line count") {
    std::string in;
    for (int i = 0; i < 40; ++i) in += "\r\n";
    const auto r = parse_request(in, lim);
    REQUIRE(r.kind == Req::Error);
    CHECK(r.code == Errc::HeadTooLarge);
  }
  SECTION("field count") {
    CHECK(parse_request("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", lim).kind ==
          Req::Parsed);
    const auto r = parse_request("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim);
    REQUIRE(r.kind == Req::Error);
    CHECK(r.code == Errc::TooManyFields);
    CHECK(refusal(r.code).status == 431);
  }
  SECTION("target length") {
    CHECK(parse_request("GET /123456789012345 HTTP/1.1\r\nHost: a\r\n\r\n", lim).kind ==
          Req::Parsed);
    const auto r = parse_request("GET /1234567890123456 HTTP/1.1\r\nHost: a\r\n\r\n", lim);
    REQUIRE(r.kind == Req::Error);
    CHECK(r.code == Errc::UriTooLong);
    CHECK(refusal(r.code).status == 414);
  }
  SECTION("default limits take a 16 KiB head") {
    std::string in = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ";
    in += std::string(16 * 1024 - in.size() - 4, 'b') + "\r\n\r\n";
    CHECK(parse_request(in).kind == Req::Parsed);
    in.insert(in.size() - 4, "b");
    CHECK(parse_request(in).code == Errc::HeadTooLarge);
  }
}

TEST_CASE("http1: the first refusal in the byte stream wins", "[http1][parser]") {
  // A syntax error before the size limit is reported as the syntax error, whatever the split.
  ParserLimits lim;
  lim.max_head_bytes = 32;
  const auto r = parse_request("GET / HTTP/1.1\r\nX : y" + std::string(100, 'z'), lim);
  REQUIRE(r.kind == Req::Error);
  CHECK(r.code == Errc::WhitespaceBeforeColon);
  CHECK(r.offset == 17);
}

TEST_CASE("http1: every Errc has a refusal", "[http1][errors]") {
  for (int i = 0; i <= static_cast<int>(Errc::BodyTruncated); ++i) {
    const Refusal rf = refusal(static_cast<Errc>(i));
    INFO(i);
    CHECK(rf.status >= 400);
    CHECK(rf.label != "internal");
    CHECK_FALSE(rf.body.empty());
    CHECK(rf.body.back() == '\n');
  }
}

// ---------------------------------------------------------------------------------------
// ResponseParser

TEST_CASE("http1: responses parse with RFC 9112 §6.3 framing", "[http1][response]") {
  using Catch::Generators::table;
  auto [method, in, kind, until_close, keep_alive] =
      GENERATE(table<std::string, std::string, BodyKind, bool, bool>({
          {"GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", BodyKind::Length, false, true},
          {"GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", BodyKind::Chunked, false,
           true},
          {"GET", "HTTP/1.1 200 OK\r\n\r\n", BodyKind::UntilClose, true, false},
          {"GET", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", BodyKind::Length, false, false},
          {"GET", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
           BodyKind::Length, false, true},
          {"GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
           BodyKind::Length, false, false},
          {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", BodyKind::None, false, true},
          {"HEAD", "HTTP/1.1 200 OK\r\n\r\n", BodyKind::None, false, true},
          {"HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", BodyKind::None, false,
           true},
          {"GET", "HTTP/1.1 204 No Content\r\n\r\n", BodyKind::None, false, true},
          {"GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", BodyKind::None, false,
           true},
          {"GET", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", BodyKind::Length, false, true},
          {"GET", "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", BodyKind::Length, false, true},
      }));
  INFO(method << " " << in);
  const auto r = parse_response(in, method);
  REQUIRE(r.kind == Resp::Parsed);
  CHECK(r.length == in.size());
  CHECK(response_framing(r.head, method).kind == kind);
  CHECK(r.head.until_close == until_close);
  CHECK(r.head.keep_alive == keep_alive);
}

TEST_CASE("http1: response head fields", "[http1][response]") {
  const auto r = parse_response(
      "HTTP/1.1 200 Very OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nHost: kept\r\n\r\n");
  REQUIRE(r.kind == Resp::Parsed);
  CHECK(r.head.status == 200);
  CHECK(r.head.reason == "Very OK");
  CHECK(r.head.version == http::Version::Http11);
  CHECK(r.head.content_length == 3u);
  REQUIRE(r.head.fields.size() == 5);
  CHECK(r.head.fields[2].value == "a=1");
  CHECK(r.head.fields[3].value == "b=2");
  CHECK(r.head.fields[4].name == "host");
}

TEST_CASE("http1: interim responses are returned; 101 is refused", "[http1][response]") {
  const std::string in =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ResponseParser p("POST");
  BytesView rest = as_bytes(in);
  std::vector<uint16_t> statuses;
  while (true) {
    auto r = p.feed(rest);
    REQUIRE(std::holds_alternative<Parsed<http::ResponseHead>>(r));
    auto& parsed = std::get<Parsed<http::ResponseHead>>(r);
    statuses.push_back(parsed.value.status);
    rest = rest.subspan(parsed.consumed);
    if (parsed.value.status >= 200) {
      CHECK(parsed.value.content_length == 2u);
      break;
    }
    CHECK(response_framing(parsed.value, "POST") == BodyFraming::none());
    p.reset("POST");
  }
  CHECK(statuses == std::vector<uint16_t>{100, 103, 200});
  CHECK(as_chars(rest) == "ok");

  const auto up = parse_response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
  REQUIRE(up.kind == Resp::Error);
  CHECK(up.code == Errc::UnexpectedUpgrade);
}

TEST_CASE("http1: response refusals", "[http1][response]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, Errc>({
      {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", Errc::BareLf},
      {"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", Errc::BareCr},
      {"HTTP/1.1 200 OK\r\nX : a\r\n\r\n", Errc::WhitespaceBeforeColon},
      {"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", Errc::ObsFold},
      {"HTTP/1.1  200 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 20 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 2000 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 099 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 600 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", Errc::BadStatusLine},
      {"http/1.1 200 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1x 200 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/2.0 200 OK\r\n\r\n", Errc::UnsupportedVersion},
      {"\r\nHTTP/1.1 200 OK\r\n\r\n", Errc::BadStatusLine},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
       Errc::DuplicateContentLength},
      {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", Errc::BadContentLength},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Errc::TransferEncodingNotChunked},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
       Errc::ContentLengthWithChunked},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Errc::TransferEncodingInHttp10},
      {"HTTP/1.1 200 OK\r\nConnection: a b\r\n\r\n", Errc::BadConnection},
  }));
  INFO(in);
  const auto r = parse_response(in);
  REQUIRE(r.kind == Resp::Error);
  CHECK(r.code == want);
}

TEST_CASE("http1: response head limits", "[http1][response]") {
  ParserLimits lim;
  lim.max_head_bytes = 40;
  lim.max_header_count = 1;
  CHECK(parse_response("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", "GET", lim).code ==
        Errc::TooManyFields);
  CHECK(parse_response("HTTP/1.1 200 OK\r\nA: " + std::string(40, 'x'), "GET", lim).code ==
        Errc::HeadTooLarge);
}
