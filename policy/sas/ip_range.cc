#include "policy/sas/ip_range.h"

#include "gateway/base/text.h"

namespace intransit::policy::sas {

std::optional<uint32_t> parse_ipv4(std::string_view s) {
  uint32_t out = 0;
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
    const size_t start = i;
    uint32_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
      v = v * 10 + static_cast<uint32_t>(s[i] - '0');
      ++i;
    }
    const size_t n = i - start;
    if (n == 0 || v > 255 || (n > 1 && s[start] == '0')) return std::nullopt;
    out = (out << 8) | v;
  }
  if (i != s.size()) return std::nullopt;
  return out;
}

std::optional<IpRange> parse_sip(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto a = parse_ipv4(s);
    if (!a) return std::nullopt;
    return IpRange{*a, *a};
  }
  auto lo = parse_ipv4(s.substr(0, dash));
  auto hi = parse_ipv4(s.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return IpRange{*lo, *hi};
}

std::optional<uint32_t> client_ipv4(std::string_view s) {
  if (auto a = parse_ipv4(s)) return a;
  // IPv4-mapped IPv6, as dual-stack sockets report IPv4 peers.
  for (std::string_view prefix : {"::ffff:", "0:0:0:0:0:ffff:"}) {
    if (s.size() > prefix.size() && iequals(s.substr(0, prefix.size()), prefix)) {
      return parse_ipv4(s.substr(prefix.size()));
    }
  }
  return std::nullopt;
}

}  // namespace intransit::policy::sas
