#include "ipsec/traffic_selector.h"

#include <algorithm>

namespace intransit::ipsec {

TrafficSelector TrafficSelector::from_subnet(const Subnet& s) {
  TrafficSelector ts;
  ts.start = s.first();
  ts.end = s.last();
  return ts;
}

bool TrafficSelector::valid() const {
  return start.is_set() && start.family == end.family && start <= end && start_port <= end_port;
}

bool TrafficSelector::contains_address(const IpAddress& ip) const {
  return ip.family == start.family && start <= ip && ip <= end;
}

std::optional<Subnet> TrafficSelector::as_subnet() const {
  if (!valid()) return std::nullopt;
  const unsigned max = start.family == 4 ? 32 : 128;
  for (unsigned len = 0; len <= max; ++len) {
    Subnet s{start, static_cast<uint8_t>(len)};
    if (s.first() == start && s.last() == end) return s;
  }
  return std::nullopt;
}

std::string TrafficSelector::to_string() const {
  std::string out;
  if (auto s = as_subnet()) {
    out = s->to_string();
  } else {
    out = start.to_string() + ".." + end.to_string();
  }
  if (ip_protocol != 0 || start_port != 0 || end_port != 0xffff) {
    out += "[" + std::to_string(ip_protocol);
    if (start_port != 0 || end_port != 0xffff) {
      out += "/" + std::to_string(start_port);
      if (end_port != start_port) out += "-" + std::to_string(end_port);
    }
    out += "]";
  }
  return out;
}

std::optional<TrafficSelector> intersect(const TrafficSelector& a, const TrafficSelector& b) {
  if (!a.valid() || !b.valid() || a.start.family != b.start.family) return std::nullopt;
  TrafficSelector r;
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) {
    return std::nullopt;
  }
  r.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
  r.start_port = std::max(a.start_port, b.start_port);
  r.end_port = std::min(a.end_port, b.end_port);
  r.start = std::max(a.start, b.start);
  r.end = std::min(a.end, b.end);
  if (!r.valid()) return std::nullopt;
  return r;
}

std::vector<TrafficSelector> narrow(const std::vector<TrafficSelector>& proposed,
                                    const std::vector<TrafficSelector>& configured) {
  std::vector<TrafficSelector> out;
  for (const auto& p : proposed) {
    for (const auto& c : configured) {
      auto r = intersect(p, c);
      if (r && std::find(out.begin(), out.end(), *r) == out.end()) out.push_back(*r);
    }
  }
  return out;
}

bool covered_by(const std::vector<TrafficSelector>& inner,
                const std::vector<TrafficSelector>& outer) {
  for (const auto& i : inner) {
    bool ok = false;
    for (const auto& o : outer) {
      auto r = intersect(i, o);
      if (r && *r == i) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace intransit::ipsec
