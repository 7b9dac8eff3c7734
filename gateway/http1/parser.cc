#include "gateway/http1/parser.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "gateway/base/assert.h"
#include "gateway/base/text.h"
#include "gateway/http/field_rules.h"

namespace intransit::http1 {
namespace {

bool is_vchar(uint8_t c) {
  return c >= 0x21 && c <= 0x7e;
}
bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}
// RFC 9112 §3.2: what we accept inside a request-target (visible ASCII without "#").
bool is_target_char(uint8_t c) {
  return is_vchar(c) && c != '#';
}

// Recognises "HTTP/1.1" and "HTTP/1.0"; any other `HTTP/DIGIT.DIGIT` is unsupported
// (RFC 9112 §2.3: the version is case-sensitive), anything else malformed.
enum class VersionKind : uint8_t { Http10, Http11, Unsupported, Malformed };
VersionKind classify_version(std::string_view v) {
  if (v == "HTTP/1.1") return VersionKind::Http11;
  if (v == "HTTP/1.0") return VersionKind::Http10;
  if (v.size() == 8 && v.substr(0, 5) == "HTTP/" && is_digit(static_cast<uint8_t>(v[5])) &&
      v[6] == '.' && is_digit(static_cast<uint8_t>(v[7]))) {
    return VersionKind::Unsupported;
  }
  return VersionKind::Malformed;
}

// Iterates the elements of a comma list (RFC 9110 §5.6.1), OWS-trimmed, empty ones
// included. f returns false to stop; for_each_element then returns false.
template <class F>
bool for_each_element(std::string_view list, F f) {
  while (true) {
    const size_t comma = list.find(',');
    if (!f(trim_ows(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

// check_transfer_encoding accepts exactly one coding, "chunked" (RFC 9112 §6.1, §7).
// Returns the refusal for anything else: malformed list syntax (empty elements, quotes,
// parameters) is BadTransferEncoding; a list whose final coding is not chunked is
// TransferEncodingNotChunked (RFC 9112 §6.3 item 4: MUST 400); chunked applied twice is
// BadTransferEncoding (RFC 9112 §6.1 MUST NOT); another coding before chunked is
// UnsupportedTransferCoding (§6.1: SHOULD 501).
std::optional<Errc> check_transfer_encoding(std::string_view value) {
  size_t count = 0;
  size_t chunked_count = 0;
  bool last_chunked = false;
  const bool syntax_ok = for_each_element(value, [&](std::string_view el) {
    if (!http::is_token(el)) return false;  // empty, quoted, ";param", obs-text
    ++count;
    last_chunked = iequals(el, "chunked");
    if (last_chunked) ++chunked_count;
    return true;
  });
  if (!syntax_ok) return Errc::BadTransferEncoding;
  if (!last_chunked) return Errc::TransferEncodingNotChunked;
  if (chunked_count > 1) return Errc::BadTransferEncoding;
  if (count > 1) return Errc::UnsupportedTransferCoding;
  return std::nullopt;
}

// check_content_length accepts 1*DIGIT (RFC 9112 §6.2) without overflow; a list such as
// "5, 5" is refused as a duplicate.
std::optional<Errc> check_content_length(std::string_view value, uint64_t& out) {
  if (value.find(',') != std::string_view::npos) return Errc::DuplicateContentLength;
  const auto n = parse_u64(value);
  if (!n) return Errc::BadContentLength;
  out = *n;
  return std::nullopt;
}

// ConnectionOptions is what the Connection field (RFC 9110 §7.6.1) says about persistence.
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
  bool names_framing = false;
};

// parse_connection reads a list of tokens; empty elements are ignored (RFC 9110 §5.6.1.2).
bool parse_connection(std::string_view value, ConnectionOptions& opt) {
  return for_each_element(value, [&](std::string_view el) {
    if (el.empty()) return true;
    if (!http::is_token(el)) return false;
    if (iequals(el, "close")) opt.close = true;
    if (iequals(el, "keep-alive")) opt.keep_alive = true;
    if (iequals(el, "content-length") || iequals(el, "transfer-encoding") || iequals(el, "host")) {
      opt.names_framing = true;
    }
    return true;
  });
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// RequestParser

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {
  buf_.reserve(std::min<uint32_t>(limits_.max_head_bytes, 1024));
}

void RequestParser::reset() {
  state_ = State::Start;
  buf_.clear();
  seen_ = 0;
  skipped_ = 0;
  method_end_ = target_begin_ = target_end_ = version_begin_ = 0;
  form_ = Form::Origin;
  path_begin_ = path_end_ = authority_begin_ = authority_end_ = 0;
  version_ = http::Version::Http11;
  lexer_.reset();
  fields_.clear();
  error_ = {};
  head_ = {};
}

RequestParser::Step RequestParser::fail(Errc e, uint32_t offset) {
  state_ = State::Failed;
  error_ = ParseError<Errc>{e, offset};
  return Step::Error;
}

ParseResult<http::RequestHead, Errc> RequestParser::feed(BytesView in) {
  if (state_ == State::Failed) return error_;
  INTRANSIT_ASSERT(state_ != State::Done);  // reset() must come between two requests
  const uint8_t* p = in.data();
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    if (seen_ >= limits_.max_head_bytes) {
      fail(Errc::HeadTooLarge, seen_);
      return error_;
    }
    // Fast path: runs of ordinary bytes inside a method, target, field name or value are
    // appended at once; the per-byte step would accept each of them without a transition.
    const size_t room = std::min<size_t>(n - i, limits_.max_head_bytes - seen_);
    size_t run = 0;
    if (state_ == State::Fields) {
      run = lexer_.run(p + i, room, static_cast<uint32_t>(buf_.size()));
    } else if (state_ == State::Method) {
      while (run < room && http::is_tchar(p[i + run])) ++run;
    } else if (state_ == State::Target) {
      const size_t target_len = buf_.size() - target_begin_;
      const size_t max = target_len < limits_.max_target_bytes
                             ? std::min<size_t>(room, limits_.max_target_bytes - target_len)
                             : 0;
      while (run < max && is_target_char(p[i + run])) ++run;
    }
    if (run > 0) {
      buf_.append(reinterpret_cast<const char*>(p + i), run);
      seen_ += static_cast<uint32_t>(run);
      i += run;
      continue;
    }
    const Step s = step(p[i]);
    ++i;
    if (s == Step::Error) return error_;
    if (s == Step::Done) {
      state_ = State::Done;
      return Parsed<http::RequestHead>{std::move(head_), i};
    }
  }
  return NeedMore{};
}

RequestParser::Step RequestParser::step(uint8_t c) {
  const uint32_t at = seen_++;  // offset of c in the input stream
  if (state_ == State::Start) {
    if (c == '\r') {
      state_ = State::StartLf;
      return Step::Continue;
    }
    if (c == '\n') return fail(Errc::BareLf, at);
    skipped_ = at;
    state_ = State::Method;
  } else if (state_ == State::StartLf) {
    if (c != '\n') return fail(Errc::BareCr, at);
    state_ = State::Start;
    return Step::Continue;
  }

  const uint32_t pos = static_cast<uint32_t>(buf_.size());  // offset of c in buf_
  buf_.push_back(static_cast<char>(c));
  switch (state_) {
    case State::Method:
      if (http::is_tchar(c)) return Step::Continue;
      if (c == ' ') {
        if (pos == 0) return fail(Errc::BadRequestLine, at);
        method_end_ = pos;
        return end_method();
      }
      if (c == '\n') return fail(Errc::BareLf, at);
      if (c == '\r') return fail(Errc::BadRequestLine, at);
      return fail(Errc::BadMethod, at);

    case State::Target:
      if (c == ' ') {
        if (pos == target_begin_) return fail(Errc::BadRequestLine, at);  // two SP
        target_end_ = pos;
        return end_target();
      }
      if (is_target_char(c)) {
        if (pos - target_begin_ + 1 > limits_.max_target_bytes) {
          return fail(Errc::UriTooLong, at);
        }
        return Step::Continue;
      }
      if (c == '\n') return fail(Errc::BareLf, at);
      if (c == '\r') return fail(Errc::BadRequestLine, at);  // no HTTP-version
      return fail(Errc::BadTarget, at);

    case State::Version:
      if (c == '\r') return end_version();
      if (c == ' ') return fail(Errc::BadRequestLine, at);
      if (c == '\n') return fail(Errc::BareLf, at);
      if (!is_vchar(c) || pos - version_begin_ >= 8) return fail(Errc::BadVersion, at);
      return Step::Continue;

    case State::LineLf:
      if (c != '\n') return fail(Errc::BareCr, at);
      lexer_.reset();
      state_ = State::Fields;
      return Step::Continue;

    case State::Fields:
      switch (lexer_.step(c, pos)) {
        case detail::FieldLexer::Event::None:
          return Step::Continue;
        case detail::FieldLexer::Event::Field:
          fields_.push_back(lexer_.field());
          if (fields_.size() > limits_.max_header_count) {
            return fail(Errc::TooManyFields, skipped_ + lexer_.field().name_begin);
          }
          return Step::Continue;
        case detail::FieldLexer::Event::End:
          return finish();
        case detail::FieldLexer::Event::Error:
          return fail(lexer_.error(), at);
      }
      break;

    case State::Start:
    case State::StartLf:
    case State::Done:
    case State::Failed:
      break;
  }
  INTRANSIT_ASSERT(false);
  return Step::Error;
}

RequestParser::Step RequestParser::end_method() {
  // RFC 9112 §3.2.3: CONNECT uses authority-form to open a tunnel; we are not a forward proxy.
  if (std::string_view(buf_).substr(0, method_end_) == "CONNECT") {
    return fail(Errc::ConnectRefused, skipped_);
  }
  target_begin_ = method_end_ + 1;
  state_ = State::Target;
  return Step::Continue;
}

RequestParser::Step RequestParser::end_target() {
  const std::string_view all(buf_);
  const std::string_view t = all.substr(target_begin_, target_end_ - target_begin_);
  const uint32_t at = skipped_ + target_begin_;
  uint32_t rest = target_begin_;  // where the path starts
  if (t.front() == '/') {
    form_ = Form::Origin;  // RFC 9112 §3.2.1
  } else if (t == "*") {
    // RFC 9112 §3.2.4: asterisk-form only for a server-wide OPTIONS.
    if (all.substr(0, method_end_) != "OPTIONS") return fail(Errc::BadTarget, at);
    form_ = Form::Asterisk;
    state_ = State::Version;
    version_begin_ = target_end_ + 1;
    return Step::Continue;
  } else if (starts_with_ci(t, "http://") || starts_with_ci(t, "https://")) {
    // RFC 9112 §3.2.2 absolute-form: "scheme://authority path-abempty [ ? query ]".
    form_ = Form::Absolute;
    const uint32_t a = target_begin_ + static_cast<uint32_t>(t.find("://") + 3);
    uint32_t e = a;
    while (e < target_end_ && all[e] != '/' && all[e] != '?') ++e;
    authority_begin_ = a;
    authority_end_ = e;
    if (!http::is_valid_authority(all.substr(a, e - a))) return fail(Errc::BadTarget, at);
    rest = e;
  } else {
    return fail(Errc::BadTarget, at);  // authority-form or garbage
  }
  path_begin_ = rest;
  path_end_ = rest;
  while (path_end_ < target_end_ && all[path_end_] != '?') ++path_end_;
  version_begin_ = target_end_ + 1;
  state_ = State::Version;
  return Step::Continue;
}

RequestParser::Step RequestParser::end_version() {
  const uint32_t pos = static_cast<uint32_t>(buf_.size()) - 1;  // the CR
  switch (classify_version(std::string_view(buf_).substr(version_begin_, pos - version_begin_))) {
    case VersionKind::Http11:
      version_ = http::Version::Http11;
      break;
    case VersionKind::Http10:
      version_ = http::Version::Http10;
      break;
    case VersionKind::Unsupported:
      return fail(Errc::UnsupportedVersion, skipped_ + version_begin_);
    case VersionKind::Malformed:
      return fail(Errc::BadVersion, skipped_ + version_begin_);
  }
  state_ = State::LineLf;
  return Step::Continue;
}

RequestParser::Step RequestParser::finish() {
  const std::string_view all(buf_);
  http::RequestHead& h = head_;
  h = http::RequestHead{};
  h.method.assign(all.substr(0, method_end_));
  h.version = version_;
  switch (form_) {
    case Form::Asterisk:
      h.path = "*";
      break;
    case Form::Origin:
    case Form::Absolute:
      h.path.assign(all.substr(path_begin_, path_end_ - path_begin_));
      if (path_end_ < target_end_) {
        h.has_query = true;
        h.query.assign(all.substr(path_end_ + 1, target_end_ - path_end_ - 1));
      }
      if (h.path.empty()) {
        // RFC 9112 §3.2.4: "OPTIONS http://host" is forwarded as "OPTIONS *".
        h.path = (h.method == "OPTIONS" && !h.has_query) ? "*" : "/";
      }
      break;
  }

  bool have_host = false;
  std::string_view host_value;
  bool have_cl = false;
  bool have_te = false;
  ConnectionOptions conn;
  bool expect_continue = false;
  h.fields.reserve(fields_.size());
  for (const detail::FieldPos& f : fields_) {
    const uint32_t at = skipped_ + f.name_begin;
    std::string name = to_lower(all.substr(f.name_begin, f.name_end - f.name_begin));
    const std::string_view value = all.substr(f.value_begin, f.value_end - f.value_begin);
    if (name == "host") {
      // RFC 9112 §3.2: exactly one Host; its value is the authority we route by.
      if (have_host) return fail(Errc::DuplicateHost, at);
      if (!http::is_valid_authority(value)) return fail(Errc::BadHost, at);
      have_host = true;
      host_value = value;
      continue;
    }
    if (name == "content-length") {
      if (have_cl) return fail(Errc::DuplicateContentLength, at);
      uint64_t n = 0;
      if (auto e = check_content_length(value, n)) return fail(*e, at);
      have_cl = true;
      h.content_length = n;
    } else if (name == "transfer-encoding") {
      if (have_te) return fail(Errc::DuplicateTransferEncoding, at);
      if (auto e = check_transfer_encoding(value)) return fail(*e, at);
      have_te = true;
    } else if (name == "connection") {
      if (!parse_connection(value, conn)) return fail(Errc::BadConnection, at);
      if (conn.names_framing) return fail(Errc::ConnectionNamesFraming, at);
    } else if (name == "expect") {
      // RFC 9110 §10.1.1: 100-continue is the only expectation; 417 for others.
      if (!iequals(value, "100-continue")) return fail(Errc::UnsupportedExpectation, at);
      expect_continue = true;
    }
    h.fields.push_back(http::Field{std::move(name), std::string(value)});
  }

  const uint32_t end = seen_ - 1;
  if (!have_host && (version_ == http::Version::Http11 || form_ == Form::Absolute)) {
    return fail(Errc::MissingHost, end);
  }
  if (form_ == Form::Absolute &&
      !iequals(all.substr(authority_begin_, authority_end_ - authority_begin_), host_value)) {
    return fail(Errc::HostMismatch, skipped_ + target_begin_);
  }
  if (have_te && have_cl) return fail(Errc::ContentLengthWithChunked, end);
  if (have_te && version_ == http::Version::Http10) {
    return fail(Errc::TransferEncodingInHttp10, end);
  }

  h.authority = to_lower(host_value);
  h.chunked = have_te;
  if (version_ == http::Version::Http11) {
    h.keep_alive = !conn.close;
    h.expect_continue = expect_continue;
  } else {
    h.keep_alive = conn.keep_alive && !conn.close;
    h.expect_continue = false;  // RFC 9110 §10.1.1: ignored in HTTP/1.0
  }
  return Step::Done;
}

// ---------------------------------------------------------------------------------------
// ResponseParser

ResponseParser::ResponseParser(std::string_view request_method, ParserLimits limits)
    : limits_(limits), head_request_(request_method == "HEAD") {
  buf_.reserve(std::min<uint32_t>(limits_.max_head_bytes, 1024));
}

void ResponseParser::reset(std::string_view request_method) {
  head_request_ = request_method == "HEAD";
  state_ = State::Version;
  buf_.clear();
  seen_ = 0;
  status_ = 0;
  status_digits_ = 0;
  reason_begin_ = reason_end_ = 0;
  version_ = http::Version::Http11;
  lexer_.reset();
  fields_.clear();
  error_ = {};
  head_ = {};
}

ResponseParser::Step ResponseParser::fail(Errc e, uint32_t offset) {
  state_ = State::Failed;
  error_ = ParseError<Errc>{e, offset};
  return Step::Error;
}

ParseResult<http::ResponseHead, Errc> ResponseParser::feed(BytesView in) {
  if (state_ == State::Failed) return error_;
  INTRANSIT_ASSERT(state_ != State::Done);  // reset() must come between two responses
  const uint8_t* p = in.data();
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    if (seen_ >= limits_.max_head_bytes) {
      fail(Errc::HeadTooLarge, seen_);
      return error_;
    }
    if (state_ == State::Fields) {  // fast path, as in RequestParser::feed
      const size_t room = limits_.max_head_bytes - seen_;
      const size_t run = lexer_.run(p + i, std::min(n - i, room), seen_);
      if (run > 0) {
        buf_.append(reinterpret_cast<const char*>(p + i), run);
        seen_ += static_cast<uint32_t>(run);
        i += run;
        continue;
      }
    }
    const Step s = step(p[i]);
    ++i;
    if (s == Step::Error) return error_;
    if (s == Step::Done) {
      state_ = State::Done;
      return Parsed<http::ResponseHead>{std::move(head_), i};
    }
  }
  return NeedMore{};
}

ResponseParser::Step ResponseParser::step(uint8_t c) {
  const uint32_t at = seen_++;  // no bytes are skipped: stream offset == buffer offset
  buf_.push_back(static_cast<char>(c));
  switch (state_) {
    case State::Version:
      if (c == ' ') {
        switch (classify_version(std::string_view(buf_).substr(0, at))) {
          case VersionKind::Http11:
            version_ = http::Version::Http11;
            break;
          case VersionKind::Http10:
            version_ = http::Version::Http10;
            break;
          case VersionKind::Unsupported:
            return fail(Errc::UnsupportedVersion, 0);
          case VersionKind::Malformed:
            return fail(Errc::BadStatusLine, 0);
        }
        state_ = State::Status;
        return Step::Continue;
      }
      if (c == '\n') return fail(Errc::BareLf, at);
      if (!is_vchar(c) || at >= 8) return fail(Errc::BadStatusLine, at);
      return Step::Continue;

    case State::Status:
      // RFC 9112 §4: status-code = 3DIGIT; RFC 9110 §15: 100..599.
      if (!is_digit(c) || (status_digits_ == 0 && (c < '1' || c > '5'))) {
        return fail(Errc::BadStatusLine, at);
      }
      status_ = static_cast<uint16_t>(status_ * 10 + (c - '0'));
      if (++status_digits_ == 3) {
        if (status_ == 101) return fail(Errc::UnexpectedUpgrade, at - 2);
        state_ = State::AfterStatus;
      }
      return Step::Continue;

    case State::AfterStatus:
      if (c == ' ') {
        reason_begin_ = reason_end_ = at + 1;
        state_ = State::Reason;
        return Step::Continue;
      }
      if (c == '\r') {  // leniency: "HTTP/1.1 200\r\n"
        reason_begin_ = reason_end_ = at;
        state_ = State::LineLf;
        return Step::Continue;
      }
      if (c == '\n') return fail(Errc::BareLf, at);
      return fail(Errc::BadStatusLine, at);

    case State::Reason:
      // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
      if (c == '\r') {
        reason_end_ = at;
        state_ = State::LineLf;
        return Step::Continue;
      }
      if (c == '\n') return fail(Errc::BareLf, at);
      if (!http::is_field_vchar(c)) return fail(Errc::BadStatusLine, at);
      return Step::Continue;

    case State::LineLf:
      if (c != '\n') return fail(Errc::BareCr, at);
      lexer_.reset();
      state_ = State::Fields;
      return Step::Continue;

    case State::Fields:
      switch (lexer_.step(c, at)) {
        case detail::FieldLexer::Event::None:
          return Step::Continue;
        case detail::FieldLexer::Event::Field:
          fields_.push_back(lexer_.field());
          if (fields_.size() > limits_.max_header_count) {
            return fail(Errc::TooManyFields, lexer_.field().name_begin);
          }
          return Step::Continue;
        case detail::FieldLexer::Event::End:
          return finish();
        case detail::FieldLexer::Event::Error:
          return fail(lexer_.error(), at);
      }
      break;

    case State::Done:
    case State::Failed:
      break;
  }
  INTRANSIT_ASSERT(false);
  return Step::Error;
}

ResponseParser::Step ResponseParser::finish() {
  const std::string_view all(buf_);
  http::ResponseHead& h = head_;
  h = http::ResponseHead{};
  h.status = status_;
  h.reason.assign(all.substr(reason_begin_, reason_end_ - reason_begin_));
  h.version = version_;

  bool have_cl = false;
  bool have_te = false;
  ConnectionOptions conn;
  h.fields.reserve(fields_.size());
  for (const detail::FieldPos& f : fields_) {
    const uint32_t at = f.name_begin;
    std::string name = to_lower(all.substr(f.name_begin, f.name_end - f.name_begin));
    const std::string_view value = all.substr(f.value_begin, f.value_end - f.value_begin);
    if (name == "content-length") {
      if (have_cl) return fail(Errc::DuplicateContentLength, at);
      uint64_t n = 0;
      if (auto e = check_content_length(value, n)) return fail(*e, at);
      have_cl = true;
      h.content_length = n;
    } else if (name == "transfer-encoding") {
      if (have_te) return fail(Errc::DuplicateTransferEncoding, at);
      if (auto e = check_transfer_encoding(value)) return fail(*e, at);
      have_te = true;
    } else if (name == "connection") {
      if (!parse_connection(value, conn)) return fail(Errc::BadConnection, at);
    }
    h.fields.push_back(http::Field{std::move(name), std::string(value)});
  }

  if (h.status < 200) {  // interim: no body, no framing (RFC 9112 §6.3 item 1)
    h.content_length.reset();
    return Step::Done;
  }
  const uint32_t end = seen_ - 1;
  if (have_te && have_cl) return fail(Errc::ContentLengthWithChunked, end);
  if (have_te && version_ == http::Version::Http10) {
    return fail(Errc::TransferEncodingInHttp10, end);
  }
  const bool no_body = head_request_ || h.status == 204 || h.status == 304;
  h.chunked = have_te;
  h.until_close = !no_body && !have_te && !have_cl;
  const bool persistent =
      version_ == http::Version::Http11 ? !conn.close : conn.keep_alive && !conn.close;
  h.keep_alive = persistent && !h.until_close;
  return Step::Done;
}

}  // namespace intransit::http1
