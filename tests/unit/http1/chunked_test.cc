// Chunked transfer coding (RFC 9112 §7.1): decoder strictness, split invariance, limits,
// zero-copy views, and the encoder writes.
#include "gateway/http1/chunked.h"

#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http1;
using test::decode_body;

namespace {

// Decodes a whole chunked body in every split (through BodyReader, which delegates).
test::BodyOutcome decode(std::string_view in, ChunkedLimits lim = {}) {
  return decode_body(BodyFraming::chunked(), in, false, lim);
}

std::string drain(ByteQueue& q) {
  std::string s(q.size(), '\0');
  q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  q.consume(q.size());
  return s;
}

}  // namespace

TEST_CASE("http1: chunked bodies decode", "[http1][chunked]") {
  using Catch::Generators::table;
  auto [in, data] = GENERATE(table<std::string, std::string>({
      {"0\r\n\r\n", ""},
      {"5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
      {"A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"0005\r\nhello\r\n000\r\n\r\n", "hello"},
      {"5;a\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=b\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"5 ; a = b ; c\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=\"q \\\" ;x\t\xff\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhel\r\n\r\n0\r\n\r\n", "hel\r\n"},
      {"0\r\nX-Trailer: 1\r\nContent-Length: 99\r\n\r\n", ""},
      {"2\r\nok\r\n0\r\nTransfer-Encoding: chunked\r\nExpires: \xe9t\xe9\r\n\r\n", "ok"},
  }));
  INFO(in);
  const auto r = decode(in);
  REQUIRE_FALSE(r.failed);
  CHECK(r.done);
  CHECK(r.data == data);
  CHECK(r.length == in.size());
}

TEST_CASE("http1: chunked decoding stops at the end of the body", "[http1][chunked]") {
  const std::string body = "3\r\nabc\r\n0\r\n\r\n";
  const auto r = decode(body + "GET / HTTP/1.1\r\n");
  REQUIRE(r.done);
  CHECK(r.length == body.size());
  CHECK(r.data == "abc");
}

TEST_CASE("http1: chunked refusals", "[http1][chunked]") {
  using Catch::Generators::table;
  auto [in, want] = GENERATE(table<std::string, Errc>({
      {"\r\n", Errc::BadChunkSize},
      {"x\r\n", Errc::BadChunkSize},
      {"0x5\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"+5\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"-5\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {" 5\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"\t5\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"5 \r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"5g\r\nhello\r\n0\r\n\r\n", Errc::BadChunkSize},
      {"5\nhello\r\n0\r\n\r\n", Errc::BareLf},
      {"5\rhello\r\n0\r\n\r\n", Errc::BareCr},
      {"\n", Errc::BareLf},
      {"10000000000000005\r\n", Errc::ChunkTooLarge},
      {"8000000000000000\r\n", Errc::ChunkTooLarge},
      {"ffffffffffffffff\r\n", Errc::ChunkTooLarge},
      {"5;\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;=b\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a b\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=b c\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\"x\r\n\"\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\"x\\\x01\"\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", Errc::BadChunkExtension},
      {"5;a=b\nc\r\nhello\r\n0\r\n\r\n", Errc::BareLf},
      {"5;a\n", Errc::BareLf},
      {"5;\xe9\r\n", Errc::BadChunkExtension},
      {"3\r\nhelloXX\r\n0\r\n\r\n", Errc::BadChunkData},
      {"5\r\nhello\n0\r\n\r\n", Errc::BadChunkData},
      {"5\r\nhello\rX0\r\n\r\n", Errc::BadChunkData},
      {"5\r\nhello0\r\n\r\n", Errc::BadChunkData},
      {"0\r\nGET / HTTP/1.1\r\n\r\n", Errc::BadTrailer},
      {"0\r\nX : y\r\n\r\n", Errc::BadTrailer},
      {"0\r\nX: y\r\n z\r\n\r\n", Errc::BadTrailer},
      {"0\r\n z\r\n\r\n", Errc::BadTrailer},
      {"0\r\nX: y\n\r\n", Errc::BadTrailer},
      {"0\r\nX: y\r\n\n", Errc::BadTrailer},
      {"0\r\nX: y\r\n\rZ", Errc::BadTrailer},
      {std::string("0\r\nX: \0\r\n\r\n", 11), Errc::BadTrailer},
  }));
  INFO(in);
  const auto r = decode(in);
  REQUIRE(r.failed);
  CHECK(r.code == want);
}

TEST_CASE("http1: chunk sizes up to the limit are accepted", "[http1][chunked]") {
  SECTION("2^63 - 1 by default") {
    ChunkedDecoder d;
    const auto s = d.feed(as_bytes("7fffffffffffffff\r\nab"));
    REQUIRE_FALSE(s.error);
    CHECK(as_chars(s.data) == "ab");
  }
  SECTION("a configured maximum") {
    ChunkedLimits lim;
    lim.max_chunk_bytes = 16;
    CHECK(decode("10\r\n0123456789abcdef\r\n0\r\n\r\n", lim).done);
    const auto r = decode("11\r\n", lim);
    REQUIRE(r.failed);
    CHECK(r.code == Errc::ChunkTooLarge);
    lim.max_chunk_bytes = 4;
    CHECK(decode("5\r\n", lim).code == Errc::ChunkTooLarge);
  }
}

TEST_CASE("http1: chunked limits", "[http1][chunked]") {
  ChunkedLimits lim;
  lim.max_line_bytes = 8;
  lim.max_trailer_bytes = 16;
  lim.max_trailer_fields = 2;
  SECTION("size line") {
    CHECK(decode("000005\r\nhello\r\n0\r\n\r\n", lim).done);  // 8 bytes with CRLF
    CHECK(decode("0000005\r\nhello\r\n0\r\n\r\n", lim).code == Errc::ChunkLineTooLong);
    CHECK(decode("5;aaaaaaaaaaaaaa\r\n", lim).code == Errc::ChunkLineTooLong);
  }
  SECTION("trailer bytes") {
    CHECK(decode("0\r\nA: 123456789\r\n\r\n", lim).done);  // 16 bytes
    CHECK(decode("0\r\nA: 1234567890\r\n\r\n", lim).code == Errc::TrailerTooLarge);
  }
  SECTION("trailer fields") {
    CHECK(decode("0\r\nA: 1\r\nB: 2\r\n\r\n", lim).done);
    lim.max_trailer_bytes = 1000;
    CHECK(decode("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim).code == Errc::TrailerTooLarge);
  }
}

TEST_CASE("http1: decoded data are views into the input", "[http1][chunked]") {
  const std::string in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ChunkedDecoder d;
  BytesView rest = as_bytes(in);
  std::vector<BytesView> spans;
  while (true) {
    const BodyStep s = d.feed(rest);
    REQUIRE_FALSE(s.error);
    if (!s.data.empty()) spans.push_back(s.data);
    rest = rest.subspan(s.consumed);
    if (s.done) break;
  }
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].data() == reinterpret_cast<const uint8_t*>(in.data()) + 3);
  CHECK(spans[1].data() == reinterpret_cast<const uint8_t*>(in.data()) + 11);
  CHECK(d.done());
  CHECK(d.body_bytes() == 5);
  CHECK(rest.empty());

  SECTION("done and errors are sticky") {
    const BodyStep again = d.feed(as_bytes("more"));
    CHECK(again.done);
    CHECK(again.consumed == 0);
    ChunkedDecoder bad;
    CHECK(bad.feed(as_bytes("z")).error == Errc::BadChunkSize);
    CHECK(bad.feed(as_bytes("0\r\n\r\n")).error == Errc::BadChunkSize);
    CHECK(bad.failed());
    bad.reset();
    CHECK(bad.feed(as_bytes("0\r\n\r\n")).done);
  }
}

TEST_CASE("http1: chunked encoder writes", "[http1][chunked]") {
  ByteQueue q;
  ChunkedEncoder::write_chunk_header(1, q);
  CHECK(drain(q) == "1\r\n");
  ChunkedEncoder::write_chunk_header(255, q);
  CHECK(drain(q) == "ff\r\n");
  ChunkedEncoder::write_chunk_header(0x7fffffffffffffffULL, q);
  CHECK(drain(q) == "7fffffffffffffff\r\n");
  ChunkedEncoder::write_chunk_header(UINT64_MAX, q);
  CHECK(drain(q) == "ffffffffffffffff\r\n");
  ChunkedEncoder::write_chunk_end(q);
  CHECK(drain(q) == "\r\n");
  ChunkedEncoder::write_last_chunk(q);
  CHECK(drain(q) == "0\r\n\r\n");
  ChunkedEncoder::write_chunk({}, q);
  CHECK(q.empty());

  SECTION("round trip through the decoder") {
    const std::string big(70000, 'x');
    ChunkedEncoder::write_chunk(as_bytes("hello"), q);
    ChunkedEncoder::write_chunk(as_bytes(big), q);
    ChunkedEncoder::write_chunk(as_bytes("\r\n0\r\n\r\n"), q);
    ChunkedEncoder::write_last_chunk(q);
    const std::string wire = drain(q);
    ChunkedDecoder d;
    std::string out;
    BytesView rest = as_bytes(wire);
    while (!d.done()) {
      const BodyStep s = d.feed(rest);
      REQUIRE_FALSE(s.error);
      out.append(as_chars(s.data));
      rest = rest.subspan(s.consumed);
    }
    CHECK(out == "hello" + big + "\r\n0\r\n\r\n");
    CHECK(rest.empty());
  }
}
