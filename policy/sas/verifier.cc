#include "policy/sas/verifier.h"

#include <array>

#include "gateway/base/bytes.h"
#include "gateway/base/text.h"
#include "policy/sas/ip_range.h"
#include "policy/sas/permissions.h"
#include "policy/sas/query.h"

namespace intransit::policy::sas {

namespace {

// kUserDelegationParams mark a user-delegation SAS (SAS-SPEC §4).
constexpr std::string_view kUserDelegationParams[] = {"skoid",  "sktid", "skt",   "ske",  "sks",
                                                      "skv",    "saoid", "suoid", "scid", "skdutid",
                                                      "sduoid", "srh",   "srq"};

constexpr std::string_view kMalformed = "Signature fields not well formed.";

std::string mandatory(std::string_view f) {
  return std::string(f) + " is mandatory. Cannot be empty";
}

// Parsed is the outcome of step 1: the SAS parameters by name, and the request parameters
// classification reads.
struct Parsed {
  SasFields f;
  std::string sig;
  bool has_sig = false;
  bool user_delegation = false;
  std::string comp, restype, snapshot, versionid, deletetype;
  bool has_versionid = false;
  std::string duplicate;  // first repeated SAS parameter
  std::string ambiguous;  // first repeated operation parameter
};

struct Slot {
  std::string_view name;
  std::string SasFields::*field;
};

constexpr Slot kSignedSlots[] = {
    {"sv", &SasFields::sv},     {"ss", &SasFields::ss},     {"srt", &SasFields::srt},
    {"sp", &SasFields::sp},     {"st", &SasFields::st},     {"se", &SasFields::se},
    {"sip", &SasFields::sip},   {"spr", &SasFields::spr},   {"ses", &SasFields::ses},
    {"sr", &SasFields::sr},     {"si", &SasFields::si},     {"sdd", &SasFields::sdd},
    {"rscc", &SasFields::rscc}, {"rscd", &SasFields::rscd}, {"rsce", &SasFields::rsce},
    {"rscl", &SasFields::rscl}, {"rsct", &SasFields::rsct},
};

struct Present {
  std::array<bool, std::size(kSignedSlots)> signed_{};
  bool comp = false, restype = false, snapshot = false, versionid = false, deletetype = false;
};

Parsed parse(std::string_view raw) {
  Parsed p;
  Present seen;
  auto note_dup = [&](std::string& slot, const std::string& name) {
    if (slot.empty()) slot = name;
  };
  for (auto& q : parse_query(raw)) {
    const std::string name = to_lower(q.name);  // parameter names are case-insensitive
    bool done = false;
    for (size_t i = 0; i < std::size(kSignedSlots); ++i) {
      if (name != kSignedSlots[i].name) continue;
      if (seen.signed_[i]) note_dup(p.duplicate, name);
      seen.signed_[i] = true;
      p.f.*(kSignedSlots[i].field) = std::move(q.value);
      done = true;
      break;
    }
    if (done) continue;
    if (name == "sig") {
      if (p.has_sig) note_dup(p.duplicate, name);
      p.has_sig = true;
      p.sig = std::move(q.value);
      continue;
    }
    for (auto ud : kUserDelegationParams) {
      if (name == ud) p.user_delegation = true;
    }
    auto op_param = [&](std::string_view want, bool& flag, std::string& out) {
      if (name != want) return;
      if (flag) note_dup(p.ambiguous, name);
      flag = true;
      out = std::move(q.value);
    };
    op_param("comp", seen.comp, p.comp);
    op_param("restype", seen.restype, p.restype);
    op_param("snapshot", seen.snapshot, p.snapshot);
    op_param("versionid", seen.versionid, p.versionid);
    op_param("deletetype", seen.deletetype, p.deletetype);
  }
  p.has_versionid = seen.versionid;
  return p;
}

bool letters_subset(std::string_view s, std::string_view allowed) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (allowed.find(s[i]) == std::string_view::npos) return false;
    if (s.find(s[i], i + 1) != std::string_view::npos) return false;
  }
  return true;
}

