// Randomness is an input (STYLE.md R9): cores ask an Rng for bytes and never call a
// random source themselves, so tests can replay exchanges with fixed nonces, SPIs and DH
// private values.
#pragma once

#include <cstdint>
#include <span>

namespace intransit::ipsec {

// Rng is the randomness interface every core takes.
class Rng {
 public:
  virtual ~Rng() = default;
  // fill writes out.size() random bytes to `out`. It cannot fail.
  virtual void fill(std::span<uint8_t> out) = 0;

  // u32 and u64 return random integers (SPIs, cookie secrets' versions, jitter).
  uint32_t u32();
  uint64_t u64();
};

// SystemRng draws from BoringSSL's RAND_bytes. It is what the glue hands to the cores.
class SystemRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override;
};

}  // namespace intransit::ipsec
