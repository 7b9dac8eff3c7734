#include "policy/tls_rules.h"

#include <vector>

#include "gateway/base/text.h"
#include "policy/yaml_ctx.h"

namespace intransit::policy {

namespace {

using Verdict = TlsNameCheck::Verdict;

TlsNameCheck allowed(std::string_view canonical) {
  return TlsNameCheck{Verdict::Allowed, std::string(canonical), {}, {}};
}

TlsNameCheck refused(std::string reason) {
  return TlsNameCheck{Verdict::Refused, {}, std::move(reason), {}};
}

TlsNameCheck unknown(std::string hint) {
  return TlsNameCheck{Verdict::Unknown, {}, {}, std::move(hint)};
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

template <size_t N>
std::string list_of(const std::array<std::string_view, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " and " : ", ";
    out += names[i];
  }
  return out;
}

// --- cipher suites ---------------------------------------------------------------------------

// Features is what a suite name says about its key exchange, cipher and MAC.
struct Features {
  bool ecdhe = false, dhe = false, static_kx = false, psk = false, srp = false, anon = false,
       krb5 = false, gost = false, exported = false;
  bool null_cipher = false, rc4 = false, rc2 = false, des = false, cbc = false, ccm = false,
       gcm = false, chacha = false, other_cipher = false, md5 = false;
  bool unknown_token = false;
  std::string static_kx_name;  // "RSA", "ECDH", "DH"
};

// add_openssl_token records one '-'-separated token of an OpenSSL suite name.
void add_openssl_token(std::string_view t, size_t index, Features& f) {
  if (t == "ECDHE" || t == "EECDH") {
    f.ecdhe = true;
  } else if (t == "DHE" || t == "EDH") {
    f.dhe = true;
  } else if (t == "ECDH" || t == "DH") {
    f.static_kx = true;
    f.static_kx_name = std::string(t);
  } else if (t == "RSA") {
    // RSA right after ECDHE/DHE is the authentication; as the first token it is the key
    // exchange ("RSA-PSK-...").
    if (index == 0) {
      f.static_kx = true;
      f.static_kx_name = "RSA";
    }
  } else if (t == "ECDSA" || t == "DSS" || t == "ANULL" || t == "ENULL") {
    if (t == "ANULL") f.anon = true;
    if (t == "ENULL") f.null_cipher = true;
  } else if (t == "PSK") {
    f.psk = true;
  } else if (t == "SRP") {
    f.srp = true;
  } else if (t == "ADH" || t == "AECDH") {
    f.anon = true;
  } else if (t == "KRB5") {
    f.krb5 = true;
  } else if (t == "EXP" || t == "EXP1024" || t == "EXPORT" || t == "EXPORT40" || t == "EXPORT56") {
    f.exported = true;
  } else if (t == "GOST2001" || t == "GOST94" || t == "GOST89" || t == "GOST2012256" ||
             t == "GOST89MAC" || t == "GOST2012") {
    f.gost = true;
  } else if (t == "AES128" || t == "AES256" || t == "AES") {
    // mode decided by GCM/CCM tokens; CBC otherwise
  } else if (t == "GCM") {
    f.gcm = true;
  } else if (t == "CCM" || t == "CCM8") {
    f.ccm = true;
  } else if (t == "CHACHA20" || t == "POLY1305") {
    f.chacha = true;
  } else if (t == "CAMELLIA128" || t == "CAMELLIA256" || t == "CAMELLIA" || t == "ARIA128" ||
             t == "ARIA256" || t == "ARIA" || t == "SEED" || t == "IDEA") {
    f.other_cipher = true;
  } else if (t == "DES" || t == "CBC3" || t == "3DES" || t == "DES40" || t == "DES192") {
    f.des = true;
  } else if (t == "CBC") {
    f.cbc = true;
  } else if (t == "RC4" || t == "RC4_128") {
    f.rc4 = true;
  } else if (t == "RC2") {
    f.rc2 = true;
  } else if (t == "NULL") {
    f.null_cipher = true;
  } else if (t == "MD5") {
    f.md5 = true;
  } else if (t == "SHA" || t == "SHA1" || t == "SHA256" || t == "SHA384" || t == "40" ||
             t == "56" || t == "64" || t == "128" || t == "256" || t == "8") {
    // MAC / key size: no verdict of its own
  } else {
    f.unknown_token = true;
  }
}

// add_iana_token records one '_'-separated token of an IANA suite name.
void add_iana_token(std::string_view t, bool kx_part, Features& f) {
  if (kx_part) {
    if (t == "ECDHE") {
      f.ecdhe = true;
    } else if (t == "DHE") {
      f.dhe = true;
    } else if (t == "RSA" || t == "ECDH" || t == "DH") {
      if (!f.ecdhe && !f.dhe && !f.static_kx) {
        f.static_kx = true;
        f.static_kx_name = std::string(t);
      }
    } else if (t == "ECDSA" || t == "DSS") {
    } else if (t == "ANON") {
      f.anon = true;
    } else if (t == "PSK") {
      f.psk = true;
    } else if (t == "SRP" || t == "SHA") {
      f.srp = f.srp || t == "SRP";
    } else if (t == "KRB5") {
      f.krb5 = true;
    } else if (t == "EXPORT" || t == "EXPORT1024") {
      f.exported = true;
    } else if (t == "NULL") {
      f.anon = true;
    } else {
      f.unknown_token = true;
    }
    return;
  }
  if (t == "AES" || t == "128" || t == "256" || t == "8" || t == "SHA" || t == "SHA256" ||
      t == "SHA384" || t == "40" || t == "56" || t == "EDE") {
  } else if (t == "GCM") {
    f.gcm = true;
  } else if (t == "CCM") {
    f.ccm = true;
  } else if (t == "CHACHA20" || t == "POLY1305") {
    f.chacha = true;
  } else if (t == "CBC") {
    f.cbc = true;
  } else if (t == "3DES" || t == "DES" || t == "DES40") {
    f.des = true;
  } else if (t == "RC4") {
    f.rc4 = true;
  } else if (t == "RC2") {
    f.rc2 = true;
  } else if (t == "NULL") {
    f.null_cipher = true;
  } else if (t == "MD5") {
    f.md5 = true;
  } else if (t == "CAMELLIA" || t == "ARIA" || t == "SEED" || t == "IDEA") {
    f.other_cipher = true;
  } else {
    f.unknown_token = true;
  }
}

// reasons turns features into the operator-facing reasons, worst first.
std::vector<std::string> reasons(const Features& f) {
  std::vector<std::string> r;
  if (f.anon) r.push_back("anonymous key exchange does not authenticate the server");
  if (f.null_cipher) r.push_back("NULL cipher does not encrypt");
  if (f.exported) r.push_back("export-grade cryptography is deliberately weak");
  if (f.rc4) r.push_back("RC4 is broken (RFC 7465)");
  if (f.rc2) r.push_back("RC2 is broken");
  if (f.des) r.push_back("DES and 3DES have 64-bit blocks (Sweet32)");
  if (f.md5) r.push_back("MD5 is broken");
  if (f.static_kx) r.push_back(f.static_kx_name + " key exchange is not forward-secret");
  if (f.psk && !f.static_kx) r.push_back("pre-shared-key suites are not supported");
  if (f.srp) r.push_back("SRP suites are not supported");
  if (f.krb5) r.push_back("Kerberos suites are not supported");
  if (f.gost) r.push_back("GOST suites are not supported");
  if (f.dhe) r.push_back("finite-field DHE is refused (only ECDHE key exchange is allowed)");
  const bool aead = f.gcm || f.chacha || f.ccm;
  if (!aead && !f.null_cipher && !f.rc4 && !f.rc2) r.push_back("CBC mode is not AEAD");
  if (f.ccm && r.empty()) r.push_back("AES-CCM suites are not in the allowed set");
  if (f.other_cipher && r.empty()) {
    r.push_back("only AES-GCM and ChaCha20-Poly1305 ciphers are allowed");
  }
  return r;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += "; ";
    out += parts[i];
  }
  return out;
}

std::string suite_hint(std::string_view upper) {
  std::string h = detail::did_you_mean(upper, kAllowedCipherSuites);
  return h.empty() ? "allowed: " + list_of(kAllowedCipherSuites) : h;
}

}  // namespace

