// Fuzz target: policy::load on arbitrary bytes. It must return a policy or a non-empty error
// list, never crash, hang or leak; every error must carry a well-formed mark. Seeds:
// tests/fuzz/corpus/policy_load (the fixtures of tests/vectors/policy and the shipped policies).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/load.h"
#include "policy/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace intransit::policy;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = load("fuzz.yaml", text);
  if (!r) {
    if (r.error().empty()) std::abort();
    for (const auto& e : r.error()) {
      if (e.mark.line < 0 || e.mark.col < 0 || e.message.empty()) std::abort();
      (void)format(e);
    }
    return 0;
  }
  // A policy that loads must be routable without surprises.
  const Policy& p = **r;
  if (p.listeners.empty() || p.routes.empty() || p.backends.empty()) std::abort();
  for (const auto& route_ : p.routes) {
    if (route_.backend_index >= p.backends.size()) std::abort();
  }
  for (size_t i = 0; i < p.listeners.size(); ++i) {
    (void)route(p, i, "example.com", "/");
    (void)route(p, i, "a.example.com", "/api/x");
  }
  return 0;
}
