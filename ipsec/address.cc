#include "ipsec/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "gateway/base/text.h"

namespace intransit::ipsec {

IpAddress IpAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = 4;
  ip.b[0] = a;
  ip.b[1] = b;
  ip.b[2] = c;
  ip.b[3] = d;
  return ip;
}

std::optional<IpAddress> IpAddress::from_bytes(BytesView raw) {
  IpAddress ip;
  if (raw.size() == 4) {
    ip.family = 4;
  } else if (raw.size() == 16) {
    ip.family = 6;
  } else {
    return std::nullopt;
  }
  std::memcpy(ip.b.data(), raw.data(), raw.size());
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 63) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.b.data()) == 1) {
    ip.family = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.b.data()) == 1) {
    ip.family = 6;
    return ip;
  }
  return std::nullopt;
}

IpAddress IpAddress::max_for(uint8_t family) {
  IpAddress ip;
  ip.family = family;
  for (size_t i = 0; i < ip.size(); ++i) ip.b[i] = 0xff;
  return ip;
}

IpAddress IpAddress::min_for(uint8_t family) {
  IpAddress ip;
  ip.family = family;
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == 4) {
    inet_ntop(AF_INET, b.data(), buf, sizeof(buf));
  } else if (family == 6) {
    inet_ntop(AF_INET6, b.data(), buf, sizeof(buf));
  } else {
    return "%any";
  }
  return buf;
}

std::string Endpoint::to_string() const {
  if (ip.family == 6) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

std::optional<Subnet> Subnet::parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  Subnet s;
  s.address = *addr;
  const unsigned max = addr->family == 4 ? 32 : 128;
  if (slash == std::string_view::npos) {
    s.prefix_len = static_cast<uint8_t>(max);
  } else {
    auto n = parse_u64(text.substr(slash + 1));
    if (!n || *n > max) return std::nullopt;
    s.prefix_len = static_cast<uint8_t>(*n);
  }
  // Normalise: clear the host bits so that 10.1.2.3/24 means 10.1.2.0/24.
  s.address = s.first();
  return s;
}

IpAddress Subnet::first() const {
  IpAddress ip = address;
  for (size_t i = 0; i < ip.size(); ++i) {
    const int bits = static_cast<int>(prefix_len) - static_cast<int>(i * 8);
    if (bits >= 8) continue;
    const uint8_t mask = bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
    ip.b[i] &= mask;
  }
  return ip;
}

IpAddress Subnet::last() const {
  IpAddress ip = address;
  for (size_t i = 0; i < ip.size(); ++i) {
    const int bits = static_cast<int>(prefix_len) - static_cast<int>(i * 8);
    if (bits >= 8) continue;
    const uint8_t mask = bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
    ip.b[i] = static_cast<uint8_t>((ip.b[i] & mask) | static_cast<uint8_t>(~mask));
  }
  return ip;
}

std::string Subnet::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix_len);
}

}  // namespace intransit::ipsec
