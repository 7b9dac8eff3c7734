#include "policy/load.h"

#include <openssl/sha.h>

#include <yaml-cpp/depthguard.h>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "gateway/base/bytes.h"
#include "gateway/base/text.h"
#include "policy/address.h"
#include "policy/embedded.h"
#include "policy/sas/keys.h"
#include "policy/sas/schema.h"
#include "policy/tls_rules.h"
#include "policy/validate.h"
#include "policy/yaml_ctx.h"

namespace intransit::policy {

namespace {

using detail::BackendDraft;
using detail::CertDraft;
using detail::Choice;
using detail::Ctx;
using detail::Field;
using detail::Http2LimitsDraft;
using detail::KeyHome;
using detail::LimitsDraft;
using detail::ListenerDraft;
using detail::PolicyDraft;
using detail::quote;
using detail::RouteDraft;
using detail::SmbDraft;
using detail::TlsDraft;
using Node = YAML::Node;

// Bounds shared by several keys.
constexpr uint64_t kMaxTimeoutMs = 86'400'000;    // one day
constexpr uint64_t kMaxEarlyTimeoutMs = 600'000;  // handshake and request head: 10 minutes
constexpr uint64_t kMaxConnections = 1'000'000;
constexpr uint64_t kMaxHstsAge = 10ull * 365 * 86'400;  // ten years

// --- value helpers ---------------------------------------------------------------------------

// name_value reads a listener/backend name: 1-64 of [a-z0-9_-].
std::optional<std::string> name_value(Ctx& c, const Node& n) {
  auto s = c.string(n);
  if (!s) return std::nullopt;
  bool ok = s->size() <= 64;
  for (char ch : *s) {
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
  }
  if (!ok) {
    c.error(c.mark(n), quote(*s) + " is not a valid name", "use 1 to 64 of a-z, 0-9, '_' and '-'");
    return std::nullopt;
  }
  return s;
}

bool address_value(Ctx& c, const Node& n, SocketAddress& out, Mark& mark) {
  auto s = c.string(n);
  if (!s) return false;
  std::string why;
  if (!parse_socket_address(*s, out, why)) {
    c.error(c.mark(n), quote(*s) + " is not a valid address: " + why);
    return false;
  }
  mark = c.mark(n);
  return true;
}

template <class T>
void u32_value(Ctx& c, const Node& n, T& out, uint64_t min, uint64_t max) {
  if (auto v = c.integer(n, min, max)) out = static_cast<T>(*v);
}

// host_name_value accepts a DNS name or an IP literal (IPv6 without brackets), lowercased.
std::optional<std::string> host_name_value(Ctx& c, const Node& n, bool allow_wildcard) {
  auto s = c.string(n);
  if (!s) return std::nullopt;
  std::string h = to_lower(*s);
  std::string_view body = h;
  if (allow_wildcard && body.size() > 2 && body.substr(0, 2) == "*.") body.remove_prefix(2);
  if (is_dns_name(body) || is_ipv4_literal(h) || is_ipv6_literal(h)) return h;
  c.error(c.mark(n), quote(*s) + " is not a valid host name or IP address");
  return std::nullopt;
}

// names_list reads a non-empty list of host names, refusing repeats.
void names_list(Ctx& c, const Node& n, std::vector<std::string>& out, bool allow_wildcard) {
  c.seq(n, [&](const Node& item, size_t) {
    auto h = host_name_value(c, item, allow_wildcard);
    if (!h) return;
    for (const auto& prev : out) {
      if (prev == *h) {
        c.error(c.mark(item), quote(*h) + " is listed twice");
        return;
      }
    }
    out.push_back(std::move(*h));
  });
}

// tls_name_list reads cipher_suites or groups through a tls_rules check.
void tls_name_list(Ctx& c, const Node& n, std::vector<std::string>& out,
                   TlsNameCheck (*check)(std::string_view), std::string_view what) {
  out.clear();
  c.seq(n, [&](const Node& item, size_t) {
    auto s = c.string(item);
    if (!s) return;
    TlsNameCheck r = check(*s);
    switch (r.verdict) {
      case TlsNameCheck::Verdict::Allowed:
        for (const auto& prev : out) {
          if (prev == r.canonical) {
            c.error(c.mark(item), quote(*s) + " is listed twice");
            return;
          }
        }
        out.push_back(std::move(r.canonical));
        return;
      case TlsNameCheck::Verdict::Refused:
        c.error(c.mark(item), quote(*s) + " is not allowed: " + r.reason, std::move(r.hint));
        return;
      case TlsNameCheck::Verdict::Unknown:
        c.error(c.mark(item), "unknown " + std::string(what) + " " + quote(*s), std::move(r.hint));
        return;
    }
  });
}

void tls_version_value(Ctx& c, const Node& n, TlsVersion& out) {
  auto s = c.string(n);
  if (!s) return;
  TlsNameCheck r = check_tls_version(*s);
  switch (r.verdict) {
    case TlsNameCheck::Verdict::Allowed:
      out = r.canonical == "1.3" ? TlsVersion::Tls13 : TlsVersion::Tls12;
      return;
    case TlsNameCheck::Verdict::Refused:
      c.error(c.mark(n), quote(*s) + " is not allowed: " + r.reason, std::move(r.hint));
      return;
    case TlsNameCheck::Verdict::Unknown:
      c.error(c.mark(n), "unknown TLS version " + quote(*s), std::move(r.hint));
      return;
  }
}

// --- enumerations ----------------------------------------------------------------------------

constexpr Choice<log::Level> kLogLevels[] = {
    {"debug", log::Level::Debug},
    {"info", log::Level::Info},
    {"warn", log::Level::Warn},
    {"error", log::Level::Error},
};

constexpr Choice<ListenerKind> kProtocols[] = {
    {"https", ListenerKind::Https},
    {"http", ListenerKind::Http},
    {"smb", ListenerKind::Smb},
};

constexpr Choice<SmbMode> kSmbModes[] = {
    {"standard", SmbMode::Standard},
    {"strict", SmbMode::Strict},
};

constexpr std::string_view kSmbCiphers[] = {"AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
                                            "AES-256-GCM"};

constexpr Field<SmbDraft> kSmbFields[] = {
    {"backend", true,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       address_value(c, n, d.v.backend, d.v.backend_mark);
     }},
    {"mode", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       if (auto v = c.choice(n, kSmbModes)) d.v.mode = *v;
     }},
    {"ciphers", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       d.v.ciphers.clear();
       c.seq(n, [&](const Node& item, size_t) {
         auto s = c.string(item);
         if (!s) return;
         for (std::string_view known : kSmbCiphers) {
           if (iequals(*s, known)) {
             for (const auto& prev : d.v.ciphers) {
               if (prev == known) {
                 c.error(c.mark(item), quote(*s) + " is listed twice");
                 return;
               }
             }
             d.v.ciphers.emplace_back(known);
             return;
           }
         }
         c.error(c.mark(item), "unknown SMB cipher " + quote(*s),
                 "one of AES-128-GCM, AES-256-GCM, AES-128-CCM, AES-256-CCM");
       });
       if (d.v.ciphers.empty()) c.error(c.mark(n), "at least one cipher is needed");
     }},
    {"max_frame_bytes", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.max_frame_bytes, 4096, 16'777'215);
     }},
    {"connect_timeout_ms", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.connect_timeout_ms, 1, kMaxEarlyTimeoutMs);
     }},
    {"setup_timeout_ms", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.setup_timeout_ms, 1, kMaxEarlyTimeoutMs);
     }},
    {"idle_timeout_ms", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.idle_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"max_connections", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.max_connections, 1, kMaxConnections);
     }},
    {"max_buffered_bytes", false,
     [](Ctx& c, const Node& n, SmbDraft& d) {
       u32_value(c, n, d.v.max_buffered_bytes, 64 * 1024, 256 * 1024 * 1024);
     }},
};

