// The `sip` rule of a SAS (SAS-SPEC §6, "sip"): one IPv4 address or an inclusive range
// "lo-hi", compared as 32-bit integers, never as strings.
//
// IPv6 (decided here; Azure documents nothing): a `sip` value that is not IPv4 is not well
// formed (403 AuthenticationFailed). A client address that is IPv6 never matches an IPv4
// `sip` (403 AuthorizationSourceIPMismatch), except an IPv4-mapped address (::ffff:a.b.c.d),
// which is the IPv4 client a dual-stack socket reports and compares as that IPv4 address.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace intransit::policy::sas {

// IpRange is an inclusive IPv4 range in host byte order.
struct IpRange {
  uint32_t lo = 0;
  uint32_t hi = 0;

  bool contains(uint32_t a) const { return lo <= a && a <= hi; }
};

// parse_ipv4 accepts a dotted quad of 1-3 digit decimal octets 0-255 without leading zeros
// ("010.0.0.1" is refused: other parsers read it as octal).
std::optional<uint32_t> parse_ipv4(std::string_view s);

// parse_sip parses a `sip` value: "a.b.c.d" or "a.b.c.d-e.f.g.h" with lo <= hi.
std::optional<IpRange> parse_sip(std::string_view s);

// client_ipv4 returns the IPv4 address of a client address as the gateway reports it
// ("203.0.113.5", "::ffff:203.0.113.5"), or nullopt for any other (IPv6) address.
std::optional<uint32_t> client_ipv4(std::string_view s);

}  // namespace intransit::policy::sas
