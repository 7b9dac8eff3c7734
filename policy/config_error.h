// ConfigError is a control-plane error about the policy file, reported to the operator as
//   policy.yaml:14:5: listeners[0].tls.min_version: "1.0" is not allowed (minimum 1.2)
// Every error the loader, the validator or the TLS context builder finds carries the mark of
// the YAML node it is about.
#pragma once

#include <string>
#include <vector>

namespace intransit::policy {

// Mark is a position in a policy file; line and col are 1-based (0 = unknown).
struct Mark {
  std::string file;
  int line = 0;
  int col = 0;
};

struct ConfigError {
  Mark mark;
  std::string path;     // key path, e.g. "listeners[0].tls.min_version"
  std::string message;  // what is wrong and, when useful, what is allowed
  std::string hint;     // e.g. "did you mean 'min_version'?"; may be empty
};

using ConfigErrors = std::vector<ConfigError>;

// format renders "file:line:col: path: message (hint)".
std::string format(const ConfigError& e);

}  // namespace intransit::policy
