// SAS time values (SAS-SPEC §6, "Time format"): ISO-8601 as Azure Storage accepts it in `st`,
// `se` and stored access policies, and the RFC 1123 form Azure echoes in error details.
//
// Times are Ticks: 100-nanosecond units since 1970-01-01T00:00:00Z, the resolution of the
// seven fractional digits Azure allows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace intransit::policy::sas {

using Ticks = int64_t;
inline constexpr Ticks kTicksPerSecond = 10'000'000;

// parse_time accepts, per SAS-SPEC §6:
//   YYYY-MM-DD
//   YYYY-MM-DDThh:mm<TZ>
//   YYYY-MM-DDThh:mm:ss<TZ>
//   YYYY-MM-DDThh:mm:ss.f<TZ>   (1 to 7 fractional digits)
// where <TZ> is "Z", "+hh:mm", "-hh:mm" or absent (UTC). Fields are range-checked (month days
// with leap years, hours 0-23, offsets up to 14:00); years 0001-9999. Anything else, including
// a space where '+' was (a raw '+' form-decodes to a space), returns nullopt.
std::optional<Ticks> parse_time(std::string_view s);

// format_rfc1123 renders "Thu, 09 Jul 2020 10:11:03 GMT" (seconds truncated), as Azure writes
// times in AuthenticationErrorDetail.
std::string format_rfc1123(Ticks t);

// format_iso8601 renders "2020-07-10T10:16:22.0000000Z" (seven fractional digits), as Azure
// writes `Time:` in error messages. With `fraction` false: "2020-07-10T10:16:22Z", the form
// the SDKs put in tokens.
std::string format_iso8601(Ticks t, bool fraction = true);

// ticks_from_unix converts seconds since the epoch to Ticks.
inline constexpr Ticks ticks_from_unix(int64_t s) {
  return s * kTicksPerSecond;
}

}  // namespace intransit::policy::sas