TlsNameCheck check_tls_version(std::string_view name) {
  const std::string v = to_lower(name);
  if (v == "1.2") return allowed("1.2");
  if (v == "1.3") return allowed("1.3");
  static constexpr std::string_view kOld[] = {"1.0",   "1.1",    "1",       "ssl2",    "sslv2",
                                              "ssl3",  "sslv3",  "ssl3.0",  "sslv3.0", "tls1",
                                              "tlsv1", "tls1.0", "tlsv1.0", "tls1.1",  "tlsv1.1",
                                              "tls10", "tls11",  "tlsv1_0", "tlsv1_1"};
  for (auto o : kOld) {
    if (v == o) return refused("TLS versions below 1.2 are refused");
  }
  if (v == "tls1.2" || v == "tlsv1.2" || v == "tlsv1_2" || v == "tls12") {
    return unknown("write \"1.2\"");
  }
  if (v == "tls1.3" || v == "tlsv1.3" || v == "tlsv1_3" || v == "tls13") {
    return unknown("write \"1.3\"");
  }
  return unknown("allowed: \"1.2\", \"1.3\"");
}

TlsNameCheck check_cipher_suite(std::string_view name) {
  const std::string up = to_upper(name);
  for (auto a : kAllowedCipherSuites) {
    if (up == a) return allowed(a);
  }
  static constexpr std::pair<std::string_view, std::string_view> kIana[] = {
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
  };
  for (const auto& [iana, openssl] : kIana) {
    if (up == iana) return allowed(openssl);
  }
  if (up.find_first_of(":!+@ ") != std::string::npos || up == "HIGH" || up == "MEDIUM" ||
      up == "LOW" || up == "ALL" || up == "DEFAULT" || up == "COMPLEMENTOFDEFAULT" ||
      up == "AESGCM" || up == "ECDHE" || up == "CHACHA20") {
    TlsNameCheck r = refused("cipher-list expressions are not accepted; list suite names");
    r.hint = "allowed: " + list_of(kAllowedCipherSuites);
    return r;
  }
  if (up == "TLS_AES_128_GCM_SHA256" || up == "TLS_AES_256_GCM_SHA384" ||
      up == "TLS_CHACHA20_POLY1305_SHA256" || up == "TLS_AES_128_CCM_SHA256" ||
      up == "TLS_AES_128_CCM_8_SHA256") {
    return refused(
        "TLS 1.3 suites are not configurable (every TLS 1.3 suite is AEAD and "
        "forward-secret); cipher_suites lists TLS 1.2 suites");
  }
  if (up == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" || up == "TLS_FALLBACK_SCSV") {
    return refused("a signalling value, not a cipher suite");
  }

  Features f;
  if (up.rfind("TLS_", 0) == 0 || up.rfind("SSL_", 0) == 0) {
    const size_t with = up.find("_WITH_");
    if (with == std::string::npos) return unknown(suite_hint(up));
    for (auto t : split(std::string_view(up).substr(4, with - 4), '_')) {
      add_iana_token(t, true, f);
    }
    for (auto t : split(std::string_view(up).substr(with + 6), '_')) add_iana_token(t, false, f);
  } else {
    const auto tokens = split(up, '-');
    for (size_t i = 0; i < tokens.size(); ++i) add_openssl_token(tokens[i], i, f);
    // OpenSSL leaves the key exchange out of plain-RSA suites: "AES128-GCM-SHA256".
    if (!f.ecdhe && !f.dhe && !f.static_kx && !f.psk && !f.srp && !f.anon && !f.krb5 && !f.gost) {
      f.static_kx = true;
      f.static_kx_name = "RSA";
    }
  }
  if (f.unknown_token) return unknown(suite_hint(up));
  const auto r = reasons(f);
  if (r.empty()) {
    // Well-formed but not a suite we know (e.g. ECDHE-RSA-AES128-GCM-SHA384).
    return unknown(suite_hint(up));
  }
  TlsNameCheck out = refused(join(r));
  return out;
}

