// Test support for tests/unit/ipsec: vectors in the project's "Key: hex" block format, a
// fixed RNG and wall clock (STYLE.md R9), a recording CHILD SA sink, keys and certificates
// generated with BoringSSL at run time (no private key is committed), tunnel configs for
// the two sides of the strongSwan test bed, and `Pair`: two ike::Managers talking in
// memory (strongSwan's exchange_test_helper idea, R12), with hooks to drop, duplicate or
// rewrite datagrams and a fake clock that fires both sides' timers.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/log.h"
#include "ipsec/config.h"
#include "ipsec/ike/manager.h"
#include "ipsec/rng.h"

namespace intransit::ipsec::test {

// The cores log every SA event at info; keep test output to failures.
inline const bool kQuietLogs = [] {
  log::set_level(log::Level::Error);
  return true;
}();

// --- vectors -------------------------------------------------------------------------------

// Vector is one "Key: value" block of a file under tests/vectors.
struct Vector {
  std::string file;
  int line = 0;
  std::map<std::string, std::string> fields;

  bool has(const std::string& key) const { return fields.count(key) != 0; }
  const std::string& at(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) throw std::runtime_error(file + ": no key " + key);
    return it->second;
  }
  Bytes hex(const std::string& key) const {
    std::string compact;
    for (char ch : at(key)) {
      if (ch != ' ') compact.push_back(ch);
    }
    Bytes out;
    if (!from_hex(compact, out)) throw std::runtime_error(file + ": bad hex in " + key);
    return out;
  }
};

// load_vectors reads tests/vectors/<relative>: blocks separated by blank lines, "#"
// comments. A value may continue on following lines that start with a space (long hex).
inline std::vector<Vector> load_vectors(const std::string& relative) {
  const std::string path = std::string(INTRANSIT_VECTORS_DIR) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Vector> out;
  Vector cur{relative, 0, {}};
  std::string line, last_key;
  int n = 0;
  auto flush = [&] {
    if (!cur.fields.empty()) out.push_back(cur);
    cur = Vector{relative, 0, {}};
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == ' ' && !last_key.empty() && cur.fields.count(last_key)) {
      cur.fields[last_key] += line;
      continue;
    }
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) throw std::runtime_error(path + ":" + std::to_string(n));
    if (cur.fields.empty()) cur.line = n;
    last_key = line.substr(0, colon);
    cur.fields[last_key] = line.substr(colon + 2);
  }
  flush();
  return out;
}

// vector_named returns the block whose "Name" is `name`.
inline Vector vector_named(const std::string& relative, const std::string& name) {
  for (auto& v : load_vectors(relative)) {
    if (v.has("Name") && v.at("Name") == name) return v;
  }
  throw std::runtime_error(relative + ": no vector " + name);
}

inline Bytes hex(std::string_view s) {
  std::string compact;
  for (char c : s) {
    if (c != ' ' && c != '\n') compact.push_back(c);
  }
  Bytes out;
  if (!from_hex(compact, out)) throw std::runtime_error("bad hex");
  return out;
}

// --- deterministic inputs ------------------------------------------------------------------

// FixedRng yields SHA-256(seed | counter) blocks: the same seed gives the same SPIs,
// nonces and DH private values on every run.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(std::string seed) : seed_(std::move(seed)) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      if (pos_ == sizeof(block_)) refill();
      b = block_[pos_++];
    }
  }
  uint64_t drawn_blocks() const { return counter_; }

 private:
  void refill() {
    std::string in = seed_ + "/" + std::to_string(counter_++);
    SHA256(reinterpret_cast<const uint8_t*>(in.data()), in.size(), block_);
    pos_ = 0;
  }
  std::string seed_;
  uint64_t counter_ = 0;
  uint8_t block_[32] = {};
  size_t pos_ = sizeof(block_);
};

class FixedWallClock final : public ike::WallClock {
 public:
  explicit FixedWallClock(int64_t t) : t_(t) {}
  int64_t unix_seconds() const override { return t_; }
  void set(int64_t t) { t_ = t; }

