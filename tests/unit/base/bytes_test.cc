#include "gateway/base/bytes.h"

#include <catch2/catch.hpp>

#include "gateway/base/text.h"

using namespace intransit;

TEST_CASE("base: hex round trip and refusals", "[base][bytes]") {
  Bytes b;
  REQUIRE(from_hex("00ff10Ab", b));
  CHECK(to_hex(b) == "00ff10ab");
  CHECK_FALSE(from_hex("abc", b));
  CHECK_FALSE(from_hex("zz", b));
}

TEST_CASE("base: constant_time_equal", "[base][bytes]") {
  CHECK(constant_time_equal(as_bytes("secret"), as_bytes("secret")));
  CHECK_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secreT")));
  CHECK_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secret!")));
}

TEST_CASE("base: parse_u64 accepts digits only and refuses overflow", "[base][text]") {
  CHECK(parse_u64("0") == 0u);
  CHECK(parse_u64("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_u64("18446744073709551616"));
  CHECK_FALSE(parse_u64(""));
  CHECK_FALSE(parse_u64("+5"));
  CHECK_FALSE(parse_u64(" 5"));
  CHECK_FALSE(parse_u64("5 "));
  CHECK(iequals("Content-Length", "content-length"));
  CHECK(trim_ows(" \tx y\t ") == "x y");
}
