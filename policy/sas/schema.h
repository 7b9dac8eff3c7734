// The policy file's SAS schema (policy/README.md, "sas"): the top-level `sas:` section
// (accounts, stored access policies) and a route's `sas:` mapping, as field tables for the
// loader, plus their cross-field rules. Internal to policy_core (used by load.cc).
#pragma once

#include <optional>

#include "policy/model.h"
#include "policy/validate.h"
#include "policy/yaml_ctx.h"

namespace intransit::policy::sas {

// parse_sas_section reads the top-level `sas:` mapping into `out`.
void parse_sas_section(detail::Ctx& c, const YAML::Node& n, SasPolicy& out);

// parse_route_sas reads a route's `sas:` mapping into `out`.
void parse_route_sas(detail::Ctx& c, const YAML::Node& n, std::optional<RouteSas>& out);

// validate_sas applies the cross-field rules: unique account names; stored policies name a
// known account, are unique per (account, container, id) and at most 5 per container (as
// Azure allows); routes name a known account (resolving RouteSas::account_index); a
// path-style route's path_prefix is "/" or starts with "/<account>".
void validate_sas(detail::Ctx& c, detail::PolicyDraft& d);

}  // namespace intransit::policy::sas
