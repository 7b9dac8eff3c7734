// Drafts and cross-field validation. Internal to policy_core.
//
// The loader parses each mapping into a draft: the model struct being built plus the marks
// of its keys. Cross-field rules (unique names and addresses, references between routes,
// backends and listeners, TLS consistency, "this policy could never serve anything") then
// run over the drafts and still point at the exact YAML node they complain about. Only a
// policy without errors becomes an immutable Policy.
#pragma once

#include <vector>

#include "policy/model.h"
#include "policy/yaml_ctx.h"

namespace intransit::policy::detail {

struct CertDraft {
  CertificateSpec v;
  KeyMarks km;
};

struct TlsDraft {
  TlsPolicy v;
  KeyMarks km;
  std::vector<CertDraft> certs;
};

struct SmbDraft {
  SmbPolicy v;
  KeyMarks km;
};

struct ListenerDraft {
  Listener v;
  KeyMarks km;
  SmbDraft smb;  // meaningful when km.has("smb")
  TlsDraft tls;  // meaningful when km.has("tls")
};

struct BackendDraft {
  Backend v;
  KeyMarks km;
};

struct RouteDraft {
  Route v;
  KeyMarks km;
  std::vector<Mark> listener_marks;  // one per entry of v.listeners
};

struct Http2LimitsDraft {
  Http2Limits v;
  KeyMarks km;
};

struct LimitsDraft {
  Limits v;
  KeyMarks km;
};

struct PolicyDraft {
  Policy v;
  KeyMarks km;
  LimitsDraft limits;
  std::vector<ListenerDraft> listeners;
  std::vector<BackendDraft> backends;
  std::vector<RouteDraft> routes;
};

// validate applies the cross-field rules to a parsed draft, reporting through `ctx`, and
// resolves Route::backend_index.
void validate(Ctx& ctx, PolicyDraft& d);

// finish moves a draft without errors into an immutable Policy and builds its route table.
PolicyPtr finish(PolicyDraft&& d, std::string source);

}  // namespace intransit::policy::detail
