// Refusal reasons of the HTTP/1.1 codec (RFC 9112) and the one table that maps each to the
// status sent to the client, a metric label and a one-line body (STYLE.md R5).
//
// The same codes come out of the request parser, the response parser and the body readers.
// For client requests the glue answers `refusal(code).status` and closes the connection
// (RFC 9112 §6.3: after a framing error the connection cannot be reused). For backend
// responses every code means "the backend is broken": the glue answers 502 and keeps the
// label for the metric.
#pragma once

#include <cstdint>
#include <string_view>

namespace intransit::http1 {

enum class Errc : uint8_t {
  // Size limits (RFC 9112 §2.3 leaves them to the server; RFC 6585 §5 gives 431).
  HeadTooLarge,   // the head exceeds ParserLimits::max_head_bytes
  TooManyFields,  // more than ParserLimits::max_header_count field lines
  UriTooLong,     // request-target longer than ParserLimits::max_target_bytes

  // Request line (RFC 9112 §3).
  BadRequestLine,      // not exactly `method SP request-target SP HTTP-version CRLF`
  BadMethod,           // method is not a token
  BadTarget,           // request-target not origin-form, "*" (OPTIONS) or absolute-form
  BadVersion,          // HTTP-version is not `HTTP/DIGIT.DIGIT` (case-sensitive)
  UnsupportedVersion,  // well-formed but not HTTP/1.0 or HTTP/1.1
  ConnectRefused,      // CONNECT / authority-form: a reverse proxy does not tunnel

  // Line endings (RFC 9112 §2.2).
  BareLf,  // LF not preceded by CR
  BareCr,  // CR not followed by LF

  // Field lines (RFC 9112 §5, RFC 9110 §5.5).
  BadFieldName,           // field-name is not a token, or the line has no colon
  WhitespaceBeforeColon,  // whitespace in or after a field-name (RFC 9112 §5.1: MUST 400)
  ObsFold,                // RFC 9112 §5.2 line folding, or whitespace after the start line
  BadFieldValue,          // NUL or a control character other than HTAB in a value

  // Host (RFC 9112 §3.2).
  MissingHost,    // HTTP/1.1 request without Host
  DuplicateHost,  // more than one Host field
  BadHost,        // Host is not reg-name / IPv4 / [IPv6] with an optional port
  HostMismatch,   // absolute-form target whose authority differs from Host

  // Framing (RFC 9112 §6).
  BadContentLength,            // Content-Length is not 1*DIGIT or overflows 64 bits
  DuplicateContentLength,      // two Content-Length fields, or a list such as "5, 5"
  DuplicateTransferEncoding,   // two Transfer-Encoding fields
  BadTransferEncoding,         // empty, quoted, parameters, empty list element, chunked twice
  TransferEncodingNotChunked,  // chunked is not the final coding (RFC 9112 §6.3 item 4)
  UnsupportedTransferCoding,   // a coding other than chunked before it (RFC 9112 §6.1: 501)
  ContentLengthWithChunked,    // both framings: RFC 9112 §6.1 smuggling defence
  TransferEncodingInHttp10,    // RFC 9112 §6.1: faulty framing in an HTTP/1.0 message
  BadConnection,               // Connection is not a list of tokens
  ConnectionNamesFraming,      // Connection names Content-Length, Transfer-Encoding or Host
  UnsupportedExpectation,      // Expect other than 100-continue (RFC 9110 §10.1.1: 417)

  // Responses from backends (RFC 9112 §4).
  BadStatusLine,      // not `HTTP-version SP 3DIGIT SP reason CRLF`
  UnexpectedUpgrade,  // 101 Switching Protocols: we never upgrade