constexpr Choice<PlainHttpAction> kPlainHttpActions[] = {
    {"refuse", PlainHttpAction::Refuse},
    {"redirect", PlainHttpAction::Redirect},
};

constexpr Choice<UnknownSni> kUnknownSni[] = {
    {"default_certificate", UnknownSni::DefaultCertificate},
    {"reject", UnknownSni::Reject},
};

// --- session tickets and OCSP staples (tls/README.md) -----------------------------------------

// ocsp_staple_value reads a certificate's `ocsp_staple`: a path, or `false` to never staple.
void ocsp_staple_value(Ctx& c, const Node& n, CertificateSpec& out) {
  if (n.IsScalar() && (iequals(n.Scalar(), "false") || iequals(n.Scalar(), "true"))) {
    if (iequals(n.Scalar(), "true")) {
      c.error(c.mark(n), "expected a file path or false, got true",
              "without the key, \"<cert>.ocsp\" is stapled when it exists");
      return;
    }
    out.ocsp = OcspStaple::Off;
    out.ocsp_mark = c.mark(n);
    return;
  }
  auto s = c.string(n);
  if (!s) return;
  out.ocsp = OcspStaple::File;
  out.ocsp_file = std::move(*s);
  out.ocsp_mark = c.mark(n);
}

struct SessionTicketsDraft {
  SessionTicketPolicy v;
  detail::KeyMarks km;
};

