// The typed, immutable policy snapshot. policy::load builds it from a YAML file; workers hold
// it through PolicyPtr and never change it. Every field that later validation may complain
// about keeps the Mark of its YAML node.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/log.h"
#include "policy/config_error.h"

namespace intransit::policy {

// SocketAddress is a numeric IPv4/IPv6 address and a port ("0.0.0.0:8443", "[::1]:8443").
struct SocketAddress {
  std::string host;  // numeric, without brackets
  uint16_t port = 0;
  std::string to_string() const;  // brackets IPv6
};

enum class TlsVersion : uint8_t { Tls12, Tls13 };
enum class UnknownSni : uint8_t { DefaultCertificate, Reject };

// OcspStaple says where a certificate's stapled OCSP response (RFC 6066 §8) comes from.
// Auto: "<cert_file>.ocsp" when that file exists (HAProxy's convention), else none; File: the
// path in CertificateSpec::ocsp_file (must exist); Off: never staple (`ocsp_staple: false`).
enum class OcspStaple : uint8_t { Auto, File, Off };

// CertificateSpec names one certificate chain and its private key, or asks for a self-signed
// ECDSA P-256 certificate generated on first run into the policy's state_dir.
struct CertificateSpec {
  std::string cert_file;  // PEM chain, leaf first (empty when self_signed)
  std::string key_file;   // PEM private key; must not be readable by group or other
  Mark cert_mark;
  Mark key_mark;
  bool self_signed = false;
  std::vector<std::string> self_signed_names;  // DNS names / IPs for the generated cert
  // server_names overrides the names taken from the certificate's subjectAltName.
  std::vector<std::string> server_names;
  Mark mark;
  // ocsp_staple (tls/README.md, "OCSP stapling"): a DER OCSPResponse sent to clients that
  // ask for one (status_request). The TLS module reads and checks it.
  OcspStaple ocsp = OcspStaple::Auto;
  std::string ocsp_file;  // OcspStaple::File only
  Mark ocsp_mark;         // the `ocsp_staple` value
};

// SessionTicketPolicy is `listeners[].tls.session_tickets` (tls/README.md, "Session
// tickets"): stateless resumption for TLS 1.2 and TLS 1.3.
struct SessionTicketPolicy {
  bool enabled = true;
  // key_file holds the ticket keys shared by every replica (the first encrypts, all
  // decrypt); must not be accessible by group or other. Empty: BoringSSL's own random key,
  // per ServerContext (rotated every 48 h; not shared, so a reload or another replica means
  // a full handshake).
  std::string key_file;
  Mark key_file_mark;
  // lifetime_s bounds how long a ticket may be used (300-86400). 0: TLS 1.3 86400, TLS 1.2
  // 7200; set, it applies to both versions.
  uint32_t lifetime_s = 0;
  Mark mark;
};

// TlsPolicy is the TLS configuration of one HTTPS listener. Defaults are the safe set.
struct TlsPolicy {
  TlsVersion min_version = TlsVersion::Tls12;
  TlsVersion max_version = TlsVersion::Tls13;
  // TLS 1.2 suites in BoringSSL/OpenSSL names, server preference order. Only ECDHE with
  // AES-GCM or CHACHA20-POLY1305 is accepted. TLS 1.3 suites are all AEAD and fixed.
  std::vector<std::string> cipher_suites = {
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"};
  std::vector<std::string> groups = {"X25519", "P-256", "P-384"};
  std::vector<CertificateSpec> certificates;  // the first is the default certificate
  UnknownSni unknown_sni = UnknownSni::DefaultCertificate;
  uint32_t hsts_max_age_s = 31'536'000;  // 0 disables the header
  bool hsts_include_subdomains = false;
  uint32_t handshake_timeout_ms = 10'000;
  Mark mark;
  SessionTicketPolicy session_tickets;
};

enum class ListenerKind : uint8_t { Https, Http, Smb };

// SmbMode: standard requires every message after session setup to be encrypted (SMB2
// TRANSFORM); strict also requires the server to have marked the session ENCRYPT_DATA.
enum class SmbMode : uint8_t { Standard, Strict };

// SmbPolicy is the `smb` section of a `protocol: smb` listener: the SMB server it relays to
// and what the inspector allows (smb/README.md).
struct SmbPolicy {
  SocketAddress backend;  // the SMB server, numeric address
  Mark backend_mark;
  SmbMode mode = SmbMode::Standard;
  // Allowed SMB 3.1.1 ciphers; 3.0/3.0.2 (AES-128-CCM only) need AES-128-CCM here.
  std::vector<std::string> ciphers = {"AES-128-GCM", "AES-256-GCM", "AES-128-CCM", "AES-256-CCM"};
  uint32_t max_frame_bytes = 16'777'215;          // NBSS maximum
  uint32_t connect_timeout_ms = 5'000;            // to the SMB server
  uint32_t setup_timeout_ms = 60'000;             // accept to the first encrypted session
  uint32_t idle_timeout_ms = 900'000;             // no bytes either way
  uint32_t max_connections = 4'096;               // per worker
  uint32_t max_buffered_bytes = 4 * 1024 * 1024;  // back-pressure watermark per direction
  Mark mark;
};
enum class PlainHttpAction : uint8_t { Refuse, Redirect };

struct Listener {
  std::string name;
  ListenerKind kind = ListenerKind::Https;
  SocketAddress address;
  std::optional<TlsPolicy> tls;  // set for kind == Https
  // Plain HTTP listeners: refuse with 400 AccountRequiresHttps, or 308 to https.
  PlainHttpAction plain_http = PlainHttpAction::Refuse;
  uint16_t redirect_https_port = 443;  // port in the 308 Location (443 is left out of the URL)
  bool http2 = true;                   // HTTPS listeners: ALPN offers h2 (then http/1.1)
  std::optional<SmbPolicy> smb;        // set for kind == Smb
  Mark mark;
  // address_mark is the position of the `address` value, for bind errors.
  Mark address_mark;
};

struct Backend {
  std::string name;
  SocketAddress address;
  // demo: the gateway itself serves a small demo page on `address` (quick start).
  bool demo = false;
  uint32_t connect_timeout_ms = 5'000;
  uint32_t response_timeout_ms = 60'000;  // from request sent to response head received
  uint32_t idle_timeout_ms = 30'000;      // pooled idle backend connection lifetime
  uint32_t max_idle_connections = 64;     // per worker
  uint32_t max_connections = 1'024;       // per worker; beyond it requests get 503
  Mark mark;
  // address_mark is the position of the `address` value, for connect errors.
  Mark address_mark;
};

// --- Shared access signatures (policy/sas, SAS-SPEC) -----------------------------------------
// A route with `sas:` lets a request through only with a valid Azure Storage SAS for one
// configured account (policy/sas/check.h). Accounts, their keys and the stored access policies
// live in Policy::sas.

// SasUrlStyle says how a route's URLs name the storage resource (SAS-SPEC §3):
// Path: /<account>/<container>/<blob> (emulator and IP style); Host: the host names the
// account (<account>.blob.example.com) and the path is /<container>/<blob>.
enum class SasUrlStyle : uint8_t { Path, Host };

// RouteSas is a route's `sas:` mapping.
struct RouteSas {
  std::string account;       // a SasAccount name
  size_t account_index = 0;  // into Policy::sas.accounts, resolved by the loader
  SasUrlStyle style = SasUrlStyle::Path;
  Mark mark;          // the `sas` mapping
  Mark account_mark;  // the `account` value
};

// SasAccountKey is one account key: the file it comes from and, once load_file has read it,
// the decoded key bytes (never logged).
struct SasAccountKey {
  std::string file;  // as written; load_file resolves it against the policy's directory
  Mark mark;
  std::string secret;  // decoded key; empty until read (policy/sas/keys.h)
};

// SasAccount is one storage account whose SAS tokens the gateway verifies.
struct SasAccount {
  std::string name;
  std::vector<SasAccountKey> keys;  // key1, then key2 when configured
  // secure_transfer_required: plain HTTP is refused with 400 AccountRequiresHttps before any
  // SAS check (SAS-SPEC §6); when false, `spr` decides (403 AuthorizationProtocolMismatch).
  bool secure_transfer_required = true;
  Mark mark;       // the account's mapping
  Mark name_mark;  // the `name` value
};

// SasStoredPolicy is a stored access policy (a container's signed identifier, `si`).
// Removing it from the file (and reloading) revokes every token that names it.
struct SasStoredPolicy {
  std::string account;
  std::string container;
  std::string id;
  std::optional<std::string> permissions;  // letters, service SAS rules
  std::optional<std::string> start;        // ISO-8601 as written
  std::optional<std::string> expiry;
  std::optional<int64_t> start_ticks;  // parsed (100 ns since the epoch)
  std::optional<int64_t> expiry_ticks;
  Mark mark;          // the entry's mapping
  Mark account_mark;  // the `account` value
  Mark id_mark;       // the `id` value
};

// SasPolicy is the top-level `sas:` section.
struct SasPolicy {
  std::vector<SasAccount> accounts;
  std::vector<SasStoredPolicy> stored_policies;

