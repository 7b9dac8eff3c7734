#include "gateway/conn/admission.h"

#include "policy/https_only.h"
#include "policy/router.h"
#include "policy/sas/check.h"

namespace intransit::gateway {
namespace {

Admission refuse_text(uint16_t status, std::string_view label, std::string_view body,
                      bool close) {
  Admission a;
  a.status = status;
  a.label = label;
  a.body = std::string(body);
  a.fields.push_back({"content-type", "text/plain; charset=utf-8"});
  a.close = close;
  return a;
}

}  // namespace

Admission admit(const policy::Policy& policy, const policy::Listener& listener, bool tls,
                const http::RequestHead& head, std::string_view client_ip, int64_t now_unix) {
  if (!tls) {
    // The plain-HTTP door lets nothing through: refuse or redirect, then close.
    auto pr = policy::plain_http_response(listener, head);
    Admission a;
    a.status = pr.head.status;
    a.label = pr.label;
    a.body = std::move(pr.body);
    a.fields = std::move(pr.head.fields);
    a.close = true;
    return a;
  }
  Admission a;
  a.route = policy::route(policy, listener.name, head.host(), head.path);
  if (!a.route) return refuse_text(404, "no_route", "no route for this host and path\n", false);
  if (a.route->max_body_bytes > 0 && head.content_length &&
      *head.content_length > a.route->max_body_bytes) {
    return refuse_text(413, "body_too_large", "request body larger than this route allows\n",
                       true);
  }
  if (a.route->sas) {
    auto d = policy::sas::check_request(policy, *a.route, head, client_ip, now_unix);
    a.sas = d.allow ? "allow" : "deny";
    a.sas_reason = d.reason;
    if (!d.allow) {
      a.route = nullptr;
      a.status = d.status;
      a.label = d.reason;
      a.body = std::move(d.body);
      a.fields = std::move(d.fields);
      a.close = d.close;
      a.log_fields = std::move(d.log_fields);
    }
  }
  return a;
}

}  // namespace intransit::gateway
