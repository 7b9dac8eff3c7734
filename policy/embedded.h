// The embedded default policy: policy/default_policy.yaml, turned into a byte array at build
// time by embed_text.cmake. Internal to policy_core; use policy::embedded_default().
#pragma once

#include <cstddef>

namespace intransit::policy::detail {

// kDefaultPolicyYaml holds the file's bytes followed by one NUL (not counted in the size).
extern const unsigned char kDefaultPolicyYaml[];
extern const size_t kDefaultPolicyYamlSize;

}  // namespace intransit::policy::detail
