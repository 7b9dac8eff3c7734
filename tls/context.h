// ServerContext: one BoringSSL SSL_CTX built from a listener's TlsPolicy, with its
// certificates, shared read-only by every worker thread and every Session started under one
// policy snapshot. A reload builds a new ServerContext; live Sessions keep the old one alive
// through their shared_ptr.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/result.h"
#include "policy/config_error.h"
#include "policy/model.h"
#include "tls/cert_store.h"
#include "tls/file_reader.h"
#include "tls/ticket_keys.h"

namespace intransit::tls {

// Alpn is a protocol the server can select in ALPN (RFC 7301).
enum class Alpn : uint8_t { None, Http11, Http10, H2 };

// name returns the ALPN protocol id ("http/1.1", "http/1.0", "h2"), or "" for None.
std::string_view name(Alpn a);

// ContextOptions are the inputs of build_server_context besides the policy.
struct ContextOptions {
  // state_dir holds generated material (self-signed certificates); Policy::state_dir.
  std::string state_dir;
  // now_unix is the wall clock in seconds since the epoch, for expiry warnings and the
  // validity of generated certificates. Zero means "read `clock`".
  int64_t now_unix = 0;
  // files reads certificates and keys; the real file system unless a test injects another.
  // Generated self-signed files always live on the real file system.
  const FileReader* files = &system_file_reader();
  // path is the policy key path of the TlsPolicy, prefixed to ConfigError::path
  // ("listeners[0].tls").
  std::string path = "tls";
  // offer_h2 lets ALPN select "h2" ahead of "http/1.1". Off until the HTTP/2 door exists.
  bool offer_h2 = false;
  // clock returns the wall clock in seconds since the epoch for decisions taken during
  // handshakes (is the OCSP staple still fresh?). Null means time(nullptr). Must be safe to
  // call from any thread.
  int64_t (*clock)() = nullptr;
};

// ServerContext owns the SSL_CTX and the certificates of one HTTPS listener. It is
// immutable after build_server_context returns and safe to share between threads.
class ServerContext {
 public:
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // ssl_ctx returns the context Sessions are created from. The caller must not change it:
  // it is shared by every thread.
  SSL_CTX* ssl_ctx() const { return ctx_.get(); }

  // certificates returns the loaded certificates in policy order; each has its names, key
  // type and not_after_unix (exported as a gauge by the glue).
  std::span<const Certificate> certificates() const { return store_.certificates(); }

  // store is the SNI index used by the select-certificate callback.
  const CertStore& store() const { return store_; }

  // unknown_sni is the policy for a server name that matches no certificate.
  policy::UnknownSni unknown_sni() const { return unknown_sni_; }

  // alpn_protocols returns the protocols ALPN may select, in server preference order.
  std::span<const Alpn> alpn_protocols() const { return {alpn_, alpn_count_}; }

  // warnings lists what was accepted but deserves the operator's attention (expired
  // certificates, a chain out of order, a certificate no TLS 1.2 suite can use). They have
  // already been logged; `--check-config` prints them again.
  const policy::ConfigErrors& warnings() const { return warnings_; }

  // Suite is one enabled TLS 1.2 cipher suite.
  struct Suite {
    uint16_t id;  // IANA value, e.g. 0xc02b
    bool ecdsa;   // authenticates with ECDSA (else RSA)
  };

  // tls12_suites returns the enabled TLS 1.2 suites in server preference order (empty when
  // TLS 1.2 is disabled).
  std::span<const Suite> tls12_suites() const { return suites_; }

  // max_version is the highest version enabled (TLS1_2_VERSION or TLS1_3_VERSION).
  uint16_t max_version() const { return max_version_; }

  // ticket_keys returns the keys read from session_tickets.key_file, or null (no key file:
  // BoringSSL's own per-context key, or tickets disabled).
  const TicketKeys* ticket_keys() const { return ticket_keys_.get(); }