constexpr Field<SessionTicketsDraft> kSessionTicketFields[] = {
    {"enabled", false,
     [](Ctx& c, const Node& n, SessionTicketsDraft& d) {
       if (auto v = c.boolean(n)) d.v.enabled = *v;
     }},
    {"key_file", false,
     [](Ctx& c, const Node& n, SessionTicketsDraft& d) {
       if (auto s = c.string(n)) {
         d.v.key_file = std::move(*s);
         d.v.key_file_mark = c.mark(n);
       }
     }},
    {"lifetime_s", false,
     [](Ctx& c, const Node& n, SessionTicketsDraft& d) {
       u32_value(c, n, d.v.lifetime_s, 300, 86'400);
     }},
};

// session_tickets_value reads `listeners[].tls.session_tickets`.
void session_tickets_value(Ctx& c, const Node& n, SessionTicketPolicy& out) {
  SessionTicketsDraft d;
  c.map(n, kSessionTicketFields, d, &d.km);
  d.v.mark = d.km.node;
  if (d.km.ok("enabled") && !d.v.enabled) {
    for (std::string_view k : {"key_file", "lifetime_s"}) {
      if (d.km.has(k)) {
        c.error_at(d.km.key(k), d.km.path_of(k),
                   "'" + std::string(k) + "' has no effect with 'enabled: false'",
                   "remove it, or enable session tickets");
      }
    }
  }
  out = std::move(d.v);
}

// --- schema tables, leaf first ---------------------------------------------------------------

constexpr Field<CertDraft> kCertificateFields[] = {
    {"cert", false,
     [](Ctx& c, const Node& n, CertDraft& d) {
       if (auto s = c.string(n)) {
         d.v.cert_file = std::move(*s);
         d.v.cert_mark = c.mark(n);
       }
     }},
    {"key", false,
     [](Ctx& c, const Node& n, CertDraft& d) {
       if (auto s = c.string(n)) {
         d.v.key_file = std::move(*s);
         d.v.key_mark = c.mark(n);
       }
     }},
    {"self_signed", false,
     [](Ctx& c, const Node& n, CertDraft& d) {
       d.v.self_signed = true;
       names_list(c, n, d.v.self_signed_names, /*allow_wildcard=*/false);
     }},
    {"server_names", false,
     [](Ctx& c, const Node& n, CertDraft& d) {
       names_list(c, n, d.v.server_names, /*allow_wildcard=*/true);
     }},
    // OCSP stapling (tls/README.md): a DER OCSPResponse file, or false. Absent: the TLS
    // module staples "<cert>.ocsp" when that file exists.
    {"ocsp_staple", false,
     [](Ctx& c, const Node& n, CertDraft& d) { ocsp_staple_value(c, n, d.v); }},
};

constexpr Field<TlsDraft> kTlsFields[] = {
    {"min_version", false,
     [](Ctx& c, const Node& n, TlsDraft& d) { tls_version_value(c, n, d.v.min_version); }},
    {"max_version", false,
     [](Ctx& c, const Node& n, TlsDraft& d) { tls_version_value(c, n, d.v.max_version); }},
    {"cipher_suites", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       tls_name_list(c, n, d.v.cipher_suites, check_cipher_suite, "cipher suite");
     }},
    {"groups", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       tls_name_list(c, n, d.v.groups, check_group, "group");
     }},
    {"unknown_sni", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       if (auto v = c.choice(n, kUnknownSni)) d.v.unknown_sni = *v;
     }},
    {"hsts_max_age", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       u32_value(c, n, d.v.hsts_max_age_s, 0, kMaxHstsAge);
     }},
    {"hsts_include_subdomains", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       if (auto v = c.boolean(n)) d.v.hsts_include_subdomains = *v;
     }},
    {"handshake_timeout_ms", false,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       u32_value(c, n, d.v.handshake_timeout_ms, 1, kMaxEarlyTimeoutMs);
     }},
    // Session resumption (tls/README.md, "Session tickets").
    {"session_tickets", false,
     [](Ctx& c, const Node& n, TlsDraft& d) { session_tickets_value(c, n, d.v.session_tickets); }},
    {"certificates", true,
     [](Ctx& c, const Node& n, TlsDraft& d) {
       c.seq(n, [&](const Node& item, size_t) {
         CertDraft& cd = d.certs.emplace_back();
         c.map(item, kCertificateFields, cd, &cd.km);
         cd.v.mark = cd.km.node;
       });
     }},
};

