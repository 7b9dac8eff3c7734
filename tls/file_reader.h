// FileReader: how the context builder reads certificate and key files. The real one opens
// the file and stats the *opened* descriptor (no stat/open race); tests inject their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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
  // bytes").
  virtual Result<FileContents> read(const std::string& path) const = 0;
};

// kMaxCredentialFileBytes bounds certificate and key files, so a policy pointing at
// /dev/zero or a log file fails fast instead of exhausting memory.
inline constexpr size_t kMaxCredentialFileBytes = 1024 * 1024;

// system_file_reader returns the FileReader of the real file system: open(O_RDONLY |
// O_CLOEXEC | O_NOCTTY), fstat, regular files only, at most kMaxCredentialFileBytes.
const FileReader& system_file_reader();

}  // namespace intransit::tls
