#include "ipsec/rng.h"

#include <openssl/rand.h>

namespace intransit::ipsec {

uint32_t Rng::u32() {
  uint8_t b[4];
  fill(b);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

uint64_t Rng::u64() {
  return uint64_t{u32()} << 32 | u32();
}

void SystemRng::fill(std::span<uint8_t> out) {
  if (!out.empty()) RAND_bytes(out.data(), out.size());
}

}  // namespace intransit::ipsec
