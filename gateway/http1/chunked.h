// The chunked transfer coding of RFC 9112 §7.1: a strict, resumable decoder that returns
// views into its input (no copies), and the few writes an encoder needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/field_lexer.h"

namespace intransit::http1 {

// BodyStep is what one call to a body decoder returns.
//
//  * `consumed`: how many bytes of the `in` given to that call were used. The caller drops
//    them and calls again with the rest (which may be empty).
//  * `data`: body bytes decoded by this call, a view into that `in`: valid exactly as long
//    as the caller's buffer. At most one contiguous span per call.
//  * `done`: the body ended within `consumed`; bytes after it belong to the next message.
//  * `error`: the body is invalid; `consumed` and `data` are then 0 and empty. The
//    connection cannot be reused (RFC 9112 §6.3).
//
// A call returns as soon as it has data to hand out, so callers loop. Given non-empty input,
// a call that neither ends the body nor fails consumes at least one byte, so this loop
// terminates; it also sees `done` for a body that has no bytes at all:
//
//   for (;;) {
//     BodyStep s = reader.feed(in);
//     if (s.error) return refuse(*s.error);
//     if (!s.data.empty()) forward(s.data);
//     in = in.subspan(s.consumed);
//     if (s.done) break;       // `in` now starts the next message
//     if (in.empty()) break;   // wait for more bytes
//   }
struct BodyStep {
  size_t consumed = 0;
  BytesView data;
  bool done = false;
  std::optional<Errc> error;
};

// ChunkedLimits bounds what a chunked body may make us hold or count.
struct ChunkedLimits {
  // max_chunk_bytes bounds one chunk-size (at most 2^63 - 1, which is also the default).
  // Over it: Errc::ChunkTooLarge. The total body size is the glue's limit (max_body_bytes).
  uint64_t max_chunk_bytes = 0x7fff'ffff'ffff'ffffULL;
  // max_line_bytes bounds one chunk-size line with its extensions and CRLF (leading zeros
  // count). Over it: Errc::ChunkLineTooLong.
  uint32_t max_line_bytes = 4096;
  // max_trailer_bytes / max_trailer_fields bound the trailer section (final CRLF included).
  // Over either: Errc::TrailerTooLarge.
  uint32_t max_trailer_bytes = 16 * 1024;
  uint32_t max_trailer_fields = 100;
};

// ChunkedDecoder decodes
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size   = 1*HEXDIG
//   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )   (RFC 9112 §7.1.1)
//   ext-val      = token / quoted-string
//
// strictly: chunk-size is hex digits only (no "0x", sign or leading whitespace) and may not
// exceed max_chunk_bytes; extensions are checked against the grammar above and ignored
// (a quoted-string may not hold CR, LF or other controls except HTAB); every line ends in
// CRLF (bare CR or LF is an error); chunk-data must be followed by exactly CRLF. The trailer
// section (RFC 9112 §7.1.2) is lexed with the same field rules as a head, bounded, and
// discarded: trailer fields are never forwarded and never affect framing.
//
// It is split-invariant: any split of the input over calls yields the same data bytes and
// the same verdict. After `done` or an error, further calls return the same outcome with
// nothing consumed.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  // feed decodes from `in`; see BodyStep for the contract.
  BodyStep feed(BytesView in);

  // reset prepares for a new body.
  void reset();

  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }
  // body_bytes returns the number of chunk-data bytes decoded so far.
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State : uint8_t {
    Size,           // first hex digit of chunk-size
    SizeDigits,     // more hex digits, or what follows them
    SizeBws,        // BWS after chunk-size: only ";" may follow
    ExtNameBws,     // after ";": BWS then ext-name
    ExtName,        // inside ext-name
    ExtNameEnd,     // BWS after ext-name: "=", ";" or CR
    ExtValueBws,    // after "=": BWS then token or quoted-string
    ExtToken,       // inside a token ext-val
    ExtQuoted,      // inside a quoted-string
    ExtQuotedPair,  // after "\" in a quoted-string
    ExtValueEnd,    // BWS after ext-val: ";" or CR
    SizeLf,         // CR seen at the end of the size line
    Data,           // chunk-data
    DataCr,         // CR after chunk-data
    DataLf,         // LF after chunk-data
    Trailer,        // trailer section, through detail::FieldLexer
    Done,
    Failed,
  };

  // Consumes one byte of a size line or trailer. Returns false on error (state_ = Failed).
  bool step(uint8_t c);
  bool fail(Errc e);

  ChunkedLimits limits_;
  State state_ = State::Size;
  uint64_t chunk_size_ = 0;  // during Size*; then the bytes left in the current chunk
  uint32_t line_bytes_ = 0;
  uint32_t trailer_bytes_ = 0;
  uint32_t trailer_fields_ = 0;
  uint64_t body_bytes_ = 0;
  Errc error_ = Errc::BadChunkSize;
  detail::FieldLexer trailer_;
};

// ChunkedEncoder frames a body as chunks (RFC 9112 §7.1) by appending to a ByteQueue, so
// data can be framed without first copying it into a separate buffer: header, then the
// caller's data, then the CRLF. Output is the last argument, as for write_request.
struct ChunkedEncoder {
  // write_chunk_header appends "<n in lowercase hex>\r\n". `n` must be > 0 (a zero-size
  // chunk would end the body: use write_last_chunk); 0 aborts as a programming error.
  static void write_chunk_header(uint64_t n, ByteQueue& out);

  // write_chunk_end appends the CRLF that follows chunk-data.
  static void write_chunk_end(ByteQueue& out);

  // write_chunk appends one complete chunk holding `data`; nothing when `data` is empty.
  static void write_chunk(BytesView data, ByteQueue& out);

  // write_last_chunk appends the last-chunk and an empty trailer section: "0\r\n\r\n".
  static void write_last_chunk(ByteQueue& out);
};

}  // namespace intransit::http1
