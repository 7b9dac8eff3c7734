#include "policy/sas/time.h"

#include <cstdio>

namespace intransit::policy::sas {

namespace {

// days_from_civil is Howard Hinnant's algorithm: days since 1970-01-01 for a proleptic
// Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Cursor reads fixed-width decimal fields.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool digits(size_t n, int& out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    out = v;
    return true;
  }
  bool lit(char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  }
  bool at_end() const { return i == s.size(); }
  char peek() const { return i < s.size() ? s[i] : '\0'; }
};

}  // namespace

std::optional<Ticks> parse_time(std::string_view s) {
  Cursor c{s};
  int year = 0, month = 0, day = 0;
  if (!c.digits(4, year) || !c.lit('-') || !c.digits(2, month) || !c.lit('-') ||
      !c.digits(2, day)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  int64_t secs =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86'400;
  Ticks frac = 0;
  if (c.at_end()) return secs * kTicksPerSecond;
  int hh = 0, mm = 0, ss = 0;
  if (!c.lit('T') || !c.digits(2, hh) || !c.lit(':') || !c.digits(2, mm)) return std::nullopt;
  if (hh > 23 || mm > 59) return std::nullopt;
  if (c.peek() == ':') {
    c.lit(':');
    if (!c.digits(2, ss) || ss > 59) return std::nullopt;
    if (c.peek() == '.') {
      c.lit('.');
      size_t n = 0;
      Ticks f = 0;
      while (c.peek() >= '0' && c.peek() <= '9') {
        if (++n > 7) return std::nullopt;
        f = f * 10 + (c.peek() - '0');
        ++c.i;
      }
      if (n == 0) return std::nullopt;
      for (; n < 7; ++n) f *= 10;
      frac = f;
    }
  }
  secs += hh * 3600 + mm * 60 + ss;
  if (c.peek() == 'Z') {
    c.lit('Z');
  } else if (c.peek() == '+' || c.peek() == '-') {
    const int sign = c.peek() == '+' ? 1 : -1;
    ++c.i;
    int oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.lit(':') || !c.digits(2, om)) return std::nullopt;
    if (om > 59 || oh * 60 + om > 14 * 60) return std::nullopt;
    secs -= sign * (oh * 3600 + om * 60);  // local = UTC + offset
  }
  if (!c.at_end()) return std::nullopt;
  return secs * kTicksPerSecond + frac;
}

std::string format_rfc1123(Ticks t) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t secs = t / kTicksPerSecond;
  if (t % kTicksPerSecond < 0) --secs;
  int64_t days = secs / 86'400;
  int64_t rem = secs % 86'400;
  if (rem < 0) {
    rem += 86'400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const int64_t wd = ((days % 7) + 7) % 7;  // 1970-01-01 was a Thursday
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT", kDays[wd], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<int>(rem / 3600),
                static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::string format_iso8601(Ticks t, bool fraction) {
  int64_t secs = t / kTicksPerSecond;
  int64_t frac = t % kTicksPerSecond;
  if (frac < 0) {
    frac += kTicksPerSecond;
    --secs;
  }
  int64_t days = secs / 86'400;
  int64_t rem = secs % 86'400;
  if (rem < 0) {
    rem += 86'400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  if (fraction) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%07lldZ",
                  static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60),
                  static_cast<long long>(frac));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                  d, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                  static_cast<int>(rem % 60));
  }
  return buf;
}

}  // namespace intransit::policy::sas
