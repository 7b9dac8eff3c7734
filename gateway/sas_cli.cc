#include "gateway/sas_cli.h"

#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/text.h"
#include "gateway/http/request_head.h"
#include "policy/load.h"
#include "policy/router.h"
#include "policy/sas/check.h"
#include "policy/sas/keys.h"
#include "policy/sas/signer.h"
#include "policy/sas/time.h"

namespace intransit::gateway {
namespace {

namespace sas = policy::sas;

constexpr std::string_view kUsage =
    "usage:\n"
    "  intransit sas sign --account NAME --key-file FILE --permissions LETTERS --expiry TIME\n"
    "         account SAS: --services bfqt --resource-types sco\n"
    "         service SAS: --container NAME [--blob NAME] [--resource b|c|bs|bv|d]\n"
    "                      [--snapshot TIME | --version-id ID] [--identifier ID]\n"
    "                      [--cache-control V] [--content-disposition V] [--content-encoding V]\n"
    "                      [--content-language V] [--content-type V]\n"
    "         common:      [--start TIME] [--ip A[-B]] [--protocol https|https,http]\n"
    "                      [--version YYYY-MM-DD] [--encryption-scope NAME]\n"
    "                      [--print-string-to-sign]\n"
    "         TIME is ISO-8601 (2027-01-01T00:00:00Z) or relative to now (+30m, -15m, +2h, +7d)\n"
    "  intransit sas verify --policy FILE --url URL --method METHOD --client-ip IP\n"
    "         [--now TIME|UNIX_SECONDS] [--scheme https|http] [--listener NAME]\n"
    "         [--header 'Name: value']...\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "intransit sas: %s\n%s", msg.c_str(), kUsage.data());
  return 2;
}

// Args is a flag list: --name value pairs and boolean --flags.
struct Args {
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::string> flags;
  std::string error;

