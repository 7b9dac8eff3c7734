#include "policy/address.h"

#include <arpa/inet.h>

#include "gateway/base/text.h"

namespace intransit::policy {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool is_ipv4_literal(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 4) v = v * 10 + unsigned(s[i++] - '0');
    const size_t len = i - start;
    if (len == 0 || len > 3 || v > 255) return false;
    if (len > 1 && s[start] == '0') return false;  // "010" is octal to some parsers: refuse
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool is_ipv6_literal(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  std::string z(s);  // inet_pton needs a NUL-terminated string
  unsigned char buf[16];
  return inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool is_dns_name(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
      if (!ok) return false;
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    }
    prev = c;
  }
  return prev != '-';
}

bool parse_socket_address(std::string_view text, SocketAddress& out, std::string& why) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      why = "missing ']' after the IPv6 address";
      return false;
    }
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      why = "missing ':port' after ']'";
      return false;
    }
    port = text.substr(close + 2);
    if (host.find('%') != std::string_view::npos) {
      why = "IPv6 zone ids are not supported";
      return false;
    }
    if (!is_ipv6_literal(host)) {
      why = "'" + std::string(host) + "' is not an IPv6 address";
      return false;
    }
    std::string z(host);
    unsigned char buf[16];
    char canon[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, z.c_str(), buf) != 1 ||
        inet_ntop(AF_INET6, buf, canon, sizeof canon) == nullptr) {
      why = "'" + std::string(host) + "' is not an IPv6 address";
      return false;
    }
    out.host = canon;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      why = "expected host:port, e.g. 127.0.0.1:8443 or [::1]:8443";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      why = "IPv6 addresses must be written in brackets, e.g. [::1]:8443";
      return false;
    }
    if (!is_ipv4_literal(host)) {
      const bool looks_numeric =
          !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
      why = !looks_numeric && is_dns_name(host)
                ? "'" + std::string(host) +
                      "' is not a numeric IP address (host names are not resolved)"
                : "'" + std::string(host) + "' is not an IPv4 address";
      return false;
    }
    out.host = std::string(host);
  }
  const auto p = parse_u64(port);
  if (!p || *p == 0 || *p > 65535 || (port.size() > 1 && port.front() == '0')) {
    why = "port must be a number from 1 to 65535";
    return false;
  }
  out.port = static_cast<uint16_t>(*p);
  return true;
}

bool is_unspecified(const SocketAddress& a) {
  return a.host == "0.0.0.0" || a.host == "::";
}

bool is_loopback(const SocketAddress& a) {
  return a.host == "::1" || (a.host.size() > 4 && a.host.compare(0, 4, "127.") == 0);
}

}  // namespace intransit::policy