constexpr Field<ListenerDraft> kListenerFields[] = {
    {"name", true,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       if (auto s = name_value(c, n)) d.v.name = std::move(*s);
     }},
    {"address", true,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       address_value(c, n, d.v.address, d.v.address_mark);
     }},
    {"protocol", true,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       if (auto v = c.choice(n, kProtocols)) d.v.kind = *v;
     }},
    {"tls", false,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       c.map(n, kTlsFields, d.tls, &d.tls.km);
       d.tls.v.mark = d.tls.km.node;
     }},
    {"plain_http", false,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       if (auto v = c.choice(n, kPlainHttpActions)) d.v.plain_http = *v;
     }},
    {"redirect_port", false,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       u32_value(c, n, d.v.redirect_https_port, 1, 65535);
     }},
    {"http2", false,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       if (auto v = c.boolean(n)) d.v.http2 = *v;
     }},
    {"smb", false,
     [](Ctx& c, const Node& n, ListenerDraft& d) {
       c.map(n, kSmbFields, d.smb, &d.smb.km);
       d.smb.v.mark = d.smb.km.node;
     }},
};

constexpr Field<BackendDraft> kBackendFields[] = {
    {"name", true,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       if (auto s = name_value(c, n)) d.v.name = std::move(*s);
     }},
    {"address", true,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       address_value(c, n, d.v.address, d.v.address_mark);
     }},
    {"demo", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       if (auto v = c.boolean(n)) d.v.demo = *v;
     }},
    {"connect_timeout_ms", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       u32_value(c, n, d.v.connect_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"response_timeout_ms", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       u32_value(c, n, d.v.response_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"idle_timeout_ms", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       u32_value(c, n, d.v.idle_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"max_idle_connections", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       u32_value(c, n, d.v.max_idle_connections, 0, kMaxConnections);
     }},
    {"max_connections", false,
     [](Ctx& c, const Node& n, BackendDraft& d) {
       u32_value(c, n, d.v.max_connections, 1, kMaxConnections);
     }},
};

constexpr Field<RouteDraft> kRouteFields[] = {
    {"name", false,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       if (auto s = name_value(c, n)) d.v.name = std::move(*s);
     }},
    {"host", false,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       auto s = c.string(n);
       if (!s) return;
       if (*s == "*") {
         d.v.host = "*";
         return;
       }
       std::string h = to_lower(*s);
       std::string_view body = h;
       const bool wildcard = body.size() > 2 && body.substr(0, 2) == "*.";
       if (wildcard) body.remove_prefix(2);
       if (!body.empty() && body.back() == '.') {
         c.error(c.mark(n), quote(*s) + ": write the host without a trailing dot");
         return;
       }
       bool ok = is_dns_name(body) || (!wildcard && is_ipv4_literal(body));
       if (!wildcard && body.size() > 2 && body.front() == '[' && body.back() == ']') {
         ok = is_ipv6_literal(body.substr(1, body.size() - 2));
       }
       if (!ok) {
         c.error(c.mark(n), quote(*s) + " is not a valid route host",
                 "use \"*\", a host name, \"*.\" followed by a domain, an IPv4 address or "
                 "a bracketed IPv6 address");
         return;
       }
       d.v.host = std::move(h);
     }},
    {"path_prefix", false,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       auto s = c.string(n);
       if (!s) return;
       if (s->front() != '/') {
         c.error(c.mark(n), quote(*s) + " must start with '/'");
         return;
       }
       for (unsigned char ch : *s) {
         if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#') {
           c.error(c.mark(n), quote(*s) + " may hold only visible ASCII, without '?' or '#'");
           return;
         }
       }
       d.v.path_prefix = std::move(*s);
     }},
    {"backend", true,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       if (auto s = c.string(n)) d.v.backend = std::move(*s);
     }},
    {"listeners", false,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       c.seq(n, [&](const Node& item, size_t) {
         if (auto s = c.string(item)) {
           d.v.listeners.push_back(std::move(*s));
           d.listener_marks.push_back(c.mark(item));
         }
       });
     }},
    {"max_body_bytes", false,
     [](Ctx& c, const Node& n, RouteDraft& d) {
       if (auto v = c.integer(n, 0, UINT64_MAX)) d.v.max_body_bytes = *v;
     }},
    // SAS (policy/sas/schema.h): this route needs a valid SAS for one account.
    {"sas", false,
     [](Ctx& c, const Node& n, RouteDraft& d) { sas::parse_route_sas(c, n, d.v.sas); }},
};

constexpr Field<Http2LimitsDraft> kHttp2LimitsFields[] = {
    {"max_concurrent_streams", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.max_concurrent_streams, 1, 10'000);
     }},
    {"max_streams_per_connection", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.max_streams_per_connection, 1, 1'000'000);
     }},
    {"stream_window_bytes", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.stream_window_bytes, 16 * 1024, 16 * 1024 * 1024);
     }},
    {"connection_window_bytes", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.connection_window_bytes, 64 * 1024, 256 * 1024 * 1024);
     }},
    {"reset_burst", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.reset_burst, 1, 100'000);
     }},
    {"reset_rate_per_s", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.reset_rate_per_s, 1, 100'000);
     }},
    {"max_continuations", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.max_continuations, 1, 1'000);
     }},
    {"max_settings", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.max_settings, 1, 1'000);
     }},
    {"max_outbound_ack", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.max_outbound_ack, 1, 100'000);
     }},
    {"header_table_bytes", false,
     [](Ctx& c, const Node& n, Http2LimitsDraft& d) {
       u32_value(c, n, d.v.header_table_bytes, 0, 64 * 1024);
     }},
};

