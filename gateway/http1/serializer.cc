#include "gateway/http1/serializer.h"

#include <charconv>
#include <string>
#include <string_view>

#include "gateway/base/assert.h"
#include "gateway/base/text.h"
#include "gateway/http/field_rules.h"

namespace intransit::http1 {
namespace {

// Visible ASCII without "#": what the parser accepts in a request-target (RFC 9112 §3.2).
bool is_target_text(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if (c < 0x21 || c > 0x7e || c == '#') return false;
  }
  return true;
}

// Fields the writers own: never copied from Fields.
bool is_managed(std::string_view lname) {
  return iequals(lname, "host") || iequals(lname, "content-length") ||
         iequals(lname, "transfer-encoding") || iequals(lname, "connection");
}

std::optional<Errc> check_fields(const http::Fields& fields) {
  for (const http::Field& f : fields) {
    if (is_managed(f.name)) continue;
    if (!http::is_token(f.name)) return Errc::BadFieldName;
    if (!http::is_field_value(f.value)) return Errc::BadFieldValue;
  }
  return std::nullopt;
}

size_t fields_size(const http::Fields& fields) {
  size_t n = 0;
  for (const http::Field& f : fields) n += f.name.size() + f.value.size() + 4;
  return n;
}

// One string per head, appended to the queue at once.
class Writer {
 public:
  explicit Writer(size_t reserve) { buf_.reserve(reserve); }
  Writer& add(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  Writer& add(uint64_t n) {
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, n);
    buf_.append(tmp, r.ptr);
    return *this;
  }
  Writer& field(std::string_view name, std::string_view value) {
    return add(name).add(": ").add(value).add("\r\n");
  }
  void fields(const http::Fields& fields) {
    for (const http::Field& f : fields) {
      if (!is_managed(f.name)) field(f.name, f.value);
    }
  }
  void framing(BodyFraming framing) {
    switch (framing.kind) {
      case BodyKind::None:
      case BodyKind::UntilClose:
        break;
      case BodyKind::Length:
        add("content-length: ").add(framing.length).add("\r\n");
        break;
      case BodyKind::Chunked:
        field("transfer-encoding", "chunked");
        break;
    }
  }
  void flush(ByteQueue& out) {
    add("\r\n");
    out.append(as_bytes(buf_));
  }

 private:
  std::string buf_;
};

}  // namespace

Result<void, Errc> write_request(const http::RequestHead& head, BodyFraming framing,
                                 ByteQueue& out) {
  INTRANSIT_ASSERT(framing.kind != BodyKind::UntilClose);
  if (!http::is_token(head.method)) return unexpected(Errc::BadMethod);
  const bool asterisk = head.path == "*" && !head.has_query;
  if (!asterisk && (head.path.empty() || head.path.front() != '/')) {
    return unexpected(Errc::BadTarget);
  }
  if (!is_target_text(head.path) || !is_target_text(head.query)) {
    return unexpected(Errc::BadTarget);
  }
  if (!http::is_valid_authority(head.authority)) return unexpected(Errc::BadHost);
  if (auto e = check_fields(head.fields)) return unexpected(*e);

  Writer w(64 + head.method.size() + head.path.size() + head.query.size() + head.authority.size() +
           fields_size(head.fields));
  w.add(head.method).add(" ").add(head.path);
  if (head.has_query) w.add("?").add(head.query);
  w.add(" HTTP/1.1\r\n");
  w.field("host", head.authority);
  w.fields(head.fields);
  w.framing(framing);
  if (!head.keep_alive) w.field("connection", "close");
  w.flush(out);
  return {};
}

Result<void, Errc> write_response(const http::ResponseHead& head, BodyFraming framing,
                                  http::Version client_version, ByteQueue& out) {
  INTRANSIT_ASSERT(!(framing.kind == BodyKind::Chunked && client_version == http::Version::Http10));
  if (head.status < 100 || head.status > 599) return unexpected(Errc::BadStatusLine);
  const std::string_view reason =
      head.reason.empty() ? http::status_reason(head.status) : std::string_view(head.reason);
  for (char c : reason) {  // reason-phrase = *( HTAB / SP / VCHAR / obs-text )
    if (!http::is_field_vchar(static_cast<uint8_t>(c))) return unexpected(Errc::BadStatusLine);
  }
  if (auto e = check_fields(head.fields)) return unexpected(*e);

  Writer w(96 + reason.size() + fields_size(head.fields));
  w.add("HTTP/1.1 ").add(uint64_t{head.status}).add(" ").add(reason).add("\r\n");
  w.fields(head.fields);
  if (head.status >= 200) {
    w.framing(framing);
    if (framing.kind == BodyKind::UntilClose || !head.keep_alive) {
      w.field("connection", "close");
    } else if (client_version == http::Version::Http10) {
      w.field("connection", "keep-alive");
    }
  }
  w.flush(out);
  return {};
}

}  // namespace intransit::http1
