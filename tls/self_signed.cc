#include "tls/self_signed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/c_handle.h"
#include "tls/cert_store.h"
#include "tls/file_reader.h"
#include "tls/x509_util.h"

namespace intransit::tls {
namespace {

struct ErrClear {
  ~ErrClear() { ERR_clear_error(); }
};

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* n) const { sk_GENERAL_NAME_pop_free(n, GENERAL_NAME_free); }
};
struct ObjectStackFree {
  void operator()(STACK_OF(ASN1_OBJECT) * s) const { sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free); }
};

// SanName is one validated name: a normalized DNS name, or the 4/16 bytes of an IP address.
struct SanName {
  bool is_ip = false;
  std::string dns;
  std::vector<uint8_t> ip;
  std::string text;  // as given, for the CN
};

Result<std::vector<SanName>> parse_names(std::span<const std::string> names) {
  std::vector<SanName> out;
  for (const std::string& n : names) {
    SanName s;
    s.text = n;
    uint8_t buf[16];
    std::string host = n;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
      s.is_ip = true;
      s.ip.assign(buf, buf + 4);
    } else if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
      s.is_ip = true;
      s.ip.assign(buf, buf + 16);
    } else if (!normalize_server_name(n, true, s.dns)) {
      return fail("name", "\"" + n + "\" is neither a DNS name nor an IP address");
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string names_hash(const std::vector<SanName>& names) {
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) joined.push_back('\n');
    if (names[i].is_ip) {
      joined += "ip:" + to_hex(names[i].ip);
    } else {
      joined += names[i].dns;
    }
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(joined.data()), joined.size(), digest);
  return to_hex(BytesView(digest, 8));
}

std::string errno_text(const char* what, const std::string& path) {
  return std::string(what) + " \"" + path + "\": " + strerror(errno);
}

// is_usable says whether an existing pair can be reused as is.
bool is_usable(const std::string& cert_file, const std::string& key_file, int64_t now_unix) {
  ErrClear clear;
  const FileReader& fs = system_file_reader();
  auto cert_text = fs.read(cert_file);
  auto key_text = fs.read(key_file);
  if (!cert_text || !key_text) return false;
  if ((key_text->mode & 077) != 0) return false;
  auto chain = read_pem_certificates(cert_text->data);
  auto key = read_pem_private_key(key_text->data);
  if (!chain || !key) return false;
  bssl::UniquePtr<X509> leaf(X509_parse_from_buffer(chain->front().get()));
  if (!leaf) return false;
  bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(leaf.get()));
  if (!pub || EVP_PKEY_cmp(pub.get(), key->get()) != 1) return false;
  const auto nb = asn1_time_to_unix(X509_get0_notBefore(leaf.get()));
  const auto na = asn1_time_to_unix(X509_get0_notAfter(leaf.get()));
  return nb && na && *nb <= now_unix && now_unix < *na;
}

Result<void> write_file_atomically(const std::string& path, std::string_view data, mode_t mode) {
  uint8_t rnd[6];
  RAND_bytes(rnd, sizeof(rnd));
  const std::string tmp = path + ".tmp-" + to_hex(rnd);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return fail("create", errno_text("cannot create", tmp));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = errno_text("cannot write", tmp);
      ::unlink(tmp.c_str());
      return fail("write", e);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    auto e = errno_text("cannot fsync", tmp);
    ::unlink(tmp.c_str());
    return fail("fsync", e);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = errno_text("cannot rename to", path);
    ::unlink(tmp.c_str());
    return fail("rename", e);
  }
  return {};
}

bool add_ext(X509* x, int nid, void* value, bool critical) {
  return X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1;
}

