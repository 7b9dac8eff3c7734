// The string-to-sign of each SAS kind and service version, and the HMAC over it
// (SAS-SPEC §1-§3). Every field is the URL-decoded query value, verbatim: no normalisation of
// times, case or letter order. Absent optional fields are empty strings whose "\n" separators
// remain.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace intransit::policy::sas {

// kOldestVersion and kNewestVersion bound the `sv` values the gateway verifies. The newest is
// the default of the @azure/storage-blob release the vectors were generated with (12.34.0);
// a newer version may sign new fields, so it is refused until reviewed (policy/README.md).
inline constexpr std::string_view kOldestVersion = "2015-04-05";
inline constexpr std::string_view kNewestVersion = "2026-10-06";

// SasFields holds the decoded SAS parameters that may be signed. `sig` is kept apart.
struct SasFields {
  std::string sv, ss, srt, sp, st, se, sip, spr, ses;  // common and account SAS
  std::string sr, si, sdd;                             // service SAS
  std::string rscc, rscd, rsce, rscl, rsct;            // response header overrides
};

// is_version_syntax returns true for "YYYY-MM-DD" made of digits and dashes.
bool is_version_syntax(std::string_view sv);

// account_string_to_sign builds the account SAS string (SAS-SPEC §2):
//   account\nsp\nss\nsrt\nst\nse\nsip\nspr\nsv\n            (sv <  2020-12-06)
//   account\nsp\nss\nsrt\nst\nse\nsip\nspr\nsv\nses\n       (sv >= 2020-12-06)
std::string account_string_to_sign(std::string_view account, const SasFields& f);

// canonical_resource returns "/blob/<account>/<container>" plus "/<blob>" when `blob` is not
// empty (SAS-SPEC §3; names decoded).
std::string canonical_resource(std::string_view account, std::string_view container,
                               std::string_view blob);

// service_string_to_sign builds the blob service SAS string for `f.sv` (SAS-SPEC §3), with
// `snapshot_time` in the signedSnapshotTime slot (sv >= 2018-11-09).
std::string service_string_to_sign(std::string_view canonical, std::string_view snapshot_time,
                                   const SasFields& f);

// compute_signature returns Base64(HMAC-SHA256(key, string_to_sign)); `key` is the decoded
// account key.
std::string compute_signature(std::string_view key, std::string_view string_to_sign);

// base64_decode decodes standard Base64 with padding; nullopt on any other input.
std::optional<std::string> base64_decode(std::string_view in);

// base64_encode encodes standard Base64 with padding.
std::string base64_encode(std::string_view in);

}  // namespace intransit::policy::sas
