#include "tls/context.h"

#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "gateway/base/log.h"
#include "tls/internal.h"
#include "tls/self_signed.h"

namespace intransit::tls {
namespace {

// Default session lifetimes (RFC 8446 §4.6.1 allows up to 7 days). TLS 1.3 resumption runs
// a fresh ECDHE (psk_dhe_ke), so a day is reasonable; TLS 1.2 resumption reuses the master
// secret, so keep BoringSSL's 2 hours. session_tickets.lifetime_s overrides both.
constexpr uint32_t kTls13SessionLifetimeS = 24 * 60 * 60;
constexpr uint32_t kTls12SessionLifetimeS = 2 * 60 * 60;

int64_t system_clock() {
  return static_cast<int64_t>(std::time(nullptr));
}

// session_context returns SHA-256 over the sorted, distinct server names of `certs`: the
// session ID context, which BoringSSL checks before resuming a TLS 1.2 or TLS 1.3 session.
std::array<uint8_t, SSL_MAX_SID_CTX_LENGTH> session_context(const std::vector<Certificate>& certs) {
  static_assert(SSL_MAX_SID_CTX_LENGTH == SHA256_DIGEST_LENGTH);
  std::vector<std::string_view> names;
  for (const Certificate& c : certs) {
    for (const std::string& n : c.names) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  SHA256_CTX sha;
  SHA256_Init(&sha);
  static constexpr char kLabel[] = "intransit session context v1";
  SHA256_Update(&sha, kLabel, sizeof(kLabel));
  for (std::string_view n : names) {
    SHA256_Update(&sha, n.data(), n.size());
    SHA256_Update(&sha, "", 1);  // NUL separator: names never contain one
  }
  std::array<uint8_t, SSL_MAX_SID_CTX_LENGTH> out;
  SHA256_Final(out.data(), &sha);
  return out;
}

// client_wants_ocsp is true when the ClientHello carries status_request (RFC 6066 §8).
bool client_wants_ocsp(const SSL_CLIENT_HELLO* hello) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  return SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_status_request, &data, &len) == 1;
}

// TLS SignatureScheme values (RFC 8446 §4.2.3).
constexpr uint16_t kRsaPkcs1Sha1 = 0x0201;
constexpr uint16_t kRsaPkcs1Sha256 = 0x0401;
constexpr uint16_t kRsaPkcs1Sha384 = 0x0501;
constexpr uint16_t kRsaPkcs1Sha512 = 0x0601;
constexpr uint16_t kEcdsaSha1 = 0x0203;
constexpr uint16_t kEcdsaP256Sha256 = 0x0403;
constexpr uint16_t kEcdsaP384Sha384 = 0x0503;
constexpr uint16_t kEcdsaP521Sha512 = 0x0603;
constexpr uint16_t kRsaPssRsaeSha256 = 0x0804;
constexpr uint16_t kRsaPssRsaeSha384 = 0x0805;
constexpr uint16_t kRsaPssRsaeSha512 = 0x0806;

// ex_data slots. Function-local statics: initialized once, thread-safely.
int ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int notes_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// ErrClear empties the BoringSSL error queue on scope exit.
struct ErrClear {
  ~ErrClear() { ERR_clear_error(); }
};

// --- ClientHello inspection ---------------------------------------------------------------

// SigalgBits summarizes the client's signature_algorithms extension.
struct SigalgBits {
  bool present = false;
  bool rsa_pkcs1 = false;
  bool rsa_pss_rsae = false;
  bool ecdsa_any = false;
  bool ecdsa_p256 = false;
  bool ecdsa_p384 = false;
  bool ecdsa_p521 = false;
};

SigalgBits read_sigalgs(const SSL_CLIENT_HELLO* hello) {
  SigalgBits b;
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_signature_algorithms, &data, &len)) {
    return b;
  }
  CBS ext, list;
  CBS_init(&ext, data, len);
  if (!CBS_get_u16_length_prefixed(&ext, &list)) return b;  // BoringSSL rejects it later
  b.present = true;
  uint16_t v = 0;
  while (CBS_get_u16(&list, &v)) {
    switch (v) {
      case kRsaPkcs1Sha1:
      case kRsaPkcs1Sha256:
      case kRsaPkcs1Sha384:
      case kRsaPkcs1Sha512:
        b.rsa_pkcs1 = true;
        break;
      case kRsaPssRsaeSha256:
      case kRsaPssRsaeSha384:
      case kRsaPssRsaeSha512:
        b.rsa_pss_rsae = true;
        break;
      case kEcdsaSha1:
        b.ecdsa_any = true;
        break;
      case kEcdsaP256Sha256:
        b.ecdsa_any = b.ecdsa_p256 = true;
        break;
      case kEcdsaP384Sha384:
        b.ecdsa_any = b.ecdsa_p384 = true;
        break;
      case kEcdsaP521Sha512:
        b.ecdsa_any = b.ecdsa_p521 = true;
        break;
      default:
        break;
    }
  }
  return b;
}

