#include "gateway/http1/chunked.h"

#include <algorithm>

#include "gateway/base/assert.h"
#include "gateway/http/field_rules.h"

namespace intransit::http1 {
namespace {

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ws(uint8_t c) {
  return c == ' ' || c == '\t';
}

// RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
bool is_qdtext(uint8_t c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
bool is_quotable(uint8_t c) {
  return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

}  // namespace

void ChunkedDecoder::reset() {
  state_ = State::Size;
  chunk_size_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  trailer_fields_ = 0;
  body_bytes_ = 0;
  error_ = Errc::BadChunkSize;
  trailer_.reset();
}

bool ChunkedDecoder::fail(Errc e) {
  state_ = State::Failed;
  error_ = e;
  return false;
}

BodyStep ChunkedDecoder::feed(BytesView in) {
  BodyStep out;
  size_t i = 0;
  while (true) {
    if (state_ == State::Failed) return BodyStep{0, {}, false, error_};
    if (state_ == State::Done) {
      out.consumed = i;
      out.done = true;
      return out;
    }
    if (state_ == State::Data && chunk_size_ > 0) {
      if (i == in.size()) break;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_size_, in.size() - i));
      out.data = in.subspan(i, n);
      chunk_size_ -= n;
      body_bytes_ += n;
      if (chunk_size_ == 0) state_ = State::DataCr;
      out.consumed = i + n;
      return out;  // one span per call
    }
    if (i == in.size()) break;
    if (!step(in[i])) return BodyStep{0, {}, false, error_};
    ++i;
  }
  out.consumed = i;
  return out;
}

bool ChunkedDecoder::step(uint8_t c) {
  // Size-line states count bytes against max_line_bytes.
  if (state_ <= State::SizeLf) {
    if (++line_bytes_ > limits_.max_line_bytes) return fail(Errc::ChunkLineTooLong);
  }
  switch (state_) {
    case State::Size: {
      const int v = hex_value(c);
      if (v < 0) return fail(c == '\n' ? Errc::BareLf : Errc::BadChunkSize);
      if (static_cast<uint64_t>(v) > limits_.max_chunk_bytes) return fail(Errc::ChunkTooLarge);
      chunk_size_ = static_cast<uint64_t>(v);
      state_ = State::SizeDigits;
      return true;
    }
    case State::SizeDigits: {
      const int v = hex_value(c);
      if (v >= 0) {
        if (chunk_size_ > (limits_.max_chunk_bytes - static_cast<uint64_t>(v)) / 16) {
          return fail(Errc::ChunkTooLarge);
        }
        chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(v);
        return true;
      }
      if (c == '\r') {
        state_ = State::SizeLf;
        return true;
      }
      if (c == ';') {
        state_ = State::ExtNameBws;
        return true;
      }
      if (is_ws(c)) {
        state_ = State::SizeBws;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkSize);
    }
    case State::SizeBws:
      if (is_ws(c)) return true;
      if (c == ';') {
        state_ = State::ExtNameBws;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkSize);  // whitespace after the size without an extension
    case State::ExtNameBws:
      if (is_ws(c)) return true;
      if (http::is_tchar(c)) {
        state_ = State::ExtName;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkExtension);
    case State::ExtName:
      if (http::is_tchar(c)) return true;
      [[fallthrough]];
    case State::ExtNameEnd:
      if (is_ws(c)) {
        state_ = State::ExtNameEnd;
        return true;
      }
      if (c == '=') {
        state_ = State::ExtValueBws;
        return true;
      }
      if (c == ';') {
        state_ = State::ExtNameBws;
        return true;
      }
      if (c == '\r') {
        state_ = State::SizeLf;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkExtension);
    case State::ExtValueBws:
      if (is_ws(c)) return true;
      if (c == '"') {
        state_ = State::ExtQuoted;
        return true;
      }
      if (http::is_tchar(c)) {
        state_ = State::ExtToken;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkExtension);
    case State::ExtToken:
      if (http::is_tchar(c)) return true;
      [[fallthrough]];
    case State::ExtValueEnd:
      if (is_ws(c)) {
        state_ = State::ExtValueEnd;
        return true;
      }
      if (c == ';') {
        state_ = State::ExtNameBws;
        return true;
      }
      if (c == '\r') {
        state_ = State::SizeLf;
        return true;
      }
      if (c == '\n') return fail(Errc::BareLf);
      return fail(Errc::BadChunkExtension);
    case State::ExtQuoted:
      if (c == '"') {
        state_ = State::ExtValueEnd;
        return true;
      }
      if (c == '\\') {
        state_ = State::ExtQuotedPair;
        return true;
      }
      if (is_qdtext(c)) return true;
      return fail(Errc::BadChunkExtension);  // CR, LF or a control inside the quotes
    case State::ExtQuotedPair:
      if (!is_quotable(c)) return fail(Errc::BadChunkExtension);
      state_ = State::ExtQuoted;
      return true;
    case State::SizeLf:
      if (c != '\n') return fail(Errc::BareCr);
      line_bytes_ = 0;
      if (chunk_size_ == 0) {  // last-chunk: the trailer section follows
        trailer_.reset();
        state_ = State::Trailer;
      } else {
        state_ = State::Data;
      }
      return true;
    case State::Data:
      INTRANSIT_ASSERT(false);  // feed hands data out before calling step
      return false;
    case State::DataCr:
      if (c != '\r') return fail(Errc::BadChunkData);
      state_ = State::DataLf;
      return true;
    case State::DataLf:
      if (c != '\n') return fail(Errc::BadChunkData);
      state_ = State::Size;
      return true;
    case State::Trailer: {
      if (++trailer_bytes_ > limits_.max_trailer_bytes) return fail(Errc::TrailerTooLarge);
      switch (trailer_.step(c, trailer_bytes_ - 1)) {
        case detail::FieldLexer::Event::None:
          return true;
        case detail::FieldLexer::Event::Field:
          if (++trailer_fields_ > limits_.max_trailer_fields) return fail(Errc::TrailerTooLarge);
          return true;
        case detail::FieldLexer::Event::End:
          state_ = State::Done;
          return true;
        case detail::FieldLexer::Event::Error:
          return fail(Errc::BadTrailer);
      }
      return fail(Errc::BadTrailer);
    }
    case State::Done:
    case State::Failed:
      break;
  }
  INTRANSIT_ASSERT(false);
  return false;
}

void ChunkedEncoder::write_chunk_header(uint64_t n, ByteQueue& out) {
  INTRANSIT_ASSERT(n > 0);
  char buf[18];  // 16 hex digits + CRLF
  size_t len = 0;
  char digits[16];
  size_t d = 0;
  while (n > 0) {
    digits[d++] = "0123456789abcdef"[n & 0xf];
    n >>= 4;
  }
  while (d > 0) buf[len++] = digits[--d];
  buf[len++] = '\r';
  buf[len++] = '\n';
  out.append(BytesView(reinterpret_cast<const uint8_t*>(buf), len));
}

void ChunkedEncoder::write_chunk_end(ByteQueue& out) {
  out.append(as_bytes("\r\n"));
}

void ChunkedEncoder::write_chunk(BytesView data, ByteQueue& out) {
  if (data.empty()) return;
  write_chunk_header(data.size(), out);
  out.append(data);
  write_chunk_end(out);
}

void ChunkedEncoder::write_last_chunk(ByteQueue& out) {
  out.append(as_bytes("0\r\n\r\n"));
}

}  // namespace intransit::http1
