#include "policy/sas/schema.h"

#include "policy/sas/permissions.h"
#include "policy/sas/time.h"

namespace intransit::policy::sas {

namespace {

using detail::Choice;
using detail::Ctx;
using detail::Field;
using detail::quote;
using Node = YAML::Node;

// kMaxPoliciesPerContainer is Azure's limit of signed identifiers per container.
constexpr size_t kMaxPoliciesPerContainer = 5;

bool account_name_ok(std::string_view s) {
  if (s.size() < 3 || s.size() > 24) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return false;
  }
  return true;
}

bool container_name_ok(std::string_view s) {
  if (s == "$root" || s == "$logs" || s == "$web") return true;
  if (s.size() < 3 || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
    if (ch == '-' && i > 0 && s[i - 1] == '-') return false;
  }
  return true;
}

void account_name_value(Ctx& c, const Node& n, std::string& out, Mark& mark) {
  auto s = c.string(n);
  if (!s) return;
  if (!account_name_ok(*s)) {
    c.error(c.mark(n), quote(*s) + " is not a storage account name",
            "use 3 to 24 lowercase letters and digits");
    return;
  }
  out = std::move(*s);
  mark = c.mark(n);
}

void key_value(Ctx& c, const Node& n, SasAccount& a, size_t index) {
  auto s = c.string(n);
  if (!s) return;
  if (a.keys.size() <= index) a.keys.resize(index + 1);
  a.keys[index].file = std::move(*s);
  a.keys[index].mark = c.mark(n);
}

void time_value(Ctx& c, const Node& n, std::optional<std::string>& raw,
                std::optional<int64_t>& ticks) {
  auto s = c.string(n);
  if (!s) return;
  auto t = parse_time(*s);
  if (!t) {
    c.error(c.mark(n), quote(*s) + " is not an ISO-8601 time",
            "write e.g. \"2027-01-01T00:00:00Z\" (quoted)");
    return;
  }
  raw = std::move(*s);
  ticks = *t;
}

constexpr Field<SasAccount> kAccountFields[] = {
    {"name", true,
     [](Ctx& c, const Node& n, SasAccount& a) { account_name_value(c, n, a.name, a.name_mark); }},
    {"key1", true, [](Ctx& c, const Node& n, SasAccount& a) { key_value(c, n, a, 0); }},
    {"key2", false, [](Ctx& c, const Node& n, SasAccount& a) { key_value(c, n, a, 1); }},
    {"secure_transfer_required", false,
     [](Ctx& c, const Node& n, SasAccount& a) {
       if (auto v = c.boolean(n)) a.secure_transfer_required = *v;
     }},
};

constexpr Field<SasStoredPolicy> kStoredPolicyFields[] = {
    {"account", true,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) {
       account_name_value(c, n, p.account, p.account_mark);
     }},
    {"container", true,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) {
       auto s = c.string(n);
       if (!s) return;
       if (!container_name_ok(*s)) {
         c.error(c.mark(n), quote(*s) + " is not a container name",
                 "use 3 to 63 of a-z, 0-9 and single '-', or $root");
         return;
       }
       p.container = std::move(*s);
     }},
    {"id", true,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) {
       auto s = c.string(n);
       if (!s) return;
       if (s->size() > 64) {
         c.error(c.mark(n), quote(*s) + " is longer than 64 characters (Azure's limit for si)");
         return;
       }
       p.id = std::move(*s);
       p.id_mark = c.mark(n);
     }},
    {"permissions", false,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) {
       auto s = c.string(n);
       if (!s) return;
       std::string why;
       if (!check_service_permissions(*s, why)) {
         c.error(c.mark(n), quote(*s) + ": " + why,
                 "letters of racwdxltmeop in that order, plus y, f, i");
         return;
       }
       p.permissions = std::move(*s);
     }},
    {"start", false,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) { time_value(c, n, p.start, p.start_ticks); }},
    {"expiry", false,
     [](Ctx& c, const Node& n, SasStoredPolicy& p) { time_value(c, n, p.expiry, p.expiry_ticks); }},
};

constexpr Field<SasPolicy> kSasFields[] = {
    {"accounts", true,
     [](Ctx& c, const Node& n, SasPolicy& s) {
       c.seq(n, [&](const Node& item, size_t) {
         SasAccount& a = s.accounts.emplace_back();
         a.mark = c.mark(item);
         c.map(item, kAccountFields, a);
       });
     }},
    {"stored_policies", false,
     [](Ctx& c, const Node& n, SasPolicy& s) {
       c.seq(
           n,
           [&](const Node& item, size_t) {
             SasStoredPolicy& p = s.stored_policies.emplace_back();
             p.mark = c.mark(item);
             c.map(item, kStoredPolicyFields, p);
             if (p.start_ticks && p.expiry_ticks && *p.expiry_ticks < *p.start_ticks) {
               c.error(p.mark,
                       "expiry " + quote(*p.expiry) + " is before start " + quote(*p.start));
             }
           },
           /*allow_empty=*/true);
     }},
};

