// Head writers: exact bytes, framing from BodyFraming only, refusal of anything that could
// inject a line, and round trips (serialize → parse gives the same head).
#include "gateway/http1/serializer.h"

#include <catch2/catch.hpp>

#include <string>

#include "gateway/base/text.h"
#include "gateway/http/field_rules.h"
#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http1;

namespace {

std::string drain(ByteQueue& q) {
  std::string s(q.size(), '\0');
  q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  q.consume(q.size());
  return s;
}

http::RequestHead sample_request() {
  http::RequestHead h;
  h.method = "POST";
  h.authority = "api.example:8443";
  h.path = "/v1/items";
  h.query = "a=1";
  h.has_query = true;
  h.fields = {{"user-agent", "t/1"},
              {"content-length", "999"},      // never copied: framing comes from BodyFraming
              {"transfer-encoding", "gzip"},  // never copied
              {"host", "evil"},               // never copied: Host comes from authority
              {"connection", "upgrade"},      // never copied: persistence from keep_alive
              {"x-a", "caf\xe9"}};
  return h;
}

// Drops the fields the writers own, which move to the end on a round trip.
template <class Head>
Head without_managed(Head h) {
  std::erase_if(h.fields, [](const http::Field& f) {
    return f.name == "content-length" || f.name == "transfer-encoding" || f.name == "connection";
  });
  return h;
}

}  // namespace

TEST_CASE("http1: write_request bytes", "[http1][serializer]") {
  ByteQueue q;
  auto h = sample_request();
  SECTION("Content-Length framing") {
    REQUIRE(write_request(h, BodyFraming::of_length(5), q));
    CHECK(drain(q) ==
          "POST /v1/items?a=1 HTTP/1.1\r\n"
          "host: api.example:8443\r\n"
          "user-agent: t/1\r\n"
          "x-a: caf\xe9\r\n"
          "content-length: 5\r\n"
          "\r\n");
  }
  SECTION("chunked framing, connection close") {
    h.keep_alive = false;
    h.has_query = false;
    REQUIRE(write_request(h, BodyFraming::chunked(), q));
    CHECK(drain(q) ==
          "POST /v1/items HTTP/1.1\r\n"
          "host: api.example:8443\r\n"
          "user-agent: t/1\r\n"
          "x-a: caf\xe9\r\n"
          "transfer-encoding: chunked\r\n"
          "connection: close\r\n"
          "\r\n");
  }
  SECTION("no body, no framing field") {
    h.method = "GET";
    h.fields.clear();
    REQUIRE(write_request(h, BodyFraming::none(), q));
    CHECK(drain(q) == "GET /v1/items?a=1 HTTP/1.1\r\nhost: api.example:8443\r\n\r\n");
  }
  SECTION("OPTIONS *") {
    h.method = "OPTIONS";
    h.path = "*";
    h.has_query = false;
    h.fields.clear();
    REQUIRE(write_request(h, BodyFraming::none(), q));
    CHECK(drain(q) == "OPTIONS * HTTP/1.1\r\nhost: api.example:8443\r\n\r\n");
  }
}

TEST_CASE("http1: write_request refuses what could inject a line", "[http1][serializer]") {
  using Catch::Generators::table;
  auto [what, want] = GENERATE(table<int, Errc>({
      {0, Errc::BadMethod},
      {1, Errc::BadMethod},
      {2, Errc::BadTarget},
      {3, Errc::BadTarget},
      {4, Errc::BadTarget},
      {5, Errc::BadTarget},
      {6, Errc::BadHost},
      {7, Errc::BadHost},
      {8, Errc::BadFieldName},
      {9, Errc::BadFieldName},
      {10, Errc::BadFieldValue},
      {11, Errc::BadFieldValue},
      {12, Errc::BadFieldValue},
      {13, Errc::BadTarget},
  }));
  auto h = sample_request();
  switch (what) {
    case 0:
      h.method = "GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET";
      break;
    case 1:
      h.method = "";
      break;
    case 2:
      h.path = "/a b";
      break;
    case 3:
      h.path = "/a\r\nX: y";
      break;
    case 4:
      h.query = "a\nb";
      break;
    case 5:
      h.path = "x";
      break;
    case 6:
      h.authority = "a\r\nX: y";
      break;
    case 7:
      h.authority = "";
      break;
    case 8:
      h.fields.push_back({"x-a:b", "c"});
      break;
    case 9:
      h.fields.push_back({"", "c"});
      break;
    case 10:
      h.fields.push_back({"x-a", "b\r\nTransfer-Encoding: chunked"});
      break;
    case 11:
      h.fields.push_back({"x-a", std::string("b\0c", 3)});
      break;
    case 12:
      h.fields.push_back({"x-a", " padded"});
      break;
    case 13:
      h.path = "/a#b";
      break;
  }
  INFO(what);
  ByteQueue q;
  q.append(as_bytes("keep"));
  const auto r = write_request(h, BodyFraming::of_length(1), q);
  REQUIRE_FALSE(r);
  CHECK(r.error() == want);
  CHECK(drain(q) == "keep");  // unchanged
}

