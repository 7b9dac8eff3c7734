#include "gateway/base/log.h"

#include "gateway/base/time_format.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

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
  append_utc_ms(now_unix_ms(), buf_);
  buf_.append(" ").append(level_name(l)).append(" ");
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
