// Server certificates: loading and validating a CertificateSpec's PEM chain and key, and the
// CertStore that picks the certificate for a ClientHello (by SNI, then by what the client
// can verify). The selection rules are written down in tls/README.md.
#pragma once

#include <openssl/evp.h>
#include <openssl/pool.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/base/result.h"
#include "policy/config_error.h"
#include "policy/model.h"
#include "tls/file_reader.h"

namespace intransit::tls {

// KeyType is the kind of a certificate's key. Only these are accepted (see load_certificate).
enum class KeyType : uint8_t { Rsa, EcdsaP256, EcdsaP384, EcdsaP521 };

// name returns "RSA", "ECDSA P-256", "ECDSA P-384" or "ECDSA P-521".
std::string_view name(KeyType t);

// is_ecdsa returns true for the three ECDSA key types.
constexpr bool is_ecdsa(KeyType t) {
  return t != KeyType::Rsa;
}

// Certificate is one loaded chain and its private key. It is immutable once loaded; a
// ServerContext shares it, read-only, between all worker threads.
struct Certificate {
  Certificate() = default;
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // spec_index is the position of the CertificateSpec in TlsPolicy::certificates.
  size_t spec_index = 0;
  // source is the certificate file (the generated file for a self_signed spec); it names
  // the certificate in log lines and in the not-after gauge.
  std::string source;
  // names are the server names this certificate answers for: lowercase DNS names without a
  // trailing dot, possibly "*.example.com" wildcards. From the spec's server_names if set,
  // else the leaf's subjectAltName DNS entries, else its subject CN. May be empty: such a
  // certificate is only ever served as the default.
  std::vector<std::string> names;
  KeyType key_type = KeyType::EcdsaP256;
  int key_bits = 0;
  // not_before_unix and not_after_unix are the leaf's validity, seconds since the epoch.
  int64_t not_before_unix = 0;
  int64_t not_after_unix = 0;
  // subject is the leaf's subject as a one-line string, for log lines.
  std::string subject;
  // chain is the DER chain, leaf first, and chain_ptrs the same pointers in the form
  // SSL_set_chain_and_key takes. Both are reference-counted, never copied per connection.
  std::vector<bssl::UniquePtr<CRYPTO_BUFFER>> chain;
  std::vector<CRYPTO_BUFFER*> chain_ptrs;
  bssl::UniquePtr<EVP_PKEY> key;

  // ocsp_response is the DER OCSPResponse stapled for clients that send status_request, or
  // null (tls/README.md, "OCSP stapling"). It is sent only while ocsp_this_update_unix -
  // kOcspClockSkewS <= now < ocsp_next_update_unix (no upper bound when next is 0).
  bssl::UniquePtr<CRYPTO_BUFFER> ocsp_response;
  std::string ocsp_source;  // the file it came from
  int64_t ocsp_this_update_unix = 0;
  int64_t ocsp_next_update_unix = 0;  // 0: the response has no nextUpdate

