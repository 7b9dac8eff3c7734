#include "gateway/demo_backend.h"

#include <openssl/sha.h>

#include <string>

#include "gateway/base/byte_queue.h"
#include "gateway/base/log.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/parser.h"
#include "gateway/http1/serializer.h"

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

}  // namespace

class DemoBackend::Conn final : public uv::StreamEvents {
 public:
  Conn(DemoBackend& owner, std::unique_ptr<uv::TcpStream> s)
      : owner_(owner), stream_(std::move(s)), parser_(http1::ParserLimits{}) {
    stream_->set_events(this);
    stream_->start_reading();
  }

  void on_read(BytesView data) override {
    in_.append(data);
    process();
  }
  void on_eof() override { owner_.remove(this); }
  void on_error(int) override { owner_.remove(this); }

 private:
  void process() {
    while (!in_.empty() && !closing_) {
      const BytesView chunk = in_.front();
      if (!req_) {
        auto r = parser_.feed(chunk);
        if (std::holds_alternative<NeedMore>(r)) {
          in_.consume(chunk.size());
          continue;
        }
        if (auto* e = std::get_if<ParseError<http1::Errc>>(&r)) {
          const auto ref = http1::refusal(e->code);
          return respond(ref.status, "text/plain", std::string(ref.body), true);
        }
        auto& p = std::get<Parsed<http::RequestHead>>(r);
        in_.consume(p.consumed);
        req_ = std::move(p.value);
        body_ = http1::BodyReader(http1::request_framing(*req_));
        body_bytes_ = 0;
        SHA256_Init(&sha_);
        if (!req_->has_body()) {
          finish();
        }
        continue;
      }
      auto step = body_.feed(chunk);
      if (step.error) return respond(400, "text/plain", "bad request body\n", true);
      body_bytes_ += step.data.size();
      SHA256_Update(&sha_, step.data.data(), step.data.size());
      in_.consume(step.consumed);
      if (step.done) {
        finish();
        continue;
      }
      if (step.consumed == 0) break;
    }
  }

  void finish() {
    const http::RequestHead& r = *req_;
    const bool close = !r.keep_alive;
    if (r.path == "/echo") {
      uint8_t digest[SHA256_DIGEST_LENGTH];
      SHA256_Final(digest, &sha_);
      std::string json = "{\"method\":\"" + json_escape(r.method) + "\",\"path\":\"" +
                         json_escape(r.path) + "\",\"body_bytes\":" + std::to_string(body_bytes_) +
                         ",\"sha256\":\"" + to_hex(digest) + "\"}\n";
      respond(200, "application/json", json, close);
    } else if (r.path == "/" && (r.method == "GET" || r.method == "HEAD")) {
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
      respond(200, "text/html; charset=utf-8", page, close, r.method == "HEAD");
    } else {
      respond(404, "text/plain", "not found\n", close);
    }
    req_.reset();
    parser_.reset();
  }

  void respond(uint16_t status, std::string_view type, const std::string& body, bool close,
               bool head_only = false) {
    http::ResponseHead h;
    h.status = status;
    h.reason = std::string(http::status_reason(status));
    h.fields.push_back({"content-type", std::string(type)});
    h.content_length = body.size();
    h.keep_alive = !close;
    (void)http1::write_response(h, http1::BodyFraming::of_length(body.size()),
                                http::Version::Http11, stream_->out());
    if (!head_only) stream_->out().append(as_bytes(body));
    stream_->flush();
    if (close) {
      closing_ = true;
      stream_->set_events(nullptr);
      uv::TcpStream::linger_close(std::move(stream_), 1000);
      owner_.remove(this);
    }
  }

  DemoBackend& owner_;
  std::unique_ptr<uv::TcpStream> stream_;
  ByteQueue in_;
  http1::RequestParser parser_;
  std::optional<http::RequestHead> req_;
  http1::BodyReader body_{http1::BodyFraming::none()};
  uint64_t body_bytes_ = 0;
  SHA256_CTX sha_{};
  bool closing_ = false;

 public:
  std::list<std::unique_ptr<Conn>>::iterator pos;
};

Result<std::unique_ptr<DemoBackend>> DemoBackend::start(uv_loop_t* loop,
                                                        const policy::Backend& backend) {
  std::unique_ptr<DemoBackend> d(new DemoBackend());
  d->loop_ = loop;
  DemoBackend* raw = d.get();
  auto l = uv::TcpListener::bind(loop, backend.address.host, backend.address.port, 128,
                                 [raw](uv_stream_t* server) {
                                   auto s = uv::TcpStream::accept(server, nullptr);
                                   if (!s) return;
                                   raw->dead_.clear();
                                   raw->conns_.push_back(
                                       std::make_unique<Conn>(*raw, std::move(*s)));
                                   raw->conns_.back()->pos = std::prev(raw->conns_.end());
                                 });
  if (!l) return unexpected(std::move(l).error());
  d->listener_ = std::move(*l);
  log::info("demo", "listening").kv("backend", backend.name).kv("address",
                                                                backend.address.to_string());
  return d;
}

void DemoBackend::remove(Conn* c) {
  // Called from inside c's callbacks: delete later (next accept or close).
  for (auto it = conns_.begin(); it != conns_.end(); ++it) {
    if (it->get() == c) {
      dead_.push_back(std::move(*it));
      conns_.erase(it);
      return;
    }
  }
}

void DemoBackend::close() {
  if (listener_) listener_->close();
  listener_.reset();
  conns_.clear();
  dead_.clear();
}

DemoBackend::~DemoBackend() { close(); }

}  // namespace intransit::gateway