bool offers_tls13(const SSL_CLIENT_HELLO* hello) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_supported_versions, &data, &len)) {
    return false;
  }
  CBS ext, list;
  CBS_init(&ext, data, len);
  if (!CBS_get_u8_length_prefixed(&ext, &list)) return false;
  uint16_t v = 0;
  while (CBS_get_u16(&list, &v)) {
    if (v == TLS1_3_VERSION) return true;
  }
  return false;
}

// GroupBits says which ECDSA curves the client listed in supported_groups (all when the
// extension is absent, RFC 8422 §4).
struct GroupBits {
  bool p256 = true, p384 = true, p521 = true;
};

GroupBits read_groups(const SSL_CLIENT_HELLO* hello) {
  GroupBits g;
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_supported_groups, &data, &len)) {
    return g;
  }
  CBS ext, list;
  CBS_init(&ext, data, len);
  if (!CBS_get_u16_length_prefixed(&ext, &list)) return g;
  g.p256 = g.p384 = g.p521 = false;
  uint16_t v = 0;
  while (CBS_get_u16(&list, &v)) {
    g.p256 |= v == SSL_CURVE_SECP256R1;
    g.p384 |= v == SSL_CURVE_SECP384R1;
    g.p521 |= v == SSL_CURVE_SECP521R1;
  }
  return g;
}

// client_caps decides which key types this client can authenticate, mirroring the checks
// BoringSSL itself makes later in the handshake (tls/README.md, "Client capability").
ClientCaps client_caps(const ServerContext& sc, const SSL_CLIENT_HELLO* hello) {
  ClientCaps caps;
  const SigalgBits sig = read_sigalgs(hello);
  auto set = [&caps](KeyType t, bool v) { caps.usable[static_cast<size_t>(t)] = v; };
  if (sc.max_version() >= TLS1_3_VERSION && offers_tls13(hello)) {
    // TLS 1.3: the signature scheme names the curve, RSA must be PSS (RFC 8446 §4.2.3).
    set(KeyType::Rsa, sig.rsa_pss_rsae);
    set(KeyType::EcdsaP256, sig.ecdsa_p256);
    set(KeyType::EcdsaP384, sig.ecdsa_p384);
    set(KeyType::EcdsaP521, sig.ecdsa_p521);
    return caps;
  }
  // TLS 1.2: the client must offer an enabled suite of the key's kind, and (if it sent
  // signature_algorithms, RFC 5246 §7.4.1.4.1) a matching signature; for ECDSA the curve
  // must be in its supported_groups (RFC 8422 §5.1).
  bool ecdsa_suite = false;
  bool rsa_suite = false;
  CBS suites;
  CBS_init(&suites, hello->cipher_suites, hello->cipher_suites_len);
  uint16_t id = 0;
  while (CBS_get_u16(&suites, &id)) {
    for (const ServerContext::Suite& s : sc.tls12_suites()) {
      if (s.id != id) continue;
      (s.ecdsa ? ecdsa_suite : rsa_suite) = true;
    }
  }
  const bool sig_rsa = !sig.present || sig.rsa_pkcs1 || sig.rsa_pss_rsae;
  const bool sig_ecdsa = !sig.present || sig.ecdsa_any;
  const GroupBits groups = read_groups(hello);
  set(KeyType::Rsa, rsa_suite && sig_rsa);
  set(KeyType::EcdsaP256, ecdsa_suite && sig_ecdsa && groups.p256);
  set(KeyType::EcdsaP384, ecdsa_suite && sig_ecdsa && groups.p384);
  set(KeyType::EcdsaP521, ecdsa_suite && sig_ecdsa && groups.p521);
  return caps;
}