  // ocsp_fresh returns true if ocsp_response is set and may be stapled at `now_unix`.
  bool ocsp_fresh(int64_t now_unix) const;
};

// kOcspClockSkewS is how far in the future an OCSP response's thisUpdate may be and still be
// stapled (the responder's clock may run ahead of ours).
inline constexpr int64_t kOcspClockSkewS = 300;

// kMaxOcspResponseBytes bounds a stapled response: TLS 1.3 carries it in a certificate entry
// extension, whose length is 16 bits (RFC 8446 §4.4.2).
inline constexpr size_t kMaxOcspResponseBytes = 65'535;

// LoadOptions are the inputs of load_certificate besides the spec.
struct LoadOptions {
  // files reads the PEM files; the real file system unless a test injects another.
  const FileReader* files = &system_file_reader();
  // now_unix is the wall clock, seconds since the epoch (expiry warnings).
  int64_t now_unix = 0;
  // path is the key path of the spec, e.g. "listeners[0].tls.certificates[1]", used as
  // ConfigError::path prefix.
  std::string path;
};

// load_certificate reads and validates `spec`'s chain from `cert_file` and key from
// `key_file` (the spec's own files, or the generated ones for a self_signed spec). It
// refuses, with a ConfigError at spec.cert_mark or spec.key_mark saying why:
//   - a file that cannot be read, or holds no PEM certificate / private key;
//   - a key file whose mode grants any access to group or other (mode & 077), like
//     OpenSSH's StrictModes, whatever the owner;
//   - an encrypted private key (there is nobody to type the passphrase);
//   - a key that does not match the leaf certificate;
//   - RSA keys under 2048 bits; EC keys on curves other than P-256, P-384, P-521;
//   - Ed25519 and every other key type (TLS 1.2 and every browser lack Ed25519 server
//     certificates; serving one would fail those clients at handshake time).
// It does not refuse an expired or not-yet-valid certificate: it appends a warning to
// `warnings` instead (see tls/README.md, "Expired certificates"). Warnings also cover a
// chain that is not in issuing order and an extendedKeyUsage without serverAuth.
//
// It then loads the OCSP staple (spec.ocsp; tls/README.md, "OCSP stapling"): the file named
// by `ocsp_staple`, or "<cert_file>.ocsp" when the key is absent and that file exists. It
// refuses, at spec.ocsp_mark (or cert_mark for the implicit file), a staple that cannot be
// read (named file only), is larger than kMaxOcspResponseBytes, is not a DER OCSPResponse
// with responseStatus successful, or is not about this certificate, and `ocsp_staple` on a
// self_signed spec. It warns and does not staple a response whose nextUpdate has passed or
// whose certStatus is unknown; it warns and staples one that says revoked.
Result<Certificate, policy::ConfigError> load_certificate(
    const policy::CertificateSpec& spec, size_t spec_index, const std::string& cert_file,
    const std::string& key_file, const LoadOptions& opts, policy::ConfigErrors& warnings);

// ClientCaps says which key types a client can authenticate, as computed from its
// ClientHello by the context (tls/README.md, "Client capability"). `usable[i]` is for
// `KeyType(i)`.
struct ClientCaps {
  bool usable[4] = {true, true, true, true};

  bool can_use(KeyType t) const { return usable[static_cast<size_t>(t)]; }
};

// Selection is the outcome of CertStore::select.
struct Selection {
  // cert is the certificate to serve; never null when the store has a certificate.
  const Certificate* cert = nullptr;
  // matched is false when the server name matched no certificate (or there was none) and
  // `cert` is the default; the context refuses the handshake in that case when the policy
  // says `unknown_sni: reject`.
  bool matched = false;
};

// CertStore indexes the certificates of one listener by server name.
class CertStore {
 public:
  // CertStore takes the loaded certificates in policy order; the first is the default.
  explicit CertStore(std::vector<Certificate> certs);
  CertStore(CertStore&&) noexcept = default;
  CertStore& operator=(CertStore&&) noexcept = default;

  // select returns the certificate for server name `sni` (as sent; empty when the client
  // sent none) and a client with capabilities `caps`:
  //   1. candidates: the certificates with an exact name match (case-insensitive, trailing
  //      dot ignored); else those with a matching one-label wildcard ("*.example.com"
  //      matches "a.example.com", not "example.com" nor "a.b.example.com"); else the
  //      default set — the first certificate and every other certificate with exactly the
  //      same names — with `matched = false`.
  //   2. among the candidates, ECDSA before RSA, then policy order: the first the client
  //      can use wins; if it can use none, the first candidate (the handshake then fails
  //      with BoringSSL's own alert, e.g. handshake_failure).
  Selection select(std::string_view sni, const ClientCaps& caps) const;

  // certificates returns every certificate in policy order.
  std::span<const Certificate> certificates() const { return certs_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::vector<uint32_t>, Hash, std::equal_to<>>;

  const Certificate* pick(const std::vector<uint32_t>& candidates, const ClientCaps& caps) const;
  void add(Index& index, std::string key, uint32_t cert);

  std::vector<Certificate> certs_;
  Index exact_;     // "www.example.com" → certificates
  Index wildcard_;  // "example.com" (from "*.example.com") → certificates
  std::vector<uint32_t> default_;
};

// normalize_server_name lowercases `name` and drops one trailing dot. It returns false when
// the result is not a DNS name we can match: empty, longer than 253 bytes, an empty label,
// a label over 63 bytes, or a byte outside [a-z0-9-_] ("*" is allowed only as the whole
// first label when `allow_wildcard`).
bool normalize_server_name(std::string_view name, bool allow_wildcard, std::string& out);

}  // namespace intransit::tls
