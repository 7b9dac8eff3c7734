// Strict, resumable HTTP/1.1 head parsers (RFC 9112): RequestParser for what clients send,
// ResponseParser for what backends answer. Sans-I/O: they take bytes and return a
// ParseResult (STYLE.md R6); they never read a socket or a clock.
//
// Both are split-invariant: any split of the input over calls to `feed` gives the same
// result, error code and error offset as one call with all of it. Each byte is examined
// once (a scan position is kept between calls); the head bytes are copied once into an
// internal buffer whose capacity is reused across `reset`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/parse_result.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/field_lexer.h"

namespace intransit::http1 {

// ParserLimits bounds one head. The glue maps policy::Limits onto it.
struct ParserLimits {
  // max_head_bytes bounds the whole head: start line, field lines, the final CRLF and any
  // empty lines skipped before a request line. Over it: Errc::HeadTooLarge (431).
  uint32_t max_head_bytes = 16 * 1024;
  // max_header_count bounds the number of field lines (Host included). Over it:
  // Errc::TooManyFields (431).
  uint32_t max_header_count = 100;
  // max_target_bytes bounds the request-target. Over it: Errc::UriTooLong (414).
  uint32_t max_target_bytes = 8 * 1024;
};

// RequestParser parses one request head at a time:
//
//   request-line = method SP request-target SP HTTP-version CRLF     (RFC 9112 §3)
//
// with exactly one SP between the parts, method a token, HTTP-version exactly "HTTP/1.1" or
// "HTTP/1.0" (another well-formed version is Errc::UnsupportedVersion, 505). Up to
// max_head_bytes of empty lines before the request line are skipped (RFC 9112 §2.2).
//
// The request-target (RFC 9112 §3.2) must be visible ASCII without "#", and one of:
//   origin-form    "/path?query"        → path, query
//   asterisk-form  "*" (OPTIONS only)   → path "*"
//   absolute-form  "http(s)://authority/path?query", accepted only when the authority
//                  equals Host (ASCII case-insensitive) and normalised to origin-form.
// CONNECT is refused (Errc::ConnectRefused): a reverse proxy does not tunnel; any other
// authority-form target is Errc::BadTarget.
//
// Field lines follow detail::FieldLexer (no obs-fold, no whitespace before the colon, no
// bare CR or LF, no controls in values). Then, in field order:
//   Host               exactly once in HTTP/1.1 (at most once in 1.0), is_valid_authority;
//                      lowercased into RequestHead::authority and kept out of `fields`.
//   Content-Length     1*DIGIT without overflow. Duplicates are refused even when equal, and
//                      so is a list ("5, 5"): Errc::DuplicateContentLength. RFC 9112 §6.3
//                      allows accepting identical values; a strict edge has no need to.
//   Transfer-Encoding  only the single value "chunked" (case-insensitive) in one field; a
//                      list ending in chunked is 501, anything else 400. Never with
//                      Content-Length and never in HTTP/1.0 (RFC 9112 §6.1).
//   Connection         a list of tokens; "close" / "keep-alive" set keep_alive (1.1 default
//                      yes, 1.0 default no). Naming Content-Length, Transfer-Encoding or
//                      Host is refused: it only serves to make a proxy drop framing.
//   Expect             "100-continue" sets expect_continue (ignored in HTTP/1.0, RFC 9110
//                      §10.1.1); any other expectation is Errc::UnsupportedExpectation (417).
// A field whose name merely resembles a framing field ("Transfer_Encoding") is an ordinary
// field. Names are lowercased; values are kept with OWS trimmed.
//
// Usage: call `feed` with each new piece of input until it returns Parsed or ParseError.
// After Parsed, `consumed` is the number of bytes of *that last* `in` that belong to the
// head; the rest of it is body or the next pipelined request and stays with the caller.
// ParseError::offset counts from the first byte fed since construction or `reset`: it is the
// offending byte for syntax errors, the start of the offending field line for field rules
// checked once the head is complete (the request-target for HostMismatch), and the final LF
// for cross-field conflicts (missing Host, Content-Length with chunked, TE in HTTP/1.0).
// After a ParseError every further `feed` returns the same error. Call `reset` before parsing
// the next request; calling `feed` after Parsed without `reset` is a programming error.
class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  // feed consumes bytes of the head. It returns NeedMore when every byte of `in` was
  // consumed and the head is not complete, Parsed when the head ended, ParseError when it
  // is invalid.
  ParseResult<http::RequestHead, Errc> feed(BytesView in);

