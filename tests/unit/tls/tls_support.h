// Test support for tests/unit/tls: keys and certificates generated with BoringSSL at run
// time (no private key is committed), a temporary directory, policy specs pointing at
// files in it, and a real BoringSSL client driven in memory against a tls::Session.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "policy/model.h"
#include "tls/context.h"
#include "tls/session.h"

namespace intransit::tls::test {

inline int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

// TempDir is a fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "intransit-tls-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // write creates `name` with exactly `mode` (umask bypassed) and returns its path.
  std::string write(const std::string& name, const std::string& data, mode_t mode = 0600) const {
    const std::string p = file(name);
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("open " + p);
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
        ::fchmod(fd, mode) != 0) {
      ::close(fd);
      throw std::runtime_error("write " + p);
    }
    ::close(fd);
    return p;
  }

 private:
  std::string path_;
};

inline mode_t file_mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// --- vectors ---------------------------------------------------------------------------

// Vector is one "Key: value" block of a file under tests/vectors.
struct Vector {
  std::string file;
  int line = 0;  // line of the block's first key, for failure messages
  std::map<std::string, std::string> fields;

  const std::string& at(const std::string& key) const { return fields.at(key); }
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
// comments.
inline std::vector<Vector> load_vectors(const std::string& relative) {
  const std::string path = std::string(INTRANSIT_VECTORS_DIR) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Vector> out;
  Vector cur{relative, 0, {}};
  std::string line;
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
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) throw std::runtime_error(path + ":" + std::to_string(n));
    if (cur.fields.empty()) cur.line = n;
    cur.fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  flush();
  return out;
}

// --- keys and certificates ---------------------------------------------------------------

enum class KeyKind { Rsa1024, Rsa2048, P224, P256, P384, P521, Ed25519 };

inline bssl::UniquePtr<EVP_PKEY> generate_key(KeyKind kind) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  auto ec = [&](int nid) {
    bssl::UniquePtr<EC_KEY> k(EC_KEY_new_by_curve_name(nid));
    if (!k || !EC_KEY_generate_key(k.get()) || !EVP_PKEY_set1_EC_KEY(pkey.get(), k.get())) {
      throw std::runtime_error("EC keygen");
    }
  };
  auto rsa = [&](int bits) {
    bssl::UniquePtr<RSA> r(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    if (!r || !e || !BN_set_word(e.get(), RSA_F4) ||
        !RSA_generate_key_ex(r.get(), bits, e.get(), nullptr) ||
        !EVP_PKEY_set1_RSA(pkey.get(), r.get())) {
      throw std::runtime_error("RSA keygen");
    }
  };
  switch (kind) {
    case KeyKind::Rsa1024:
      rsa(1024);
      break;
    case KeyKind::Rsa2048:
      rsa(2048);
      break;
    case KeyKind::P224:
      ec(NID_secp224r1);
      break;
    case KeyKind::P256:
      ec(NID_X9_62_prime256v1);
      break;
    case KeyKind::P384:
      ec(NID_secp384r1);
      break;
    case KeyKind::P521:
      ec(NID_secp521r1);
      break;
    case KeyKind::Ed25519: {
      bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
      EVP_PKEY* out = nullptr;
      if (!ctx || !EVP_PKEY_keygen_init(ctx.get()) || !EVP_PKEY_keygen(ctx.get(), &out)) {
        throw std::runtime_error("Ed25519 keygen");
      }
      pkey.reset(out);
      break;
    }
  }
  return pkey;
}

// key returns a cached key of `kind`; different `slot`s give different keys. RSA
// generation is slow under sanitizers, so each (kind, slot) is made once per process.
inline EVP_PKEY* key(KeyKind kind, int slot = 0) {
  static std::map<std::pair<int, int>, bssl::UniquePtr<EVP_PKEY>> cache;
  auto& k = cache[{static_cast<int>(kind), slot}];
  if (!k) k = generate_key(kind);
  return k.get();
}

struct CertOptions {
  std::string cn = "intransit test";
  std::vector<std::string> dns = {};  // subjectAltName dNSName entries; none → no SAN extension
  int64_t not_before = now_unix() - 3600;
  int64_t not_after = now_unix() + 30 * 86400;
  bool client_auth_only = false;  // extendedKeyUsage clientAuth (no serverAuth)
};

