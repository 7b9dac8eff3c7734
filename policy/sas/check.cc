#include "policy/sas/check.h"

#include <span>

namespace intransit::policy::sas {

namespace {

constexpr size_t kMaxLogValue = 64;

std::string cut(std::string_view s) {
  if (s.size() <= kMaxLogValue) return std::string(s);
  return std::string(s.substr(0, kMaxLogValue)) + "...";
}

std::string replace_all(std::string s, std::string_view what, std::string_view with) {
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size())) {
    s.replace(pos, what.size(), with);
  }
  return s;
}

}  // namespace

Decision to_decision(const Verdict& v, std::string_view account, std::string_view method,
                     std::string_view client_ip, Ticks now, std::string_view request_id) {
  Decision d;
  d.allow = v.allow;
  d.reason = v.reason();
  d.operation = v.operation;
  auto& lf = d.log_fields;
  lf.emplace_back("reason", std::string(d.reason));
  lf.emplace_back("account", cut(account));
  if (!v.operation.empty()) lf.emplace_back("operation", std::string(v.operation));
  if (!v.resource.container.empty()) lf.emplace_back("container", cut(v.resource.container));
  lf.emplace_back("sas_kind", std::string(name(v.kind)));
  const SasFields& f = v.fields;
  for (auto [k, val] : {std::pair<std::string_view, const std::string*>{"sv", &f.sv},
                        {"ss", &f.ss},
                        {"srt", &f.srt},
                        {"sr", &f.sr},
                        {"sp", &f.sp},
                        {"st", &f.st},
                        {"se", &f.se},
                        {"sip", &f.sip},
                        {"spr", &f.spr},
                        {"si", &f.si},
                        {"ses", &f.ses},
                        {"sdd", &f.sdd}}) {
    if (!val->empty()) lf.emplace_back(k, cut(*val));
  }
  if (v.allow) return d;

  const ErrorInfo e = info(v.code);
  d.detail = v.detail;
  lf.emplace_back("detail", cut(v.detail.substr(0, 200)));
  d.status = e.status;
  d.error_code = e.code;
  std::string message(e.message);
  if (v.code == Errc::IpMismatch) message = replace_all(message, "{SourceIP}", client_ip);
  d.reason_phrase = message;
  ErrorBody b;
  b.code = e.code;
  b.message = message;
  b.request_id = std::string(request_id);
  b.time = format_iso8601(now);
  if (e.code == "AuthenticationFailed") b.auth_detail = v.auth_detail;
  if (v.code == Errc::HttpNotAllowed) b.account_name = std::string(account);
  d.fields.push_back({"content-type", "application/xml"});
  d.fields.push_back({"x-ms-error-code", std::string(e.code)});
  if (!request_id.empty()) d.fields.push_back({"x-ms-request-id", std::string(request_id)});
  if (method != "HEAD") d.body = error_xml(b);
  return d;
}

Decision decide(const Policy& policy, const Route& route, const http::RequestHead& head,
                std::string_view client_ip, Ticks now, std::string_view request_id) {
  if (!route.sas) {
    Decision d;
    d.allow = true;
    d.reason = "not_required";
    return d;
  }
  const RouteSas& rs = *route.sas;
  const SasAccount* account = rs.account_index < policy.sas.accounts.size()
                                  ? &policy.sas.accounts[rs.account_index]
                                  : nullptr;
  if (account == nullptr || account->name != rs.account)
    account = policy.sas.find_account(rs.account);
  static const SasAccount kNoAccount{};
  Request r;
  r.method = head.method;
  r.scheme = head.scheme;
  r.path = head.path;
  r.query = head.query;
  r.client_ip = client_ip;
  r.now = now;
  r.has_authorization = http::find(head.fields, "authorization") != nullptr;
  r.has_copy_source = http::find(head.fields, "x-ms-copy-source") != nullptr;
  if (const auto* la = http::find(head.fields, "x-ms-lease-action")) r.lease_action = la->value;
  r.cors_preflight = http::find(head.fields, "origin") != nullptr &&
                     http::find(head.fields, "access-control-request-method") != nullptr;
  const SasAccount& acct = account ? *account : kNoAccount;
  const Verdict v =
      verify(r, acct, rs.style, std::span<const SasStoredPolicy>(policy.sas.stored_policies));
  Decision d = to_decision(v, rs.account, head.method, client_ip, now, request_id);
  d.close = !d.allow && head.has_body();
  return d;
}

Decision check_request(const Policy& policy, const Route& route, const http::RequestHead& head,
                       std::string_view client_ip, int64_t now_unix, std::string_view request_id) {
  return decide(policy, route, head, client_ip, ticks_from_unix(now_unix), request_id);
}

}  // namespace intransit::policy::sas
