// The TLS names a policy may use, and why every other name is refused. Pure functions over
// strings: the TLS module turns the accepted names into BoringSSL settings.
//
// Allowed: TLS 1.2 and 1.3; the six TLS 1.2 suites with ECDHE key exchange and an AEAD cipher
// (AES-GCM or ChaCha20-Poly1305); the groups X25519, P-256 and P-384. A name that is known but
// weak is refused with the specific reason (e.g. "RSA key exchange is not forward-secret");
// a name that is not known is refused with the nearest allowed name as a hint.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace intransit::policy {

// kAllowedCipherSuites lists the accepted TLS 1.2 suites (OpenSSL/BoringSSL names) in the
// default server preference order.
inline constexpr std::array<std::string_view, 6> kAllowedCipherSuites = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"};

// kAllowedGroups lists the accepted key-exchange groups in canonical spelling.
inline constexpr std::array<std::string_view, 3> kAllowedGroups = {"X25519", "P-256", "P-384"};

// TlsNameCheck is the verdict on one name from the policy file.
struct TlsNameCheck {
  enum class Verdict : uint8_t {
    Allowed,  // `canonical` holds the normalised name
    Refused,  // known, but not acceptable: `reason` says why
    Unknown,  // not a name we know: `hint` may suggest one
  };
  Verdict verdict = Verdict::Unknown;
  std::string canonical;
  std::string reason;
  std::string hint;
};

// check_tls_version accepts "1.2" and "1.3" (canonical "1.2" / "1.3"). SSL 3.0, TLS 1.0 and
// TLS 1.1 in any common spelling are Refused.
TlsNameCheck check_tls_version(std::string_view name);

// check_cipher_suite accepts the suites of kAllowedCipherSuites, by OpenSSL name in any case or
// by IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), and returns the OpenSSL name.
// Suites with RSA or static (EC)DH key exchange, finite-field DHE, CBC or stream ciphers,
// NULL, anonymous or export suites, TLS 1.3 suite names and cipher-list expressions
// ("HIGH:!aNULL") are Refused with the reason.
TlsNameCheck check_cipher_suite(std::string_view name);

// check_group accepts X25519, P-256 and P-384, case-insensitively, and the aliases
// prime256v1, secp256r1 and secp384r1; it returns the canonical spelling. P-521, X448,
// finite-field groups (ffdhe*), small or non-standard curves and post-quantum hybrids are
// Refused.
TlsNameCheck check_group(std::string_view name);

}  // namespace intransit::policy
