#include "tls/cert_store.h"

#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "tls/ocsp.h"
#include "tls/x509_util.h"

namespace intransit::tls {
namespace {

const policy::Mark& mark_or(const policy::Mark& m, const policy::Mark& fallback) {
  return m.line > 0 ? m : fallback;
}

std::string describe(KeyType t, int bits) {
  if (t == KeyType::Rsa) return "RSA " + std::to_string(bits);
  return std::string(name(t));
}

// key_type classifies `key` or explains why it is refused.
Result<KeyType> classify_key(const EVP_PKEY* key) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_bits(key);
      if (bits < 2048) {
        return fail("weak", "RSA key is " + std::to_string(bits) +
                                " bits; at least 2048 bits are required");
      }
      return KeyType::Rsa;
    }
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
      const int nid = ec ? EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) : NID_undef;
      switch (nid) {
        case NID_X9_62_prime256v1:
          return KeyType::EcdsaP256;
        case NID_secp384r1:
          return KeyType::EcdsaP384;
        case NID_secp521r1:
          return KeyType::EcdsaP521;
        default: {
          const char* curve = EC_curve_nid2nist(nid);
          if (curve == nullptr) curve = OBJ_nid2sn(nid);
          return fail("weak", std::string("EC key on curve ") + (curve ? curve : "unknown") + " (" +
                                  std::to_string(EVP_PKEY_bits(key)) +
                                  " bits) is not accepted; use P-256 or P-384");
        }
      }
    }
    case EVP_PKEY_ED25519:
      return fail("ed25519",
                  "Ed25519 keys are not accepted: TLS 1.2 clients and current browsers cannot "
                  "verify Ed25519 server certificates; use ECDSA P-256");
    default:
      return fail("type", "unsupported private key type; use ECDSA (P-256, P-384) or RSA (2048+)");
  }
}

std::string utc(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_s);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// load_ocsp_staple reads and checks the OCSP staple of `spec` into `c` (see load_certificate).
Result<void, policy::ConfigError> load_ocsp_staple(const policy::CertificateSpec& spec,
                                                   const std::string& cert_file, X509* leaf,
                                                   X509* issuer, const LoadOptions& opts,
                                                   Certificate& c, policy::ConfigErrors& warnings) {
  const bool named = spec.ocsp == policy::OcspStaple::File;
  const policy::Mark& mark =
      named ? mark_or(spec.ocsp_mark, spec.mark) : mark_or(spec.cert_mark, spec.mark);
  const std::string path = opts.path + (named ? ".ocsp_staple" : ".cert_file");
  auto error = [&](std::string msg, std::string hint = {}) {
    return unexpected(policy::ConfigError{mark, path, std::move(msg), std::move(hint)});
  };
  auto warn = [&](std::string msg) {
    warnings.push_back(policy::ConfigError{mark, path, std::move(msg), {}});
  };
  std::string file;
  switch (spec.ocsp) {
    case policy::OcspStaple::Off:
      return {};
    case policy::OcspStaple::Auto:
      if (spec.self_signed) return {};
      file = cert_file + ".ocsp";
      break;
    case policy::OcspStaple::File:
      if (spec.self_signed) {
        return error(
            "'ocsp_staple' cannot be used with 'self_signed': no CA answers OCSP for a "
            "generated certificate");
      }
      file = spec.ocsp_file;
      break;
  }
  const FileReader& files = opts.files != nullptr ? *opts.files : system_file_reader();
  Result<FileContents> der = files.read(file);
  if (!der) {
    if (!named && der.error().label == kFileMissing) return {};  // no staple: fine
    const std::string msg = "cannot read OCSP staple \"" + file + "\": " + der.error().detail;
    if (!named) {
      warn(msg + "; not stapling");
      return {};
    }
    return error(msg);
  }
  const std::string what = "OCSP staple \"" + file + "\"";
  if (der->data.size() > kMaxOcspResponseBytes) {
    return error(what + " is " + std::to_string(der->data.size()) + " bytes; at most " +
                 std::to_string(kMaxOcspResponseBytes) + " fit in a TLS 1.3 handshake");
  }
  auto info = parse_ocsp_response(as_bytes(der->data), leaf, issuer);
  if (!info) {
    return error(what + ": " + info.error().detail,
                 named ? "fetch a fresh response, e.g. openssl ocsp -issuer CA -cert CERT -url "
                         "URL -respout FILE, or set ocsp_staple: false"
                       : "fetch a fresh response, or remove the file, or set ocsp_staple: false");
  }
  switch (info->status) {
    case OcspCertStatus::Good:
      break;
    case OcspCertStatus::Revoked:
      warn(what + " says certificate \"" + cert_file +
           "\" is REVOKED; it is stapled, and clients will refuse the certificate");
      break;
    case OcspCertStatus::Unknown:
      warn(what + " says the responder does not know certificate \"" + cert_file +
           "\" (status unknown); not stapling");
      return {};
  }
  if (info->next_update_unix != 0 && info->next_update_unix <= opts.now_unix) {
    warn(what + " expired at " + utc(info->next_update_unix) +
         " (nextUpdate); not stapling: fetch a fresh response and reload");
    return {};
  }
  if (info->this_update_unix - kOcspClockSkewS > opts.now_unix) {
    warn(what + " is not valid before " + utc(info->this_update_unix) +
         " (thisUpdate); it is stapled from then on");
  }
  c.ocsp_response.reset(CRYPTO_BUFFER_new(reinterpret_cast<const uint8_t*>(der->data.data()),
                                          der->data.size(), nullptr));
  if (!c.ocsp_response) return error("out of memory loading " + what);
  c.ocsp_source = file;
  c.ocsp_this_update_unix = info->this_update_unix;
  c.ocsp_next_update_unix = info->next_update_unix;
  return {};
}

}  // namespace

