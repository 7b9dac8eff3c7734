#include "gateway/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace intransit::log {
namespace {

std::atomic<Level> g_level{Level::Info};

std::string_view level_name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "?";
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f) return true;
  }
  return false;
}

}  // namespace

void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view s, Level& out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error}) {
    if (s == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

Line::Line(Level l, std::string_view door, std::string_view event) : on_(enabled(l)) {
  if (!on_) return;
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  buf_.reserve(160);
  buf_.append(ts).append(" ").append(level_name(l)).append(" ");
  buf_.append(door).append(" ").append(event);
}

Line::~Line() {
  if (!on_) return;
  buf_.push_back('\n');
  const char* p = buf_.data();
  size_t left = buf_.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (!on_) return *this;
  buf_.append(" ").append(key).append("=");
  if (!needs_quotes(value)) {
    buf_.append(value);
    return *this;
  }
  buf_.push_back('"');
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      buf_.push_back('\\');
      buf_.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      buf_.append(esc);
    } else {
      buf_.push_back(static_cast<char>(c));
    }
  }
  buf_.push_back('"');
  return *this;
}

Line& Line::kv(std::string_view key, int64_t value) {
  if (!on_) return *this;
  buf_.append(" ").append(key).append("=").append(std::to_string(value));
  return *this;
}

Line& Line::kv(std::string_view key, uint64_t value) {
  if (!on_) return *this;
  buf_.append(" ").append(key).append("=").append(std::to_string(value));
  return *this;
}

}  // namespace intransit::log
