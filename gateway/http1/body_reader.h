// Message body framing (RFC 9112 §6.3) and BodyReader, the one decoder the glue drives for
// request bodies (client side) and response bodies (backend side).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/base/bytes.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/chunked.h"

namespace intransit::http1 {

// BodyKind says how the end of a body is found.
enum class BodyKind : uint8_t {
  None,        // no body at all
  Length,      // exactly BodyFraming::length bytes (Content-Length)
  Chunked,     // Transfer-Encoding: chunked
  UntilClose,  // until the peer closes (responses only)
};

std::string_view name(BodyKind k);  // "none", "length", "chunked", "until_close"

// BodyFraming is a BodyKind plus the length for BodyKind::Length. The serializer takes it
// to choose the framing fields it writes; BodyReader takes it to find the end of a body.
struct BodyFraming {
  BodyKind kind = BodyKind::None;
  uint64_t length = 0;

  static constexpr BodyFraming none() { return {BodyKind::None, 0}; }
  static constexpr BodyFraming of_length(uint64_t n) { return {BodyKind::Length, n}; }
  static constexpr BodyFraming chunked() { return {BodyKind::Chunked, 0}; }
  static constexpr BodyFraming until_close() { return {BodyKind::UntilClose, 0}; }
  friend bool operator==(const BodyFraming&, const BodyFraming&) = default;
};

// request_framing returns the body framing of a parsed request (RFC 9112 §6.3 items 4-7):
// chunked, else Content-Length (Length 0 included), else None. A request never runs until
// close.
BodyFraming request_framing(const http::RequestHead& head);

// response_framing returns the body framing of a parsed backend response to a request with
// `request_method` (RFC 9112 §6.3 items 1, 4, 6 and 8): None for HEAD and for 1xx, 204 and
// 304; then chunked, Content-Length, otherwise UntilClose. (Item 2, CONNECT, cannot occur:
// the parser refuses CONNECT.)
BodyFraming response_framing(const http::ResponseHead& head, std::string_view request_method);

// BodyReader finds the end of one body framed by a BodyFraming and hands out its bytes as
// views into the caller's input, using the BodyStep contract of chunked.h (one data span per
// call; loop until `done`). For None and Length 0 the first call returns `done` with nothing
// consumed. For UntilClose it never reports `done` by itself: call `finish` at end of input.
// Not thread-safe; one per body.
class BodyReader {
 public:
  // The default reader is for a message without a body (BodyFraming::none()).
  BodyReader() : BodyReader(BodyFraming::none()) {}
  explicit BodyReader(BodyFraming framing, ChunkedLimits limits = {});

  // for_request reads the body of a parsed client request (request_framing).
  static BodyReader for_request(const http::RequestHead& head, ChunkedLimits limits = {}) {
    return BodyReader(request_framing(head), limits);
  }
  // for_response reads the body of a parsed backend response to a request with
  // `request_method` (response_framing).
  static BodyReader for_response(const http::ResponseHead& head, std::string_view request_method,
                                 ChunkedLimits limits = {}) {
    return BodyReader(response_framing(head, request_method), limits);
  }

  // feed consumes body bytes from `in`; see BodyStep.
  BodyStep feed(BytesView in);

  // finish tells the reader the peer closed its side. It returns `done` for UntilClose (and
  // for a body that already ended) and Errc::BodyTruncated otherwise.
  BodyStep finish();

  // done is true once the end of the body was seen.
  bool done() const { return done_; }
  // body_bytes returns the number of body bytes handed out so far (for max_body_bytes).
  uint64_t body_bytes() const { return body_bytes_; }
  BodyFraming framing() const { return framing_; }
  // until_close is true for a body that only the peer's close ends: the connection cannot
  // be reused afterwards.
  bool until_close() const { return framing_.kind == BodyKind::UntilClose; }

 private:
  BodyFraming framing_;
  uint64_t remaining_ = 0;  // Length
  uint64_t body_bytes_ = 0;
  bool done_ = false;
  std::optional<Errc> error_;
  ChunkedDecoder chunked_;
};

}  // namespace intransit::http1