constexpr Field<LimitsDraft> kLimitsFields[] = {
    {"http2", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       Http2LimitsDraft h;
       c.map(n, kHttp2LimitsFields, h, &h.km);
       d.v.http2 = h.v;
     }},
    {"max_head_bytes", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.max_head_bytes, 1024, 1024 * 1024);
     }},
    {"max_header_count", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.max_header_count, 1, 10'000);
     }},
    {"head_read_timeout_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.head_read_timeout_ms, 1, kMaxEarlyTimeoutMs);
     }},
    {"idle_timeout_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.idle_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"body_read_timeout_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.body_read_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"send_timeout_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.send_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"min_body_rate_bytes_per_s", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.min_body_rate_bytes_per_s, 0, 1024 * 1024 * 1024);
     }},
    {"min_send_rate_bytes_per_s", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.min_send_rate_bytes_per_s, 0, 1024 * 1024 * 1024);
     }},
    {"rate_window_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.rate_window_ms, 1000, 600'000);
     }},
    {"drain_timeout_ms", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.drain_timeout_ms, 1, kMaxTimeoutMs);
     }},
    {"max_connections", false,
     [](Ctx& c, const Node& n, LimitsDraft& d) {
       u32_value(c, n, d.v.max_connections, 1, kMaxConnections);
     }},
};

struct AdminDraft {
  AdminPolicy v;
  detail::KeyMarks km;
};

constexpr Field<AdminDraft> kAdminFields[] = {
    {"address", false,
     [](Ctx& c, const Node& n, AdminDraft& d) {
       Mark m;
       address_value(c, n, d.v.address, m);
     }},
};

struct AccessLogDraft {
  AccessLogPolicy v;
  detail::KeyMarks km;
};

constexpr Field<AccessLogDraft> kAccessLogFields[] = {
    {"path", false,
     [](Ctx& c, const Node& n, AccessLogDraft& d) {
       auto s = c.string(n);
       if (!s) return;
       if (*s != "-" && (s->empty() || (*s)[0] != '/')) {
         c.error(c.mark(n), "access_log.path must be an absolute path or \"-\" (stdout)");
         return;
       }
       d.v.path = std::move(*s);
     }},
};

constexpr Field<PolicyDraft> kPolicyFields[] = {
    {"admin", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       AdminDraft a;
       c.map(n, kAdminFields, a, &a.km);
       d.v.admin = a.v;
       d.v.admin.enabled = true;
       d.v.admin.mark = a.km.node;
     }},
    {"access_log", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       AccessLogDraft a;
       c.map(n, kAccessLogFields, a, &a.km);
       d.v.access_log = a.v;
       d.v.access_log.enabled = true;
       d.v.access_log.mark = a.km.node;
     }},
    {"version", true,
     [](Ctx& c, const Node& n, PolicyDraft&) {
       auto v = c.integer(n, 0, UINT32_MAX);
       if (v && *v != 1) {
         c.error(c.mark(n), "unsupported policy version " + std::to_string(*v),
                 "this gateway reads version 1");
       }
     }},
    {"state_dir", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       auto s = c.string(n, /*allow_empty=*/true);
       if (!s) return;
       if (!s->empty() && s->front() != '/') {
         c.error(c.mark(n), quote(*s) + " must be an absolute path");
         return;
       }
       d.v.state_dir = std::move(*s);
     }},
    {"log_level", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       if (auto v = c.choice(n, kLogLevels)) {
         d.v.log_threshold = *v;
         d.v.log_level = to_lower(n.Scalar());
       }
     }},
    {"workers", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       if (n.IsScalar() && iequals(n.Scalar(), "auto")) {
         d.v.workers = 0;
         return;
       }
       if (n.IsScalar() && !parse_u64(n.Scalar())) {
         c.error(c.mark(n),
                 "expected an integer from 1 to 1024 or \"auto\", got " + quote(n.Scalar()));
         return;
       }
       u32_value(c, n, d.v.workers, 1, 1024);
     }},
    {"limits", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       c.map(n, kLimitsFields, d.limits, &d.limits.km);
     }},
    {"listeners", true,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       c.seq(n, [&](const Node& item, size_t) {
         ListenerDraft& l = d.listeners.emplace_back();
         c.map(item, kListenerFields, l, &l.km);
         l.v.mark = l.km.node;
       });
     }},
    {"backends", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       c.seq(n, [&](const Node& item, size_t) {
         BackendDraft& b = d.backends.emplace_back();
         c.map(item, kBackendFields, b, &b.km);
         b.v.mark = b.km.node;
       });
     }},
    {"routes", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) {
       c.seq(n, [&](const Node& item, size_t) {
         RouteDraft& r = d.routes.emplace_back();
         c.map(item, kRouteFields, r, &r.km);
         r.v.mark = r.km.node;
       });
     }},
    // SAS accounts and stored access policies (policy/sas/schema.h).
    {"sas", false,
     [](Ctx& c, const Node& n, PolicyDraft& d) { sas::parse_sas_section(c, n, d.v.sas); }},
};

