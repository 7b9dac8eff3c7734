// Self-signed server certificates for `self_signed: true` specs (quick start, labs): an
// ECDSA P-256 key and an X.509 v3 certificate generated with BoringSSL into the policy's
// state_dir and reused across restarts.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gateway/base/result.h"

namespace intransit::tls {

// SelfSignedFiles names the certificate and key ensure_self_signed settled on.
struct SelfSignedFiles {
  std::string cert_file;   // <state_dir>/selfsigned-<hash>.crt
  std::string key_file;    // <state_dir>/selfsigned-<hash>.key, mode 0600
  bool generated = false;  // true when this call wrote new files
};

// kSelfSignedValidityDays is the validity of a generated certificate: the CA/Browser Forum
// maximum for publicly trusted certificates, so clients that enforce it do not refuse ours.
inline constexpr int64_t kSelfSignedValidityDays = 397;

// ensure_self_signed returns the self-signed certificate for `names` (DNS names or IP
// literals; the first is also the subject CN) in `state_dir`. The file names carry the
// first 16 hex digits of SHA-256 over the names joined by "\n", so each name list has its
// own pair. Existing files are reused when the certificate parses, the key matches it, the
// key file grants nothing to group/other, and it is valid at `now_unix`; otherwise a new
// pair is generated:
//   - key: ECDSA P-256;
//   - certificate: v3, random positive 16-byte serial, subject = issuer = CN=<first name>,
//     validity now-1h .. now+397 days, subjectAltName DNS/IP for every name,
//     basicConstraints critical CA:FALSE, keyUsage critical digitalSignature,
//     extendedKeyUsage serverAuth, subjectKeyIdentifier; signed with ECDSA-SHA256.
// `state_dir` is created with mode 0700 if missing (its parent must exist). Each file is
// written to a temporary created with open(O_CREAT | O_EXCL, 0600), fsynced and renamed
// into place, key first, so a reader never sees a partial file. It fails with a reason when
// a name is neither a DNS name nor an IP literal, or on any file system error.
Result<SelfSignedFiles> ensure_self_signed(const std::string& state_dir,
                                           std::span<const std::string> names, int64_t now_unix);

}  // namespace intransit::tls
