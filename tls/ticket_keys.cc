#include "tls/ticket_keys.h"

#include <openssl/base64.h>
#include <openssl/cipher.h>
#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include <cstring>
#include <vector>

#include "tls/internal.h"

namespace intransit::tls {
namespace {

constexpr size_t kIvBytes = 16;  // AES block size, the CBC IV

// Wiped is a heap buffer that is cleansed before it is freed (decoded key material).
class Wiped {
 public:
  explicit Wiped(size_t n) : data_(n) {}
  ~Wiped() { OPENSSL_cleanse(data_.data(), data_.size()); }
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  uint8_t* data() { return data_.data(); }
  size_t size() const { return data_.size(); }

 private:
  std::vector<uint8_t> data_;
};

bool is_text(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t') return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string length_problem(size_t got) {
  std::string why = "key is " + std::to_string(got) + " bytes; 80 are required (16-byte name, " +
                    "32-byte HMAC-SHA256 key, 32-byte AES-256 key)";
  if (got == 48) why += "; 48-byte AES-128 keys are not accepted";
  return why;
}

int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/, long /*argl*/,
         void* /*argp*/) { delete static_cast<TicketKeysPtr*>(ptr); });
  return index;
}

}  // namespace

TicketKeys::TicketKeys(std::unique_ptr<Key[]> keys, size_t count)
    : keys_(std::move(keys)), count_(count) {}

TicketKeys::~TicketKeys() {
  if (keys_) OPENSSL_cleanse(keys_.get(), sizeof(Key) * count_);
}

std::span<const uint8_t, kTicketKeyNameBytes> TicketKeys::name(size_t i) const {
  return std::span<const uint8_t, kTicketKeyNameBytes>(keys_[i].name, kTicketKeyNameBytes);
}

std::string TicketKeys::name_fingerprint(size_t i) const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t b = 0; b < 4; ++b) {
    out.push_back(kHex[keys_[i].name[b] >> 4]);
    out.push_back(kHex[keys_[i].name[b] & 0xf]);
  }
  return out;
}

