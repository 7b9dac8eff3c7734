// The protocol-neutral request and response heads. The HTTP/1.1 codec (and later HTTP/2)
// produces these; the policy layer (routing, HTTPS-only, signatures) and the proxy consume
// them, so request rules are written once for every codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intransit::http {

enum class Version : uint8_t { Http10, Http11, Http2 };

std::string_view name(Version v);  // "HTTP/1.0", "HTTP/1.1", "HTTP/2"

// Field is one header field. `name` is lowercased by the codec; `value` has optional
// whitespace trimmed and is otherwise as received (validated: no CR, LF or NUL).
struct Field {
  std::string name;
  std::string value;
};

using Fields = std::vector<Field>;

// find returns the first field named `lname` (lowercase), or nullptr.
const Field* find(const Fields& fields, std::string_view lname);

// RequestHead is a parsed, validated request head.
struct RequestHead {
  std::string method;     // e.g. "GET"; a validated token
  std::string scheme;     // "https" or "http": set by the door the request came through
  std::string authority;  // host[:port] from Host (HTTP/1.1) or :authority (HTTP/2), lowercased
  std::string path;       // origin-form path, starts with '/', not decoded; "*" for OPTIONS *
  std::string query;      // raw query without the '?', not decoded; empty when absent
  bool has_query = false;
  Version version = Version::Http11;
  Fields fields;          // every field except Host, in order; framing fields included

  // Framing as determined by the codec.
  std::optional<uint64_t> content_length;  // a body of exactly this many bytes
  bool chunked = false;                    // Transfer-Encoding: chunked (HTTP/1.1 only)
  bool keep_alive = true;                  // the client wants the connection kept open
  bool expect_continue = false;            // "Expect: 100-continue"

  // has_body is true when a body follows the head.
  bool has_body() const { return chunked || (content_length && *content_length > 0); }
  // host returns the authority without a port.
  std::string_view host() const;
  // target returns path plus "?query" when there is one.
  std::string target() const;
};

// ResponseHead is a parsed, validated response head (from a backend) or one we build.
struct ResponseHead {
  uint16_t status = 200;
  std::string reason;  // may be empty
  Version version = Version::Http11;
  Fields fields;

  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;
  // until_close is true when the body runs until the backend closes (no length, not chunked).
  bool until_close = false;
};

// status_reason returns the standard reason phrase for `status` ("" if unknown).
std::string_view status_reason(uint16_t status);

}  // namespace intransit::http
