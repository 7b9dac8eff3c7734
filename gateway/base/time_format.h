// UTC timestamps for log lines: "2026-11-23T15:53:00.051Z".
#pragma once

#include <cstdint>
#include <string>

namespace intransit {

// append_utc_ms appends `unix_ms` (milliseconds since the epoch) as ISO 8601 UTC with
// milliseconds.
void append_utc_ms(int64_t unix_ms, std::string& out);

// now_unix_ms reads the wall clock (glue and logging only; cores take time as an input).
int64_t now_unix_ms();

}  // namespace intransit
