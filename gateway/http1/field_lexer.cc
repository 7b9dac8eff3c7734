#include "gateway/http1/field_lexer.h"

#include "gateway/http/field_rules.h"

namespace intransit::http1::detail {

FieldLexer::Event FieldLexer::step(uint8_t c, uint32_t pos) {
  switch (state_) {
    case State::LineStart:
      if (c == '\r') {
        state_ = State::EndLf;
        return Event::None;
      }
      if (c == ' ' || c == '\t') return fail(Errc::ObsFold);  // RFC 9112 §5.2, §2.2
      if (c == '\n') return fail(Errc::BareLf);
      if (!http::is_tchar(c)) return fail(Errc::BadFieldName);
      field_ = FieldPos{pos, pos, 0, 0};
      state_ = State::Name;
      return Event::None;

    case State::Name:
      if (http::is_tchar(c)) return Event::None;
      if (c == ':') {
        field_.name_end = pos;
        state_ = State::ValueOws;
        return Event::None;
      }
      if (c == ' ' || c == '\t') return fail(Errc::WhitespaceBeforeColon);  // RFC 9112 §5.1
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadFieldName);  // CR (no colon) or a non-token byte

    case State::ValueOws:
      if (c == ' ' || c == '\t') return Event::None;
      if (c == '\r') {
        field_.value_begin = field_.value_end = pos;
        state_ = State::ValueLf;
        return Event::None;
      }
      if (c == '\n') return fail(Errc::BareLf);
      if (!http::is_field_vchar(c)) return fail(Errc::BadFieldValue);
      field_.value_begin = pos;
      field_.value_end = pos + 1;
      state_ = State::Value;
      return Event::None;

    case State::Value:
      if (c == '\r') {
        state_ = State::ValueLf;
        return Event::None;
      }
      if (c == '\n') return fail(Errc::BareLf);
      if (!http::is_field_vchar(c)) return fail(Errc::BadFieldValue);
      if (c != ' ' && c != '\t') field_.value_end = pos + 1;
      return Event::None;

    case State::ValueLf:
      if (c != '\n') return fail(Errc::BareCr);
      state_ = State::LineStart;
      return Event::Field;

    case State::EndLf:
      if (c != '\n') return fail(Errc::BareCr);
      state_ = State::LineStart;
      return Event::End;
  }
  return fail(Errc::BadFieldName);  // unreachable
}

size_t FieldLexer::run(const uint8_t* p, size_t n, uint32_t pos) {
  size_t i = 0;
  if (state_ == State::Name) {
    while (i < n && http::is_tchar(p[i])) ++i;
  } else if (state_ == State::Value) {
    while (i < n && http::is_field_vchar(p[i])) {
      if (p[i] != ' ' && p[i] != '\t') field_.value_end = pos + static_cast<uint32_t>(i) + 1;
      ++i;
    }
  }
  return i;
}

}  // namespace intransit::http1::detail
