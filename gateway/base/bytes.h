// Byte vocabulary shared by every module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace intransit {

using Bytes = std::vector<uint8_t>;
using BytesView = std::span<const uint8_t>;

inline BytesView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(BytesView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// constant_time_equal compares two byte strings without an early exit on the first
// difference. The lengths are not secret.
bool constant_time_equal(BytesView a, BytesView b);

// to_hex returns lowercase hex. from_hex returns false on odd length or a non-hex digit.
std::string to_hex(BytesView b);
bool from_hex(std::string_view hex, Bytes& out);

}  // namespace intransit