std::string_view name(KeyType t) {
  switch (t) {
    case KeyType::Rsa:
      return "RSA";
    case KeyType::EcdsaP256:
      return "ECDSA P-256";
    case KeyType::EcdsaP384:
      return "ECDSA P-384";
    case KeyType::EcdsaP521:
      return "ECDSA P-521";
  }
  return "unknown";
}

bool normalize_server_name(std::string_view name, bool allow_wildcard, std::string& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  out.clear();
  out.reserve(name.size());
  size_t label_len = 0;
  size_t label_index = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
      ++label_index;
      out.push_back(c);
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    (c == '*' && allow_wildcard && label_index == 0 && i == 0 &&
                     (name.size() == 1 || name[1] == '.'));
    if (!ok) return false;
    if (++label_len > 63) return false;
    out.push_back(c);
  }
  if (label_len == 0) return false;
  // "*" alone, or "*.com"-style wildcards over a single label, would match far too much.
  if (out[0] == '*' && std::count(out.begin(), out.end(), '.') < 2) return false;
  return true;
}

Result<Certificate, policy::ConfigError> load_certificate(
    const policy::CertificateSpec& spec, size_t spec_index, const std::string& cert_file,
    const std::string& key_file, const LoadOptions& opts, policy::ConfigErrors& warnings) {
  const policy::Mark& cert_mark = mark_or(spec.cert_mark, spec.mark);
  const policy::Mark& key_mark = mark_or(spec.key_mark, spec.mark);
  const std::string cert_path = opts.path + (spec.self_signed ? ".self_signed" : ".cert_file");
  const std::string key_path = opts.path + (spec.self_signed ? ".self_signed" : ".key_file");
  auto cert_error = [&](std::string msg, std::string hint = {}) {
    return unexpected(policy::ConfigError{cert_mark, cert_path, std::move(msg), std::move(hint)});
  };
  auto key_error = [&](std::string msg, std::string hint = {}) {
    return unexpected(policy::ConfigError{key_mark, key_path, std::move(msg), std::move(hint)});
  };
  auto warn = [&](std::string msg) {
    warnings.push_back(policy::ConfigError{cert_mark, cert_path, std::move(msg), {}});
  };

  const FileReader& files = opts.files != nullptr ? *opts.files : system_file_reader();

  // The chain.
  Result<FileContents> cert_text = files.read(cert_file);
  if (!cert_text) {
    return cert_error("cannot read certificate file \"" + cert_file +
                      "\": " + cert_text.error().detail);
  }
  auto chain = read_pem_certificates(cert_text->data);
  if (!chain) {
    return cert_error("certificate file \"" + cert_file + "\": " + chain.error().detail);
  }
  bssl::UniquePtr<X509> leaf(X509_parse_from_buffer(chain->front().get()));
  if (!leaf) return cert_error("certificate file \"" + cert_file + "\": leaf is not valid X.509");

  // The key: permissions first, so a world-readable key is refused before it is even parsed.
  Result<FileContents> key_text = files.read(key_file);
  if (!key_text) {
    return key_error("cannot read private key file \"" + key_file +
                     "\": " + key_text.error().detail);
  }
  if (std::string why = secret_mode_problem("private key file", key_file, key_text->mode);
      !why.empty()) {
    return key_error(std::move(why), std::string(kSecretModeHint));
  }
  auto key = read_pem_private_key(key_text->data);
  if (!key) return key_error("private key file \"" + key_file + "\": " + key.error().detail);
  auto key_type = classify_key(key->get());
  if (!key_type)
    return key_error("private key file \"" + key_file + "\": " + key_type.error().detail);

  // The key must be the leaf's.
  bssl::UniquePtr<EVP_PKEY> leaf_key(X509_get_pubkey(leaf.get()));
  ERR_clear_error();
  if (!leaf_key || EVP_PKEY_cmp(leaf_key.get(), key->get()) != 1) {
    std::string leaf_desc = "unknown key";
    if (leaf_key) {
      auto lt = classify_key(leaf_key.get());
      leaf_desc = lt ? describe(*lt, EVP_PKEY_bits(leaf_key.get()))
                     : "key of " + std::to_string(EVP_PKEY_bits(leaf_key.get())) + " bits";
    }
    ERR_clear_error();
    return key_error("private key \"" + key_file + "\" does not match the certificate \"" +
                     cert_file + "\" (certificate: " + leaf_desc +
                     ", key: " + describe(*key_type, EVP_PKEY_bits(key->get())) + ")");
  }

  Certificate c;
  c.spec_index = spec_index;
  c.source = cert_file;
  c.key_type = *key_type;
  c.key_bits = EVP_PKEY_bits(key->get());
  c.subject = subject_line(leaf.get());
  c.key = std::move(*key);

  // Validity: warn, never refuse (tls/README.md, "Expired certificates").
  const auto not_before = asn1_time_to_unix(X509_get0_notBefore(leaf.get()));
  const auto not_after = asn1_time_to_unix(X509_get0_notAfter(leaf.get()));
  if (!not_before || !not_after) return cert_error("certificate has a malformed validity period");
  c.not_before_unix = *not_before;
  c.not_after_unix = *not_after;
  if (c.not_after_unix <= opts.now_unix) {
    warn("certificate \"" + cert_file + "\" (" + c.subject + ") expired " +
         std::to_string((opts.now_unix - c.not_after_unix) / 86400) +
         " days ago; clients will refuse it");
  } else if (c.not_before_unix > opts.now_unix) {
    warn("certificate \"" + cert_file + "\" (" + c.subject +
         ") is not valid yet; clients will refuse it");
  }

  // Names.
  const bool override_names = !spec.server_names.empty();
  std::vector<std::string> raw = override_names ? spec.server_names : dns_names(leaf.get());
  std::string norm;
  for (const std::string& n : raw) {
    if (!normalize_server_name(n, true, norm)) {
      if (override_names) {
        return unexpected(policy::ConfigError{spec.mark, opts.path + ".server_names",
                                              "\"" + n + "\" is not a valid DNS name",
                                              "use a name such as \"example.com\" or "
                                              "\"*.example.com\""});
      }
      continue;  // e.g. a CN that is a human-readable label, not a host name
    }
    if (std::find(c.names.begin(), c.names.end(), norm) == c.names.end()) c.names.push_back(norm);
  }
  if (c.names.empty() && !spec.self_signed) {
    warn("certificate \"" + cert_file +
         "\" has no DNS name; it is only served as the default certificate");
  }

  // Chain order and extendedKeyUsage: clients will complain; we only warn.
  const uint32_t xku = X509_get_extended_key_usage(leaf.get());
  if ((xku & (XKU_SSL_SERVER | XKU_ANYEKU)) == 0) {
    warn("certificate \"" + cert_file +
         "\" has an extendedKeyUsage without serverAuth; clients will refuse it");
  }
  for (size_t i = 0; i + 1 < chain->size(); ++i) {
    bssl::UniquePtr<X509> child(X509_parse_from_buffer((*chain)[i].get()));
    bssl::UniquePtr<X509> parent(X509_parse_from_buffer((*chain)[i + 1].get()));
    if (child && parent && X509_check_issued(parent.get(), child.get()) != X509_V_OK) {
      warn("certificate file \"" + cert_file + "\": certificate #" + std::to_string(i + 2) +
           " did not issue certificate #" + std::to_string(i + 1) +
           "; list the chain leaf first, then each issuer");
      break;
    }
  }
  ERR_clear_error();

  // The OCSP staple.
  bssl::UniquePtr<X509> issuer;
  if (chain->size() > 1) issuer.reset(X509_parse_from_buffer((*chain)[1].get()));
  ERR_clear_error();
  if (auto staple = load_ocsp_staple(spec, cert_file, leaf.get(), issuer.get(), opts, c, warnings);
      !staple) {
    return unexpected(std::move(staple.error()));
  }

  c.chain = std::move(*chain);
  for (const auto& b : c.chain) c.chain_ptrs.push_back(b.get());
  return c;
}

