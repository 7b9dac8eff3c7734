#include "policy/validate.h"

#include <algorithm>

#include "policy/address.h"
#include "policy/router.h"

namespace intransit::policy::detail {

namespace {

std::string line_of(const Mark& m) {
  return "line " + std::to_string(m.line);
}

std::string_view version_name(TlsVersion v) {
  switch (v) {
    case TlsVersion::Tls12:
      return "1.2";
    case TlsVersion::Tls13:
      return "1.3";
  }
  return "1.2";
}

// addresses_clash is true when two listening sockets could not both be bound, or would take
// each other's traffic: same port and the same host, or either host the wildcard address.
bool addresses_clash(const SocketAddress& a, const SocketAddress& b) {
  return a.port == b.port && (a.host == b.host || is_unspecified(a) || is_unspecified(b));
}

// loops_back is true when connecting to backend address `b` reaches the listener `l`.
bool loops_back(const SocketAddress& l, const SocketAddress& b) {
  if (l.port != b.port) return false;
  if (l.host == b.host) return true;
  return is_unspecified(l) && (is_loopback(b) || is_unspecified(b));
}

void check_certificate(Ctx& c, const CertDraft& cd) {
  const KeyMarks& km = cd.km;
  const bool cert = km.has("cert");
  const bool key = km.has("key");
  const bool self = km.has("self_signed");
  if (self && (cert || key)) {
    c.error_at(km.key("self_signed"), km.path_of("self_signed"),
               "'self_signed' cannot be combined with 'cert' and 'key'",
               "use one certificate entry for each");
    return;
  }
  if (!self && !cert && !key) {
    c.error_at(km.node, km.path, "a certificate needs 'cert' and 'key', or 'self_signed'");
    return;
  }
  if (cert && !key) c.error_at(km.node, km.path, "missing required key 'key' (for 'cert')");
  if (key && !cert) c.error_at(km.node, km.path, "missing required key 'cert' (for 'key')");
}

void check_listener(Ctx& c, const ListenerDraft& l) {
  const KeyMarks& km = l.km;
  if (!km.ok("protocol")) return;
  switch (l.v.kind) {
    case ListenerKind::Https: {
      if (!km.has("tls")) {
        c.error_at(km.node, km.path, "an https listener needs a 'tls' section",
                   "add tls: with at least one certificate");
      }
      for (std::string_view k : {"plain_http", "redirect_port"}) {
        if (km.has(k)) {
          c.error_at(km.key(k), km.path_of(k),
                     "'" + std::string(k) + "' applies to http listeners only");
        }
      }
      if (km.has("tls")) {
        const KeyMarks& tk = l.tls.km;
        if (tk.ok("min_version") && tk.usable("max_version") &&
            l.tls.v.min_version > l.tls.v.max_version) {
          c.error_at(tk.value("min_version"), tk.path_of("min_version"),
                     "\"" + std::string(version_name(l.tls.v.min_version)) +
                         "\" is above max_version \"" +
                         std::string(version_name(l.tls.v.max_version)) + "\"");
        } else if (tk.ok("max_version") && tk.usable("min_version") &&
                   l.tls.v.min_version > l.tls.v.max_version) {
          c.error_at(tk.value("max_version"), tk.path_of("max_version"),
                     "\"" + std::string(version_name(l.tls.v.max_version)) +
                         "\" is below min_version \"" +
                         std::string(version_name(l.tls.v.min_version)) + "\"");
        }
        for (const auto& cd : l.tls.certs) check_certificate(c, cd);
      }
      break;
    }
    case ListenerKind::Http:
      if (km.has("tls")) {
        c.error_at(km.key("tls"), km.path_of("tls"), "a plain http listener takes no 'tls' section",
                   "use protocol: https to terminate TLS here");
      }
      if (km.has("redirect_port") && km.usable("plain_http") &&
          l.v.plain_http != PlainHttpAction::Redirect) {
        c.error_at(km.key("redirect_port"), km.path_of("redirect_port"),
                   "'redirect_port' has no effect unless plain_http is redirect");
      }
      break;
    case ListenerKind::Smb:
      if (!km.has("smb")) {
        c.error_at(km.node, km.path, "an smb listener needs an 'smb' section",
                   "add smb: with backend: <SMB server address>");
      }
      for (std::string_view k : {"tls", "plain_http", "redirect_port", "http2"}) {
        if (km.has(k)) {
          c.error_at(km.key(k), km.path_of(k),
                     "'" + std::string(k) + "' does not apply to smb listeners");
        }
      }
      break;
  }
  if (l.v.kind != ListenerKind::Smb && km.has("smb")) {
    c.error_at(km.key("smb"), km.path_of("smb"), "'smb' applies to protocol: smb listeners only");
  }
}

void check_listeners(Ctx& c, PolicyDraft& d) {
  bool kinds_known = true;
  bool any_https = false;
  for (size_t i = 0; i < d.listeners.size(); ++i) {
    const ListenerDraft& l = d.listeners[i];
    check_listener(c, l);
    if (!l.km.ok("protocol")) kinds_known = false;
    if (l.km.ok("protocol") && l.v.kind != ListenerKind::Http) any_https = true;
    for (size_t j = 0; j < i; ++j) {
      const ListenerDraft& p = d.listeners[j];
      if (l.km.ok("name") && p.km.ok("name") && l.v.name == p.v.name) {
        c.error_at(l.km.value("name"), l.km.path_of("name"),
                   "duplicate listener name '" + l.v.name + "' (first at " +
                       line_of(p.km.value("name")) + ")");
      }
      if (l.km.ok("address") && p.km.ok("address") && addresses_clash(l.v.address, p.v.address)) {
        c.error_at(l.km.value("address"), l.km.path_of("address"),
                   l.v.address.to_string() + " clashes with " + p.v.address.to_string() +
                       " of listener '" + p.v.name + "' (" + line_of(p.km.value("address")) + ")");
      }
    }
  }
  if (d.v.admin.enabled) {
    for (const ListenerDraft& l : d.listeners) {
      if (l.km.ok("address") && addresses_clash(l.v.address, d.v.admin.address)) {
        c.error_at(d.v.admin.mark, "admin.address",
                   d.v.admin.address.to_string() + " clashes with listener '" + l.v.name + "' (" +
                       line_of(l.km.value("address")) + ")");
      }
    }
  }
  if (kinds_known && !any_https && !d.listeners.empty()) {
    c.error_at(d.km.key("listeners"), "listeners",
               "no https or smb listener: this policy could never serve a request",
               "add a listener with protocol: https");
  }
}

void check_backends(Ctx& c, PolicyDraft& d) {
  for (size_t i = 0; i < d.backends.size(); ++i) {
    const BackendDraft& b = d.backends[i];
    const KeyMarks& km = b.km;
    for (size_t j = 0; j < i; ++j) {
      const BackendDraft& p = d.backends[j];
      if (km.ok("name") && p.km.ok("name") && b.v.name == p.v.name) {
        c.error_at(km.value("name"), km.path_of("name"),
                   "duplicate backend name '" + b.v.name + "' (first at " +
                       line_of(p.km.value("name")) + ")");
      }
      if (km.ok("address") && p.km.ok("address") && b.v.address.host == p.v.address.host &&
          b.v.address.port == p.v.address.port) {
        c.error_at(km.value("address"), km.path_of("address"),
                   b.v.address.to_string() + " is already the address of backend '" + p.v.name +
                       "' (" + line_of(p.km.value("address")) + ")");
      }
    }
    if (km.ok("address")) {
      for (const ListenerDraft& l : d.listeners) {
        if (l.km.ok("address") && loops_back(l.v.address, b.v.address)) {
          c.error_at(km.value("address"), km.path_of("address"),
                     b.v.address.to_string() + " reaches listener '" + l.v.name + "' (" +
                         line_of(l.km.value("address")) + "): requests would loop");
          break;
        }
      }
      if (km.ok("demo") && b.v.demo && !is_loopback(b.v.address)) {
        c.error_at(km.value("address"), km.path_of("address"),
                   "a demo backend must use a loopback address (127.0.0.1 or [::1])");
      }
    }
    if (km.usable("max_idle_connections") && km.usable("max_connections") &&
        b.v.max_idle_connections > b.v.max_connections) {
      c.error_at(km.value("max_idle_connections"), km.path_of("max_idle_connections"),
                 std::to_string(b.v.max_idle_connections) + " is above max_connections (" +
                     std::to_string(b.v.max_connections) + ")");
    }
  }
}

// applies is true when route `r` serves listener `name` (empty listeners = every https one).
bool applies(const RouteDraft& r, std::string_view name) {
  if (r.v.listeners.empty()) return true;
  return std::find(r.v.listeners.begin(), r.v.listeners.end(), name) != r.v.listeners.end();
}

bool overlap(const RouteDraft& a, const RouteDraft& b) {
  if (a.v.listeners.empty() || b.v.listeners.empty()) return true;
  for (const auto& n : a.v.listeners) {
    if (applies(b, n)) return true;
  }
  return false;
}

void check_routes(Ctx& c, PolicyDraft& d) {
  std::vector<std::string_view> backend_names;
  // A reference is only reported unknown when every name it could match was read cleanly.
  bool backends_known = !d.backends.empty();
  for (const auto& b : d.backends) {
    backend_names.push_back(b.v.name);
    if (!b.km.ok("name")) backends_known = false;
  }
  std::vector<std::string_view> https_names;
  bool listeners_known = !d.listeners.empty();
  for (const auto& l : d.listeners) {
    if (!l.km.ok("name") || !l.km.ok("protocol")) listeners_known = false;
    if (l.v.kind == ListenerKind::Https) https_names.push_back(l.v.name);
  }

  // With no routes at all every https listener is unserved (checked below); with routes, only
  // when each of their listener references was read cleanly.
  bool refs_known = d.routes.empty() ? d.km.ok("routes") || !d.km.has("routes") : true;
  for (size_t i = 0; i < d.routes.size(); ++i) {
    RouteDraft& r = d.routes[i];
    const KeyMarks& km = r.km;
    if (km.ok("backend")) {
      const auto it = std::find(backend_names.begin(), backend_names.end(), r.v.backend);
      if (it != backend_names.end()) {
        r.v.backend_index = static_cast<size_t>(it - backend_names.begin());
      } else if (backends_known) {
        std::string hint = did_you_mean(r.v.backend, backend_names);
        c.error_at(km.value("backend"), km.path_of("backend"),
                   "unknown backend '" + r.v.backend + "'", std::move(hint));
      }
    }
    if (km.ok("listeners") && listeners_known) {
      for (size_t j = 0; j < r.v.listeners.size(); ++j) {
        const std::string& name = r.v.listeners[j];
        const std::string path = km.path_of("listeners") + "[" + std::to_string(j) + "]";
        const ListenerDraft* found = nullptr;
        for (const auto& l : d.listeners) {
          if (l.v.name == name) {
            found = &l;
            break;
          }
        }
        if (found == nullptr) {
          c.error_at(r.listener_marks[j], path, "unknown listener '" + name + "'",
                     did_you_mean(name, https_names));
        } else if (found->v.kind != ListenerKind::Https) {
          c.error_at(r.listener_marks[j], path,
                     "listener '" + name + "' is plain http; routes apply to https listeners");
        } else if (std::find(r.v.listeners.begin(), r.v.listeners.begin() + j, name) !=
                   r.v.listeners.begin() + j) {
          c.error_at(r.listener_marks[j], path, "listener '" + name + "' is listed twice");
        }
      }
    }
    if (!km.usable("host") || !km.usable("path_prefix") || !km.usable("listeners")) {
      refs_known = false;
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      const RouteDraft& p = d.routes[j];
      if (!p.km.usable("host") || !p.km.usable("path_prefix") || !p.km.usable("listeners")) {
        continue;
      }
      if (p.v.host == r.v.host && p.v.path_prefix == r.v.path_prefix && overlap(p, r)) {
        c.error_at(km.node, km.path,
                   "same host and path_prefix as routes[" + std::to_string(j) + "] (" +
                       line_of(p.km.node) + "): this route could never be chosen");
        break;
      }
    }
  }

  // Every https listener must be reachable by some route, or it could only ever answer 404.
  if (!refs_known || !listeners_known) return;
  for (const auto& l : d.listeners) {
    if (l.v.kind != ListenerKind::Https) continue;
    bool served = false;
    for (const auto& r : d.routes) served = served || applies(r, l.v.name);
    if (!served) {
      c.error_at(l.km.value("name"), l.km.path_of("name"),
                 "no route serves https listener '" + l.v.name + "'",
                 "add a route, or name this listener in a route's 'listeners'");
    }
  }
}

}  // namespace

void validate(Ctx& ctx, PolicyDraft& d) {
  check_listeners(ctx, d);
  check_backends(ctx, d);
  check_routes(ctx, d);
}

PolicyPtr finish(PolicyDraft&& d, std::string source) {
  auto p = std::make_shared<Policy>(std::move(d.v));
  p->source = std::move(source);
  p->limits = d.limits.v;
  p->listeners.reserve(d.listeners.size());
  for (auto& l : d.listeners) {
    if (l.v.kind == ListenerKind::Https) {
      l.tls.v.certificates.clear();
      for (auto& cd : l.tls.certs) l.tls.v.certificates.push_back(std::move(cd.v));
      l.v.tls = std::move(l.tls.v);
    }
    if (l.v.kind == ListenerKind::Smb && l.km.has("smb")) l.v.smb = std::move(l.smb.v);
    p->listeners.push_back(std::move(l.v));
  }
  for (auto& b : d.backends) p->backends.push_back(std::move(b.v));
  for (auto& r : d.routes) {
    if (r.v.name.empty()) r.v.name = r.v.host + r.v.path_prefix;
    p->routes.push_back(std::move(r.v));
  }
  p->route_table = build_route_table(*p);
  return p;
}

}  // namespace intransit::policy::detail