// kKeyHomes lets an unknown key that exists elsewhere in the schema say where it belongs.
// Keys that exist in several places (name, address, idle_timeout_ms...) are left out.
constexpr KeyHome kKeyHomes[] = {
    {"min_version", "listeners[].tls"},
    {"max_version", "listeners[].tls"},
    {"cipher_suites", "listeners[].tls"},
    {"groups", "listeners[].tls"},
    {"unknown_sni", "listeners[].tls"},
    {"hsts_max_age", "listeners[].tls"},
    {"hsts_include_subdomains", "listeners[].tls"},
    {"handshake_timeout_ms", "listeners[].tls"},
    {"certificates", "listeners[].tls"},
    {"cert", "listeners[].tls.certificates[]"},
    {"key", "listeners[].tls.certificates[]"},
    {"self_signed", "listeners[].tls.certificates[]"},
    {"server_names", "listeners[].tls.certificates[]"},
    {"tls", "listeners[]"},
    {"protocol", "listeners[]"},
    {"plain_http", "listeners[]"},
    {"redirect_port", "listeners[]"},
    {"demo", "backends[]"},
    {"connect_timeout_ms", "backends[]"},
    {"response_timeout_ms", "backends[]"},
    {"max_idle_connections", "backends[]"},
    {"host", "routes[]"},
    {"path_prefix", "routes[]"},
    {"backend", "routes[]"},
    {"max_body_bytes", "routes[]"},
    {"max_concurrent_streams", "limits.http2"},
    {"max_streams_per_connection", "limits.http2"},
    {"stream_window_bytes", "limits.http2"},
    {"connection_window_bytes", "limits.http2"},
    {"reset_burst", "limits.http2"},
    {"reset_rate_per_s", "limits.http2"},
    {"max_continuations", "limits.http2"},
    {"max_settings", "limits.http2"},
    {"max_outbound_ack", "limits.http2"},
    {"header_table_bytes", "limits.http2"},
    {"max_head_bytes", "limits"},
    {"max_header_count", "limits"},
    {"head_read_timeout_ms", "limits"},
    {"body_read_timeout_ms", "limits"},
    {"send_timeout_ms", "limits"},
    {"drain_timeout_ms", "limits"},
    {"min_body_rate_bytes_per_s", "limits"},
    {"min_send_rate_bytes_per_s", "limits"},
    {"rate_window_ms", "limits"},
    {"state_dir", "the top level"},
    {"log_level", "the top level"},
    {"workers", "the top level"},
    {"version", "the top level"},
    {"limits", "the top level"},
    {"backends", "the top level"},
    {"routes", "the top level"},
    // SAS (policy/sas/schema.h)
    {"accounts", "sas"},
    {"stored_policies", "sas"},
    {"key1", "sas.accounts[]"},
    {"key2", "sas.accounts[]"},
    {"secure_transfer_required", "sas.accounts[]"},
    {"container", "sas.stored_policies[]"},
    {"permissions", "sas.stored_policies[]"},
    {"expiry", "sas.stored_policies[]"},
    {"style", "routes[].sas"},
    // Session tickets and OCSP staples (tls/README.md)
    {"session_tickets", "listeners[].tls"},
    {"lifetime_s", "listeners[].tls.session_tickets"},
    {"ocsp_staple", "listeners[].tls.certificates[]"},
};

Unexpected<ConfigErrors> one_error(std::string file, int line, int col, std::string message) {
  ConfigErrors errs;
  errs.push_back(ConfigError{Mark{std::move(file), line, col}, "", std::move(message), {}});
  return unexpected(std::move(errs));
}

// yaml_position converts a yaml-cpp mark (0-based; -1 when unknown) to file:line:col.
std::pair<int, int> yaml_position(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) return {0, 0};
  return {m.line + 1, m.column + 1};
}

// DocumentStarts is a yaml-cpp event handler that only records where documents start. It
// exists because YAML::LoadAll cannot be used: on a stray flow indicator in block context
// (",", "]"... at the top level) yaml-cpp 0.7 emits an empty document without consuming the
// token, so LoadAll loops forever, allocating. Counting documents with a bounded number of
// HandleNextDocument calls and comparing their start marks detects both extra documents and
// that stall.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

