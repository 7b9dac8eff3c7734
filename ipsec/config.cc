#include "ipsec/config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>

namespace intransit::ipsec {
namespace {

using ike::IdType;

std::vector<std::string_view> split_dash(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t d = s.find('-');
    out.push_back(s.substr(0, d));
    if (d == std::string_view::npos) break;
    s.remove_prefix(d + 1);
  }
  return out;
}

std::optional<Cipher> parse_cipher(std::string_view t) {
  if (t == "chacha20poly1305") return Cipher{EncrAlg::ChaCha20Poly1305, 256};
  for (uint16_t bits : {128, 192, 256}) {
    const std::string aes = "aes" + std::to_string(bits);
    if (t == aes) return Cipher{EncrAlg::AesCbc, bits};
    if (t == aes + "gcm16" || t == aes + "gcm") return Cipher{EncrAlg::AesGcm16, bits};
  }
  return std::nullopt;
}

std::optional<IntegAlg> parse_integ(std::string_view t) {
  if (t == "sha256" || t == "sha2_256") return IntegAlg::HmacSha256_128;
  if (t == "sha384" || t == "sha2_384") return IntegAlg::HmacSha384_192;
  if (t == "sha512" || t == "sha2_512") return IntegAlg::HmacSha512_256;
  return std::nullopt;
}

std::optional<PrfAlg> parse_prf(std::string_view t) {
  if (t == "prfsha256") return PrfAlg::HmacSha256;
  if (t == "prfsha384") return PrfAlg::HmacSha384;
  if (t == "prfsha512") return PrfAlg::HmacSha512;
  return std::nullopt;
}

std::optional<DhGroup> parse_dh(std::string_view t) {
  if (t == "modp2048") return DhGroup::Modp2048;
  if (t == "ecp256") return DhGroup::Ecp256;
  if (t == "ecp384") return DhGroup::Ecp384;
  if (t == "x25519" || t == "curve25519") return DhGroup::Curve25519;
  return std::nullopt;
}

PrfAlg prf_from_integ(IntegAlg i) {
  switch (i) {
    case IntegAlg::HmacSha384_192:
      return PrfAlg::HmacSha384;
    case IntegAlg::HmacSha512_256:
      return PrfAlg::HmacSha512;
    default:
      return PrfAlg::HmacSha256;
  }
}

template <class T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

Unexpected<Error> invalid(std::string detail) {
  return fail("invalid_tunnel", std::move(detail));
}

bool aead_only(const std::vector<Cipher>& encr) {
  return std::all_of(encr.begin(), encr.end(), [](const Cipher& c) { return is_aead(c.alg); });
}
bool any_aead(const std::vector<Cipher>& encr) {
  return std::any_of(encr.begin(), encr.end(), [](const Cipher& c) { return is_aead(c.alg); });
}

}  // namespace

std::optional<Identity> Identity::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Identity id;
  if (auto ip = IpAddress::parse(text)) {
    id.type = ip->family == 4 ? IdType::Ipv4Addr : IdType::Ipv6Addr;
    const BytesView b = ip->bytes();
    id.data.assign(b.begin(), b.end());
    return id;
  }
  auto hex_after = [&](std::string_view prefix, IdType type) -> std::optional<Identity> {
    if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
    Identity h;
    h.type = type;
    if (!from_hex(text.substr(prefix.size()), h.data) || h.data.empty()) return std::nullopt;
    return h;
  };
  if (text.starts_with("keyid:")) return hex_after("keyid:", IdType::KeyId);
  if (text.starts_with("asn1dn:")) return hex_after("asn1dn:", IdType::DerAsn1Dn);
  if (text.front() == '@') {
    text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    id.type = IdType::Fqdn;
  } else if (text.find('@') != std::string_view::npos) {
    id.type = IdType::Rfc822Addr;
  } else {
    id.type = IdType::Fqdn;
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      return std::nullopt;
    }
  }
  id.data.assign(text.begin(), text.end());
  return id;
}

std::string Identity::to_string() const {
  switch (type) {
    case IdType::Ipv4Addr:
    case IdType::Ipv6Addr:
      if (auto ip = IpAddress::from_bytes(data)) return ip->to_string();
      break;
    case IdType::Fqdn:
    case IdType::Rfc822Addr: {
      std::string s;
      for (uint8_t c : data) s.push_back(c >= ' ' && c < 0x7f ? static_cast<char>(c) : '?');
      return s;
    }
    case IdType::KeyId:
      return "keyid:" + to_hex(data);
    case IdType::DerAsn1Dn:
      return "asn1dn:" + to_hex(data);
    case IdType::DerAsn1Gn:
      break;
  }
  return std::string(ike::name(type)) + ":" + to_hex(data);
}