constexpr Choice<SasUrlStyle> kStyles[] = {
    {"path", SasUrlStyle::Path},
    {"host", SasUrlStyle::Host},
};

constexpr Field<RouteSas> kRouteSasFields[] = {
    {"account", true,
     [](Ctx& c, const Node& n, RouteSas& r) {
       account_name_value(c, n, r.account, r.account_mark);
     }},
    {"style", false,
     [](Ctx& c, const Node& n, RouteSas& r) {
       if (auto v = c.choice(n, kStyles)) r.style = *v;
     }},
};

}  // namespace

void parse_sas_section(Ctx& c, const Node& n, SasPolicy& out) {
  c.map(n, kSasFields, out);
}

void parse_route_sas(Ctx& c, const Node& n, std::optional<RouteSas>& out) {
  RouteSas r;
  r.mark = c.mark(n);
  c.map(n, kRouteSasFields, r);
  out = std::move(r);
}

void validate_sas(Ctx& c, detail::PolicyDraft& d) {
  SasPolicy& sp = d.v.sas;
  for (size_t i = 0; i < sp.accounts.size(); ++i) {
    const auto& a = sp.accounts[i];
    if (a.name.empty()) continue;
    for (size_t j = 0; j < i; ++j) {
      if (sp.accounts[j].name == a.name) {
        c.error_at(a.name_mark, "sas.accounts[" + std::to_string(i) + "].name",
                   "account " + quote(a.name) + " is defined twice (first at line " +
                       std::to_string(sp.accounts[j].name_mark.line) + ")");
        break;
      }
    }
  }
  for (size_t i = 0; i < sp.stored_policies.size(); ++i) {
    const auto& p = sp.stored_policies[i];
    const std::string path = "sas.stored_policies[" + std::to_string(i) + "]";
    if (p.account.empty() || p.container.empty() || p.id.empty()) continue;
    if (sp.find_account(p.account) == nullptr) {
      c.error_at(p.account_mark, path + ".account",
                 "account " + quote(p.account) + " is not in sas.accounts");
    }
    size_t same_container = 0;
    for (size_t j = 0; j < i; ++j) {
      const auto& q = sp.stored_policies[j];
      if (q.account != p.account || q.container != p.container) continue;
      ++same_container;
      if (q.id == p.id) {
        c.error_at(p.id_mark, path + ".id",
                   "stored policy " + quote(p.id) + " of container " + quote(p.container) +
                       " is defined twice (first at line " + std::to_string(q.id_mark.line) + ")");
      }
    }
    if (same_container == kMaxPoliciesPerContainer) {
      c.error_at(p.mark, path,
                 "container " + quote(p.container) + " has more than " +
                     std::to_string(kMaxPoliciesPerContainer) +
                     " stored access policies (Azure's limit)");
    }
  }
  for (size_t i = 0; i < d.routes.size(); ++i) {
    auto& r = d.routes[i];
    if (!r.v.sas || r.v.sas->account.empty()) continue;
    RouteSas& rs = *r.v.sas;
    const std::string path = "routes[" + std::to_string(i) + "].sas";
    bool found = false;
    for (size_t k = 0; k < sp.accounts.size(); ++k) {
      if (sp.accounts[k].name == rs.account) {
        rs.account_index = k;
        found = true;
      }
    }
    if (!found) {
      c.error_at(rs.account_mark, path + ".account",
                 "account " + quote(rs.account) + " is not in sas.accounts",
                 "add it under sas.accounts with its key files");
      continue;
    }
    if (rs.style == SasUrlStyle::Path && r.km.usable("path_prefix")) {
      const std::string& pre = r.v.path_prefix;
      const std::string want = "/" + rs.account;
      const bool ok = pre == "/" || pre == want || pre.starts_with(want + "/");
      if (!ok) {
        c.error_at(r.km.value("path_prefix"), r.km.path_of("path_prefix"),
                   quote(pre) + " cannot hold path-style URLs of account " + quote(rs.account),
                   "use path_prefix: " + want + " (or style: host)");
      }
    }
  }
}

}  // namespace intransit::policy::sas
