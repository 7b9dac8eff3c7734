// Field rules shared by every HTTP codec: the character classes of RFC 9110 §5.6, authority
// syntax, and what a proxy must change in a message before forwarding it (hop-by-hop fields,
// RFC 9110 §7.6.1; X-Forwarded-*; RFC 7239 Forwarded).
//
// The classifiers are pure and allocation-free; the HTTP/1.1 parser uses them byte by byte
// and the HTTP/2 codec can use them on whole strings.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "gateway/http/request_head.h"

namespace intransit::http {

namespace detail {
// One 256-entry table of character classes, built at compile time, so the classifiers below
// inline into the parsers' byte loops.
enum : uint8_t { kTchar = 1, kFieldVchar = 2 };
constexpr std::array<uint8_t, 256> make_char_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= kTchar;
    for (char s : std::string_view("!#$%&'*+-.^_`|~")) {
      if (c == static_cast<unsigned char>(s)) v |= kTchar;
    }
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') v |= kFieldVchar;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kCharClasses = make_char_classes();
}  // namespace detail

// is_tchar is true for the characters of an RFC 9110 §5.6.2 token:
//   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" /
//           "|" / "~" / DIGIT / ALPHA
inline bool is_tchar(uint8_t c) {
  return (detail::kCharClasses[c] & detail::kTchar) != 0;
}

// is_token is true when `s` is a non-empty RFC 9110 §5.6.2 token.
bool is_token(std::string_view s);

// is_field_vchar is true for the octets allowed inside a field value (RFC 9110 §5.5):
// VCHAR, obs-text (0x80-0xFF), SP and HTAB. NUL, CR, LF, DEL and other controls are false.
inline bool is_field_vchar(uint8_t c) {
  return (detail::kCharClasses[c] & detail::kFieldVchar) != 0;
}

// is_field_value is true when every octet of `s` satisfies is_field_vchar and `s` neither
// starts nor ends with SP or HTAB (values are stored with optional whitespace trimmed).
bool is_field_value(std::string_view s);

// is_valid_authority checks the authority a request is routed by (Host in HTTP/1.1,
// :authority in HTTP/2): `host [ ":" port ]` per RFC 3986 §3.2, deliberately narrower than
// the RFC: host is a reg-name made of ALPHA / DIGIT / "-" / "." / "_" / "~" (no
// percent-encoding, no sub-delims: nothing a DNS name needs and everything a router or a log
// line could misread), an IPv4 address (which is a reg-name too), or an IP-literal
// "[" IPv6 "]" (hex digits, ":" and "."; no zone id, no IPvFuture). The port, when present,
// is 1 to 5 digits with a value of at most 65535. Userinfo ("@") is refused. The empty
// string is not valid.
bool is_valid_authority(std::string_view authority);

// prepare_backend_request rewrites a client request in place before it goes to a backend:
//
//  * It removes the hop-by-hop fields of RFC 9110 §7.6.1 and RFC 9112: Connection and every
//    field it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade
//    and HTTP2-Settings (we never answer 101, so h2c and WebSocket upgrades end here), plus
//    Content-Length: the serializer writes the framing the glue chose. Connection can never
//    make us drop a field we set ourselves (X-Forwarded-*, Forwarded are re-added below) and
//    the parser already refuses a Connection that names a framing field.
//  * It removes Proxy-Authorization: credentials meant for a proxy are never the backend's
//    business (RFC 9110 §11.7.2 lets a proxy consume them; we do not do proxy auth).
//  * It removes any field whose name contains "_" and would equal one of the fields above,
//    or Host, X-Forwarded-For/-Proto/-Host or Forwarded, once "_" becomes "-" (CGI-style
//    backends map both spellings to the same variable, e.g. HTTP_TRANSFER_ENCODING).
//  * X-Forwarded-For: every received X-Forwarded-For field is joined into one, then
//    `client_ip` is appended (", " separated). The client's values are forwarded but are
//    not trustworthy: only the last element was added by us.
//  * X-Forwarded-Proto is replaced by `scheme`.
//  * Forwarded (RFC 7239 §4): received fields are joined into one and the element
//    `for=<client_ip>;proto=<scheme>;host=<authority>` is appended. IPv6 addresses are
//    bracketed and quoted (`for="[2001:db8::1]"`), a host with a port is quoted, an empty
//    client_ip becomes `for=unknown`.
//
// `client_ip` is the numeric peer address without a port ("192.0.2.1", "2001:db8::1"; a
// bracketed IPv6 literal is accepted too). Expect is left in place: the glue either relays
// the backend's 100 (Continue) or answers it itself and removes Expect.
void prepare_backend_request(RequestHead& head, std::string_view client_ip,
                             std::string_view scheme);

// prepare_client_response rewrites a backend response in place before it goes to the client:
// it removes Connection and every field it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Content-Length, Upgrade, HTTP2-Settings and Proxy-Authenticate (meant
// for the next proxy, of which there is none). Framing is written by the serializer from
// the head's content_length/chunked, so dropping the fields never loses it.
void prepare_client_response(ResponseHead& head);

}  // namespace intransit::http
