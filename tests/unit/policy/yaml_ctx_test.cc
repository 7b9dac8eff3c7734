// The table-driven reader's helpers: edit distance, suggestions, quoting.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "policy/yaml_ctx.h"

namespace {
using namespace intransit::policy::detail;
constexpr std::array<std::string_view, 4> kKeys = {"min_version", "max_version", "cipher_suites",
                                                   "groups"};
}  // namespace

TEST_CASE("policy: edit distance counts transpositions as one", "[policy][yaml]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("min_verison", "min_version") == 1);
  CHECK(edit_distance("GROUPS", "groups") == 0);
}

TEST_CASE("policy: nearest key suggestions", "[policy][yaml]") {
  CHECK(did_you_mean("min_verison", kKeys) == "did you mean 'min_version'?");
  CHECK(did_you_mean("cipher_suite", kKeys) == "did you mean 'cipher_suites'?");
  CHECK(did_you_mean("group", kKeys) == "did you mean 'groups'?");
  CHECK(did_you_mean("colour", kKeys).empty());
  CHECK(did_you_mean(std::string(1000, 'x'), kKeys).empty());
}

TEST_CASE("policy: quoted values are escaped and bounded", "[policy][yaml]") {
  CHECK(quote("abc") == "\"abc\"");
  CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quote(std::string("\n\x7f", 2)) == "\"\\x0a\\x7f\"");
  CHECK(quote(std::string(100, 'a')) == "\"" + std::string(64, 'a') + "...\"");
}