  // find_account returns the account named `name`, or nullptr.
  const SasAccount* find_account(std::string_view name) const {
    for (const auto& a : accounts) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }
};
// --- end of shared access signatures ----------------------------------------------------------

struct Route {
  // name labels the route in metrics and the access log; defaults to "<host><path_prefix>".
  std::string name;
  // host: "*" (any), "example.com" (exact), "*.example.com" (any subdomain). Lowercase.
  std::string host = "*";
  // path_prefix matches whole segments: "/api" matches "/api", "/api/x", "/api?q", not "/apix".
  std::string path_prefix = "/";
  std::string backend;                 // a Backend name
  size_t backend_index = 0;            // resolved by the loader
  std::vector<std::string> listeners;  // listener names; empty = every HTTPS listener
  uint64_t max_body_bytes = 0;         // 0 = no limit; over it: 413
  std::optional<RouteSas> sas;         // set: every request needs a valid SAS (policy/sas)
  Mark mark;
};

// Http2Limits bound one HTTP/2 connection (the safe edge values nghttpx, Envoy and HAProxy
// converge on). Header list bytes and field count come from Limits::max_head_bytes and
// max_header_count, shared with HTTP/1.1.
struct Http2Limits {
  uint32_t max_concurrent_streams = 100;        // SETTINGS_MAX_CONCURRENT_STREAMS
  uint32_t max_streams_per_connection = 1'000;  // then GOAWAY (graceful)
  uint32_t stream_window_bytes = 64 * 1024;     // SETTINGS_INITIAL_WINDOW_SIZE
  uint32_t connection_window_bytes = 1024 * 1024;
  uint32_t reset_burst = 1'000;         // stream resets allowed in a burst (CVE-2023-44487)
  uint32_t reset_rate_per_s = 33;       // and refilled per second
  uint32_t max_continuations = 8;       // CONTINUATION frames per header block (CVE-2024-28182)
  uint32_t max_settings = 32;           // entries per SETTINGS frame
  uint32_t max_outbound_ack = 1'000;    // queued SETTINGS/PING ACKs before GOAWAY
  uint32_t header_table_bytes = 4'096;  // HPACK dynamic table, both directions
};

struct Limits {
  uint32_t max_head_bytes = 16 * 1024;     // request line + fields; over it: 431
  uint32_t max_header_count = 100;         // over it: 431
  uint32_t head_read_timeout_ms = 10'000;  // whole head, from first byte; then 408
  uint32_t idle_timeout_ms = 60'000;       // keep-alive idle between requests
  uint32_t body_read_timeout_ms = 30'000;  // longest pause while reading a request body
  uint32_t send_timeout_ms = 30'000;       // longest stall writing to the client
  // Slow body (RUDY) and slow read: over each rate_window_ms, a request body must arrive and a
  // backed-up response must drain at least this fast, or the connection is cut. 0 disables.
  uint32_t min_body_rate_bytes_per_s = 1'024;
  uint32_t min_send_rate_bytes_per_s = 1'024;
  uint32_t rate_window_ms = 10'000;
  uint32_t drain_timeout_ms = 15'000;  // SIGTERM: longest wait for in-flight requests
  uint32_t max_connections = 10'000;   // per worker
  Http2Limits http2;
};

// RouteTable is the router's lookup index, built once by the loader so that `route()` does no
// allocation and no sorting per request. Indices refer to Policy::routes and Policy::listeners.
struct RouteTable {
  // HostGroup holds the routes of one host pattern, longest path_prefix first.
  struct HostGroup {
    // host is the lowercase host for an exact pattern, the suffix ".example.com" for a wildcard.
    std::string host;
    std::vector<uint32_t> routes;  // indices into Policy::routes
  };
  // ListenerRoutes is the part of the table one HTTPS listener sees.
  struct ListenerRoutes {
    std::vector<HostGroup> exact;     // sorted by host, for binary search
    std::vector<HostGroup> wildcard;  // longest suffix first
    std::vector<uint32_t> any;        // "*" routes, longest path_prefix first
  };
  std::vector<ListenerRoutes> listeners;  // parallel to Policy::listeners (empty for plain HTTP)
};

// AdminPolicy is the admin listener (/metrics, /healthz, /readyz). Off unless the policy has
// an `admin` section; its address defaults to loopback.
struct AdminPolicy {
  bool enabled = false;
  SocketAddress address{"127.0.0.1", 9901};
  Mark mark;
};

// AccessLogPolicy is the JSON access log. Off unless the policy has an `access_log` section.
struct AccessLogPolicy {
  bool enabled = false;
  std::string path = "-";  // "-" is stdout
  Mark mark;
};

struct Policy {
  std::string source;     // file name the policy came from ("<embedded>" for the default)
  std::string sha256;     // hex SHA-256 of the policy text
  std::string state_dir;  // generated material (self-signed certificates)
  std::string log_level = "info";
  // log_threshold is log_level parsed.
  log::Level log_threshold = log::Level::Info;
  // workers is the number of worker threads; 0 means "auto" (one per CPU core).
  uint32_t workers = 1;
  std::vector<Listener> listeners;
  std::vector<Backend> backends;
  std::vector<Route> routes;
  Limits limits;
  AdminPolicy admin;
  AccessLogPolicy access_log;
  // route_table is built by the loader; see policy/router.h.
  RouteTable route_table;
  // sas holds the SAS accounts and stored access policies (policy/sas).
  SasPolicy sas;

  // find_backend and find_listener return the entry named `name`, or nullptr.
  const Backend* find_backend(std::string_view name) const;
  const Listener* find_listener(std::string_view name) const;
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace intransit::policy