  // Bodies (RFC 9112 §6, §7.1).
  BadChunkSize,       // chunk-size is not 1*HEXDIG
  ChunkTooLarge,      // chunk-size above ChunkedLimits::max_chunk_bytes (at most 2^63 - 1)
  BadChunkExtension,  // chunk-ext not `;token[=token|quoted-string]`
  ChunkLineTooLong,   // chunk-size line (with extensions) above ChunkedLimits::max_line_bytes
  BadChunkData,       // chunk-data not followed by exactly CRLF
  BadTrailer,         // a trailer field line breaks the field syntax
  TrailerTooLarge,    // trailer section above the byte or field-count limit
  BodyTruncated,      // the connection closed before the body ended
};

// Refusal is what a client is told: an HTTP status, a metric label (snake_case, stable) and a
// short body line ending in "\n".
struct Refusal {
  uint16_t status;
  std::string_view label;
  std::string_view body;
};

// refusal maps a code to its Refusal. Every enumerator has a case (-Wswitch keeps it so).
constexpr Refusal refusal(Errc e) {
  switch (e) {
    case Errc::HeadTooLarge:
      return {431, "head_too_large", "request head too large\n"};
    case Errc::TooManyFields:
      return {431, "too_many_fields", "too many header fields\n"};
    case Errc::UriTooLong:
      return {414, "uri_too_long", "request target too long\n"};
    case Errc::BadRequestLine:
      return {400, "bad_request_line", "malformed request line\n"};
    case Errc::BadMethod:
      return {400, "bad_method", "malformed method\n"};
    case Errc::BadTarget:
      return {400, "bad_target", "malformed or unsupported request target\n"};
    case Errc::BadVersion:
      return {400, "bad_version", "malformed HTTP version\n"};
    case Errc::UnsupportedVersion:
      return {505, "unsupported_version", "only HTTP/1.0 and HTTP/1.1 are supported\n"};
    case Errc::ConnectRefused:
      return {400, "connect_refused", "CONNECT is not supported by this gateway\n"};
    case Errc::BareLf:
      return {400, "bare_lf", "line ending without CR (bare LF)\n"};
    case Errc::BareCr:
      return {400, "bare_cr", "CR not followed by LF\n"};
    case Errc::BadFieldName:
      return {400, "bad_field_name", "malformed header field name\n"};
    case Errc::WhitespaceBeforeColon:
      return {400, "ws_before_colon", "whitespace in or after a header field name\n"};
    case Errc::ObsFold:
      return {400, "obs_fold", "header line starts with whitespace (line folding)\n"};
    case Errc::BadFieldValue:
      return {400, "bad_field_value", "control character in header field value\n"};
    case Errc::MissingHost:
      return {400, "missing_host", "missing Host header\n"};
    case Errc::DuplicateHost:
      return {400, "dup_host", "more than one Host header\n"};
    case Errc::BadHost:
      return {400, "bad_host", "malformed Host header\n"};
    case Errc::HostMismatch:
      return {400, "host_mismatch", "absolute request target does not match Host\n"};
    case Errc::BadContentLength:
      return {400, "bad_content_length", "malformed Content-Length\n"};
    case Errc::DuplicateContentLength:
      return {400, "dup_content_length", "more than one Content-Length\n"};
    case Errc::DuplicateTransferEncoding:
      return {400, "dup_transfer_encoding", "more than one Transfer-Encoding header\n"};
    case Errc::BadTransferEncoding:
      return {400, "bad_transfer_encoding", "malformed Transfer-Encoding\n"};
    case Errc::TransferEncodingNotChunked:
      return {400, "te_not_chunked", "Transfer-Encoding does not end in chunked\n"};
    case Errc::UnsupportedTransferCoding:
      return {501, "unsupported_transfer_coding",
              "only the chunked transfer coding is supported\n"};
    case Errc::ContentLengthWithChunked:
      return {400, "cl_with_te", "both Content-Length and Transfer-Encoding\n"};
    case Errc::TransferEncodingInHttp10:
      return {400, "te_in_http10", "Transfer-Encoding in an HTTP/1.0 message\n"};
    case Errc::BadConnection:
      return {400, "bad_connection", "malformed Connection header\n"};
    case Errc::ConnectionNamesFraming:
      return {400, "connection_names_framing", "Connection header names a framing field\n"};
    case Errc::UnsupportedExpectation:
      return {417, "unsupported_expectation", "only Expect: 100-continue is supported\n"};
    case Errc::BadStatusLine:
      return {502, "bad_status_line", "malformed status line from backend\n"};
    case Errc::UnexpectedUpgrade:
      return {502, "unexpected_upgrade", "backend tried to switch protocols\n"};
    case Errc::BadChunkSize:
      return {400, "bad_chunk_size", "malformed chunk size\n"};
    case Errc::ChunkTooLarge:
      return {400, "chunk_too_large", "chunk size too large\n"};
    case Errc::BadChunkExtension:
      return {400, "bad_chunk_extension", "malformed chunk extension\n"};
    case Errc::ChunkLineTooLong:
      return {400, "chunk_line_too_long", "chunk size line too long\n"};
    case Errc::BadChunkData:
      return {400, "bad_chunk_data", "chunk data not followed by CRLF\n"};
    case Errc::BadTrailer:
      return {400, "bad_trailer", "malformed trailer field\n"};
    case Errc::TrailerTooLarge:
      return {431, "trailer_too_large", "trailer section too large\n"};
    case Errc::BodyTruncated:
      return {400, "body_truncated", "connection closed before the end of the body\n"};
  }
  return {500, "internal", "internal error\n"};  // unreachable; keeps -Wreturn-type quiet
}

// name returns the metric label of `e` (the same as refusal(e).label).
constexpr std::string_view name(Errc e) {
  return refusal(e).label;
}

}  // namespace intransit::http1
