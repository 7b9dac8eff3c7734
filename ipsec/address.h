// Addresses shared by the IKE control plane and the ESP data plane: an IPv4/IPv6 address,
// a UDP endpoint, and a subnet. Plain values, no sockets.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/bytes.h"

namespace intransit::ipsec {

// IpAddress is an IPv4 or IPv6 address in network byte order. A default-constructed
// address has family 0 and means "unset / any".
struct IpAddress {
  uint8_t family = 0;  // 0 (unset), 4 or 6
  std::array<uint8_t, 16> b{};

  // v4 builds an IPv4 address from its four octets.
  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // from_bytes builds an address from 4 or 16 bytes; other sizes give nullopt.
  static std::optional<IpAddress> from_bytes(BytesView raw);
  // parse accepts dotted-quad IPv4 and RFC 4291 text IPv6 (via inet_pton).
  static std::optional<IpAddress> parse(std::string_view text);
  // max_for returns the all-ones address of `family` (255.255.255.255 or ffff:…:ffff).
  static IpAddress max_for(uint8_t family);
  // min_for returns the all-zero address of `family`.
  static IpAddress min_for(uint8_t family);

  // is_set is false for the default "any" address; size is 4, 16 or 0 bytes.
  bool is_set() const { return family != 0; }
  size_t size() const { return family == 6 ? 16 : family == 4 ? 4 : 0; }
  // bytes returns the 4 or 16 address bytes (empty when unset).
  BytesView bytes() const { return {b.data(), size()}; }
  // to_string renders inet_ntop text ("%any" when unset).
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Endpoint is an address and a UDP port.
struct Endpoint {
  IpAddress ip;
  uint16_t port = 0;

  // to_string renders "a.b.c.d:port" or "[v6]:port".
  std::string to_string() const;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Subnet is an address prefix such as 10.231.1.0/24.
struct Subnet {
  IpAddress address;
  uint8_t prefix_len = 0;

  // parse accepts "a.b.c.d/len", "x::y/len" or a bare address (host prefix).
  static std::optional<Subnet> parse(std::string_view text);
  // first and last return the lowest and highest address of the prefix.
  IpAddress first() const;
  IpAddress last() const;
  std::string to_string() const;
};

}  // namespace intransit::ipsec