bool same_position(const YAML::Mark& a, const YAML::Mark& b) {
  return a.pos == b.pos;
}

// check_single_document returns an error if `text` holds more than one YAML document, or
// content yaml-cpp stalls on. Parse errors propagate as yaml-cpp exceptions.
std::optional<ConfigErrors> check_single_document(const std::string& file,
                                                  const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts h;
  for (int i = 0; i < 3 && parser.HandleNextDocument(h); ++i) {
  }
  const auto& st = h.starts;
  for (size_t i = 1; i < st.size(); ++i) {
    if (same_position(st[i - 1], st[i])) {
      const auto [line, col] = yaml_position(st[i]);
      const size_t pos = static_cast<size_t>(std::max(0, st[i].pos));
      const std::string what = pos < text.size() ? quote(text.substr(pos, 1)) : "end of input";
      return one_error(file, line, col, "YAML syntax error: unexpected " + what).error;
    }
  }
  if (st.size() > 1) {
    const auto [line, col] = yaml_position(st[1]);
    return one_error(file, line, col, "only one YAML document is allowed in a policy file").error;
  }
  return std::nullopt;
}

// kMaxFlowDepth bounds "[" / "{" nesting. A policy needs about five levels. yaml-cpp 0.7 stops
// recursing at 500 levels by itself (DepthGuard; under 256 KiB of stack, measured), but only
// after scanning, and allocating for, the whole input: 1 MiB of "[" costs it a quarter of a
// gigabyte. This pre-scan refuses such input cheaply and at the exact bracket. Block nesting
// needs indentation (or "- " per level), so the 1 MiB bound and yaml-cpp's guard cover it.
constexpr int kMaxFlowDepth = 64;

// find_deep_flow returns the 1-based line and column of the bracket that opens flow level
// kMaxFlowDepth + 1, if any. Brackets inside comments, quoted scalars and plain scalars
// ("a[0]") are not counted, so a shallow file is never refused.
std::optional<std::pair<int, int>> find_deep_flow(std::string_view text) {
  enum class State : uint8_t { Between, Plain, Single, Double, Comment };
  State st = State::Between;
  int line = 1;
  int col = 0;
  int depth = 0;
  char prev = '\n';
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      col = 0;
      prev = '\n';
      escaped = false;
      if (st == State::Comment || st == State::Plain) st = State::Between;
      continue;  // quoted scalars may span lines
    }
    ++col;
    const char next = i + 1 < text.size() ? text[i + 1] : '\n';
    const bool blank_before = prev == ' ' || prev == '\t' || prev == '\n';
    const bool blank_after = next == ' ' || next == '\t' || next == '\n' || next == '\r';
    switch (st) {
      case State::Comment:
        break;
      case State::Single:
        if (c == '\'') {
          if (next == '\'') {
            ++i;  // '' is an escaped quote
            ++col;
          } else {
            st = State::Between;
          }
        }
        break;
      case State::Double:
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          st = State::Between;
        }
        break;
      case State::Plain:
        // A plain scalar ends at ": ", " #", and in flow context at , ] } too.
        if (c == '#' && blank_before) {
          st = State::Comment;
        } else if (c == ':' &&
                   (blank_after || (depth > 0 && (next == ',' || next == ']' || next == '}')))) {
          st = State::Between;
        } else if (depth > 0 && (c == ',' || c == ']' || c == '}')) {
          st = State::Between;
          if (c != ',') --depth;
        }
        break;
      case State::Between:
        if (c == '#' && blank_before) {
          st = State::Comment;
        } else if (c == '\'') {
          st = State::Single;
        } else if (c == '"') {
          st = State::Double;
        } else if (c == '[' || c == '{') {
          if (++depth > kMaxFlowDepth) return std::pair{line, col};
        } else if (c == ']' || c == '}') {
          if (depth > 0) --depth;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == ',' ||
                   ((c == '-' || c == '?' || c == ':') && blank_after)) {
          // separators and indicators: still between scalars
        } else {
          st = State::Plain;
        }
        break;
    }
    prev = c;
  }
  return std::nullopt;
}