// make_cert returns a certificate for `subject_key`, signed by `signer` (self-signed when
// null) with issuer name `issuer` (the subject when null).
inline bssl::UniquePtr<X509> make_cert(EVP_PKEY* subject_key, const CertOptions& o,
                                       EVP_PKEY* signer = nullptr, X509* issuer = nullptr) {
  bssl::UniquePtr<X509> x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  bssl::UniquePtr<ASN1_TIME> nb(ASN1_TIME_set(nullptr, static_cast<time_t>(o.not_before)));
  bssl::UniquePtr<ASN1_TIME> na(ASN1_TIME_set(nullptr, static_cast<time_t>(o.not_after)));
  X509_set1_notBefore(x.get(), nb.get());
  X509_set1_notAfter(x.get(), na.get());
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>(o.cn.data()),
                             static_cast<int>(o.cn.size()), -1, 0);
  X509_set_subject_name(x.get(), name.get());
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name.get());
  X509_set_pubkey(x.get(), subject_key);
  if (!o.dns.empty()) {
    GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
    for (const auto& d : o.dns) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      ASN1_STRING_set(s, d.data(), static_cast<int>(d.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, s);
      sk_GENERAL_NAME_push(gens, gn);
    }
    X509_add1_ext_i2d(x.get(), NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
    sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
  }
  if (o.client_auth_only) {
    STACK_OF(ASN1_OBJECT)* eku = sk_ASN1_OBJECT_new_null();
    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
    X509_add1_ext_i2d(x.get(), NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  }
  EVP_PKEY* sk = signer ? signer : subject_key;
  const EVP_MD* md = EVP_PKEY_id(sk) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (!X509_sign(x.get(), sk, md)) throw std::runtime_error("X509_sign");
  return x;
}

inline std::string bio_string(BIO* b) {
  const uint8_t* p = nullptr;
  size_t n = 0;
  BIO_mem_contents(b, &p, &n);
  return std::string(reinterpret_cast<const char*>(p), n);
}

inline std::string pem(X509* x) {
  bssl::UniquePtr<BIO> b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), x);
  return bio_string(b.get());
}

