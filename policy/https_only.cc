#include "policy/https_only.h"

#include "policy/address.h"

namespace intransit::policy {

namespace {

constexpr std::string_view kRedirectBody =
    "HTTPS is required. Use the URL in the Location header.\n";

// usable_host returns true for a DNS name, an IPv4 address or a bracketed IPv6 address.
bool usable_host(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {
    return h.size() > 2 && h.back() == ']' && h.find('%') == std::string_view::npos &&
           is_ipv6_literal(h.substr(1, h.size() - 2));
  }
  return is_dns_name(h) || is_ipv4_literal(h);
}

// append_uri_part copies `s`, percent-encoding any byte outside visible ASCII so that the
// Location header can never carry CR, LF, spaces or other control bytes.
void append_uri_part(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

PlainResponse refuse() {
  PlainResponse r;
  r.action = PlainHttpAction::Refuse;
  r.label = "https_required";
  r.head.status = 400;
  // Azure Storage sends the message as the reason phrase; clients that log it get the cause.
  r.head.reason = "The account being accessed does not support http.";
  r.head.keep_alive = false;
  r.body = std::string(kAccountRequiresHttpsBody);
  r.head.content_length = r.body.size();
  r.head.fields = {
      {"content-type", "application/xml"},
      {"x-ms-error-code", "AccountRequiresHttps"},
      {"cache-control", "no-store"},
  };
  return r;
}

}  // namespace

std::string redirect_location(const http::RequestHead& req, uint16_t port) {
  const std::string_view host = req.host();
  if (!usable_host(host)) return {};
  // The rest of the authority must be nothing or ":digits" (the port we replace).
  const std::string_view rest = std::string_view(req.authority).substr(host.size());
  if (!rest.empty()) {
    if (rest.front() != ':') return {};
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return {};
    }
  }
  if (req.path.empty() || req.path.front() != '/') return {};  // "*" or absolute-form
  std::string loc = "https://";
  for (char c : host) loc += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  if (port != 443) loc += ":" + std::to_string(port);
  append_uri_part(loc, req.path);
  if (req.has_query) {
    loc += '?';
    append_uri_part(loc, req.query);
  }
  return loc;
}

PlainResponse plain_http_response(const Listener& l, const http::RequestHead& req) {
  switch (l.plain_http) {
    case PlainHttpAction::Refuse:
      return refuse();
    case PlainHttpAction::Redirect: {
      std::string loc = redirect_location(req, l.redirect_https_port);
      if (loc.empty()) return refuse();
      PlainResponse r;
      r.action = PlainHttpAction::Redirect;
      r.label = "redirected";
      r.head.status = 308;
      r.head.reason = "Permanent Redirect";
      r.head.keep_alive = false;
      r.body = std::string(kRedirectBody);
      r.head.content_length = r.body.size();
      r.head.fields = {
          {"location", std::move(loc)},
          {"content-type", "text/plain; charset=utf-8"},
      };
      return r;
    }
  }
  return refuse();
}

}  // namespace intransit::policy