// directory_prefix returns the first `depth` '/'-separated segments of `blob`.
std::string_view directory_prefix(std::string_view blob, size_t depth) {
  size_t pos = 0;
  for (size_t seg = 0; seg < depth; ++seg) {
    const size_t slash = blob.find('/', pos);
    if (slash == std::string_view::npos) return blob;
    if (seg + 1 == depth) return blob.substr(0, slash);
    pos = slash + 1;
  }
  return blob;
}

const SasStoredPolicy* find_policy(std::span<const SasStoredPolicy> policies,
                                   std::string_view account, std::string_view container,
                                   std::string_view id) {
  for (const auto& p : policies) {
    if (p.account == account && p.container == container && p.id == id) return &p;
  }
  return nullptr;
}

std::string time_frame(Ticks st, Ticks se, Ticks now) {
  return "Signature not valid in the specified time frame: Start [" + format_rfc1123(st) +
         "] - Expiry [" + format_rfc1123(se) + "] - Current [" + format_rfc1123(now) + "]";
}

}  // namespace

std::string_view name(TokenKind k) {
  switch (k) {
    case TokenKind::None:
      return "none";
    case TokenKind::Account:
      return "account";
    case TokenKind::Service:
      return "service";
    case TokenKind::UserDelegation:
      return "user_delegation";
  }
  return "none";
}

std::string_view Verdict::reason() const {
  if (allow) return cors_preflight ? "cors_preflight" : "allowed";
  return info(code).label;
}