inline std::string pem(EVP_PKEY* k, const char* passphrase = nullptr) {
  bssl::UniquePtr<BIO> b(BIO_new(BIO_s_mem()));
  if (passphrase) {
    PEM_write_bio_PKCS8PrivateKey(b.get(), k, EVP_aes_128_cbc(), const_cast<char*>(passphrase),
                                  static_cast<int>(strlen(passphrase)), nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  }
  return bio_string(b.get());
}

// write_pair writes `<base>.crt` (chain text) and `<base>.key` and returns a spec for them
// with marks on lines `line` (cert_file) and `line + 1` (key_file) of "policy.yaml".
inline policy::CertificateSpec write_pair(const TempDir& dir, const std::string& base,
                                          const std::string& chain_pem, const std::string& key_pem,
                                          mode_t key_mode = 0600, int line = 10) {
  policy::CertificateSpec s;
  s.cert_file = dir.write(base + ".crt", chain_pem, 0644);
  s.key_file = dir.write(base + ".key", key_pem, key_mode);
  s.cert_mark = {"policy.yaml", line, 18};
  s.key_mark = {"policy.yaml", line + 1, 17};
  s.mark = {"policy.yaml", line, 7};
  return s;
}

// cert_spec generates a certificate for `names` (CN = first name) on key (kind, slot) and
// writes it with write_pair.
inline policy::CertificateSpec cert_spec(const TempDir& dir, const std::string& base, KeyKind kind,
                                         std::vector<std::string> names, int slot = 0,
                                         int line = 10) {
  EVP_PKEY* k = key(kind, slot);
  CertOptions o;
  o.cn = names.empty() ? base : names.front();
  o.dns = std::move(names);
  auto x = make_cert(k, o);
  return write_pair(dir, base, pem(x.get()), pem(k), 0600, line);
}

// context_or_throw builds a context or fails the test with the formatted errors.
inline ServerContextPtr build(const policy::TlsPolicy& tls, const std::string& state_dir = {},
                              bool offer_h2 = false) {
  ContextOptions opts;
  opts.state_dir = state_dir;
  opts.offer_h2 = offer_h2;
  auto r = build_server_context(tls, opts);
  if (!r) {
    std::string all;
    for (const auto& e : r.error()) all += policy::format(e) + "\n";
    throw std::runtime_error("build_server_context failed:\n" + all);
  }
  return *r;
}

// --- an in-memory BoringSSL client ---------------------------------------------------------

struct ClientOptions {
  uint16_t min_version = TLS1_2_VERSION;
  uint16_t max_version = TLS1_3_VERSION;
  std::string ciphers = {};            // TLS 1.2 cipher list; empty = BoringSSL default
  std::string curves = {};             // empty = default
  std::vector<uint16_t> sigalgs = {};  // signature algorithms offered; empty = default
  std::string sni = {};                // empty = none
  std::vector<std::string> alpn = {};  // empty = no ALPN extension
  SSL_SESSION* session = nullptr;      // offer this session for resumption
  uint8_t reject_certificate = 0;      // if set, refuse the server's certificate with this alert
};

class Client {
 public:
  explicit Client(const ClientOptions& o = {}) {
    ctx_.reset(SSL_CTX_new(TLS_method()));
    SSL_CTX_set_min_proto_version(ctx_.get(), o.min_version);
    SSL_CTX_set_max_proto_version(ctx_.get(), o.max_version);
    if (!o.ciphers.empty() && !SSL_CTX_set_strict_cipher_list(ctx_.get(), o.ciphers.c_str())) {
      throw std::runtime_error("client cipher list " + o.ciphers);
    }
    if (!o.curves.empty() && !SSL_CTX_set1_curves_list(ctx_.get(), o.curves.c_str())) {
      throw std::runtime_error("client curves " + o.curves);
    }
    if (!o.sigalgs.empty() &&
        !SSL_CTX_set_verify_algorithm_prefs(ctx_.get(), o.sigalgs.data(), o.sigalgs.size())) {
      throw std::runtime_error("client sigalgs");
    }
    if (o.reject_certificate != 0) {
      reject_alert_ = o.reject_certificate;
      SSL_CTX_set_custom_verify(ctx_.get(), SSL_VERIFY_PEER, [](SSL* ssl, uint8_t* out_alert) {
        *out_alert = static_cast<Client*>(SSL_get_app_data(ssl))->reject_alert_;
        return ssl_verify_invalid;
      });
    }
    SSL_CTX_set_session_cache_mode(ctx_.get(), SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(ctx_.get(), [](SSL* ssl, SSL_SESSION* s) {
      auto* self = static_cast<Client*>(SSL_get_app_data(ssl));
      self->session_.reset(s);  // takes the reference
      return 1;
    });
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_app_data(ssl_.get(), this);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_.get(), in_, out_);
    SSL_set_connect_state(ssl_.get());
    if (!o.sni.empty()) SSL_set_tlsext_host_name(ssl_.get(), o.sni.c_str());
    if (!o.alpn.empty()) {
      std::string wire;
      for (const auto& p : o.alpn) {
        wire.push_back(static_cast<char>(p.size()));
        wire += p;
      }
      SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const uint8_t*>(wire.data()),
                          static_cast<unsigned>(wire.size()));
    }
    if (o.session) SSL_set_session(ssl_.get(), o.session);
  }

  SSL* ssl() const { return ssl_.get(); }

  // step runs the client's handshake once; it records the last error reason.
  void step() {
    if (!SSL_in_init(ssl_.get())) return;
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_.get());
    if (r != 1 && SSL_get_error(ssl_.get(), r) == SSL_ERROR_SSL) {
      const uint32_t e = ERR_peek_error();
      if (e) error_reason_ = ERR_GET_REASON(e);
    }
    ERR_clear_error();
  }

  bool done() const { return !SSL_in_init(ssl_.get()); }
  int error_reason() const { return error_reason_; }

  // take_written returns what the client wrote (ciphertext for the server).
  std::string take_written() {
    std::string s = bio_string(out_);
    BIO_reset(out_);
    return s;
  }
  void deliver(const std::string& ciphertext) {
    BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size()));
  }

  // write/read application data (after the handshake).
  void write(const std::string& data) {
    ERR_clear_error();
    if (SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())) !=
        static_cast<int>(data.size())) {
      ERR_clear_error();
      throw std::runtime_error("client SSL_write");
    }
  }
  // read returns all application data available; `*status` gets SSL_get_error of the last
  // call (SSL_ERROR_WANT_READ when simply drained).
  std::string read(int* status = nullptr) {
    std::string out;
    char buf[16384];
    ERR_clear_error();
    for (;;) {
      const int n = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      const int err = SSL_get_error(ssl_.get(), n);
      if (err == SSL_ERROR_SSL) {
        const uint32_t e = ERR_peek_error();
        if (e) error_reason_ = ERR_GET_REASON(e);
      }
      if (status) *status = err;
      break;
    }
    ERR_clear_error();
    return out;
  }

  // peer_cn returns the CN of the certificate the server sent.
  std::string peer_cn() const {
    bssl::UniquePtr<X509> x(SSL_get_peer_certificate(ssl_.get()));
    if (!x) return {};
    char buf[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, buf, sizeof(buf));
    return buf;
  }
  // peer_key_id returns EVP_PKEY_id of the server's certificate key.
  int peer_key_id() const {
    bssl::UniquePtr<X509> x(SSL_get_peer_certificate(ssl_.get()));
    if (!x) return 0;
    bssl::UniquePtr<EVP_PKEY> k(X509_get_pubkey(x.get()));
    return k ? EVP_PKEY_id(k.get()) : 0;
  }

  SSL_SESSION* session() const { return session_.get(); }

 private:
  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bssl::UniquePtr<SSL_SESSION> session_;
  int error_reason_ = 0;
  uint8_t reject_alert_ = 0;
};

inline std::string drain(Session& s) {
  ByteQueue q;
  s.take_output(q);
  std::string out(q.size(), '\0');
  q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

// pump moves bytes between `c` and `s` until neither makes progress. It returns the
// session's state.
inline State pump(Client& c, Session& s) {
  for (int i = 0; i < 64; ++i) {
    c.step();
    const std::string to_server = c.take_written();
    if (!to_server.empty()) s.feed(as_bytes(to_server));
    s.advance();
    const std::string to_client = drain(s);
    if (!to_client.empty()) c.deliver(to_client);
    if (to_server.empty() && to_client.empty()) break;
  }
  return s.state();
}

// read_all drains the session's plaintext into a string.
inline std::string read_all(Session& s) {
  ByteQueue q;
  s.read_into(q);
  std::string out(q.size(), '\0');
  q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

}  // namespace intransit::tls::test
