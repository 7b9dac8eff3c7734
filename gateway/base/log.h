// Structured log lines: `<time> <level> <door> <event> key=value ...`, one line per event,
// written to stderr with a single write so lines from several threads never interleave.
//
//   log::warn("https", "refused").kv("reason", "bad_chunk").kv("peer", peer);
//
// The line is emitted when the temporary is destroyed. Secrets (SAS signatures, keys) must
// never be passed to kv.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intransit::log {

enum class Level : uint8_t { Debug, Info, Warn, Error };

void set_level(Level l);
Level level();
inline bool enabled(Level l) { return l >= level(); }
// parse_level accepts debug|info|warn|error; returns false otherwise.
bool parse_level(std::string_view s, Level& out);

class Line {
 public:
  Line(Level l, std::string_view door, std::string_view event);
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line();

  // kv appends key=value; the value is quoted and escaped when it holds spaces, quotes or
  // control bytes.
  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  Line& kv(std::string_view key, const std::string& value) {
    return kv(key, std::string_view(value));
  }
  Line& kv(std::string_view key, int64_t value);
  Line& kv(std::string_view key, uint64_t value);
  Line& kv(std::string_view key, int value) { return kv(key, static_cast<int64_t>(value)); }
  Line& kv(std::string_view key, unsigned value) { return kv(key, static_cast<uint64_t>(value)); }

 private:
  bool on_;
  std::string buf_;
};

inline Line debug(std::string_view door, std::string_view event) {
  return Line(Level::Debug, door, event);
}
inline Line info(std::string_view door, std::string_view event) {
  return Line(Level::Info, door, event);
}
inline Line warn(std::string_view door, std::string_view event) {
  return Line(Level::Warn, door, event);
}
inline Line error(std::string_view door, std::string_view event) {
  return Line(Level::Error, door, event);
}

}  // namespace intransit::log