 private:
  int64_t t_;
};

// kUnixNow is the wall clock of the tests (certificates are made valid around it).
inline constexpr int64_t kUnixNow = 1795600000;  // 2026-11-25, inside the test bed certs

// RecordingSink keeps the live CHILD SAs (with their keys) and a log of events.
class RecordingSink final : public ChildSaSink {
 public:
  void install(const ChildSaParams& sa) override {
    live[sa.spi_in] = sa;
    ++installs;
    events.push_back("install " + std::to_string(sa.spi_in));
  }
  void remove(uint32_t spi_in, uint32_t spi_out) override {
    live.erase(spi_in);
    ++removes;
    events.push_back("remove " + std::to_string(spi_in) + "/" + std::to_string(spi_out));
  }
  void update_endpoints(uint32_t spi_in, const Endpoint& local, const Endpoint& remote) override {
    auto it = live.find(spi_in);
    if (it != live.end()) {
      it->second.local = local;
      it->second.remote = remote;
    }
    events.push_back("move " + std::to_string(spi_in) + " " + remote.to_string());
  }
  std::map<uint32_t, ChildSaParams> live;
  std::vector<std::string> events;
  size_t installs = 0;
  size_t removes = 0;
};

// paired checks that every live SA on one side has its partner on the other, with the
// keys crossed over (our outbound keys are the peer's inbound keys).
inline bool paired(const RecordingSink& a, const RecordingSink& b) {
  if (a.live.size() != b.live.size()) return false;
  for (const auto& [in, sa] : a.live) {
    auto it = b.live.find(sa.spi_out);
    if (it == b.live.end()) return false;
    const ChildSaParams& p = it->second;
    if (p.spi_out != in || !(p.encr_key_in == sa.encr_key_out) ||
        !(p.encr_key_out == sa.encr_key_in) || !(p.integ_key_in == sa.integ_key_out) ||
        !(p.integ_key_out == sa.integ_key_in) || !(p.encr == sa.encr) || p.integ != sa.integ ||
        p.esn != sa.esn || p.local_ts != sa.remote_ts || p.remote_ts != sa.local_ts) {
      return false;
    }
  }
  return true;
}

// --- keys and certificates -----------------------------------------------------------------

enum class KeyKind { P256, P384, P521, Rsa2048 };

inline bssl::UniquePtr<EVP_PKEY> generate_key(KeyKind kind) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (kind == KeyKind::Rsa2048) {
    bssl::UniquePtr<RSA> r(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    if (!BN_set_word(e.get(), RSA_F4) || !RSA_generate_key_ex(r.get(), 2048, e.get(), nullptr) ||
        !EVP_PKEY_set1_RSA(pkey.get(), r.get())) {
      throw std::runtime_error("RSA keygen");
    }
    return pkey;
  }
  const int nid = kind == KeyKind::P256   ? NID_X9_62_prime256v1
                  : kind == KeyKind::P384 ? NID_secp384r1
                                          : NID_secp521r1;
  bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(nid));
  if (!k || !EC_KEY_generate_key(k.get()) || !EVP_PKEY_set1_EC_KEY(pkey.get(), k.get())) {
    throw std::runtime_error("EC keygen");
  }
  return pkey;
}

// key returns a cached key of (kind, slot): RSA generation is slow under sanitizers.
inline EVP_PKEY* key(KeyKind kind, int slot = 0) {
  static std::map<std::pair<int, int>, bssl::UniquePtr<EVP_PKEY>> cache;
  auto& k = cache[{static_cast<int>(kind), slot}];
  if (!k) k = generate_key(kind);
  return k.get();
}

inline bssl::UniquePtr<EVP_PKEY> up_ref(EVP_PKEY* k) {
  EVP_PKEY_up_ref(k);
  return bssl::UniquePtr<EVP_PKEY>(k);
}
inline bssl::UniquePtr<X509> up_ref(X509* x) {
  X509_up_ref(x);
  return bssl::UniquePtr<X509>(x);
}

