// Internal to gateway/http1: the byte-at-a-time lexer of an RFC 9112 §5 field section, shared
// by the request and response head parsers and by the chunked trailer section. It validates
// syntax only and records where each field's name and value are; it never looks back at
// earlier bytes, so callers may keep them (head parsers) or not (trailers).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gateway/http1/errors.h"

namespace intransit::http1::detail {

// FieldPos locates one field line by offsets from the start of the caller's buffer:
// name is [name_begin, name_end), value is [value_begin, value_end) with OWS trimmed.
struct FieldPos {
  uint32_t name_begin = 0;
  uint32_t name_end = 0;
  uint32_t value_begin = 0;
  uint32_t value_end = 0;
};

// FieldLexer recognises
//   field-section = *( field-line CRLF ) CRLF
//   field-line    = field-name ":" OWS field-value OWS
// strictly: field-name is a token with no whitespace before the colon (RFC 9112 §5.1), a
// line starting with SP or HTAB is obs-fold and refused (§5.2), CR must be followed by LF
// and LF preceded by CR (§2.2), and values hold no NUL, CR, LF, DEL or other control
// besides HTAB (RFC 9110 §5.5). obs-text (0x80-0xFF) is accepted in values; whoever
// interprets a value (framing fields) checks it further.
class FieldLexer {
 public:
  enum class Event : uint8_t { None, Field, End, Error };

  // reset prepares for a new field section (the byte after the start line's CRLF).
  void reset() { state_ = State::LineStart; }

  // step consumes byte `c` found at offset `pos` of the caller's buffer. It returns Field
  // when `c` completed a field line (see field()), End when it completed the empty line that
  // ends the section, Error when `c` is invalid (see error()), None otherwise.
  Event step(uint8_t c, uint32_t pos);

  // run returns how many of the `n` bytes at `p` (the first at offset `pos`) it consumed at
  // once because they are ordinary bytes in the middle of a field name or value; 0
  // elsewhere. It is the fast path for long names and values: the result is identical to
  // calling step on each of those bytes, none of which would return an event.
  size_t run(const uint8_t* p, size_t n, uint32_t pos);

  // field returns the position of the last completed field line.
  const FieldPos& field() const { return field_; }
  // error returns the reason of the last Error event.
  Errc error() const { return error_; }

 private:
  enum class State : uint8_t { LineStart, Name, ValueOws, Value, ValueLf, EndLf };

  Event fail(Errc e) {
    error_ = e;
    return Event::Error;
  }

  State state_ = State::LineStart;
  Errc error_ = Errc::BadFieldName;
  FieldPos field_;
};

}  // namespace intransit::http1::detail
