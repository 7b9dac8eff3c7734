// BodyReader over each framing (RFC 9112 §6.3), split invariance and end-of-input rules.
#include "gateway/http1/body_reader.h"

#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http1;
using test::decode_body;

TEST_CASE("http1: no body and zero length are done at once", "[http1][body]") {
  for (const BodyFraming f : {BodyFraming::none(), BodyFraming::of_length(0)}) {
    BodyReader r(f);
    CHECK(r.done());
    const BodyStep s = r.feed(as_bytes("GET / HTTP/1.1\r\n"));
    CHECK(s.done);
    CHECK(s.consumed == 0);
    CHECK(s.data.empty());
    CHECK(r.finish().done);
  }
}

TEST_CASE("http1: Content-Length bodies", "[http1][body]") {
  SECTION("exact with pipelined bytes after it") {
    const auto o = decode_body(BodyFraming::of_length(5), "helloGET /");
    CHECK(o.done);
    CHECK(o.data == "hello");
    CHECK(o.length == 5);
  }
  SECTION("short input waits, then end of input is a truncation") {
    const auto o = decode_body(BodyFraming::of_length(6), "hello");
    CHECK_FALSE(o.done);
    CHECK(o.data == "hello");
    const auto t = decode_body(BodyFraming::of_length(6), "hello", /*eof=*/true);
    REQUIRE(t.failed);
    CHECK(t.code == Errc::BodyTruncated);
  }
  SECTION("huge length does not overflow") {
    BodyReader r(BodyFraming::of_length(UINT64_MAX));
    const BodyStep s = r.feed(as_bytes("abc"));
    CHECK(s.consumed == 3);
    CHECK_FALSE(s.done);
    CHECK(r.body_bytes() == 3);
  }
}

TEST_CASE("http1: until-close bodies end at end of input", "[http1][body]") {
  const auto o = decode_body(BodyFraming::until_close(), "all of it\r\n0\r\n\r\n", /*eof=*/true);
  CHECK(o.done);
  CHECK(o.data == "all of it\r\n0\r\n\r\n");
  BodyReader r(BodyFraming::until_close());
  CHECK_FALSE(r.feed(as_bytes("x")).done);
  CHECK(r.finish().done);
  CHECK(r.done());
}

TEST_CASE("http1: chunked bodies through BodyReader", "[http1][body]") {
  const auto o = decode_body(BodyFraming::chunked(), "5\r\nhello\r\n0\r\n\r\nNEXT");
  CHECK(o.done);
  CHECK(o.data == "hello");
  CHECK(o.length == 15);
  const auto t = decode_body(BodyFraming::chunked(), "5\r\nhel", /*eof=*/true);
  REQUIRE(t.failed);
  CHECK(t.code == Errc::BodyTruncated);
  const auto bad = decode_body(BodyFraming::chunked(), "5\r\nhelloX");
  REQUIRE(bad.failed);
  CHECK(bad.code == Errc::BadChunkData);
}

TEST_CASE("http1: BodyReader errors are sticky and counted bytes are body bytes", "[http1][body]") {
  BodyReader r(BodyFraming::chunked());
  BodyStep s = r.feed(as_bytes("3\r\nabc"));
  CHECK(as_chars(s.data) == "abc");
  CHECK(r.body_bytes() == 3);
  s = r.feed(as_bytes("X"));
  CHECK(s.error == Errc::BadChunkData);
  CHECK(r.feed(as_bytes("\r\n0\r\n\r\n")).error == Errc::BadChunkData);
  CHECK(r.finish().error == Errc::BadChunkData);
  CHECK(r.body_bytes() == 3);
}

TEST_CASE("http1: framing names", "[http1][body]") {
  CHECK(name(BodyKind::None) == "none");
  CHECK(name(BodyKind::Length) == "length");
  CHECK(name(BodyKind::Chunked) == "chunked");
  CHECK(name(BodyKind::UntilClose) == "until_close");
}

TEST_CASE("http1: BodyReader factories follow the heads' framing", "[http1][body]") {
  CHECK(BodyReader().done());
  http::RequestHead req;
  req.content_length = 4;
  CHECK(BodyReader::for_request(req).framing() == BodyFraming::of_length(4));
  req.chunked = true;
  req.content_length.reset();
  CHECK(BodyReader::for_request(req).framing() == BodyFraming::chunked());
  http::ResponseHead resp;
  resp.content_length = 7;
  CHECK(BodyReader::for_response(resp, "GET").framing() == BodyFraming::of_length(7));
  CHECK(BodyReader::for_response(resp, "HEAD").done());
  resp.content_length.reset();
  const BodyReader uc = BodyReader::for_response(resp, "GET");
  CHECK(uc.until_close());
  CHECK_FALSE(uc.done());
}
