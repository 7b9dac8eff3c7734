#include "policy/router.h"

#include <algorithm>
#include <map>

#include "gateway/base/text.h"

namespace intransit::policy {

namespace {

// compare_host orders a stored lowercase host against a request host of any case.
int compare_host(std::string_view stored, std::string_view host) {
  const size_t n = std::min(stored.size(), host.size());
  for (size_t i = 0; i < n; ++i) {
    const auto a = static_cast<unsigned char>(stored[i]);
    const auto b = static_cast<unsigned char>(ascii_lower(host[i]));
    if (a != b) return a < b ? -1 : 1;
  }
  if (stored.size() == host.size()) return 0;
  return stored.size() < host.size() ? -1 : 1;
}

bool iends_with(std::string_view s, std::string_view lower_suffix) {
  if (s.size() < lower_suffix.size()) return false;
  const size_t off = s.size() - lower_suffix.size();
  for (size_t i = 0; i < lower_suffix.size(); ++i) {
    if (ascii_lower(s[off + i]) != lower_suffix[i]) return false;
  }
  return true;
}

const Route* first_path_match(const Policy& p, const std::vector<uint32_t>& routes,
                              std::string_view path) {
  for (uint32_t i : routes) {
    if (path_matches(p.routes[i].path_prefix, path)) return &p.routes[i];
  }
  return nullptr;
}

void sort_by_path_length(const Policy& p, std::vector<uint32_t>& routes) {
  std::stable_sort(routes.begin(), routes.end(), [&](uint32_t a, uint32_t b) {
    return p.routes[a].path_prefix.size() > p.routes[b].path_prefix.size();
  });
}

}  // namespace

bool path_matches(std::string_view prefix, std::string_view path) {
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  if (path.size() == prefix.size() || prefix.empty() || prefix.back() == '/') return true;
  const char next = path[prefix.size()];
  return next == '/' || next == '?';
}

const Route* route(const Policy& p, size_t listener_index, std::string_view host,
                   std::string_view path) {
  if (listener_index >= p.route_table.listeners.size()) return nullptr;
  const RouteTable::ListenerRoutes& t = p.route_table.listeners[listener_index];
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);

  if (!host.empty()) {
    const auto it = std::lower_bound(t.exact.begin(), t.exact.end(), host,
                                     [](const RouteTable::HostGroup& g, std::string_view h) {
                                       return compare_host(g.host, h) < 0;
                                     });
    if (it != t.exact.end() && compare_host(it->host, host) == 0) {
      return first_path_match(p, it->routes, path);
    }
    for (const auto& g : t.wildcard) {
      if (host.size() > g.host.size() && iends_with(host, g.host)) {
        return first_path_match(p, g.routes, path);
      }
    }
  }
  return first_path_match(p, t.any, path);
}

const Route* route(const Policy& p, std::string_view listener_name, std::string_view host,
                   std::string_view path) {
  for (size_t i = 0; i < p.listeners.size(); ++i) {
    if (p.listeners[i].name == listener_name) return route(p, i, host, path);
  }
  return nullptr;
}

RouteTable build_route_table(const Policy& p) {
  RouteTable table;
  table.listeners.resize(p.listeners.size());
  for (size_t li = 0; li < p.listeners.size(); ++li) {
    const Listener& l = p.listeners[li];
    if (l.kind != ListenerKind::Https) continue;
    std::map<std::string, std::vector<uint32_t>> exact;
    std::map<std::string, std::vector<uint32_t>> wildcard;  // keyed by suffix ".example.com"
    RouteTable::ListenerRoutes& t = table.listeners[li];
    for (size_t ri = 0; ri < p.routes.size(); ++ri) {
      const Route& r = p.routes[ri];
      if (!r.listeners.empty() &&
          std::find(r.listeners.begin(), r.listeners.end(), l.name) == r.listeners.end()) {
        continue;
      }
      const auto idx = static_cast<uint32_t>(ri);
      const std::string host = to_lower(r.host);
      if (host == "*") {
        t.any.push_back(idx);
      } else if (host.size() > 2 && host[0] == '*' && host[1] == '.') {
        wildcard[host.substr(1)].push_back(idx);
      } else {
        exact[host].push_back(idx);
      }
    }
    sort_by_path_length(p, t.any);
    for (auto& [host, routes] : exact) {  // std::map iterates in host order: ready for search
      sort_by_path_length(p, routes);
      t.exact.push_back(RouteTable::HostGroup{host, std::move(routes)});
    }
    for (auto& [suffix, routes] : wildcard) {
      sort_by_path_length(p, routes);
      t.wildcard.push_back(RouteTable::HostGroup{suffix, std::move(routes)});
    }
    std::stable_sort(t.wildcard.begin(), t.wildcard.end(),
                     [](const RouteTable::HostGroup& a, const RouteTable::HostGroup& b) {
                       return a.host.size() > b.host.size();
                     });
  }
  return table;
}

}  // namespace intransit::policy