// --- callbacks ------------------------------------------------------------------------------

// select_certificate runs on the raw ClientHello, before resumption and cipher selection,
// and installs the chosen chain and key on the SSL.
ssl_select_cert_result_t select_certificate(const SSL_CLIENT_HELLO* hello) {
  SSL* ssl = hello->ssl;
  const ServerContext* sc = ServerContext::from_ssl(ssl);
  internal::HandshakeNotes* notes = internal::notes(ssl);
  if (sc == nullptr || notes == nullptr) return ssl_select_cert_error;
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const Selection sel = sc->store().select(sni ? sni : "", client_caps(*sc, hello));
  notes->sni_matched = sel.matched;
  if (!sel.matched && sc->unknown_sni() == policy::UnknownSni::Reject) {
    // The servername callback, which runs next, sends the unrecognized_name alert: this
    // callback could only send handshake_failure.
    notes->sni_rejected = true;
    return ssl_select_cert_success;
  }
  if (sel.cert == nullptr) return ssl_select_cert_error;
  if (!SSL_set_chain_and_key(ssl, sel.cert->chain_ptrs.data(), sel.cert->chain_ptrs.size(),
                             sel.cert->key.get(), nullptr)) {
    return ssl_select_cert_error;
  }
  // OCSP staple: only for a client that asked (BoringSSL would not send it otherwise either,
  // but this skips the copy), and only while fresh. Resumptions send no certificate, so
  // BoringSSL ignores it then.
  if (sel.cert->ocsp_response && client_wants_ocsp(hello) && sel.cert->ocsp_fresh(sc->now_unix())) {
    if (!SSL_set_ocsp_response(ssl, CRYPTO_BUFFER_data(sel.cert->ocsp_response.get()),
                               CRYPTO_BUFFER_len(sel.cert->ocsp_response.get()))) {
      return ssl_select_cert_error;
    }
    notes->ocsp_set = true;
  }
  notes->cert = sel.cert;
  return ssl_select_cert_success;
}

