#include "policy/sas/string_to_sign.h"

#include <openssl/base64.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>

#include <cstdint>

namespace intransit::policy::sas {

bool is_version_syntax(std::string_view sv) {
  if (sv.size() != 10 || sv[4] != '-' || sv[7] != '-') return false;
  for (size_t i = 0; i < sv.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (sv[i] < '0' || sv[i] > '9') return false;
  }
  return true;
}

std::string account_string_to_sign(std::string_view account, const SasFields& f) {
  std::string s;
  for (std::string_view part :
       {account, std::string_view(f.sp), std::string_view(f.ss), std::string_view(f.srt),
        std::string_view(f.st), std::string_view(f.se), std::string_view(f.sip),
        std::string_view(f.spr), std::string_view(f.sv)}) {
    s += part;
    s += '\n';
  }
  if (f.sv >= "2020-12-06") {
    s += f.ses;
    s += '\n';
  }
  return s;
}

std::string canonical_resource(std::string_view account, std::string_view container,
                               std::string_view blob) {
  std::string s = "/blob/";
  s += account;
  s += '/';
  s += container;
  if (!blob.empty()) {
    s += '/';
    s += blob;
  }
  return s;
}

std::string service_string_to_sign(std::string_view canonical, std::string_view snapshot_time,
                                   const SasFields& f) {
  std::string s;
  auto line = [&](std::string_view v) {
    s += v;
    s += '\n';
  };
  line(f.sp);
  line(f.st);
  line(f.se);
  line(canonical);
  line(f.si);
  line(f.sip);
  line(f.spr);
  line(f.sv);
  if (f.sv >= "2018-11-09") {
    line(f.sr);
    line(snapshot_time);
    if (f.sv >= "2020-12-06") line(f.ses);
  }
  line(f.rscc);
  line(f.rscd);
  line(f.rsce);
  line(f.rscl);
  s += f.rsct;  // no trailing newline
  return s;
}

std::string compute_signature(std::string_view key, std::string_view string_to_sign) {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), key.data(), key.size(),
       reinterpret_cast<const uint8_t*>(string_to_sign.data()), string_to_sign.size(), mac,
       &mac_len);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::optional<std::string> base64_decode(std::string_view in) {
  size_t max_len = 0;
  if (!EVP_DecodedLength(&max_len, in.size())) return std::nullopt;
  std::string out(max_len, '\0');
  size_t len = 0;
  if (!EVP_DecodeBase64(reinterpret_cast<uint8_t*>(out.data()), &len, max_len,
                        reinterpret_cast<const uint8_t*>(in.data()), in.size())) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string base64_encode(std::string_view in) {
  size_t len = 0;
  if (!EVP_EncodedLength(&len, in.size())) return {};
  std::string out(len, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(in.data()), in.size());
  out.resize(n);
  return out;
}

}  // namespace intransit::policy::sas
