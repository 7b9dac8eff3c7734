// Time as the cores see it: a monotonic instant handed in by the glue. Cores never read a
// clock themselves (see DESIGN.md, "Shape of the code").
#pragma once

#include <chrono>
#include <cstdint>

namespace intransit {

using Duration = std::chrono::nanoseconds;

// Time is a monotonic instant, nanoseconds since an arbitrary origin (uv_hrtime in the glue).
struct Time {
  Duration since_origin{0};

  static Time from_ns(uint64_t ns) { return Time{Duration(static_cast<int64_t>(ns))}; }
  friend auto operator<=>(Time, Time) = default;
  friend Time operator+(Time t, Duration d) { return Time{t.since_origin + d}; }
  friend Duration operator-(Time a, Time b) { return a.since_origin - b.since_origin; }
};

inline constexpr Duration ms(int64_t n) { return std::chrono::milliseconds(n); }

}  // namespace intransit