int servername(SSL* ssl, int* out_alert, void* /*arg*/) {
  internal::HandshakeNotes* notes = internal::notes(ssl);
  if (notes == nullptr) return SSL_TLSEXT_ERR_ALERT_FATAL;
  if (notes->sni_rejected) {
    *out_alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  // Acknowledge the name only when it chose the certificate (RFC 6066 §3).
  return notes->sni_matched ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

int select_alpn(SSL* ssl, const uint8_t** out, uint8_t* out_len, const uint8_t* in, unsigned in_len,
                void* /*arg*/) {
  const ServerContext* sc = ServerContext::from_ssl(ssl);
  internal::HandshakeNotes* notes = internal::notes(ssl);
  if (sc == nullptr || notes == nullptr) return SSL_TLSEXT_ERR_ALERT_FATAL;
  // Server preference: the first of our protocols the client offers anywhere in its list.
  for (const Alpn ours : sc->alpn_protocols()) {
    const std::string_view want = name(ours);
    CBS list;
    CBS_init(&list, in, in_len);
    CBS proto;
    while (CBS_get_u8_length_prefixed(&list, &proto)) {
      if (std::string_view(reinterpret_cast<const char*>(CBS_data(&proto)), CBS_len(&proto)) ==
          want) {
        *out = CBS_data(&proto);
        *out_len = static_cast<uint8_t>(CBS_len(&proto));
        notes->alpn = ours;
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  // RFC 7301 §3.2, and nginx since 1.21.4: a client that uses ALPN but shares no protocol
  // with us gets no_application_protocol.
  notes->alpn_rejected = true;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// --- building -------------------------------------------------------------------------------

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(sep);
    out += v[i];
  }
  return out;
}

// Groups we accept, by the names BoringSSL knows them by.
constexpr std::string_view kAllowedGroups[] = {"X25519",     "P-256",     "P-384",     "P-521",
                                               "prime256v1", "secp256r1", "secp384r1", "secp521r1"};

struct Builder {
  const policy::TlsPolicy& tls;
  const ContextOptions& opts;
  policy::ConfigErrors errors;
  policy::ConfigErrors warnings;

  void error(std::string_view field, std::string msg, std::string hint = {}) {
    errors.push_back(policy::ConfigError{tls.mark, opts.path + "." + std::string(field),
                                         std::move(msg), std::move(hint)});
  }

  // set_suites configures the TLS 1.2 suites and returns the enabled ones.
  std::vector<ServerContext::Suite> set_suites(SSL_CTX* ctx) {
    std::vector<ServerContext::Suite> out;
    if (tls.cipher_suites.empty()) {
      if (tls.min_version == policy::TlsVersion::Tls12) {
        error("cipher_suites", "no TLS 1.2 cipher suite is listed but TLS 1.2 is enabled",
              "list suites such as ECDHE-ECDSA-AES128-GCM-SHA256, or set min_version: \"1.3\"");
      }
      return out;
    }
    // Check each name on its own, for precise errors.
    bssl::UniquePtr<SSL_CTX> scratch(SSL_CTX_new(TLS_method()));
    bool ok = scratch != nullptr;
    for (size_t i = 0; ok && i < tls.cipher_suites.size(); ++i) {
      const std::string& s = tls.cipher_suites[i];
      const std::string field = "cipher_suites[" + std::to_string(i) + "]";
      if (std::count(tls.cipher_suites.begin(), tls.cipher_suites.begin() + i, s) > 0) {
        error(field, "\"" + s + "\" is listed twice");
        continue;
      }
      if (!SSL_CTX_set_strict_cipher_list(scratch.get(), s.c_str())) {
        error(field, "\"" + s + "\" is not a cipher suite BoringSSL knows",
              "use OpenSSL names such as ECDHE-RSA-AES128-GCM-SHA256; TLS 1.3 suites are fixed "
              "and are not listed");
        continue;
      }
      const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(scratch.get());
      if (sk_SSL_CIPHER_num(list) != 1) {
        error(field, "\"" + s + "\" names a group of suites, not one suite",
              "list each suite by its full name");
        continue;
      }
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, 0);
      const int auth = SSL_CIPHER_get_auth_nid(c);
      if (SSL_CIPHER_get_kx_nid(c) != NID_kx_ecdhe || !SSL_CIPHER_is_aead(c) ||
          (auth != NID_auth_ecdsa && auth != NID_auth_rsa)) {
        error(field, "\"" + s +
                         "\" is not allowed: only forward-secret AEAD suites (ECDHE with "
                         "AES-GCM or CHACHA20-POLY1305, ECDSA or RSA authentication) are");
      }
    }
    ERR_clear_error();
    if (!errors.empty()) return out;
    if (!SSL_CTX_set_strict_cipher_list(ctx, join(tls.cipher_suites, ':').c_str())) {
      error("cipher_suites", "BoringSSL refused the cipher suite list");
      return out;
    }
    const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
    for (size_t i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
      out.push_back({SSL_CIPHER_get_protocol_id(c), SSL_CIPHER_get_auth_nid(c) == NID_auth_ecdsa});
    }
    return out;
  }

  void set_groups(SSL_CTX* ctx) {
    if (tls.groups.empty()) {
      error("groups", "no key-exchange group is listed", "use X25519, P-256, P-384");
      return;
    }
    for (size_t i = 0; i < tls.groups.size(); ++i) {
      const std::string& g = tls.groups[i];
      if (std::find(std::begin(kAllowedGroups), std::end(kAllowedGroups), g) ==
          std::end(kAllowedGroups)) {
        error("groups[" + std::to_string(i) + "]", "\"" + g + "\" is not an allowed group",
              "allowed: X25519, P-256, P-384, P-521");
      }
    }
    if (!errors.empty()) return;
    if (!SSL_CTX_set1_curves_list(ctx, join(tls.groups, ':').c_str())) {
      error("groups", "BoringSSL refused the group list \"" + join(tls.groups, ':') + "\"");
    }
    ERR_clear_error();
  }

  // set_session_tickets configures resumption (tls/README.md, "Session tickets") and returns
  // the keys read from the key file, if any.
  TicketKeysPtr set_session_tickets(SSL_CTX* ctx, uint32_t& tls12_lifetime,
                                    uint32_t& tls13_lifetime) {
    const policy::SessionTicketPolicy& st = tls.session_tickets;
    tls12_lifetime = st.lifetime_s != 0 ? st.lifetime_s : kTls12SessionLifetimeS;
    tls13_lifetime = st.lifetime_s != 0 ? st.lifetime_s : kTls13SessionLifetimeS;
    SSL_CTX_set_timeout(ctx, tls12_lifetime);
    SSL_CTX_set_session_psk_dhe_timeout(ctx, tls13_lifetime);
    if (!st.enabled) {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      return nullptr;
    }
    if (st.key_file.empty()) return nullptr;  // BoringSSL's own rotating key
    const FileReader& files = opts.files != nullptr ? *opts.files : system_file_reader();
    const policy::Mark& mark = st.key_file_mark.line > 0 ? st.key_file_mark
                               : st.mark.line > 0        ? st.mark
                                                         : tls.mark;
    const std::string path = opts.path + ".session_tickets.key_file";
    auto keys = read_ticket_key_file(files, st.key_file);
    if (!keys) {
      std::string hint;
      const std::string_view label = keys.error().label;
      if (label == "mode") {
        hint = std::string(kSecretModeHint);
      } else if (label == "empty" || label == "base64" || label == "length" ||
                 label == "duplicate" || label == "too_many") {
        hint =
            "one base64 80-byte key per line, the current key first; make one with: head "
            "-c 80 /dev/urandom | base64 -w0";
      }
      errors.push_back(
          policy::ConfigError{mark, path, std::move(keys.error().detail), std::move(hint)});
      return nullptr;
    }
    if (!install_ticket_keys(ctx, *keys)) {
      errors.push_back(policy::ConfigError{mark, path, "out of memory installing ticket keys", {}});
      return nullptr;
    }
    return std::move(*keys);
  }

  std::vector<Certificate> load_certificates(int64_t now) {
    std::vector<Certificate> certs;
    if (tls.certificates.empty()) {
      error("certificates", "an HTTPS listener needs at least one certificate",
            "add a cert_file/key_file pair, or `self_signed: true` for a lab setup");
      return certs;
    }
    for (size_t i = 0; i < tls.certificates.size(); ++i) {
      const policy::CertificateSpec& spec = tls.certificates[i];
      LoadOptions lo;
      lo.files = opts.files != nullptr ? opts.files : &system_file_reader();
      lo.now_unix = now;
      lo.path = opts.path + ".certificates[" + std::to_string(i) + "]";
      std::string cert_file = spec.cert_file;
      std::string key_file = spec.key_file;
      if (spec.self_signed) {
        static const std::vector<std::string> kDefaultNames = {"localhost"};
        const std::vector<std::string>& names =
            spec.self_signed_names.empty() ? kDefaultNames : spec.self_signed_names;
        auto files = ensure_self_signed(opts.state_dir, names, now);
        if (!files) {
          errors.push_back(policy::ConfigError{
              spec.mark,
              lo.path + ".self_signed",
              "cannot provide the self-signed certificate: " + files.error().detail,
              {}});
          continue;
        }
        if (files->generated) {
          log::info("tls", "self_signed_generated")
              .kv("cert", files->cert_file)
              .kv("names", join(names, ','));
        }
        cert_file = files->cert_file;
        key_file = files->key_file;
        lo.files = &system_file_reader();
      }
      auto c = load_certificate(spec, i, cert_file, key_file, lo, warnings);
      if (!c) {
        errors.push_back(std::move(c.error()));
        continue;
      }
      certs.push_back(std::move(*c));
    }
    return certs;
  }
};

}  // namespace

namespace internal {

bool attach_notes(SSL* ssl, HandshakeNotes* n) {
  return SSL_set_ex_data(ssl, notes_index(), n) == 1;
}

HandshakeNotes* notes(const SSL* ssl) {
  return static_cast<HandshakeNotes*>(SSL_get_ex_data(ssl, notes_index()));
}

}  // namespace internal

std::string_view name(Alpn a) {
  switch (a) {
    case Alpn::None:
      return "";
    case Alpn::Http11:
      return "http/1.1";
    case Alpn::Http10:
      return "http/1.0";
    case Alpn::H2:
      return "h2";
  }
  return "";
}

ServerContext::ServerContext(CertStore store) : store_(std::move(store)) {}

ServerContext::~ServerContext() = default;

int64_t ServerContext::now_unix() const {
  return clock_ != nullptr ? clock_() : system_clock();
}

const ServerContext* ServerContext::from_ssl(const SSL* ssl) {
  return static_cast<const ServerContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index()));
}