  // tickets_enabled is false with `session_tickets: {enabled: false}`.
  bool tickets_enabled() const { return tickets_enabled_; }

  // session_lifetime_s returns the ticket lifetime of TLS 1.2 and TLS 1.3 sessions.
  uint32_t tls12_session_lifetime_s() const { return tls12_lifetime_s_; }
  uint32_t tls13_session_lifetime_s() const { return tls13_lifetime_s_; }

  // now_unix reads the context's clock (ContextOptions::clock).
  int64_t now_unix() const;

  // from_ssl returns the ServerContext an SSL was created from, or null if it was not
  // created from one.
  static const ServerContext* from_ssl(const SSL* ssl);

 private:
  friend Result<std::shared_ptr<const ServerContext>, policy::ConfigErrors> build_server_context(
      const policy::TlsPolicy& tls, const ContextOptions& opts);
  explicit ServerContext(CertStore store);

  bssl::UniquePtr<SSL_CTX> ctx_;
  CertStore store_;
  policy::UnknownSni unknown_sni_ = policy::UnknownSni::DefaultCertificate;
  Alpn alpn_[3] = {Alpn::None, Alpn::None, Alpn::None};
  size_t alpn_count_ = 0;
  policy::ConfigErrors warnings_;
  std::vector<Suite> suites_;
  uint16_t max_version_ = 0;
  TicketKeysPtr ticket_keys_;
  bool tickets_enabled_ = true;
  uint32_t tls12_lifetime_s_ = 0;
  uint32_t tls13_lifetime_s_ = 0;
  int64_t (*clock_)() = nullptr;
};

using ServerContextPtr = std::shared_ptr<const ServerContext>;

// build_server_context loads and validates every certificate of `tls` (generating the
// self-signed ones in opts.state_dir), and builds the SSL_CTX:
//   - TLS_method; versions tls.min_version..tls.max_version, never below TLS 1.2;
//   - exactly the policy's TLS 1.2 suites (SSL_CTX_set_strict_cipher_list), each required
//     to be ECDHE with an AEAD and ECDSA or RSA authentication; server preference order.
//     TLS 1.3 suites are BoringSSL's fixed AEAD set;
//   - the policy's key-exchange groups (X25519, P-256, P-384, P-521 only);
//   - no renegotiation (a BoringSSL server never renegotiates) and no compression (BoringSSL
//     has none);
//   - certificate selection per ClientHello by SNI and signature capability (tls/README.md);
//     unknown server names get the default certificate or an unrecognized_name alert;
//   - ALPN: http/1.1 (and http/1.0; h2 first when opts.offer_h2); a client offering ALPN
//     with none of these gets a fatal no_application_protocol alert (RFC 7301 §3.2);
//   - session tickets (tls/README.md, "Session tickets"): with session_tickets.key_file, the
//     file's keys (read now, through opts.files; the first encrypts, all decrypt), else
//     BoringSSL's self-rotating per-context key (48 h); none with `enabled: false`. Ticket
//     lifetime session_tickets.lifetime_s, by default 24 h for TLS 1.3 and 2 h for TLS 1.2.
//     Sessions are bound to the certificates' server names (session ID context), so
//     contexts serving the same names resume each other's tickets and others do not. The
//     stateful session cache is off;
//   - OCSP stapling: each certificate's staple (load_certificate) is sent to clients that
//     ask for it (status_request) while it is fresh.
// It returns every error found (not only the first), each at the mark of the policy node
// it is about. Warnings are logged and kept in ServerContext::warnings().
Result<ServerContextPtr, policy::ConfigErrors> build_server_context(const policy::TlsPolicy& tls,
                                                                    const ContextOptions& opts);

// build_server_context is the convenience form: real file system, system clock.
Result<ServerContextPtr, policy::ConfigErrors> build_server_context(const policy::TlsPolicy& tls,
                                                                    const std::string& state_dir);

}  // namespace intransit::tls