Result<PolicyPtr, ConfigErrors> load_document(const std::string& file, const std::string& text) {
  if (const auto deep = find_deep_flow(text)) {
    return one_error(file, deep->first, deep->second,
                     "YAML nesting is deeper than " + std::to_string(kMaxFlowDepth) + " levels");
  }
  Node root;
  try {
    root = YAML::Load(text);
    if (auto e = check_single_document(file, text)) return unexpected(std::move(*e));
  } catch (const YAML::DeepRecursion& e) {
    const auto [line, col] = yaml_position(e.mark);
    return one_error(file, line, col, "YAML nesting is too deep");  // block nesting
  } catch (const YAML::Exception& e) {
    const auto [line, col] = yaml_position(e.mark);
    return one_error(file, line, col, "YAML syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    return one_error(file, 1, 1, "the policy is empty (expected a mapping with 'version: 1')");
  }

  Ctx ctx(file, kKeyHomes);
  PolicyDraft draft;
  ctx.map(root, kPolicyFields, draft, &draft.km);
  if (!ctx.stopped()) detail::validate(ctx, draft);
  if (!ctx.stopped()) sas::validate_sas(ctx, draft);
  if (ctx.error_count() > 0) return unexpected(ctx.take_errors());
  draft.v.limits = draft.limits.v;
  return detail::finish(std::move(draft), file);
}

}  // namespace

Result<PolicyPtr, ConfigErrors> load(std::string_view source_name, std::string_view yaml_text) {
  std::string file(source_name);
  if (yaml_text.size() > kMaxPolicyBytes) {
    return one_error(file, 0, 0,
                     "the policy is larger than " + std::to_string(kMaxPolicyBytes) + " bytes");
  }
  // yaml-cpp reports errors by exception. This is the only place they are caught (STYLE R13,
  // R15); the schema code below uses only non-throwing node accessors, so anything caught
  // here past parsing is a bug, reported as an error rather than taking the process down.
  try {
    auto loaded = load_document(file, std::string(yaml_text));
    if (!loaded) return loaded;
    // The digest identifies the live policy in metrics (intransit_policy_info).
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const uint8_t*>(yaml_text.data()), yaml_text.size(), digest);
    auto with_digest = std::make_shared<Policy>(**loaded);
    with_digest->sha256 = intransit::to_hex(digest);
    return PolicyPtr(std::move(with_digest));
  } catch (const YAML::Exception& e) {
    const auto [line, col] = yaml_position(e.mark);
    return one_error(file, line, col, "YAML error: " + e.msg);
  }
}

Result<PolicyPtr, ConfigErrors> load_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return one_error(path, 0, 0, "cannot read policy file: " + std::string(std::strerror(errno)));
  }
  std::string text;
  char buf[16384];
  bool too_big = false;
  bool failed = false;
  while (true) {
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, n);
    if (text.size() > kMaxPolicyBytes) {
      too_big = true;
      break;
    }
    if (n < sizeof buf) {
      failed = std::ferror(f) != 0;
      break;
    }
  }
  const int saved_errno = errno;
  std::fclose(f);
  if (failed) {
    return one_error(path, 0, 0,
                     "cannot read policy file: " + std::string(std::strerror(saved_errno)));
  }
  if (too_big) {
    return one_error(path, 0, 0,
                     "the policy is larger than " + std::to_string(kMaxPolicyBytes) + " bytes");
  }
  auto loaded = load(path, text);
  if (!loaded) return loaded;
  // SAS account keys come from their own files (policy/sas/keys.h): relative paths are
  // relative to the policy file; mode and format problems are reported at the key's position.
  if (!(*loaded)->sas.accounts.empty()) {
    const auto kslash = path.rfind('/');
    auto with_keys = std::make_shared<Policy>(**loaded);
    auto key_errors = sas::read_account_keys(
        *with_keys, kslash == std::string::npos ? std::string() : path.substr(0, kslash + 1));
    if (!key_errors.empty()) return unexpected(std::move(key_errors));
    loaded = PolicyPtr(std::move(with_keys));
  }
  // Relative certificate and key paths are relative to the policy file, not to wherever the
  // process was started from.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  if (dir.empty()) return loaded;
  auto resolved = std::make_shared<Policy>(**loaded);
  auto resolve = [&](std::string& p) {
    if (!p.empty() && p.front() != '/') p = dir + p;
  };
  for (auto& l : resolved->listeners) {
    if (!l.tls) continue;
    for (auto& c : l.tls->certificates) {
      resolve(c.cert_file);
      resolve(c.key_file);
    }
  }
  // Ticket key files and OCSP staples: the same rule.
  for (auto& l : resolved->listeners) {
    if (!l.tls) continue;
    resolve(l.tls->session_tickets.key_file);
    for (auto& c : l.tls->certificates) resolve(c.ocsp_file);
  }
  return PolicyPtr(std::move(resolved));
}

std::string_view embedded_default() {
  return std::string_view(reinterpret_cast<const char*>(detail::kDefaultPolicyYaml),
                          detail::kDefaultPolicyYamlSize);
}

Result<PolicyPtr, ConfigErrors> load_default() {
  return load(kEmbeddedSourceName, embedded_default());
}

}  // namespace intransit::policy
