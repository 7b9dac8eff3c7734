#include "gateway/base/result.h"

#include <catch2/catch.hpp>

#include <memory>

using namespace intransit;

namespace {
Result<int> half(int n) {
  if (n % 2 != 0) return fail("odd", std::to_string(n) + " is odd");
  return n / 2;
}
}  // namespace

TEST_CASE("base: Result carries a value or an error", "[base][result]") {
  auto ok = half(8);
  REQUIRE(ok);
  CHECK(*ok == 4);
  auto bad = half(3);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().label == "odd");
  CHECK(bad.error().message() == "odd: 3 is odd");
  Result<std::unique_ptr<int>> moved = std::make_unique<int>(7);
  auto p = std::move(moved).value();
  CHECK(*p == 7);
  Result<void> v;
  CHECK(v);
  Result<void> e = fail("x");
  CHECK_FALSE(e);
}
