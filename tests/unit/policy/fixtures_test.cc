// Data-driven loader tests over tests/vectors/policy: every valid/*.yaml loads, and every
// invalid/*.yaml reports exactly the errors listed in its "# expect:" header lines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy/load.h"

namespace {

namespace fs = std::filesystem;
using intransit::policy::format;
using intransit::policy::load;

std::vector<std::string> fixtures(const char* dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(INTRANSIT_VECTORS_DIR) / "policy" / dir)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> expected_errors(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  const std::string tag = "# expect: ";
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) == 0) out.push_back(line.substr(tag.size()));
  }
  return out;
}

}  // namespace

TEST_CASE("policy: valid fixtures load", "[policy][load][vectors]") {
  const auto files = fixtures("valid");
  REQUIRE(files.size() >= 3);
  for (const auto& path : files) {
    INFO(path);
    const auto r = load(fs::path(path).filename().string(), read(path));
    if (!r) {
      for (const auto& e : r.error()) UNSCOPED_INFO(format(e));
    }
    CHECK(r.has_value());
  }
}

TEST_CASE("policy: invalid fixtures report exactly their expected errors",
          "[policy][load][vectors]") {
  const auto files = fixtures("invalid");
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    INFO(path);
    const std::string text = read(path);
    const auto want = expected_errors(text);
    REQUIRE_FALSE(want.empty());
    const auto r = load(fs::path(path).filename().string(), text);
    REQUIRE_FALSE(r.has_value());
    std::vector<std::string> got;
    for (const auto& e : r.error()) got.push_back(format(e));
    CHECK(got == want);
  }
}
