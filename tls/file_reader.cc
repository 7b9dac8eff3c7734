#include "tls/file_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "gateway/base/c_handle.h"

namespace intransit::tls {
namespace {

class SystemFileReader final : public FileReader {
 public:
  Result<FileContents> read(const std::string& path) const override {
    // O_NONBLOCK so that a FIFO in place of a key file cannot hang the reload thread; it is
    // meaningless for the regular files we accept below.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return fail(errno == ENOENT ? kFileMissing : "open", strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail("stat", strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail("type", "not a regular file");
    if (static_cast<uint64_t>(st.st_size) > kMaxCredentialFileBytes) {
      return fail("size", "larger than " + std::to_string(kMaxCredentialFileBytes) + " bytes");
    }
    FileContents out;
    out.mode = static_cast<uint32_t>(st.st_mode) & 07777;
    out.data.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out.data.size()) {
      const ssize_t n = ::read(fd.get(), out.data.data() + got, out.data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("read", strerror(errno));
      if (n == 0) break;  // truncated while we read: use what is there
      got += static_cast<size_t>(n);
    }
    out.data.resize(got);
    return out;
  }
};

}  // namespace

std::string secret_mode_problem(std::string_view what, const std::string& path, uint32_t mode) {
  if ((mode & 077) == 0) return {};
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o", mode & 07777);
  const bool readable = (mode & 044) != 0;
  return std::string(what) + " \"" + path + "\" is " + (readable ? "readable" : "accessible") +
         " by group/other (mode " + octal + "); chmod 600 it";
}

const FileReader& system_file_reader() {
  static const SystemFileReader reader;
  return reader;
}

}  // namespace intransit::tls
