// The SAS signer (SAS-SPEC §2, §3): mints account and blob service SAS tokens the way
// @azure/storage-blob does (same string-to-sign, same parameter order, values encoded with
// encodeURIComponent). Used by `intransit sas sign` and by tests; the gateway itself never
// signs.
#pragma once

#include <string>
#include <string_view>

#include "gateway/base/result.h"
#include "policy/sas/string_to_sign.h"

namespace intransit::policy::sas {

// SignedToken is a minted token.
struct SignedToken {
  std::string query;           // "sv=...&sig=..." (no leading '?')
  std::string string_to_sign;  // what was HMAC'd
  std::string signature;       // Base64; the secret part of the token
};

// sign_account signs an account SAS for `account` with `f` (sv ss srt sp st se sip spr ses).
// It refuses (label "sas") fields that the verifier would refuse: missing ss/srt/sp/se/sv,
// bad letters, a bad time or sip, ses before 2020-12-06, service SAS fields.
Result<SignedToken> sign_account(std::string_view account, std::string_view key,
                                 const SasFields& f);

// sign_service signs a blob service SAS for `container` / `blob` (`blob` empty for sr=c)
// with `f` (sv sr sp st se si sip spr ses sdd rsc*); `snapshot_time` is the snapshot or
// version id the request will carry for sr=bs / sr=bv.
Result<SignedToken> sign_service(std::string_view account, std::string_view key,
                                 std::string_view container, std::string_view blob,
                                 std::string_view snapshot_time, const SasFields& f);

// token_query renders `f` and `sig` in the SDK's parameter order (sv ss srt spr st se sip si
// ses sr sp rscc rscd rsce rscl rsct sdd sig), skipping empty fields.
std::string token_query(const SasFields& f, std::string_view sig);

}  // namespace intransit::policy::sas