TlsNameCheck check_group(std::string_view name) {
  const std::string g = to_lower(name);
  if (g == "x25519") return allowed("X25519");
  if (g == "p-256" || g == "p256" || g == "prime256v1" || g == "secp256r1") {
    return allowed("P-256");
  }
  if (g == "p-384" || g == "p384" || g == "secp384r1") return allowed("P-384");
  const std::string only = "only " + list_of(kAllowedGroups) + " are accepted";
  if (g == "p-521" || g == "p521" || g == "secp521r1" || g == "x448") return refused(only);
  if (g.rfind("ffdhe", 0) == 0 || g.rfind("modp", 0) == 0 || g == "dh" || g == "dhe") {
    return refused("finite-field Diffie-Hellman groups are refused; " + only);
  }
  if (g == "p-224" || g == "p224" || g == "secp224r1" || g == "p-192" || g == "secp192r1" ||
      g == "prime192v1" || g == "secp256k1" || g.rfind("brainpool", 0) == 0 ||
      g.rfind("sect", 0) == 0 || g.rfind("secp1", 0) == 0) {
    return refused("weak or non-standard curve; " + only);
  }
  if (g.find("kyber") != std::string::npos || g.find("mlkem") != std::string::npos) {
    return refused("post-quantum hybrid groups are not supported by this build; " + only);
  }
  std::string hint = detail::did_you_mean(name, kAllowedGroups);
  return unknown(hint.empty() ? "allowed: " + list_of(kAllowedGroups) : hint);
}

}  // namespace intransit::policy
