// libFuzzer target: the chunked decoder (RFC 9112 §7.1) and encoder.
//
// Input byte 0 seeds the split of the rest into reads. Oracles, beyond the sanitizers:
//  * split invariance: decoded bytes, end position and verdict are identical whole and split;
//  * data spans are views inside the piece given, and progress is always made;
//  * encoder round trip: the input as a payload, framed by write_chunk in seed-sized
//    chunks plus write_last_chunk, decodes back to exactly the payload.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/base/byte_queue.h"
#include "gateway/http1/chunked.h"

using namespace intransit;
using namespace intransit::http1;

namespace {

constexpr ChunkedLimits kLimits{1u << 20, 80, 512, 8};

std::string decode(BytesView input, std::optional<uint8_t> seed, ChunkedLimits lim) {
  ChunkedDecoder d(lim);
  uint32_t x = 0x2545f491u ^ (seed ? *seed : 0);
  std::string out;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t n = input.size() - pos;
    if (seed) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      n = std::min(n, size_t{1} + x % (1 + *seed % 32));
    }
    BytesView piece = input.subspan(pos, n);
    const size_t piece_start = pos;
    while (true) {
      const BodyStep s = d.feed(piece);
      if (s.error) return out + "|E" + std::string(name(*s.error));
      if (s.consumed > piece.size()) __builtin_trap();
      if (!s.data.empty() && (s.data.data() < piece.data() ||
                              s.data.data() + s.data.size() > piece.data() + s.consumed)) {
        __builtin_trap();
      }
      out.append(as_chars(s.data));
      piece = piece.subspan(s.consumed);
      pos += s.consumed;
      if (s.done) return out + "|done@" + std::to_string(pos);
      if (piece.empty()) break;
      if (s.consumed == 0) __builtin_trap();  // must make progress
    }
    (void)piece_start;
  }
  return out + "|more";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t seed = data[0];
  const BytesView input(data + 1, size - 1);

  if (decode(input, std::nullopt, kLimits) != decode(input, seed, kLimits)) __builtin_trap();
  if (decode(input, std::nullopt, ChunkedLimits{}) != decode(input, seed, ChunkedLimits{})) {
    __builtin_trap();
  }

  // Encoder round trip.
  ByteQueue q;
  const size_t chunk = 1 + seed % 64;
  for (size_t at = 0; at < input.size(); at += chunk) {
    ChunkedEncoder::write_chunk(input.subspan(at, std::min(chunk, input.size() - at)), q);
  }
  ChunkedEncoder::write_last_chunk(q);
  std::string wire(q.size(), '\0');
  q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(wire.data()), wire.size()));
  const std::string want = std::string(as_chars(input)) + "|done@" + std::to_string(wire.size());
  if (decode(as_bytes(wire), seed, ChunkedLimits{}) != want) __builtin_trap();
  return 0;
}
