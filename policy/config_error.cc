#include "policy/config_error.h"

namespace intransit::policy {

std::string format(const ConfigError& e) {
  std::string out = e.mark.file.empty() ? std::string("<policy>") : e.mark.file;
  out += ":" + std::to_string(e.mark.line) + ":" + std::to_string(e.mark.col) + ": ";
  if (!e.path.empty()) out += e.path + ": ";
  out += e.message;
  if (!e.hint.empty()) out += " (" + e.hint + ")";
  return out;
}

}  // namespace intransit::policy