Result<ServerContextPtr, policy::ConfigErrors> build_server_context(const policy::TlsPolicy& tls,
                                                                    const ContextOptions& opts) {
  ErrClear clear;
  ERR_clear_error();
  Builder b{tls, opts, {}, {}};
  const int64_t now = opts.now_unix != 0      ? opts.now_unix
                      : opts.clock != nullptr ? opts.clock()
                                              : system_clock();

  if (tls.min_version > tls.max_version) {
    b.error("min_version", "min_version is above max_version");
  }
  std::vector<Certificate> certs = b.load_certificates(now);

  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) {
    b.error("certificates", "out of memory creating the TLS context");
    return unexpected(std::move(b.errors));
  }
  const uint16_t min_v =
      tls.min_version == policy::TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  const uint16_t max_v =
      tls.max_version == policy::TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (!SSL_CTX_set_min_proto_version(ctx.get(), min_v) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), max_v)) {
    b.error("min_version", "BoringSSL refused the version range");
  }
  std::vector<ServerContext::Suite> suites;
  if (min_v <= TLS1_2_VERSION) {
    suites = b.set_suites(ctx.get());
  } else if (!tls.cipher_suites.empty()) {
    b.warnings.push_back(policy::ConfigError{
        tls.mark,
        opts.path + ".cipher_suites",
        "cipher_suites only applies to TLS 1.2, which min_version \"1.3\" disables",
        {}});
  }
  b.set_groups(ctx.get());
  uint32_t tls12_lifetime = 0;
  uint32_t tls13_lifetime = 0;
  TicketKeysPtr ticket_keys = b.set_session_tickets(ctx.get(), tls12_lifetime, tls13_lifetime);
  if (!b.errors.empty()) return unexpected(std::move(b.errors));

  // A certificate no enabled TLS 1.2 suite can use is reachable over TLS 1.3 only.
  if (!suites.empty()) {
    for (const Certificate& c : certs) {
      const bool want_ecdsa = is_ecdsa(c.key_type);
      const bool any = std::any_of(suites.begin(), suites.end(),
                                   [&](const auto& s) { return s.ecdsa == want_ecdsa; });
      if (!any) {
        const policy::CertificateSpec& spec = tls.certificates[c.spec_index];
        b.warnings.push_back(
            policy::ConfigError{spec.cert_mark.line > 0 ? spec.cert_mark : spec.mark,
                                opts.path + ".certificates[" + std::to_string(c.spec_index) + "]",
                                "no TLS 1.2 suite in cipher_suites authenticates with " +
                                    std::string(name(c.key_type)) +
                                    "; TLS 1.2 clients cannot use certificate \"" + c.source + "\"",
                                {}});
      }
    }
  }

  // Options. BoringSSL has no compression and never renegotiates as a server; there is
  // nothing to turn off for either.
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  // Bind sessions to the names this listener serves (tls/README.md, "Session tickets"):
  // replicas and reloads serving the same names resume each other's tickets, a listener for
  // other names sharing the key file does not (virtual-host confusion).
  const std::array<uint8_t, SSL_MAX_SID_CTX_LENGTH> sid_ctx = session_context(certs);
  if (!SSL_CTX_set_session_id_context(ctx.get(), sid_ctx.data(), sid_ctx.size())) {
    b.error("certificates", "out of memory creating the TLS context");
    return unexpected(std::move(b.errors));
  }
  SSL_CTX_set_select_certificate_cb(ctx.get(), select_certificate);
  SSL_CTX_set_tlsext_servername_callback(ctx.get(), servername);
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);

  std::shared_ptr<ServerContext> sc(new ServerContext(CertStore(std::move(certs))));
  sc->unknown_sni_ = tls.unknown_sni;
  sc->suites_ = std::move(suites);
  sc->max_version_ = max_v;
  sc->ticket_keys_ = std::move(ticket_keys);
  sc->tickets_enabled_ = tls.session_tickets.enabled;
  sc->tls12_lifetime_s_ = tls12_lifetime;
  sc->tls13_lifetime_s_ = tls13_lifetime;
  sc->clock_ = opts.clock;
  if (opts.offer_h2) sc->alpn_[sc->alpn_count_++] = Alpn::H2;
  sc->alpn_[sc->alpn_count_++] = Alpn::Http11;
  sc->alpn_[sc->alpn_count_++] = Alpn::Http10;
  if (!SSL_CTX_set_ex_data(ctx.get(), ctx_index(), sc.get())) {
    b.error("certificates", "out of memory creating the TLS context");
    return unexpected(std::move(b.errors));
  }
  sc->ctx_ = std::move(ctx);
  if (sc->ticket_keys_) {
    // Key names only (they travel in clear in every ticket), never key bytes.
    log::info("tls", "ticket_keys_loaded")
        .kv("listener", opts.path)
        .kv("file", tls.session_tickets.key_file)
        .kv("keys", static_cast<uint64_t>(sc->ticket_keys_->size()))
        .kv("current", sc->ticket_keys_->name_fingerprint(0));
  }
  for (const Certificate& c : sc->certificates()) {
    if (!c.ocsp_response) continue;
    log::info("tls", "ocsp_staple_loaded")
        .kv("listener", opts.path)
        .kv("certificate", c.source)
        .kv("file", c.ocsp_source)
        .kv("next_update_unix", c.ocsp_next_update_unix);
  }
  for (const policy::ConfigError& w : b.warnings) {
    log::warn("tls", "config_warning").kv("warning", policy::format(w));
  }
  sc->warnings_ = std::move(b.warnings);
  return ServerContextPtr(std::move(sc));
}

Result<ServerContextPtr, policy::ConfigErrors> build_server_context(const policy::TlsPolicy& tls,
                                                                    const std::string& state_dir) {
  ContextOptions opts;
  opts.state_dir = state_dir;
  return build_server_context(tls, opts);
}

}  // namespace intransit::tls
