// The router: which route serves a request, from the listener it came in on, its host and its
// path. Pure and allocation-free per request; the lookup index (RouteTable) is built once by
// the loader and lives inside the immutable Policy.
//
// Matching is in two steps, like virtual hosts in nginx or Envoy:
//   1. Host: an exact host wins over the longest matching "*.suffix" pattern, which wins over
//      "*". Hosts compare case-insensitively; one trailing dot on the request host is ignored.
//      "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
//   2. Path: within the chosen host, the longest path_prefix that matches on whole segments:
//      "/api" matches "/api", "/api/x" and "/api?q", not "/apix"; "/api/" matches "/api/..."
//      only; "/" matches every path.
// When the chosen host has no matching path_prefix there is no route (404): a request never
// falls back to a less specific host, so a host's routes are exactly the ones written for it.
// Paths are compared as received (not percent-decoded, case-sensitive).
#pragma once

#include <cstddef>
#include <string_view>

#include "policy/model.h"

namespace intransit::policy {

// route returns the route for a request on the HTTPS listener named `listener_name`, or
// nullptr when none matches (or the listener is unknown or plain HTTP). `host` is the request
// host without the port (as RequestHead::host() gives it); `path` is the origin-form path.
// The pointer is valid as long as `p`.
const Route* route(const Policy& p, std::string_view listener_name, std::string_view host,
                   std::string_view path);

// route is the same lookup by listener index (Policy::listeners[listener_index]), for callers
// that already know the index.
const Route* route(const Policy& p, size_t listener_index, std::string_view host,
                   std::string_view path);

// path_matches returns true if `prefix` matches `path` on whole segments (see above).
bool path_matches(std::string_view prefix, std::string_view path);

// build_route_table computes the router's index for `p` (listeners, routes). The loader calls
// it; tests that build a Policy by hand may too.
RouteTable build_route_table(const Policy& p);

}  // namespace intransit::policy
