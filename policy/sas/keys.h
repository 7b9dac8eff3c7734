// SAS account keys come from files, never from the policy text (policy/README.md, "sas"): one
// file per key holding the Base64 account key exactly as the Azure portal or Azurite shows it
// (surrounding whitespace ignored). Like TLS private keys, a key file must not be accessible
// by group or others (mode & 077 == 0, e.g. 0600 or 0400), whoever owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/result.h"
#include "policy/config_error.h"
#include "policy/model.h"

namespace intransit::policy::sas {

// kMinKeyBytes and kMaxKeyBytes bound a decoded account key (Azure's are 64 bytes).
inline constexpr size_t kMinKeyBytes = 32;
inline constexpr size_t kMaxKeyBytes = 1024;

// KeyFile is a key file's text and permission bits (st_mode & 07777).
struct KeyFile {
  std::string data;
  uint32_t mode = 0;
};

// KeyFileReader reads one key file; tests inject their own.
using KeyFileReader = std::function<Result<KeyFile>(const std::string& path)>;

// system_key_reader opens the file (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), fstats the
// opened descriptor (no stat/open race), accepts regular files of at most 64 KiB.
Result<KeyFile> system_key_reader(const std::string& path);

// decode_account_key trims ASCII whitespace around `text` and Base64-decodes it. It returns
// nullopt with `why` set when the text is not Base64 or the key is shorter than kMinKeyBytes
// or longer than kMaxKeyBytes.
std::optional<std::string> decode_account_key(std::string_view text, std::string& why);

// read_account_keys reads every key file named by `p.sas.accounts` (a relative path is taken
// relative to `base_dir`, which ends in '/' or is empty) and stores the decoded keys in place.
// Every problem is returned as a ConfigError at the key's position: unreadable file, mode
// granting group/other access, not Base64, wrong length.
ConfigErrors read_account_keys(Policy& p, const std::string& base_dir,
                               const KeyFileReader& reader = system_key_reader);

// read_key_file reads and decodes one key file with the same rules, for the CLI (`intransit
// sas sign --key-file`). The error's detail is a sentence for the operator.
Result<std::string> read_key_file(const std::string& path,
                                  const KeyFileReader& reader = system_key_reader);

}  // namespace intransit::policy::sas