Result<std::pair<std::string, std::string>> generate(const std::vector<SanName>& names,
                                                     int64_t now_unix) {
  ErrClear clear;
  // Key.
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec || !EC_KEY_generate_key(ec.get())) return fail("keygen", "EC key generation failed");
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key || !EVP_PKEY_set1_EC_KEY(key.get(), ec.get())) return fail("alloc", "out of memory");

  bssl::UniquePtr<X509> x(X509_new());
  if (!x || !X509_set_version(x.get(), X509_VERSION_3)) return fail("alloc", "out of memory");

  // Serial: 16 random bytes, top bit clear so the INTEGER is positive (RFC 5280 §4.1.2.2).
  uint8_t serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;  // never a leading zero byte: keeps the encoding 16 bytes long
  bssl::UniquePtr<BIGNUM> serial_bn(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  bssl::UniquePtr<ASN1_INTEGER> serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr)
                                                 : nullptr);
  if (!serial || !X509_set_serialNumber(x.get(), serial.get())) return fail("alloc", "serial");

  // Validity.
  bssl::UniquePtr<ASN1_TIME> not_before(
      ASN1_TIME_set(nullptr, static_cast<time_t>(now_unix - 3600)));
  bssl::UniquePtr<ASN1_TIME> not_after(
      ASN1_TIME_set(nullptr, static_cast<time_t>(now_unix + kSelfSignedValidityDays * 86400)));
  if (!not_before || !not_after || !X509_set1_notBefore(x.get(), not_before.get()) ||
      !X509_set1_notAfter(x.get(), not_after.get())) {
    return fail("validity", "cannot set the validity period");
  }

  // Subject = issuer = CN=<first name>.
  bssl::UniquePtr<X509_NAME> subject(X509_NAME_new());
  const std::string& cn = names.front().text;
  if (!subject || cn.size() > 64 ||
      !X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(cn.data()),
                                  static_cast<int>(cn.size()), -1, 0) ||
      !X509_set_subject_name(x.get(), subject.get()) ||
      !X509_set_issuer_name(x.get(), subject.get()) || !X509_set_pubkey(x.get(), key.get())) {
    return fail("subject", "cannot set the subject (is the first name longer than 64 bytes?)");
  }

  // subjectAltName.
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> san(sk_GENERAL_NAME_new_null());
  if (!san) return fail("alloc", "out of memory");
  for (const SanName& n : names) {
    bssl::UniquePtr<GENERAL_NAME> gn(GENERAL_NAME_new());
    bssl::UniquePtr<ASN1_STRING> value(n.is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new());
    if (!gn || !value) return fail("alloc", "out of memory");
    const std::string_view bytes =
        n.is_ip ? std::string_view(reinterpret_cast<const char*>(n.ip.data()), n.ip.size())
                : std::string_view(n.dns);
    if (!ASN1_STRING_set(value.get(), bytes.data(), static_cast<int>(bytes.size()))) {
      return fail("alloc", "out of memory");
    }
    GENERAL_NAME_set0_value(gn.get(), n.is_ip ? GEN_IPADD : GEN_DNS, value.release());
    if (!sk_GENERAL_NAME_push(san.get(), gn.get())) return fail("alloc", "out of memory");
    gn.release();
  }
  // basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth.
  bssl::UniquePtr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
  bssl::UniquePtr<ASN1_BIT_STRING> ku(ASN1_BIT_STRING_new());
  std::unique_ptr<STACK_OF(ASN1_OBJECT), ObjectStackFree> eku(sk_ASN1_OBJECT_new_null());
  if (!bc || !ku || !eku || !ASN1_BIT_STRING_set_bit(ku.get(), 0, 1) ||
      !sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth))) {
    return fail("alloc", "out of memory");
  }
  bc->ca = 0;
  // subjectKeyIdentifier: SHA-1 of the public key bits (RFC 5280 §4.2.1.2, method 1).
  uint8_t skid_md[EVP_MAX_MD_SIZE];
  unsigned skid_len = 0;
  bssl::UniquePtr<ASN1_OCTET_STRING> skid(ASN1_OCTET_STRING_new());
  if (!skid || !X509_pubkey_digest(x.get(), EVP_sha1(), skid_md, &skid_len) ||
      !ASN1_OCTET_STRING_set(skid.get(), skid_md, static_cast<int>(skid_len))) {
    return fail("alloc", "subjectKeyIdentifier");
  }
  if (!add_ext(x.get(), NID_basic_constraints, bc.get(), true) ||
      !add_ext(x.get(), NID_key_usage, ku.get(), true) ||
      !add_ext(x.get(), NID_ext_key_usage, eku.get(), false) ||
      !add_ext(x.get(), NID_subject_alt_name, san.get(), false) ||
      !add_ext(x.get(), NID_subject_key_identifier, skid.get(), false)) {
    return fail("extensions", "cannot add the certificate extensions");
  }
  if (!X509_sign(x.get(), key.get(), EVP_sha256())) return fail("sign", "signing failed");

  // PEM out.
  bssl::UniquePtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || !PEM_write_bio_X509(cert_bio.get(), x.get()) ||
      !PEM_write_bio_PKCS8PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                     nullptr)) {
    return fail("pem", "cannot encode PEM");
  }
  const uint8_t* p = nullptr;
  size_t n = 0;
  std::pair<std::string, std::string> out;
  BIO_mem_contents(cert_bio.get(), &p, &n);
  out.first.assign(reinterpret_cast<const char*>(p), n);
  BIO_mem_contents(key_bio.get(), &p, &n);
  out.second.assign(reinterpret_cast<const char*>(p), n);
  return out;
}

Result<void> ensure_state_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return {};
  if (errno != EEXIST) return fail("mkdir", errno_text("cannot create state_dir", dir));
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return fail("stat", errno_text("cannot stat", dir));
  if (!S_ISDIR(st.st_mode)) return fail("type", "state_dir \"" + dir + "\" is not a directory");
  return {};
}

}  // namespace

Result<SelfSignedFiles> ensure_self_signed(const std::string& state_dir,
                                           std::span<const std::string> names, int64_t now_unix) {
  if (state_dir.empty()) return fail("state_dir", "self_signed needs a state_dir");
  if (names.empty()) return fail("names", "self_signed needs at least one name");
  auto parsed = parse_names(names);
  if (!parsed) return unexpected(std::move(parsed.error()));
  if (auto r = ensure_state_dir(state_dir); !r) return unexpected(std::move(r.error()));

  const std::string base = state_dir + "/selfsigned-" + names_hash(*parsed);
  SelfSignedFiles files{base + ".crt", base + ".key", false};

  // Several processes may share a state_dir: check-and-generate under an exclusive lock so
  // that one key never ends up next to another process's certificate.
  const std::string lock_path = state_dir + "/selfsigned.lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock) return fail("lock", errno_text("cannot open", lock_path));
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail("lock", errno_text("cannot lock", lock_path));
  }

  if (is_usable(files.cert_file, files.key_file, now_unix)) return files;

  auto pem = generate(*parsed, now_unix);
  if (!pem) return unexpected(std::move(pem.error()));
  if (auto r = write_file_atomically(files.key_file, pem->second, 0600); !r) {
    return unexpected(std::move(r.error()));
  }
  if (auto r = write_file_atomically(files.cert_file, pem->first, 0644); !r) {
    return unexpected(std::move(r.error()));
  }
  // Make the renames durable.
  UniqueFd dir(::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  files.generated = true;
  return files;
}

}  // namespace intransit::tls
