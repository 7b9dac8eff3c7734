#include "gateway/demo_backend.h"

#include <openssl/sha.h>

#include <cstdio>
#include <string>

#include "gateway/base/log.h"

namespace intransit::gateway {
namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

class DemoHandler final : public LocalHandler {
 public:
  void begin(const http::RequestHead&) override { SHA256_Init(&sha_); }

  void body(BytesView data) override {
    bytes_ += data.size();
    SHA256_Update(&sha_, data.data(), data.size());
  }

  LocalResponse end(const http::RequestHead& r) override {
    if (r.path == "/echo") {
      uint8_t digest[SHA256_DIGEST_LENGTH];
      SHA256_Final(digest, &sha_);
      return {200, "application/json",
              "{\"method\":\"" + json_escape(r.method) + "\",\"path\":\"" + json_escape(r.path) +
                  "\",\"body_bytes\":" + std::to_string(bytes_) + ",\"sha256\":\"" +
                  to_hex(digest) + "\"}\n",
              {}};
    }
    if (r.path == "/" && (r.method == "GET" || r.method == "HEAD")) {
      std::string page =
          "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>intransit</title></head>\n"
          "<body>\n<h1>intransit is serving</h1>\n"
          "<p>This page comes from the demo backend, through the gateway's TLS door and "
          "reverse proxy.</p>\n<table>\n";
      auto row = [&](std::string_view k, std::string_view v) {
        page += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
      };
      row("method", r.method);
      row("path", r.target());
      row("host", r.authority);
      for (std::string_view name : {"x-forwarded-for", "x-forwarded-proto", "forwarded"}) {
        if (const auto* f = http::find(r.fields, name)) row(name, f->value);
      }
      page += "</table>\n</body></html>\n";
      return {200, "text/html; charset=utf-8", std::move(page), {}};
    }
    return {404, "text/plain; charset=utf-8", "not found\n", {}};
  }

 private:
  SHA256_CTX sha_{};
  uint64_t bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<LocalServer>> start_demo_backend(uv_loop_t* loop,
                                                        const policy::Backend& backend) {
  auto srv = LocalServer::start(loop, backend.address.host, backend.address.port, "demo",
                                [] { return std::make_unique<DemoHandler>(); });
  if (srv) {
    log::info("demo", "listening")
        .kv("backend", backend.name)
        .kv("address", backend.address.to_string());
  }
  return srv;
}

}  // namespace intransit::gateway