Result<IkeProposal> parse_ike_proposal(std::string_view text) {
  IkeProposal p;
  for (std::string_view t : split_dash(text)) {
    if (auto c = parse_cipher(t)) {
      add_unique(p.encr, *c);
    } else if (auto i = parse_integ(t)) {
      add_unique(p.integ, *i);
    } else if (auto f = parse_prf(t)) {
      add_unique(p.prf, *f);
    } else if (auto g = parse_dh(t)) {
      add_unique(p.dh, *g);
    } else {
      return fail("bad_proposal",
                  "unknown algorithm '" + std::string(t) + "' in '" + std::string(text) + "'");
    }
  }
  if (p.prf.empty()) {
    for (IntegAlg i : p.integ) add_unique(p.prf, prf_from_integ(i));
  }
  if (p.encr.empty() || p.prf.empty() || p.dh.empty()) {
    return fail("bad_proposal", "IKE proposal '" + std::string(text) +
                                    "' needs a cipher, a PRF (or integrity) and a DH group");
  }
  if (aead_only(p.encr) != p.integ.empty() || (any_aead(p.encr) && !aead_only(p.encr))) {
    return fail("bad_proposal", "proposal '" + std::string(text) +
                                    "' mixes AEAD and non-AEAD ciphers or lacks integrity");
  }
  return p;
}

Result<EspProposal> parse_esp_proposal(std::string_view text) {
  EspProposal p;
  p.esn.clear();
  for (std::string_view t : split_dash(text)) {
    if (auto c = parse_cipher(t)) {
      add_unique(p.encr, *c);
    } else if (auto i = parse_integ(t)) {
      add_unique(p.integ, *i);
    } else if (auto g = parse_dh(t)) {
      add_unique(p.dh, *g);
    } else if (t == "esn") {
      add_unique(p.esn, true);
    } else if (t == "noesn") {
      add_unique(p.esn, false);
    } else {
      return fail("bad_proposal",
                  "unknown algorithm '" + std::string(t) + "' in '" + std::string(text) + "'");
    }
  }
  if (p.esn.empty()) p.esn.push_back(false);
  if (p.encr.empty()) {
    return fail("bad_proposal", "ESP proposal '" + std::string(text) + "' needs a cipher");
  }
  if (aead_only(p.encr) != p.integ.empty() || (any_aead(p.encr) && !aead_only(p.encr))) {
    return fail("bad_proposal", "proposal '" + std::string(text) +
                                    "' mixes AEAD and non-AEAD ciphers or lacks integrity");
  }
  return p;
}

std::string to_string(const IkeProposal& p) {
  std::string s;
  auto add = [&s](std::string_view t) {
    if (!s.empty()) s += "-";
    s += t;
  };
  for (const auto& c : p.encr) add(name(c));
  for (auto i : p.integ) add(name(i));
  for (auto f : p.prf) add(name(f));
  for (auto g : p.dh) add(name(g));
  return s;
}

std::string to_string(const EspProposal& p) {
  std::string s;
  auto add = [&s](std::string_view t) {
    if (!s.empty()) s += "-";
    s += t;
  };
  for (const auto& c : p.encr) add(name(c));
  for (auto i : p.integ) add(name(i));
  for (auto g : p.dh) add(name(g));
  for (bool e : p.esn) add(e ? "esn" : "noesn");
  return s;
}

std::vector<IkeProposal> default_ike_proposals() {
  const std::vector<DhGroup> modern = {DhGroup::Curve25519, DhGroup::Ecp384, DhGroup::Ecp256};
  return {
      IkeProposal{{Cipher{EncrAlg::AesGcm16, 256}, Cipher{EncrAlg::AesGcm16, 128},
                   Cipher{EncrAlg::ChaCha20Poly1305, 256}},
                  {},
                  {PrfAlg::HmacSha384, PrfAlg::HmacSha256, PrfAlg::HmacSha512},
                  modern},
      IkeProposal{{Cipher{EncrAlg::AesCbc, 256}, Cipher{EncrAlg::AesCbc, 128}},
                  {IntegAlg::HmacSha256_128},
                  {PrfAlg::HmacSha256},
                  {DhGroup::Modp2048, DhGroup::Ecp256}},
  };
}

std::vector<EspProposal> default_esp_proposals() {
  const std::vector<DhGroup> pfs = {DhGroup::Curve25519, DhGroup::Ecp384, DhGroup::Ecp256,
                                    DhGroup::Modp2048};
  return {
      EspProposal{{Cipher{EncrAlg::AesGcm16, 256}, Cipher{EncrAlg::AesGcm16, 128},
                   Cipher{EncrAlg::ChaCha20Poly1305, 256}},
                  {},
                  pfs,
                  {false}},
      EspProposal{{Cipher{EncrAlg::AesCbc, 256}, Cipher{EncrAlg::AesCbc, 128}},
                  {IntegAlg::HmacSha256_128},
                  pfs,
                  {false}},
  };
}