struct CertSpec {
  std::string cn;
  std::vector<std::string> dns;
  std::vector<IpAddress> ips;
  bool ca = false;
  int64_t not_before = kUnixNow - 86400;
  int64_t not_after = kUnixNow + 365 * 86400;
};

// make_cert issues a certificate for `subject` signed by `signer` (self-signed when null).
inline bssl::UniquePtr<X509> make_cert(EVP_PKEY* subject, const CertSpec& s,
                                       EVP_PKEY* signer = nullptr, X509* issuer = nullptr) {
  bssl::UniquePtr<X509> x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  static long serial = 100;
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  bssl::UniquePtr<ASN1_TIME> nb(ASN1_TIME_set(nullptr, static_cast<time_t>(s.not_before)));
  bssl::UniquePtr<ASN1_TIME> na(ASN1_TIME_set(nullptr, static_cast<time_t>(s.not_after)));
  X509_set1_notBefore(x.get(), nb.get());
  X509_set1_notAfter(x.get(), na.get());
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>(s.cn.data()),
                             static_cast<int>(s.cn.size()), -1, 0);
  X509_set_subject_name(x.get(), name.get());
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name.get());
  X509_set_pubkey(x.get(), subject);
  if (s.ca) {
    BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
    bc->ca = 1;
    X509_add1_ext_i2d(x.get(), NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
    BASIC_CONSTRAINTS_free(bc);
  }
  if (!s.dns.empty() || !s.ips.empty()) {
    GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
    for (const auto& d : s.dns) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* str = ASN1_IA5STRING_new();
      ASN1_STRING_set(str, d.data(), static_cast<int>(d.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, str);
      sk_GENERAL_NAME_push(gens, gn);
    }
    for (const auto& ip : s.ips) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_OCTET_STRING* str = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(str, ip.bytes().data(), static_cast<int>(ip.size()));
      GENERAL_NAME_set0_value(gn, GEN_IPADD, str);
      sk_GENERAL_NAME_push(gens, gn);
    }
    X509_add1_ext_i2d(x.get(), NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
    sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
  }
  EVP_PKEY* sk = signer ? signer : subject;
  const EVP_MD* md =
      EVP_PKEY_id(sk) == EVP_PKEY_EC && EVP_PKEY_bits(sk) >= 384 ? EVP_sha384() : EVP_sha256();
  if (!X509_sign(x.get(), sk, md)) throw std::runtime_error("X509_sign");
  return x;
}

// Pki is a CA with two gateway certificates, gwa.ikx.test and gwb.ikx.test, like the
// strongSwan test bed's gen-certs.sh (SAN: the FQDN and the gateway's IP).
struct Pki {
  EVP_PKEY* ca_key;
  bssl::UniquePtr<X509> ca;
  EVP_PKEY* key_a;
  EVP_PKEY* key_b;
  bssl::UniquePtr<X509> cert_a;
  bssl::UniquePtr<X509> cert_b;
};

inline const Pki& pki(KeyKind kind = KeyKind::P384) {
  static std::map<int, std::unique_ptr<Pki>> cache;
  auto& p = cache[static_cast<int>(kind)];
  if (!p) {
    p = std::make_unique<Pki>();
    p->ca_key = key(KeyKind::P384, 10);
    p->ca = make_cert(p->ca_key, CertSpec{"ikx Test CA", {}, {}, true});
    p->key_a = key(kind, 11);
    p->key_b = key(kind, 12);
    p->cert_a = make_cert(
        p->key_a, CertSpec{"gwa.ikx.test", {"gwa.ikx.test"}, {*IpAddress::parse("10.231.0.1")}},
        p->ca_key, p->ca.get());
    p->cert_b = make_cert(
        p->key_b, CertSpec{"gwb.ikx.test", {"gwb.ikx.test"}, {*IpAddress::parse("10.231.0.2")}},
        p->ca_key, p->ca.get());
  }
  return *p;
}

// --- tunnel configs ------------------------------------------------------------------------

inline const Bytes& test_psk() {
  static const Bytes k = hex("6b1f0c2d9e8a4b7c3f5e1d0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c");
  return k;
}