  std::string get(std::string_view name) const {
    for (const auto& [k, v] : values) {
      if (k == name) return v;
    }
    return {};
  }
  bool has(std::string_view name) const {
    for (const auto& [k, v] : values) {
      if (k == name) return true;
    }
    for (const auto& f : flags) {
      if (f == name) return true;
    }
    return false;
  }
};

Args parse(int argc, char** argv, int first, std::initializer_list<std::string_view> value_names,
           std::initializer_list<std::string_view> flag_names) {
  Args a;
  for (int i = first; i < argc; ++i) {
    const std::string_view arg = argv[i];
    bool known = false;
    for (auto n : flag_names) {
      if (arg == n) {
        a.flags.emplace_back(arg);
        known = true;
      }
    }
    if (known) continue;
    for (auto n : value_names) {
      if (arg == n) {
        if (i + 1 >= argc) {
          a.error = "missing value after " + std::string(arg);
          return a;
        }
        if (n != "--header" && a.has(n)) {
          a.error = std::string(arg) + " given twice";
          return a;
        }
        a.values.emplace_back(std::string(arg), argv[++i]);
        known = true;
        break;
      }
    }
    if (!known) {
      a.error = "unknown argument '" + std::string(arg) + "'";
      return a;
    }
  }
  return a;
}

int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

// parse_when reads an ISO-8601 time, or +N/-N with s, m, h or d relative to now. It returns
// the time as the token will carry it (ISO-8601 as given, or yyyy-mm-ddThh:mm:ssZ).
std::optional<std::string> parse_when(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s[0] == '+' || s[0] == '-') {
    if (s.size() < 3) return std::nullopt;
    const auto n = parse_u64(std::string_view(s).substr(1, s.size() - 2));
    if (!n || *n > 100ull * 365 * 86'400) return std::nullopt;
    int64_t mult = 0;
    switch (s.back()) {
      case 's':
        mult = 1;
        break;
      case 'm':
        mult = 60;
        break;
      case 'h':
        mult = 3600;
        break;
      case 'd':
        mult = 86'400;
        break;
      default:
        return std::nullopt;
    }
    const int64_t delta = static_cast<int64_t>(*n) * mult * (s[0] == '-' ? -1 : 1);
    return sas::format_iso8601(sas::ticks_from_unix(now_unix() + delta), /*fraction=*/false);
  }
  if (!sas::parse_time(s)) return std::nullopt;
  return s;
}

int cmd_sign(int argc, char** argv) {
  const Args a = parse(argc, argv, 2,
                       {"--account",
                        "--key-file",
                        "--permissions",
                        "--expiry",
                        "--start",
                        "--services",
                        "--resource-types",
                        "--container",
                        "--blob",
                        "--resource",
                        "--snapshot",
                        "--version-id",
                        "--identifier",
                        "--cache-control",
                        "--content-disposition",
                        "--content-encoding",
                        "--content-language",
                        "--content-type",
                        "--ip",
                        "--protocol",
                        "--version",
                        "--encryption-scope",
                        "--directory-depth"},
                       {"--print-string-to-sign"});
  if (!a.error.empty()) return usage_error(a.error);
  const std::string account = a.get("--account");
  const std::string key_file = a.get("--key-file");
  if (account.empty() || key_file.empty())
    return usage_error("--account and --key-file are required");
  const bool account_sas = a.has("--services") || a.has("--resource-types");
  const bool service_sas = a.has("--container");
  if (account_sas == service_sas) {
    return usage_error(
        "give --services and --resource-types (account SAS) or --container (service SAS)");
  }
  auto key = sas::read_key_file(key_file);
  if (!key) {
    std::fprintf(stderr, "intransit sas: %s\n", key.error().detail.c_str());
    return 2;
  }
  sas::SasFields f;
  f.sv = a.has("--version") ? a.get("--version") : std::string(sas::kNewestVersion);
  f.sp = a.get("--permissions");
  for (auto [flag, out] :
       {std::pair<std::string_view, std::string*>{"--start", &f.st}, {"--expiry", &f.se}}) {
    if (!a.has(flag)) continue;
    auto t = parse_when(a.get(flag));
    if (!t) return usage_error(std::string(flag) + ": not an ISO-8601 time or +N[smhd]");
    *out = *t;
  }
  f.sip = a.get("--ip");
  f.spr = a.get("--protocol");
  f.ses = a.get("--encryption-scope");
  Result<sas::SignedToken> t = fail("sas", "");
  if (account_sas) {
    f.ss = a.get("--services");
    f.srt = a.get("--resource-types");
    t = sas::sign_account(account, *key, f);
  } else {
    const std::string container = a.get("--container");
    const std::string blob = a.get("--blob");
    std::string snapshot = a.get("--snapshot");
    if (a.has("--version-id")) snapshot = a.get("--version-id");
    f.sr = a.has("--resource")     ? a.get("--resource")
           : blob.empty()          ? "c"
           : a.has("--snapshot")   ? "bs"
           : a.has("--version-id") ? "bv"
                                   : "b";
    f.si = a.get("--identifier");
    f.rscc = a.get("--cache-control");
    f.rscd = a.get("--content-disposition");
    f.rsce = a.get("--content-encoding");
    f.rscl = a.get("--content-language");
    f.rsct = a.get("--content-type");
    std::string signed_blob = blob;
    if (f.sr == "d") {
      // A directory SAS signs the directory path; sdd is its depth (SAS-SPEC §3).
      while (!signed_blob.empty() && signed_blob.front() == '/') signed_blob.erase(0, 1);
      while (!signed_blob.empty() && signed_blob.back() == '/') signed_blob.pop_back();
      size_t depth = signed_blob.empty() ? 0 : 1;
      for (char c : signed_blob) depth += c == '/';
      f.sdd = std::to_string(depth);
    }
    t = sas::sign_service(account, *key, container, signed_blob, snapshot, f);
  }
  if (!t) {
    std::fprintf(stderr, "intransit sas: %s\n", t.error().detail.c_str());
    return 2;
  }
  if (a.has("--print-string-to-sign")) {
    std::string shown;
    for (char c : t->string_to_sign) shown += c == '\n' ? std::string("\\n") : std::string(1, c);
    std::fprintf(stderr, "string-to-sign: %s\n", shown.c_str());
  }
  std::printf("%s\n", t->query.c_str());
  return 0;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

// split_url splits "scheme://authority/path?query" (a fragment is dropped).
bool split_url(std::string_view url, http::RequestHead& h) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return false;
  h.scheme = to_lower(url.substr(0, sep));
  if (h.scheme != "https" && h.scheme != "http") return false;
  url.remove_prefix(sep + 3);
  if (const size_t hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const size_t slash = url.find_first_of("/?");
  h.authority = to_lower(url.substr(0, slash));
  if (h.authority.empty()) return false;
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  const size_t q = rest.find('?');
  h.path = std::string(rest.substr(0, q));
  if (h.path.empty()) h.path = "/";
  if (q != std::string_view::npos) {
    h.query = std::string(rest.substr(q + 1));
    h.has_query = true;
  }
  return true;
}

int cmd_verify(int argc, char** argv) {
  const Args a = parse(argc, argv, 2,
                       {"--policy", "--url", "--method", "--client-ip", "--now", "--scheme",
                        "--listener", "--header", "--request-id"},
                       {});
  if (!a.error.empty()) return usage_error(a.error);
  for (auto req : {"--policy", "--url", "--method", "--client-ip"}) {
    if (a.get(req).empty()) return usage_error(std::string(req) + " is required");
  }
  http::RequestHead h;
  if (!split_url(a.get("--url"), h)) {
    return usage_error("--url must be an absolute http:// or https:// URL");
  }
  h.method = a.get("--method");
  for (char& c : h.method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  if (a.has("--scheme")) {
    h.scheme = to_lower(a.get("--scheme"));
    if (h.scheme != "https" && h.scheme != "http")
      return usage_error("--scheme must be https or http");
  }
  for (const auto& [k, v] : a.values) {
    if (k != "--header") continue;
    const size_t colon = v.find(':');
    if (colon == std::string::npos || colon == 0)
      return usage_error("--header needs 'Name: value'");
    h.fields.push_back({to_lower(v.substr(0, colon)), std::string(trim_ows(v.substr(colon + 1)))});
  }
  sas::Ticks now = sas::ticks_from_unix(now_unix());
  if (a.has("--now")) {
    const std::string t = a.get("--now");
    if (auto secs = parse_u64(t)) {
      now = sas::ticks_from_unix(static_cast<int64_t>(*secs));
    } else if (auto iso = sas::parse_time(t)) {
      now = *iso;
    } else {
      return usage_error("--now must be ISO-8601 or seconds since the epoch");
    }
  }
  auto loaded = policy::load_file(a.get("--policy"));
  if (!loaded) {
    for (const auto& e : loaded.error()) std::fprintf(stderr, "%s\n", policy::format(e).c_str());
    return 2;
  }
  const policy::Policy& pol = **loaded;
  std::string listener = a.get("--listener");
  if (listener.empty()) {
    for (const auto& l : pol.listeners) {
      if (l.kind == policy::ListenerKind::Https) {
        listener = l.name;
        break;
      }
    }
  }
  const policy::Route* route = policy::route(pol, listener, h.host(), h.path);
  if (route == nullptr) {
    std::printf(
        "{\"allow\":false,\"status\":404,\"code\":\"NoRoute\",\"reason\":\"no_route\","
        "\"detail\":%s}\n",
        json_string("no route of listener '" + listener + "' for this host and path").c_str());
    return 1;
  }
  const sas::Decision d =
      sas::decide(pol, *route, h, a.get("--client-ip"), now, a.get("--request-id"));
  std::string out;
  if (d.allow) {
    out = "{\"allow\":true,\"reason\":" + json_string(d.reason);
  } else {
    out = "{\"allow\":false,\"status\":" + std::to_string(d.status) +
          ",\"code\":" + json_string(d.error_code) + ",\"reason\":" + json_string(d.reason);
  }
  if (!d.operation.empty()) out += ",\"operation\":" + json_string(d.operation);
  if (!d.allow) out += ",\"detail\":" + json_string(d.detail);
  out += "}";
  std::printf("%s\n", out.c_str());
  return d.allow ? 0 : 1;
}

}  // namespace

int sas_main(int argc, char** argv) {
  if (argc < 2) return usage_error("missing subcommand (sign or verify)");
  const std::string_view sub = argv[1];
  if (sub == "sign") return cmd_sign(argc, argv);
  if (sub == "verify") return cmd_verify(argc, argv);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage.data(), stdout);
    return 0;
  }
  return usage_error("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace intransit::gateway
