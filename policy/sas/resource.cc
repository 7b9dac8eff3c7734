#include "policy/sas/resource.h"

#include "policy/sas/query.h"

namespace intransit::policy::sas {

std::optional<BlobResource> map_url(SasUrlStyle style, std::string_view route_account,
                                    std::string_view path, std::string_view restype) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::string_view rest = path.substr(1);
  BlobResource r;
  switch (style) {
    case SasUrlStyle::Path: {
      const size_t slash = rest.find('/');
      auto account = percent_decode_path(rest.substr(0, slash));
      if (!account || account->empty()) return std::nullopt;
      r.account = std::move(*account);
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
      break;
    }
    case SasUrlStyle::Host:
      r.account = std::string(route_account);
      break;
  }
  if (rest.empty()) {
    r.level = Level::Service;
    return r;
  }
  const size_t slash = rest.find('/');
  auto container = percent_decode_path(rest.substr(0, slash));
  if (!container || container->empty()) return std::nullopt;
  if (slash == std::string_view::npos) {
    if (!restype.empty()) {
      r.container = std::move(*container);
      r.level = Level::Container;
    } else {
      r.container = "$root";
      r.blob = std::move(*container);
      r.level = Level::Object;
    }
    return r;
  }
  auto blob = percent_decode_path(rest.substr(slash + 1));
  if (!blob) return std::nullopt;
  r.container = std::move(*container);
  if (blob->empty()) {
    if (restype.empty()) return std::nullopt;
    r.level = Level::Container;
    return r;
  }
  r.blob = std::move(*blob);
  r.level = Level::Object;
  return r;
}

}  // namespace intransit::policy::sas