  // reset prepares for the next request, keeping allocated capacity.
  void reset();

  // bytes_seen returns how many bytes of the current head were consumed so far (empty lines
  // before the request line included). The glue uses `bytes_seen() > 0` to tell an idle
  // keep-alive connection from one in the middle of a head.
  uint32_t bytes_seen() const { return seen_; }

 private:
  enum class State : uint8_t {
    Start,
    StartLf,
    Method,
    Target,
    Version,
    LineLf,
    Fields,
    Done,
    Failed
  };
  enum class Form : uint8_t { Origin, Asterisk, Absolute };
  enum class Step : uint8_t { Continue, Done, Error };

  Step step(uint8_t c);
  Step fail(Errc e, uint32_t offset);
  Step end_method();
  Step end_target();
  Step end_version();
  Step finish();

  ParserLimits limits_;
  State state_ = State::Start;
  std::string buf_;  // the head from the first byte of the request line
  uint32_t seen_ = 0;
  uint32_t skipped_ = 0;  // empty lines before the request line
  uint32_t method_end_ = 0;
  uint32_t target_begin_ = 0;
  uint32_t target_end_ = 0;
  uint32_t version_begin_ = 0;
  Form form_ = Form::Origin;
  uint32_t path_begin_ = 0;  // within buf_; path_end_ == path_begin_ means "/"
  uint32_t path_end_ = 0;
  uint32_t authority_begin_ = 0;  // absolute-form only
  uint32_t authority_end_ = 0;
  http::Version version_ = http::Version::Http11;
  detail::FieldLexer lexer_;
  std::vector<detail::FieldPos> fields_;
  ParseError<Errc> error_{};
  http::RequestHead head_;  // filled by finish
};

// ResponseParser parses one backend response head:
//
//   status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF   (RFC 9112 §4)
//
// HTTP-version exactly "HTTP/1.1" or "HTTP/1.0"; status-code three digits from 100 to 599;
// the reason may be empty and, as a documented leniency, the SP before an empty reason may
// be missing ("HTTP/1.1 200\r\n"). No empty lines before the status line. Field lines as for
// requests; then Content-Length (1*DIGIT, no duplicates or lists), Transfer-Encoding
// (exactly "chunked", not with Content-Length, not in HTTP/1.0) and Connection (tokens).
// Every field, Host included, stays in `fields`.
//
// Framing follows RFC 9112 §6.3 with the request method given to the constructor or
// `reset`: a response to HEAD and any 1xx, 204 or 304 has no body (content_length and
// chunked still report the fields, so HEAD and 304 answers can relay them); otherwise
// chunked, then Content-Length, otherwise the body runs until the backend closes
// (`until_close`, which also clears `keep_alive`).
//
// Interim 1xx responses (100, 102, 103) are returned as parsed heads; the caller decides
// what to relay, calls `reset` with the same method and feeds the rest. 101 is
// Errc::UnexpectedUpgrade: we never send an Upgrade to a backend.
//
// `consumed`, error offsets, `reset` and split-invariance work as for RequestParser.
class ResponseParser {
 public:
  explicit ResponseParser(std::string_view request_method, ParserLimits limits = {});

  // feed consumes bytes of the head; see RequestParser::feed.
  ParseResult<http::ResponseHead, Errc> feed(BytesView in);

  // reset prepares for the next response (or the final response after a 1xx).
  void reset(std::string_view request_method);

  // bytes_seen returns how many bytes of the current head were consumed so far.
  uint32_t bytes_seen() const { return seen_; }

 private:
  enum class State : uint8_t { Version, Status, AfterStatus, Reason, LineLf, Fields, Done, Failed };
  enum class Step : uint8_t { Continue, Done, Error };

  Step step(uint8_t c);
  Step fail(Errc e, uint32_t offset);
  Step finish();

  ParserLimits limits_;
  bool head_request_ = false;
  State state_ = State::Version;
  std::string buf_;
  uint32_t seen_ = 0;
  uint16_t status_ = 0;
  uint32_t status_digits_ = 0;
  uint32_t reason_begin_ = 0;
  uint32_t reason_end_ = 0;
  http::Version version_ = http::Version::Http11;
  detail::FieldLexer lexer_;
  std::vector<detail::FieldPos> fields_;
  ParseError<Errc> error_{};
  http::ResponseHead head_;
};

}  // namespace intransit::http1