bool Certificate::ocsp_fresh(int64_t now_unix) const {
  if (!ocsp_response) return false;
  if (now_unix < ocsp_this_update_unix - kOcspClockSkewS) return false;
  return ocsp_next_update_unix == 0 || now_unix < ocsp_next_update_unix;
}

CertStore::CertStore(std::vector<Certificate> certs) : certs_(std::move(certs)) {
  for (uint32_t i = 0; i < certs_.size(); ++i) {
    for (const std::string& n : certs_[i].names) {
      if (n.size() > 2 && n[0] == '*' && n[1] == '.') {
        add(wildcard_, n.substr(2), i);
      } else {
        add(exact_, n, i);
      }
    }
  }
  if (certs_.empty()) return;
  // The default set: the first certificate and every other one serving exactly its names,
  // so that an ECDSA + RSA pair listed first also serves RSA-only clients without SNI.
  std::vector<std::string> first = certs_[0].names;
  std::sort(first.begin(), first.end());
  for (uint32_t i = 0; i < certs_.size(); ++i) {
    std::vector<std::string> names = certs_[i].names;
    std::sort(names.begin(), names.end());
    if (i == 0 || names == first) default_.push_back(i);
  }
  std::stable_sort(default_.begin(), default_.end(), [this](uint32_t a, uint32_t b) {
    return is_ecdsa(certs_[a].key_type) && !is_ecdsa(certs_[b].key_type);
  });
}