TEST_CASE("http1: request round trip", "[http1][serializer]") {
  const auto in = GENERATE(as<std::string>{}, "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                           "GET /p?q=1&r HTTP/1.1\r\nHost: A.Example:81\r\nAccept: */*\r\n"
                           "Cookie: a=b; c=d\r\nX-Latin: \xe9t\xe9\r\n\r\n",
                           "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                           "Expect: 100-continue\r\n\r\n",
                           "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                           "Connection: close\r\n\r\n",
                           "OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
                           "GET http://h/abs?x HTTP/1.1\r\nHost: H\r\n\r\n",
                           "DELETE /x? HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n");
  INFO(in);
  const auto first = test::parse_request(in);
  REQUIRE(first.kind == test::HeadOutcome<http::RequestHead>::Parsed);
  ByteQueue q;
  REQUIRE(write_request(first.head, request_framing(first.head), q));
  const std::string wire = drain(q);
  const auto second = test::parse_request(wire);
  REQUIRE(second.kind == test::HeadOutcome<http::RequestHead>::Parsed);
  CHECK(second.length == wire.size());
  CHECK(test::describe(without_managed(second.head)) ==
        test::describe(without_managed(first.head)));
  CHECK(request_framing(second.head) == request_framing(first.head));
}

TEST_CASE("http1: write_response bytes", "[http1][serializer]") {
  http::ResponseHead h;
  h.status = 201;
  h.fields = {{"content-type", "text/plain"}, {"content-length", "1"}, {"connection", "x"}};
  ByteQueue q;
  SECTION("standard reason and Content-Length") {
    REQUIRE(write_response(h, BodyFraming::of_length(2), http::Version::Http11, q));
    CHECK(drain(q) ==
          "HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n");
  }
  SECTION("own reason, chunked, close") {
    h.reason = "Made It";
    h.keep_alive = false;
    REQUIRE(write_response(h, BodyFraming::chunked(), http::Version::Http11, q));
    CHECK(drain(q) ==
          "HTTP/1.1 201 Made It\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n"
          "connection: close\r\n\r\n");
  }
  SECTION("HTTP/1.0 client kept alive") {
    REQUIRE(write_response(h, BodyFraming::of_length(0), http::Version::Http10, q));
    CHECK(drain(q) ==
          "HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n"
          "connection: keep-alive\r\n\r\n");
  }
  SECTION("until close always says close") {
    REQUIRE(write_response(h, BodyFraming::until_close(), http::Version::Http10, q));
    CHECK(drain(q) ==
          "HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n");
  }
  SECTION("interim responses carry no framing or connection field") {
    http::ResponseHead c;
    c.status = 100;
    c.keep_alive = false;
    REQUIRE(write_response(c, BodyFraming::of_length(9), http::Version::Http11, q));
    CHECK(drain(q) == "HTTP/1.1 100 Continue\r\n\r\n");
  }
  SECTION("unknown status without reason") {
    h.status = 299;
    h.fields.clear();
    REQUIRE(write_response(h, BodyFraming::none(), http::Version::Http11, q));
    CHECK(drain(q) == "HTTP/1.1 299 \r\n\r\n");
  }
  SECTION("refusals leave the queue unchanged") {
    auto bad = h;
    bad.reason = "OK\r\nSet-Cookie: x";
    CHECK(write_response(bad, BodyFraming::none(), http::Version::Http11, q).error() ==
          Errc::BadStatusLine);
    bad = h;
    bad.status = 600;
    CHECK(write_response(bad, BodyFraming::none(), http::Version::Http11, q).error() ==
          Errc::BadStatusLine);
    bad = h;
    bad.status = 99;
    CHECK(write_response(bad, BodyFraming::none(), http::Version::Http11, q).error() ==
          Errc::BadStatusLine);
    bad = h;
    bad.fields.push_back({"set-cookie", "a\nb"});
    CHECK(write_response(bad, BodyFraming::none(), http::Version::Http11, q).error() ==
          Errc::BadFieldValue);
    bad = h;
    bad.fields.push_back({"set cookie", "a"});
    CHECK(write_response(bad, BodyFraming::none(), http::Version::Http11, q).error() ==
          Errc::BadFieldName);
    CHECK(q.empty());
  }
}

TEST_CASE("http1: response round trip", "[http1][serializer]") {
  using Catch::Generators::table;
  auto [method, in] = GENERATE(table<std::string, std::string>({
      {"GET", "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Length: 3\r\n\r\n"},
      {"GET", "HTTP/1.1 404 Nope\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\n\r\n"},
      {"GET", "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"},
      {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"},
      {"GET", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"},
      {"GET", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
  }));
  INFO(method << " " << in);
  const auto first = test::parse_response(in, method);
  REQUIRE(first.kind == test::HeadOutcome<http::ResponseHead>::Parsed);
  // What the glue writes: the body framing, except that HEAD relays the backend's length.
  BodyFraming f = response_framing(first.head, method);
  if (method == "HEAD" && first.head.content_length) {
    f = BodyFraming::of_length(*first.head.content_length);
  }
  ByteQueue q;
  REQUIRE(write_response(first.head, f, http::Version::Http11, q));
  const std::string wire = drain(q);
  const auto second = test::parse_response(wire, method);
  REQUIRE(second.kind == test::HeadOutcome<http::ResponseHead>::Parsed);
  CHECK(second.length == wire.size());
  CHECK(test::describe(without_managed(second.head)) ==
        test::describe(without_managed(first.head)));
}