Result<void> validate(const TunnelConfig& c) {
  if (c.name.empty()) return invalid("tunnel has no name");
  if (!c.local_address.is_set()) return invalid(c.name + ": local_address is required");
  if (c.remote_address.is_set() && c.remote_address.family != c.local_address.family) {
    return invalid(c.name + ": local and remote addresses differ in family");
  }
  if (c.local_ts.empty() || c.remote_ts.empty()) {
    return invalid(c.name + ": local and remote subnets are required");
  }
  for (const auto* list : {&c.local_ts, &c.remote_ts}) {
    for (const auto& ts : *list) {
      if (!ts.valid()) return invalid(c.name + ": invalid traffic selector " + ts.to_string());
    }
  }
  if (c.local_id.empty()) return invalid(c.name + ": local id is required");
  if (c.remote_id.empty()) return invalid(c.name + ": remote id is required");
  const bool psk = c.local_auth == AuthKind::Psk || c.remote_auth == AuthKind::Psk;
  if (psk && c.psk.size() < 16) {
    return invalid(c.name + ": PSK auth needs a key of at least 16 bytes");
  }
  if (c.local_auth == AuthKind::PublicKey) {
    if (!c.private_key || c.certificates.empty()) {
      return invalid(c.name + ": certificate auth needs a certificate and its private key");
    }
    EVP_PKEY* pub = X509_get_pubkey(c.certificates.front().get());
    const bool match = pub && EVP_PKEY_cmp(pub, c.private_key.get()) == 1;
    EVP_PKEY_free(pub);
    ERR_clear_error();
    if (!match) return invalid(c.name + ": the private key does not match the certificate");
    const int type = EVP_PKEY_id(c.private_key.get());
    if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
      return invalid(c.name + ": only ECDSA and RSA keys are supported");
    }
  }
  if (c.remote_auth == AuthKind::PublicKey && c.ca_certificates.empty()) {
    return invalid(c.name + ": certificate auth of the peer needs at least one CA");
  }
  if (c.ike_proposals.empty() || c.esp_proposals.empty()) {
    return invalid(c.name + ": IKE and ESP proposals are required");
  }
  for (const auto& p : c.ike_proposals) {
    if (p.encr.empty() || p.prf.empty() || p.dh.empty() || aead_only(p.encr) != p.integ.empty() ||
        (any_aead(p.encr) && !aead_only(p.encr))) {
      return invalid(c.name + ": incomplete IKE proposal " + to_string(p));
    }
    for (const auto& e : p.encr) {
      if (!cipher_key_bits_valid(e)) return invalid(c.name + ": bad key size " + name(e));
    }
    if (std::find(p.dh.begin(), p.dh.end(), DhGroup::None) != p.dh.end()) {
      return invalid(c.name + ": IKE proposals need a real DH group");
    }
  }
  for (const auto& p : c.esp_proposals) {
    if (p.encr.empty() || p.esn.empty() || aead_only(p.encr) != p.integ.empty() ||
        (any_aead(p.encr) && !aead_only(p.encr))) {
      return invalid(c.name + ": incomplete ESP proposal " + to_string(p));
    }
    for (const auto& e : p.encr) {
      if (!cipher_key_bits_valid(e)) return invalid(c.name + ": bad key size " + name(e));
    }
  }
  if (c.ike_rekey_time <= Duration(0) || c.child_rekey_time <= Duration(0)) {
    return invalid(c.name + ": rekey times must be positive");
  }
  if (c.rand_time < Duration(0) || c.rand_time >= c.child_rekey_time ||
      c.rand_time >= c.ike_rekey_time) {
    return invalid(c.name + ": rand_time must be below the rekey times");
  }
  if (c.retransmit.timeout <= Duration(0) || c.retransmit.base < 1.0) {
    return invalid(c.name + ": retransmit timeout must be positive and base >= 1");
  }
  if (c.fragment_size < 576 || c.fragment_size > 65535) {
    return invalid(c.name + ": fragment_size must be within 576..65535");
  }
  return {};
}

Result<std::vector<bssl::UniquePtr<X509>>> parse_pem_certificates(std::string_view pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<bssl::UniquePtr<X509>> out;
  while (true) {
    bssl::UniquePtr<X509> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x) break;
    out.push_back(std::move(x));
  }
  ERR_clear_error();
  if (out.empty()) return fail("bad_certificate", "no PEM certificate found");
  return out;
}

Result<bssl::UniquePtr<EVP_PKEY>> parse_pem_private_key(std::string_view pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) return fail("bad_private_key", "no PEM private key found");
  return key;
}

}  // namespace intransit::ipsec