Verdict verify(const Request& req, const SasAccount& account, SasUrlStyle style,
               std::span<const SasStoredPolicy> policies) {
  Verdict v;
  auto deny = [&v](Errc e, std::string detail, std::string auth_detail = {}) {
    v.allow = false;
    v.code = e;
    v.detail = std::move(detail);
    v.auth_detail = std::move(auth_detail);
    return std::move(v);
  };

  // 0. Secure transfer is checked before authentication (SAS-SPEC §6).
  if (req.scheme != "https" && account.secure_transfer_required) {
    return deny(Errc::HttpNotAllowed, "plain HTTP to account '" + account.name +
                                          "', which requires secure transfer (HTTPS)");
  }
  if (req.method == "OPTIONS" && req.cors_preflight) {
    v.allow = true;
    v.cors_preflight = true;
    return v;
  }

  // 1. Query decoding.
  Parsed p = parse(req.query);
  v.fields = p.f;
  const SasFields& f = p.f;
  const bool account_kind = !f.ss.empty() || !f.srt.empty();
  const bool service_kind = !f.sr.empty();
  v.kind = p.user_delegation ? TokenKind::UserDelegation
           : account_kind    ? TokenKind::Account
           : service_kind    ? TokenKind::Service
                             : TokenKind::None;
  if (!p.duplicate.empty()) {
    return deny(Errc::DuplicateParameter, "parameter '" + p.duplicate + "' given more than once",
                std::string(kMalformed));
  }

  // 2. Credentials present.
  if (req.has_authorization) {
    return deny(Errc::AuthorizationHeader,
                "the request carries an Authorization header; this route accepts only SAS");
  }
  if (!p.has_sig || p.sig.empty()) {
    const bool any = account_kind || service_kind || !f.sv.empty() || !f.sp.empty();
    return deny(Errc::NoSignature,
                any ? "the SAS has no sig (or an empty one)"
                    : "the request carries no shared access signature",
                mandatory("sig"));
  }

  // 3. Kind.
  if (p.user_delegation) {
    return deny(Errc::UnsupportedKind,
                "user-delegation SAS (sk* parameters) is not accepted: the gateway holds no "
                "delegation keys",
                std::string(kMalformed));
  }
  if (account_kind && service_kind) {
    return deny(Errc::Malformed, "both ss/srt (account SAS) and sr (service SAS) are present",
                std::string(kMalformed));
  }
  if (!account_kind && !service_kind) {
    return deny(Errc::Malformed, "neither ss/srt (account SAS) nor sr (service SAS) is present",
                std::string(kMalformed));
  }

  // 4. Well-formedness.
  if (f.sv.empty()) return deny(Errc::MissingField, "sv is missing", mandatory("sv"));
  if (!is_version_syntax(f.sv)) {
    return deny(Errc::Malformed, "sv is not a YYYY-MM-DD version", std::string(kMalformed));
  }
  if (f.sv < kOldestVersion || f.sv > kNewestVersion) {
    return deny(Errc::UnsupportedVersion,
                "sv " + f.sv + " is outside the versions this gateway verifies (" +
                    std::string(kOldestVersion) + " to " + std::string(kNewestVersion) + ")",
                std::string(kMalformed));
  }
  for (const auto& slot : kSignedSlots) {
    if (!is_valid_utf8(f.*(slot.field))) {
      return deny(Errc::Malformed, std::string(slot.name) + " is not valid UTF-8",
                  std::string(kMalformed));
    }
  }
  std::string why;
  if (account_kind) {
    for (auto [fname, val] : {std::pair<std::string_view, const std::string*>{"ss", &f.ss},
                              {"srt", &f.srt},
                              {"sp", &f.sp},
                              {"se", &f.se}}) {
      if (val->empty()) {
        return deny(Errc::MissingField, std::string(fname) + " is missing", mandatory(fname));
      }
    }
    if (!letters_subset(f.ss, "bfqt")) {
      return deny(Errc::Malformed, "ss must be letters of 'bfqt', none repeated",
                  std::string(kMalformed));
    }
    if (!letters_subset(f.srt, "sco")) {
      return deny(Errc::Malformed, "srt must be letters of 'sco', none repeated",
                  std::string(kMalformed));
    }
    if (!check_account_permissions(f.sp, why)) {
      return deny(Errc::Malformed, why, std::string(kMalformed));
    }
    for (auto [fname, val] : {std::pair<std::string_view, const std::string*>{"si", &f.si},
                              {"sdd", &f.sdd},
                              {"rscc", &f.rscc},
                              {"rscd", &f.rscd},
                              {"rsce", &f.rsce},
                              {"rscl", &f.rscl},
                              {"rsct", &f.rsct}}) {
      if (!val->empty()) {
        return deny(Errc::Malformed,
                    std::string(fname) + " is a service SAS field; an account SAS does not sign it",
                    std::string(kMalformed));
      }
    }
  } else {
    const std::string& sr = f.sr;
    if (sr != "b" && sr != "c" && sr != "bs" && sr != "bv" && sr != "d") {
      return deny(Errc::Malformed, "sr must be b, c, bs, bv or d", std::string(kMalformed));
    }
    if ((sr == "bs" || sr == "bv") && f.sv < "2018-11-09") {
      return deny(Errc::Malformed, "sr=" + sr + " needs sv 2018-11-09 or later",
                  std::string(kMalformed));
    }
    if (sr == "d") {
      const auto depth = parse_u64(f.sdd);
      if (f.sv < "2020-02-10" || !depth || *depth < 1 || *depth > 1024) {
        return deny(Errc::Malformed, "sr=d needs sv 2020-02-10 or later and sdd from 1 to 1024",
                    std::string(kMalformed));
      }
    } else if (!f.sdd.empty()) {
      return deny(Errc::Malformed, "sdd is only meaningful with sr=d", std::string(kMalformed));
    }
    if (!check_service_permissions(f.sp, why)) {
      return deny(Errc::Malformed, why, std::string(kMalformed));
    }
    if (f.si.size() > 64) {
      return deny(Errc::Malformed, "si is longer than 64 characters", std::string(kMalformed));
    }
  }
  if (!f.spr.empty() && f.spr != "https" && f.spr != "https,http") {
    return deny(Errc::Malformed, "spr must be 'https' or 'https,http'", std::string(kMalformed));
  }
  std::optional<IpRange> sip;
  if (!f.sip.empty()) {
    sip = parse_sip(f.sip);
    if (!sip) {
      return deny(Errc::Malformed, "sip is not an IPv4 address or an IPv4 range lo-hi",
                  std::string(kMalformed));
    }
  }
  std::optional<Ticks> st, se;
  if (!f.st.empty() && !(st = parse_time(f.st))) {
    return deny(Errc::Malformed, "st is not an ISO-8601 time Azure accepts",
                std::string(kMalformed));
  }
  if (!f.se.empty() && !(se = parse_time(f.se))) {
    return deny(Errc::Malformed, "se is not an ISO-8601 time Azure accepts",
                std::string(kMalformed));
  }
  if (!f.ses.empty() && f.sv < "2020-12-06") {
    return deny(Errc::Malformed, "ses needs sv 2020-12-06 or later", std::string(kMalformed));
  }
  if (!p.ambiguous.empty()) {
    return deny(Errc::OperationNotAllowed,
                "request parameter '" + p.ambiguous + "' given more than once");
  }

  // The URL names the resource; the service signs what the URL says.
  auto res = map_url(style, account.name, req.path, p.restype);
  if (!res) {
    return deny(Errc::InvalidUri,
                "the path does not name a storage resource (bad escape, control byte, invalid "
                "UTF-8 or empty name)");
  }
  v.resource = *res;
  if (res->account != account.name) {
    return deny(Errc::UnknownAccount,
                "account '" + res->account + "' in the path is not the route's account '" +
                    account.name + "'",
                "Signature did not match.");
  }

  // 5. Stored access policy.
  std::string_view sp_eff = f.sp;
  if (!f.si.empty()) {
    const SasStoredPolicy* pol = find_policy(policies, account.name, res->container, f.si);
    if (pol == nullptr) {
      return deny(
          Errc::UnknownPolicy,
          "si '" + f.si + "' names no stored access policy of container '" + res->container + "'",
          "Signature did not match. Stored access policy not found.");
    }
    if (pol->permissions && !f.sp.empty()) {
      return deny(Errc::PolicyConflict,
                  "sp is set by both the SAS and stored policy '" + f.si + "'",
                  std::string(kMalformed));
    }
    if (pol->start && !f.st.empty()) {
      return deny(Errc::PolicyConflict,
                  "st is set by both the SAS and stored policy '" + f.si + "'",
                  std::string(kMalformed));
    }
    if (pol->expiry && !f.se.empty()) {
      return deny(Errc::PolicyConflict,
                  "se is set by both the SAS and stored policy '" + f.si + "'",
                  std::string(kMalformed));
    }
    if (pol->permissions) sp_eff = *pol->permissions;
    if (pol->start_ticks) st = *pol->start_ticks;
    if (pol->expiry_ticks) se = *pol->expiry_ticks;
  }
  if (sp_eff.empty()) return deny(Errc::MissingField, "sp is missing", mandatory("sp"));
  if (!se) return deny(Errc::MissingField, "se is missing", mandatory("se"));

  // 6. Signature.
  if (account_kind) {
    v.string_to_sign = account_string_to_sign(account.name, f);
  } else {
    std::string_view blob;
    if (f.sr == "b" || f.sr == "bs" || f.sr == "bv") blob = res->blob;
    if (f.sr == "d") blob = directory_prefix(res->blob, *parse_u64(f.sdd));
    std::string_view snapshot_time;
    if (f.sr == "bs") snapshot_time = p.snapshot;
    if (f.sr == "bv") snapshot_time = p.versionid;
    v.string_to_sign = service_string_to_sign(
        canonical_resource(account.name, res->container, blob), snapshot_time, f);
  }
  bool any_key = false;
  bool match = false;
  for (const auto& k : account.keys) {
    if (k.secret.empty()) continue;
    any_key = true;
    const std::string mac = compute_signature(k.secret, v.string_to_sign);
    // Both keys are always tried: the time taken does not tell which key matched.
    if (constant_time_equal(as_bytes(mac), as_bytes(p.sig))) match = true;
  }
  if (!any_key) {
    return deny(Errc::UnknownAccount, "no key is loaded for account '" + account.name + "'",
                "Signature did not match.");
  }
  if (!match) {
    return deny(Errc::SignatureMismatch,
                "signature does not match the string-to-sign under key1 or key2",
                "Signature did not match. String to sign used was " + v.string_to_sign);
  }

  // 7. Time window.
  const Ticks start = st ? *st : req.now;
  v.start = start;
  v.expiry = *se;
  if (*se < start) {
    return deny(Errc::ExpiryBeforeStart, "se is before st",
                "Signed expiry time [" + format_rfc1123(*se) +
                    "] has to be after signed start time [" + format_rfc1123(start) + "]");
  }
  if (req.now < start) {
    return deny(Errc::NotYetValid, "the SAS is not valid yet (st is in the future)",
                time_frame(start, *se, req.now));
  }
  if (req.now > *se) {
    return deny(Errc::Expired, "the SAS has expired", time_frame(start, *se, req.now));
  }

  // 8. Source IP.
  if (sip) {
    const auto client = client_ipv4(req.client_ip);
    if (!client || !sip->contains(*client)) {
      return deny(Errc::IpMismatch,
                  "client " + std::string(req.client_ip) + " is outside sip " + f.sip);
    }
  }

  // 9. Protocol.
  if (f.spr == "https" && req.scheme != "https") {
    return deny(Errc::ProtocolMismatch, "spr=https but the request came over plain HTTP");
  }

  // 10 and 11. Service, resource type, permission.
  if (account_kind && f.ss.find('b') == std::string::npos) {
    return deny(Errc::ServiceMismatch, "ss=" + f.ss + " does not include the blob service (b)");
  }
  RequestShape shape;
  shape.method = req.method;
  shape.level = res->level;
  shape.comp = p.comp;
  shape.restype = p.restype;
  shape.has_copy_source = req.has_copy_source;
  shape.lease_action = req.lease_action;
  shape.has_version_id = p.has_versionid;
  shape.permanent_delete = iequals(p.deletetype, "permanent");
  const Operation* op = classify(shape);
  if (op == nullptr) {
    return deny(Errc::OperationNotAllowed, "the gateway does not recognise this request (" +
                                               std::string(req.method) + " at the " +
                                               (res->level == Level::Service     ? "service"
                                                : res->level == Level::Container ? "container"
                                                                                 : "blob") +
                                               " level, comp=" + p.comp + ", restype=" + p.restype +
                                               ")");
  }
  v.operation = op->name;
  if (op->sas_forbidden) {
    return deny(Errc::OperationNotAllowed,
                std::string(op->name) + " cannot be performed with a SAS through the gateway");
  }
  if (account_kind) {
    if (op->account_perms != "*" && f.srt.find(level_letter(op->level)) == std::string::npos) {
      return deny(Errc::ResourceTypeMismatch, std::string(op->name) + " needs srt to include '" +
                                                  level_letter(op->level) + "' (srt=" + f.srt +
                                                  ")");
    }
    if (!permits(sp_eff, op->account_perms)) {
      return deny(Errc::PermissionMismatch, std::string(op->name) + " needs one of sp '" +
                                                std::string(op->account_perms) +
                                                "' (sp=" + std::string(sp_eff) + ")");
    }
  } else {
    if (op->service_perms.empty()) {
      return deny(Errc::PermissionMismatch,
                  std::string(op->name) + " cannot be performed with a service SAS");
    }
    if (!permits(sp_eff, op->service_perms)) {
      return deny(Errc::PermissionMismatch, std::string(op->name) + " needs one of sp '" +
                                                std::string(op->service_perms) +
                                                "' (sp=" + std::string(sp_eff) + ")");
    }
  }
  v.allow = true;
  return v;
}

}  // namespace intransit::policy::sas
