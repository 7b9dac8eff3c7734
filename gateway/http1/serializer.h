// Head writers: a RequestHead to a backend and a ResponseHead to a client, as HTTP/1.1
// (RFC 9112 §3, §4, §5), appended to a ByteQueue. Framing fields come only from the
// BodyFraming the caller passes, never from the head's fields, so what we announce is always
// what we send.
#pragma once

#include "gateway/base/byte_queue.h"
#include "gateway/base/result.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/errors.h"

namespace intransit::http1 {

// write_request appends `head` as an HTTP/1.1 request:
//
//   <method> SP <path>[?<query>] SP HTTP/1.1 CRLF
//   host: <authority> CRLF
//   <each field of head.fields, in order, as "name: value"> CRLF
//   content-length: N | transfer-encoding: chunked      (per `framing`)
//   connection: close                                   (when !head.keep_alive)
//   CRLF
//
// Fields named host, content-length, transfer-encoding or connection are never copied from
// head.fields: Host comes from `authority`, framing from `framing`, persistence from
// `keep_alive` (run http::prepare_backend_request first so the options Connection named are
// gone too). `framing` is None (no framing field: a request without a body),
// Length (Content-Length, 0 allowed, e.g. for an empty POST) or Chunked; UntilClose is
// invalid for a request and aborts (a programming error).
//
// Every piece is checked before anything is written: method a token, path "*" or starting
// with "/" and, like the query, visible ASCII without "#", authority per
// http::is_valid_authority, field names tokens, values per http::is_field_value. A head
// that fails (one built by another codec, say) yields the matching Errc and `out` is left
// unchanged. This is the last line of defence against CR/LF injection into a backend.
Result<void, Errc> write_request(const http::RequestHead& head, BodyFraming framing,
                                 ByteQueue& out);

// write_response appends `head` as an HTTP/1.1 response for a client speaking
// `client_version`:
//
//   HTTP/1.1 SP <status> SP <reason or status_reason(status)> CRLF
//   <fields, in order, except content-length, transfer-encoding and connection> CRLF
//   content-length: N | transfer-encoding: chunked      (per `framing`)
//   connection: close | connection: keep-alive          (see below)
//   CRLF
//
// `framing` describes the framing field only; the caller sends (or, for HEAD, does not
// send) the body. None writes no framing field (1xx, 204, 304, or a HEAD answer without a
// known length); Length(N) writes Content-Length (also for HEAD and 304 relaying the
// backend's value); Chunked writes Transfer-Encoding: chunked and is invalid for an
// HTTP/1.0 client (aborts: pick Length or UntilClose); UntilClose writes no framing field
// and always "connection: close" (the caller closes after the body). Otherwise
// "connection: close" is written when !head.keep_alive, and "connection: keep-alive" when
// the client speaks HTTP/1.0 and head.keep_alive. Interim (1xx) responses get neither.
//
// Checks as for write_request (status 100-599, reason without controls other than HTAB);
// on failure
// `out` is unchanged.
Result<void, Errc> write_response(const http::ResponseHead& head, BodyFraming framing,
                                  http::Version client_version, ByteQueue& out);

}  // namespace intransit::http1
