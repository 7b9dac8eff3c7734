#include "policy/sas/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "gateway/base/c_handle.h"
#include "policy/sas/string_to_sign.h"

namespace intransit::policy::sas {

namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

std::string mode_string(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

// check_and_decode applies the permission and format rules to a file that was read.
std::optional<std::string> check_and_decode(const KeyFile& f, std::string& why) {
  if ((f.mode & 077) != 0) {
    why = std::string("the key file is ") + ((f.mode & 044) != 0 ? "readable" : "accessible") +
          " by group/other (mode " + mode_string(f.mode) + "); chmod 600 it";
    return std::nullopt;
  }
  return decode_account_key(f.data, why);
}

}  // namespace

Result<KeyFile> system_key_reader(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return fail("open", strerror(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail("stat", strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("type", "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxKeyFileBytes) {
    return fail("size", "larger than " + std::to_string(kMaxKeyFileBytes) + " bytes");
  }
  KeyFile out;
  out.mode = static_cast<uint32_t>(st.st_mode) & 07777;
  out.data.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.data.size()) {
    const ssize_t n = ::read(fd.get(), out.data.data() + got, out.data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read", strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.data.resize(got);
  return out;
}

std::optional<std::string> decode_account_key(std::string_view text, std::string& why) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (text.empty()) {
    why = "the key file is empty (expected the Base64 account key)";
    return std::nullopt;
  }
  auto key = base64_decode(text);
  if (!key) {
    why = "the key file does not hold a Base64 account key";
    return std::nullopt;
  }
  if (key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) {
    why = "the account key decodes to " + std::to_string(key->size()) + " bytes (expected " +
          std::to_string(kMinKeyBytes) + " to " + std::to_string(kMaxKeyBytes) +
          "; Azure keys are 64)";
    return std::nullopt;
  }
  return key;
}

ConfigErrors read_account_keys(Policy& p, const std::string& base_dir,
                               const KeyFileReader& reader) {
  ConfigErrors errors;
  for (size_t i = 0; i < p.sas.accounts.size(); ++i) {
    auto& a = p.sas.accounts[i];
    for (size_t k = 0; k < a.keys.size(); ++k) {
      auto& key = a.keys[k];
      if (!key.file.empty() && key.file.front() != '/') key.file = base_dir + key.file;
      const std::string path =
          "sas.accounts[" + std::to_string(i) + "].key" + std::to_string(k + 1);
      auto f = reader(key.file);
      if (!f) {
        errors.push_back(ConfigError{
            key.mark, path, "cannot read key file \"" + key.file + "\": " + f.error().detail, {}});
        continue;
      }
      std::string why;
      auto secret = check_and_decode(*f, why);
      if (!secret) {
        errors.push_back(ConfigError{key.mark, path, "key file \"" + key.file + "\": " + why, {}});
        continue;
      }
      key.secret = std::move(*secret);
    }
  }
  return errors;
}

Result<std::string> read_key_file(const std::string& path, const KeyFileReader& reader) {
  auto f = reader(path);
  if (!f) return fail("read", "cannot read key file \"" + path + "\": " + f.error().detail);
  std::string why;
  auto secret = check_and_decode(*f, why);
  if (!secret) return fail("key", "key file \"" + path + "\": " + why);
  return std::move(*secret);
}

}  // namespace intransit::policy::sas
