// Address and host-name syntax shared by the loader, the router and the HTTPS-only rules.
// Pure string functions: nothing here resolves names or touches a socket.
#pragma once

#include <string>
#include <string_view>

#include "policy/model.h"

namespace intransit::policy {

// parse_socket_address parses "a.b.c.d:port" or "[v6]:port" into `out`. The host must be a
// numeric address (host names are never resolved) and the port 1-65535. IPv6 hosts are
// stored without brackets in canonical RFC 5952 form, so equal addresses compare equal. On
// failure it returns false and sets `why` to a sentence for the operator.
bool parse_socket_address(std::string_view text, SocketAddress& out, std::string& why);

// is_ipv4_literal returns true if `s` is a dotted-quad IPv4 address without leading zeros.
bool is_ipv4_literal(std::string_view s);

// is_ipv6_literal returns true if `s` (without brackets, without a zone id) is an IPv6 address.
bool is_ipv6_literal(std::string_view s);

// is_dns_name returns true if `s` is a syntactically valid DNS host name: dot-separated
// labels of 1-63 letters, digits, '-' or '_', not starting or ending with '-', 253 bytes at
// most, one optional trailing dot. Case is not checked.
bool is_dns_name(std::string_view s);

// is_unspecified returns true for the wildcard addresses 0.0.0.0 and ::.
bool is_unspecified(const SocketAddress& a);

// is_loopback returns true for 127.0.0.0/8 and ::1.
bool is_loopback(const SocketAddress& a);

}  // namespace intransit::policy
