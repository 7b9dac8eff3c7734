// FileReader: how the context builder reads certificate and key files. The real one opens
// the file and stats the *opened* descriptor (no stat/open race); tests inject their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/base/result.h"

namespace intransit::tls {

// FileContents is a whole file and its permission bits.
struct FileContents {
  std::string data;
  // mode is st_mode & 07777 of the file that was read (after following symlinks, so a
  // Kubernetes Secret mounted as `tls.key -> ..data/tls.key` reports the target's mode).
  uint32_t mode = 0;
};

// FileReader reads one file. Implementations must be safe to call from any thread.
class FileReader {
 public:
  virtual ~FileReader() = default;

  // read returns the file's contents, or an error whose `detail` is a short reason for an
  // operator ("No such file or directory", "not a regular file", "larger than 1048576
  // bytes"). The error's label is kFileMissing when the file does not exist (ENOENT), so
  // optional files (an OCSP staple next to its certificate) can be told apart from broken
  // ones.
  virtual Result<FileContents> read(const std::string& path) const = 0;
};

// kFileMissing is the Error::label FileReader::read uses for a file that does not exist.
inline constexpr std::string_view kFileMissing = "missing";

// secret_mode_problem returns "" when `mode` grants no access to group or other
// (mode & 077 == 0, whoever owns the file, like OpenSSH's StrictModes), else the reason an
// operator reads: `<what> "<path>" is readable by group/other (mode 0644); chmod 600 it`.
// Private keys and ticket key files use it.
std::string secret_mode_problem(std::string_view what, const std::string& path, uint32_t mode);

// kSecretModeHint is the hint that goes with secret_mode_problem's message.
inline constexpr std::string_view kSecretModeHint =
    "the file must be readable by the gateway's user only, like OpenSSH's StrictModes";

// kMaxCredentialFileBytes bounds certificate and key files, so a policy pointing at
// /dev/zero or a log file fails fast instead of exhausting memory.
inline constexpr size_t kMaxCredentialFileBytes = 1024 * 1024;

// system_file_reader returns the FileReader of the real file system: open(O_RDONLY |
// O_CLOEXEC | O_NOCTTY), fstat, regular files only, at most kMaxCredentialFileBytes.
const FileReader& system_file_reader();

}  // namespace intransit::tls
