// TrafficSelector is one RFC 7296 §3.13.1 selector: an IP protocol (0 = any), a port range
// and an address range of one family. The same type describes a CHILD SA's selectors in
// the IKE control plane and the SPD lookup of the ESP data plane.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipsec/address.h"

namespace intransit::ipsec {

// TrafficSelector: see the file comment. An address range [start, end] of one family.
struct TrafficSelector {
  uint8_t ip_protocol = 0;  // 0 = any
  uint16_t start_port = 0;
  uint16_t end_port = 0xffff;
  IpAddress start;
  IpAddress end;

  // from_subnet covers `s` with any protocol and all ports.
  static TrafficSelector from_subnet(const Subnet& s);
  // valid is true when both addresses have the same (set) family and the ranges are
  // ordered. RFC 7296 §3.13.1 "OPAQUE" port ranges (start > end) are not valid here.
  bool valid() const;
  // contains_address is true when `ip` lies inside the address range.
  bool contains_address(const IpAddress& ip) const;
  // as_subnet returns the prefix when the address range is exactly one prefix.
  std::optional<Subnet> as_subnet() const;
  // to_string renders "10.1.0.0/16", "10.1.0.5..10.1.0.9", with "[proto/ports]" when not
  // the wildcard, in strongSwan's notation.
  std::string to_string() const;

  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

// intersect returns the part common to `a` and `b`, or nullopt when they do not overlap
// (different families, protocols or disjoint ranges). This is the narrowing primitive of
// RFC 7296 §2.9.
std::optional<TrafficSelector> intersect(const TrafficSelector& a, const TrafficSelector& b);

// narrow implements the responder side of RFC 7296 §2.9: every proposed selector is
// intersected with every configured one, in the proposer's order, dropping duplicates.
// An empty result means TS_UNACCEPTABLE.
std::vector<TrafficSelector> narrow(const std::vector<TrafficSelector>& proposed,
                                    const std::vector<TrafficSelector>& configured);

// covered_by is true when every selector of `inner` lies entirely inside one selector of
// `outer` (the initiator's check that the responder only narrowed, §2.9).
bool covered_by(const std::vector<TrafficSelector>& inner,
                const std::vector<TrafficSelector>& outer);

}  // namespace intransit::ipsec