inline TrafficSelector ts(std::string_view subnet) {
  return TrafficSelector::from_subnet(*Subnet::parse(subnet));
}

// psk_tunnel is side A ('a': 10.231.0.1, site 10.231.1.0/24) or B ('b': 10.231.0.2, site
// 10.231.2.0/24) of the strongSwan test bed's s2s-psk connection.
inline std::shared_ptr<TunnelConfig> psk_tunnel(char side) {
  auto c = std::make_shared<TunnelConfig>();
  const bool a = side == 'a';
  c->name = "s2s-psk";
  c->local_address = *IpAddress::parse(a ? "10.231.0.1" : "10.231.0.2");
  c->remote_address = *IpAddress::parse(a ? "10.231.0.2" : "10.231.0.1");
  c->local_ts = {ts(a ? "10.231.1.0/24" : "10.231.2.0/24")};
  c->remote_ts = {ts(a ? "10.231.2.0/24" : "10.231.1.0/24")};
  c->local_id = *Identity::parse(a ? "10.231.0.1" : "10.231.0.2");
  c->remote_id = *Identity::parse(a ? "10.231.0.2" : "10.231.0.1");
  c->psk = SecretBytes(test_psk());
  c->ike_proposals = {*parse_ike_proposal("aes256gcm16-prfsha384-ecp384"),
                      *parse_ike_proposal("aes256gcm16-prfsha256-x25519")};
  c->esp_proposals = {*parse_esp_proposal("aes256gcm16-ecp384"),
                      *parse_esp_proposal("aes256gcm16-x25519")};
  c->ike_rekey_time = std::chrono::seconds(45);
  c->ike_over_time = std::chrono::seconds(15);
  c->child_rekey_time = std::chrono::seconds(30);
  c->child_over_time = std::chrono::seconds(10);
  return c;
}

// cert_tunnel is the s2s-cert connection: FQDN IDs and certificates from pki(kind).
inline std::shared_ptr<TunnelConfig> cert_tunnel(char side, KeyKind kind = KeyKind::P384) {
  auto c = psk_tunnel(side);
  const bool a = side == 'a';
  const Pki& p = pki(kind);
  c->name = "s2s-cert";
  c->psk = SecretBytes();
  c->local_id = *Identity::parse(a ? "gwa.ikx.test" : "gwb.ikx.test");
  c->remote_id = *Identity::parse(a ? "gwb.ikx.test" : "gwa.ikx.test");
  c->local_auth = AuthKind::PublicKey;
  c->remote_auth = AuthKind::PublicKey;
  c->private_key = up_ref(a ? p.key_a : p.key_b);
  c->certificates.push_back(up_ref(a ? p.cert_a.get() : p.cert_b.get()));
  c->ca_certificates.push_back(up_ref(p.ca.get()));
  return c;
}

// --- two managers in memory ----------------------------------------------------------------

using ike::Manager;
using ike::ManagerOptions;
using ike::Packet;

// Node is one side: its inputs (RNG, clock), its sink and trace, and its Manager.
struct Node {
  Node(std::string name, ManagerOptions opts)
      : name(std::move(name)), rng("rng-" + this->name), clock(kUnixNow) {
    opts.trace = &trace;
    opts.trace_label = this->name;
    mgr = std::make_unique<Manager>(opts, rng, clock, &sink);
  }
  std::string name;
  FixedRng rng;
  FixedWallClock clock;
  RecordingSink sink;
  std::vector<std::string> trace;
  std::unique_ptr<Manager> mgr;

  // established returns the established IKE SAs.
  std::vector<const ike::Sa*> established() const {
    std::vector<const ike::Sa*> out;
    for (const auto* s : mgr->sas()) {
      if (s->state() == ike::SaState::Established) out.push_back(s);
    }
    return out;
  }
  // trace_has is true when a trace line contains `needle`.
  bool trace_has(std::string_view needle) const {
    return std::any_of(trace.begin(), trace.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }
  size_t trace_count(std::string_view needle) const {
    return static_cast<size_t>(std::count_if(trace.begin(), trace.end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    }));
  }
};

