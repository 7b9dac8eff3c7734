#include "gateway/http/field_rules.h"

#include <span>
#include <string>
#include <vector>

#include "gateway/base/text.h"

namespace intransit::http {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_reg_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  uint32_t v = 0;
  for (char c : p) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v <= 65535;
}

// Calls `f(element)` for each non-empty, OWS-trimmed element of a comma list
// (RFC 9110 §5.6.1); stops early when f returns true and then returns true.
template <class F>
bool any_element(std::string_view list, F f) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view el = trim_ows(list.substr(0, comma));
    if (!el.empty() && f(el)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// Names compared after lowercasing and mapping "_" to "-".
bool same_name_folded(std::string_view name, std::string_view lname) {
  if (name.size() != lname.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = ascii_lower(name[i]);
    if (c == '_') c = '-';
    if (c != lname[i]) return false;
  }
  return true;
}

constexpr std::string_view kRequestHopByHop[] = {
    "connection",     "keep-alive",         "proxy-connection", "te",
    "trailer",        "transfer-encoding",  "upgrade",          "http2-settings",
    "content-length", "proxy-authorization"};

// Fields we set ourselves; an underscore spelling of them is dropped too.
constexpr std::string_view kRequestOwned[] = {"host", "x-forwarded-for", "x-forwarded-proto",
                                              "x-forwarded-host", "forwarded"};

constexpr std::string_view kResponseHopByHop[] = {
    "connection",     "keep-alive",        "proxy-connection", "te",
    "trailer",        "transfer-encoding", "upgrade",          "http2-settings",
    "content-length", "proxy-authenticate"};

bool in_list(std::string_view lname, std::span<const std::string_view> list) {
  for (std::string_view n : list) {
    if (lname == n) return true;
  }
  return false;
}

bool named_by_connection(const Fields& fields, std::string_view name) {
  for (const Field& f : fields) {
    if (f.name != "connection") continue;
    if (any_element(f.value, [&](std::string_view el) { return iequals(el, name); })) {
      return true;
    }
  }
  return false;
}

// Joins the values of every field named `lname` with ", " and removes those fields.
std::string take_joined(Fields& fields, std::string_view lname) {
  std::string joined;
  std::erase_if(fields, [&](const Field& f) {
    if (f.name != lname) return false;
    if (!f.value.empty()) {
      if (!joined.empty()) joined.append(", ");
      joined.append(f.value);
    }
    return true;
  });
  return joined;
}

// Removes fields[i] for every drop[i], keeping the order of the others.
void remove_marked(Fields& fields, const std::vector<bool>& drop) {
  size_t out = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (drop[i]) continue;
    if (out != i) fields[out] = std::move(fields[i]);
    ++out;
  }
  fields.resize(out);
}

bool is_ipv6(std::string_view ip) {
  return ip.find(':') != std::string_view::npos;
}

std::string_view strip_brackets(std::string_view ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') return ip.substr(1, ip.size() - 2);
  return ip;
}

// RFC 7239 §4: value = token / quoted-string.
void append_forwarded_value(std::string& out, std::string_view v) {
  if (is_token(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool is_field_value(std::string_view s) {
  if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t'))
    return false;
  for (char c : s) {
    if (!is_field_vchar(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool is_valid_authority(std::string_view a) {
  if (a.empty()) return false;
  std::string_view rest;
  if (a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos || close < 3) return false;  // "[::]" is the shortest
    const std::string_view ip = a.substr(1, close - 1);
    bool colon = false;
    for (char c : ip) {
      if (c == ':') {
        colon = true;
      } else if (!is_hex(c) && c != '.') {
        return false;
      }
    }
    if (!colon) return false;
    rest = a.substr(close + 1);
  } else {
    const size_t colon = a.find(':');
    const std::string_view host = a.substr(0, colon);
    if (host.empty()) return false;
    for (char c : host) {
      if (!is_reg_name_char(c)) return false;
    }
    rest = colon == std::string_view::npos ? std::string_view() : a.substr(colon);
  }
  if (rest.empty()) return true;
  return rest.front() == ':' && valid_port(rest.substr(1));
}

void prepare_backend_request(RequestHead& head, std::string_view client_ip,
                             std::string_view scheme) {
  Fields& fields = head.fields;
  // Decide every removal against the fields as received, then remove in one pass.
  std::vector<bool> drop(fields.size(), false);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view n = fields[i].name;
    bool d = in_list(n, kRequestHopByHop) || named_by_connection(fields, n);
    if (!d && n.find('_') != std::string_view::npos) {
      for (std::string_view h : kRequestHopByHop) d = d || same_name_folded(n, h);
      for (std::string_view h : kRequestOwned) d = d || same_name_folded(n, h);
    }
    drop[i] = d;
  }
  remove_marked(fields, drop);

  const std::string_view ip = strip_brackets(client_ip);

  std::string xff = take_joined(fields, "x-forwarded-for");
  if (!xff.empty()) xff.append(", ");
  xff.append(ip.empty() ? std::string_view("unknown") : ip);
  fields.push_back({"x-forwarded-for", std::move(xff)});

  take_joined(fields, "x-forwarded-proto");
  fields.push_back({"x-forwarded-proto", std::string(scheme)});

  std::string fwd = take_joined(fields, "forwarded");
  if (!fwd.empty()) fwd.append(", ");
  fwd.append("for=");
  if (ip.empty()) {
    fwd.append("unknown");
  } else if (is_ipv6(ip)) {
    fwd.append("\"[").append(ip).append("]\"");
  } else {
    append_forwarded_value(fwd, ip);
  }
  if (!scheme.empty()) {
    fwd.append(";proto=");
    append_forwarded_value(fwd, scheme);
  }
  if (!head.authority.empty()) {
    fwd.append(";host=");
    append_forwarded_value(fwd, head.authority);
  }
  fields.push_back({"forwarded", std::move(fwd)});
}

void prepare_client_response(ResponseHead& head) {
  Fields& fields = head.fields;
  std::vector<bool> drop(fields.size(), false);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view n = fields[i].name;
    drop[i] = in_list(n, kResponseHopByHop) || named_by_connection(fields, n);
  }
  remove_marked(fields, drop);
}

}  // namespace intransit::http