int TicketKeys::find(std::span<const uint8_t, kTicketKeyNameBytes> name) const {
  for (size_t i = 0; i < count_; ++i) {
    if (CRYPTO_memcmp(keys_[i].name, name.data(), kTicketKeyNameBytes) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Result<std::shared_ptr<const TicketKeys>> TicketKeys::parse(std::string_view contents) {
  // Collect where each key comes from first, so the key array is allocated once and never
  // reallocated (no stray copies of key bytes on the heap).
  struct Source {
    std::string_view text;  // base64 line (text form) or 80 raw bytes (binary form)
    size_t line = 0;        // 1-based line (text form), 0 for binary
  };
  std::vector<Source> sources;
  const bool text = is_text(contents);
  if (text) {
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < contents.size()) {
      size_t end = contents.find('\n', pos);
      if (end == std::string_view::npos) end = contents.size();
      ++line_no;
      const std::string_view line = trim(contents.substr(pos, end - pos));
      pos = end + 1;
      if (line.empty() || line.front() == '#') continue;
      if (sources.size() == kMaxTicketKeys) {
        return fail("too_many", "more than " + std::to_string(kMaxTicketKeys) + " keys (line " +
                                    std::to_string(line_no) + ")");
      }
      sources.push_back({line, line_no});
    }
  } else {
    if (contents.size() % kTicketKeyBytes != 0) {
      return fail("length", "binary key file is " + std::to_string(contents.size()) +
                                " bytes, not a multiple of 80 (16-byte name, 32-byte "
                                "HMAC-SHA256 key, 32-byte AES-256 key per key)");
    }
    if (contents.size() / kTicketKeyBytes > kMaxTicketKeys) {
      return fail("too_many", "more than " + std::to_string(kMaxTicketKeys) + " keys");
    }
    for (size_t off = 0; off < contents.size(); off += kTicketKeyBytes) {
      sources.push_back({contents.substr(off, kTicketKeyBytes), 0});
    }
  }
  if (sources.empty()) {
    return fail("empty", text ? "no key: add one base64 line (head -c 80 /dev/urandom | base64 -w0)"
                              : "no key");
  }

  std::unique_ptr<Key[]> keys(new Key[sources.size()]);
  const size_t count = sources.size();
  auto wipe_and_fail = [&](std::string_view label, std::string detail) {
    OPENSSL_cleanse(keys.get(), sizeof(Key) * count);
    return fail(label, std::move(detail));
  };
  for (size_t i = 0; i < count; ++i) {
    const Source& src = sources[i];
    const std::string where = src.line ? "line " + std::to_string(src.line) + ": "
                                       : "key " + std::to_string(i + 1) + ": ";
    Key& k = keys[i];
    if (text) {
      size_t max_out = 0;
      if (!EVP_DecodedLength(&max_out, src.text.size())) {
        return wipe_and_fail("base64", where + "not base64");
      }
      Wiped buf(max_out == 0 ? 1 : max_out);
      size_t got = 0;
      if (!EVP_DecodeBase64(buf.data(), &got, buf.size(),
                            reinterpret_cast<const uint8_t*>(src.text.data()), src.text.size())) {
        ERR_clear_error();
        return wipe_and_fail("base64", where +
                                           "not base64 (one key per line, standard alphabet "
                                           "with '=' padding)");
      }
      if (got != kTicketKeyBytes) return wipe_and_fail("length", where + length_problem(got));
      std::memcpy(&k, buf.data(), kTicketKeyBytes);
    } else {
      std::memcpy(&k, src.text.data(), kTicketKeyBytes);
    }
    for (size_t j = 0; j < i; ++j) {
      if (CRYPTO_memcmp(keys[j].name, k.name, kTicketKeyNameBytes) == 0) {
        const std::string first = sources[j].line ? "line " + std::to_string(sources[j].line)
                                                  : "key " + std::to_string(j + 1);
        return wipe_and_fail("duplicate", where + "key name repeats the key on " + first +
                                              "; every key needs its own random name");
      }
    }
  }
  static_assert(sizeof(Key) == kTicketKeyBytes);
  return std::shared_ptr<const TicketKeys>(new TicketKeys(std::move(keys), count));
}

Result<TicketKeysPtr> read_ticket_key_file(const FileReader& files, const std::string& path) {
  Result<FileContents> f = files.read(path);
  if (!f)
    return fail(f.error().label,
                "cannot read ticket key file \"" + path + "\": " + f.error().detail);
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe{f->data};
  if (std::string why = secret_mode_problem("ticket key file", path, f->mode); !why.empty()) {
    return fail("mode", std::move(why));
  }
  auto keys = TicketKeys::parse(f->data);
  if (!keys) {
    return fail(keys.error().label, "ticket key file \"" + path + "\": " + keys.error().detail);
  }
  return std::move(*keys);
}

int ticket_key_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher_ctx,
                        HMAC_CTX* hmac_ctx, int encrypt) {
  const TicketKeys* keys = installed_ticket_keys(SSL_get_SSL_CTX(ssl));
  if (keys == nullptr || keys->size() == 0) return encrypt ? -1 : 0;
  if (encrypt) {
    const TicketKeys::Key& k = keys->keys_[0];
    std::memcpy(key_name, k.name, kTicketKeyNameBytes);
    if (!RAND_bytes(iv, kIvBytes) ||
        !EVP_EncryptInit_ex(cipher_ctx, EVP_aes_256_cbc(), nullptr, k.aes_key, iv) ||
        !HMAC_Init_ex(hmac_ctx, k.hmac_key, kTicketHmacKeyBytes, EVP_sha256(), nullptr)) {
      return -1;
    }
    return 1;
  }
  const int i =
      keys->find(std::span<const uint8_t, kTicketKeyNameBytes>(key_name, kTicketKeyNameBytes));
  if (i < 0) return 0;  // retired or foreign key: full handshake
  const TicketKeys::Key& k = keys->keys_[static_cast<size_t>(i)];
  if (!HMAC_Init_ex(hmac_ctx, k.hmac_key, kTicketHmacKeyBytes, EVP_sha256(), nullptr) ||
      !EVP_DecryptInit_ex(cipher_ctx, EVP_aes_256_cbc(), nullptr, k.aes_key, iv)) {
    return -1;
  }
  if (internal::HandshakeNotes* notes = internal::notes(ssl)) notes->ticket_key = i;
  return i == 0 ? 1 : 2;  // 2: renew the ticket under the current key
}

bool install_ticket_keys(SSL_CTX* ctx, TicketKeysPtr keys) {
  if (ctx == nullptr || !keys || keys->size() == 0) return false;
  auto* holder = new TicketKeysPtr(std::move(keys));
  const int index = ex_index();
  void* old = SSL_CTX_get_ex_data(ctx, index);
  if (!SSL_CTX_set_ex_data(ctx, index, holder)) {
    delete holder;
    return false;
  }
  delete static_cast<TicketKeysPtr*>(old);
  SSL_CTX_set_tlsext_ticket_key_cb(ctx, ticket_key_callback);
  return true;
}

const TicketKeys* installed_ticket_keys(const SSL_CTX* ctx) {
  if (ctx == nullptr) return nullptr;
  auto* holder = static_cast<TicketKeysPtr*>(SSL_CTX_get_ex_data(ctx, ex_index()));
  return holder ? holder->get() : nullptr;
}

}  // namespace intransit::tls
