// From a storage-style URL to the resource it names (SAS-SPEC §1 "Path decoding", §3
// "canonicalizedResource"). Path style: /<account>/<container>/<blob>; host style: the route
// fixes the account and the path is /<container>/<blob>. Names are percent-decoded once ('+'
// stays '+'), case is kept, dot segments are not resolved. A blob name may hold '/'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/model.h"
#include "policy/sas/permissions.h"

namespace intransit::policy::sas {

// BlobResource is what a request URL addresses.
struct BlobResource {
  std::string account;    // decoded; for host style, the route's account
  std::string container;  // decoded; empty at the service level
  std::string blob;       // decoded; empty unless level == Object
  Level level = Level::Service;
};

// map_url maps the raw origin-form `path` (starting with '/', not decoded) to a resource.
// `restype` is the request's decoded `restype` value: a single segment with a restype
// ("/c?restype=container") is a container; without one it is a blob in the root container
// ("/name" = "$root/name", as Azure addresses root blobs). It returns nullopt for a path that
// does not decode (bad escape, control byte, invalid UTF-8), an empty account or container
// segment, or an empty blob name without a restype.
std::optional<BlobResource> map_url(SasUrlStyle style, std::string_view route_account,
                                    std::string_view path, std::string_view restype);

}  // namespace intransit::policy::sas