void CertStore::add(Index& index, std::string key, uint32_t cert) {
  std::vector<uint32_t>& v = index[std::move(key)];
  if (std::find(v.begin(), v.end(), cert) != v.end()) return;
  v.push_back(cert);
  // ECDSA first, policy order within a key kind (insertion order is policy order).
  std::stable_sort(v.begin(), v.end(), [this](uint32_t a, uint32_t b) {
    return is_ecdsa(certs_[a].key_type) && !is_ecdsa(certs_[b].key_type);
  });
}

const Certificate* CertStore::pick(const std::vector<uint32_t>& candidates,
                                   const ClientCaps& caps) const {
  for (uint32_t i : candidates) {
    if (caps.can_use(certs_[i].key_type)) return &certs_[i];
  }
  return candidates.empty() ? nullptr : &certs_[candidates.front()];
}

Selection CertStore::select(std::string_view sni, const ClientCaps& caps) const {
  if (certs_.empty()) return {};
  std::string name;
  if (!sni.empty() && normalize_server_name(sni, false, name)) {
    if (auto it = exact_.find(std::string_view(name)); it != exact_.end()) {
      return {pick(it->second, caps), true};
    }
    const size_t dot = name.find('.');
    if (dot != std::string::npos) {
      const std::string_view parent = std::string_view(name).substr(dot + 1);
      if (auto it = wildcard_.find(parent); it != wildcard_.end()) {
        return {pick(it->second, caps), true};
      }
    }
  }
  return {pick(default_, caps), false};
}

}  // namespace intransit::tls