// InFlight is a datagram on the wire between the two nodes.
struct InFlight {
  bool from_a = true;
  Packet packet;
  // header fields for filters
  uint8_t exchange = 0;
  bool response = false;
  uint32_t message_id = 0;
  bool fragment = false;
};

enum class Fate { Deliver, Drop, Duplicate };

// Pair runs two Managers against each other with a fake clock.
class Pair {
 public:
  Pair(std::shared_ptr<const TunnelConfig> ca, std::shared_ptr<const TunnelConfig> cb,
       ManagerOptions oa = {}, ManagerOptions ob = {})
      : a("A", std::move(oa)), b("B", std::move(ob)) {
    if (auto r = a.mgr->add_tunnel(std::move(ca)); !r)
      throw std::runtime_error(r.error().message());
    if (auto r = b.mgr->add_tunnel(std::move(cb)); !r)
      throw std::runtime_error(r.error().message());
  }

  Node a;
  Node b;
  Time now = Time::from_ns(1'000'000'000);
  // filter decides the fate of every datagram (default: deliver).
  std::function<Fate(const InFlight&)> filter;
  // rewrite may change a datagram before it is delivered (NAT, tampering).
  std::function<void(InFlight&)> rewrite;
  std::vector<InFlight> delivered;
  size_t dropped = 0;

  // collect moves what both managers want to send onto the wire.
  void collect() {
    for (auto* n : {&a, &b}) {
      for (auto& p : n->mgr->take_packets()) {
        InFlight f;
        f.from_a = n == &a;
        if (p.data.size() >= 28) {
          f.exchange = p.data[18];
          f.response = (p.data[19] & 0x20) != 0;
          f.message_id = uint32_t{p.data[20]} << 24 | uint32_t{p.data[21]} << 16 |
                         uint32_t{p.data[22]} << 8 | p.data[23];
          f.fragment = p.data[16] == 53;
        }
        f.packet = std::move(p);
        wire_.push_back(std::move(f));
      }
    }
  }

  // pump delivers datagrams until the wire is quiet; it returns how many it delivered.
  size_t pump(size_t max = 10000) {
    size_t n = 0;
    collect();
    while (!wire_.empty() && n < max) {
      InFlight f = std::move(wire_.front());
      wire_.pop_front();
      const Fate fate = filter ? filter(f) : Fate::Deliver;
      if (fate == Fate::Drop) {
        ++dropped;
        continue;
      }
      if (rewrite) rewrite(f);
      const int copies = fate == Fate::Duplicate ? 2 : 1;
      for (int i = 0; i < copies; ++i) {
        Node& to = f.from_a ? b : a;
        to.mgr->on_datagram(f.packet.data, f.packet.local, f.packet.remote, now);
        ++n;
      }
      delivered.push_back(f);
      collect();
    }
    return n;
  }

  // advance moves the clock forward by `d`, firing due timers on both sides in order and
  // delivering what they send.
  void advance(Duration d) {
    const Time target = now + d;
    for (int guard = 0; guard < 100000; ++guard) {
      std::optional<Time> t;
      for (auto* n : {&a, &b}) {
        auto x = n->mgr->next_deadline();
        if (x && (!t || *x < *t)) t = x;
      }
      if (!t || *t > target) break;
      if (*t > now) now = *t;
      a.mgr->on_timer(now);
      b.mgr->on_timer(now);
      pump();
    }
    now = target;
  }

  // connect starts tunnel `name` from A and pumps; true when both sides are established.
  bool connect(std::string_view name = {}) {
    const std::string n(name.empty() ? a.mgr->tunnels().front()->name : std::string(name));
    auto id = a.mgr->initiate(n, now);
    if (!id) return false;
    pump();
    return a.established().size() == 1 && b.established().size() == 1;
  }

  size_t in_flight() const { return wire_.size(); }

 private:
  std::deque<InFlight> wire_;
};

}  // namespace intransit::ipsec::test
