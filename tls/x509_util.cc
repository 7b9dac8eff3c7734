#include "tls/x509_util.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>

namespace intransit::tls {
namespace {

// ErrClear empties the thread's BoringSSL error queue when it goes out of scope, so errors
// from parsing one file never show up as the cause of a later failure.
struct ErrClear {
  ~ErrClear() { ERR_clear_error(); }
};

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* n) const { sk_GENERAL_NAME_pop_free(n, GENERAL_NAME_free); }
};

bssl::UniquePtr<BIO> mem_bio(std::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return bssl::UniquePtr<BIO>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

int no_password(char*, int, int, void*) {
  return 0;
}

const char* reason_string(uint32_t err) {
  const char* r = err ? ERR_reason_error_string(err) : nullptr;
  return r ? r : "unknown error";
}

bool is_eof_error(uint32_t err) {
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

}  // namespace

std::optional<int64_t> asn1_time_to_unix(const ASN1_TIME* t) {
  ErrClear clear;
  if (t == nullptr) return std::nullopt;
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  if (!epoch) return std::nullopt;
  int days = 0;
  int secs = 0;
  if (!ASN1_TIME_diff(&days, &secs, epoch.get(), t)) return std::nullopt;
  return static_cast<int64_t>(days) * 86400 + secs;
}

Result<std::vector<bssl::UniquePtr<CRYPTO_BUFFER>>> read_pem_certificates(std::string_view pem) {
  ErrClear clear;
  ERR_clear_error();
  bssl::UniquePtr<BIO> bio = mem_bio(pem);
  if (!bio) return fail("alloc", "out of memory");
  std::vector<bssl::UniquePtr<CRYPTO_BUFFER>> out;
  for (;;) {
    uint8_t* der = nullptr;
    long der_len = 0;
    char* name = nullptr;
    if (!PEM_bytes_read_bio(&der, &der_len, &name, PEM_STRING_X509, bio.get(), nullptr, nullptr)) {
      const uint32_t err = ERR_peek_last_error();
      if (is_eof_error(err) && !out.empty()) break;
      if (is_eof_error(err)) return fail("no_certificate", "no PEM CERTIFICATE block found");
      return fail("malformed", "certificate #" + std::to_string(out.size() + 1) +
                                   " is not valid PEM (" + reason_string(err) + ")");
    }
    bssl::UniquePtr<uint8_t> der_owner(der);
    bssl::UniquePtr<char> name_owner(name);
    bssl::UniquePtr<CRYPTO_BUFFER> buf(
        CRYPTO_BUFFER_new(der, static_cast<size_t>(der_len), nullptr));
    if (!buf) return fail("alloc", "out of memory");
    // Parse once here so that a malformed certificate is a config error, not a handshake
    // failure on every connection.
    bssl::UniquePtr<X509> x(X509_parse_from_buffer(buf.get()));
    if (!x) {
      return fail("malformed",
                  "certificate #" + std::to_string(out.size() + 1) + " is not valid X.509 DER");
    }
    out.push_back(std::move(buf));
  }
  return out;
}

Result<bssl::UniquePtr<EVP_PKEY>> read_pem_private_key(std::string_view pem) {
  ErrClear clear;
  ERR_clear_error();
  bssl::UniquePtr<BIO> bio = mem_bio(pem);
  if (!bio) return fail("alloc", "out of memory");
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (key) return key;
  if (pem.find("ENCRYPTED") != std::string_view::npos) {
    return fail("encrypted",
                "private key is encrypted; intransit cannot prompt for a passphrase, store it "
                "unencrypted and protect it with file permissions (chmod 600)");
  }
  const uint32_t err = ERR_peek_last_error();
  if (is_eof_error(err)) return fail("no_key", "no PEM private key block found");
  return fail("malformed", std::string("private key is not valid (") + reason_string(err) + ")");
}

std::vector<std::string> dns_names(X509* leaf) {
  ErrClear clear;
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  if (sans) {
    for (size_t i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
      if (gn->type != GEN_DNS) continue;
      const ASN1_STRING* s = gn->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  if (!out.empty()) return out;
  X509_NAME* subject = X509_get_subject_name(leaf);
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0) return out;
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, cn);
  if (n > 0) out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string subject_line(X509* x) {
  ErrClear clear;
  char buf[512];
  if (X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

}  // namespace intransit::tls
