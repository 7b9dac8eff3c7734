// Helpers shared by the task implementations (internal to ipsec/ike/tasks).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gateway/base/bytes.h"
#include "ipsec/address.h"
#include "ipsec/config.h"
#include "ipsec/ike/crypto.h"
#include "ipsec/ike/payloads.h"

namespace intransit::ipsec::ike::tasks {

// natd_hash computes SHA-1(SPIi | SPIr | IP | Port) (RFC 7296 §2.23).
inline Bytes natd_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  Bytes data;
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<uint8_t>(spi_i >> (8 * i)));
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<uint8_t>(spi_r >> (8 * i)));
  const BytesView ip = e.ip.bytes();
  data.insert(data.end(), ip.begin(), ip.end());
  data.push_back(static_cast<uint8_t>(e.port >> 8));
  data.push_back(static_cast<uint8_t>(e.port));
  return sha1(data);
}

// any_matches is true when one of the notifies' data equals `want`.
inline bool any_matches(const std::vector<const NotifyPayload*>& ns, const Bytes& want) {
  return std::any_of(ns.begin(), ns.end(),
                     [&](const NotifyPayload* n) { return constant_time_equal(n->data, want); });
}

// group_offered is true when a proposal of `props` lists group `g`.
template <class P>
bool group_offered(const std::vector<P>& props, DhGroup g) {
  for (const auto& p : props) {
    if (std::find(p.dh.begin(), p.dh.end(), g) != p.dh.end()) return true;
  }
  return false;
}

// be16 reads a two-byte big-endian value (notify data such as INVALID_KE_PAYLOAD's group).
inline std::optional<uint16_t> be16(const Bytes& b) {
  if (b.size() != 2) return std::nullopt;
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

inline Bytes u16_bytes(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

inline Bytes u32_bytes(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

inline Bytes u64_bytes(uint64_t v) {
  Bytes b(8);
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
  return b;
}

inline uint64_t read_u64(const Bytes& b) {
  uint64_t v = 0;
  for (uint8_t c : b) v = v << 8 | c;
  return v;
}

}  // namespace intransit::ipsec::ike::tasks
