#include "gateway/access_log.h"

#include "gateway/base/time_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace intransit::gateway {
namespace {

constexpr size_t kFlushBytes = 64 * 1024;
constexpr uint64_t kFlushMs = 200;

void json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void field(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(',');
  json_string(out, key);
  out.push_back(':');
  json_string(out, value);
}

void number(std::string& out, std::string_view key, double v, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  out.push_back(',');
  json_string(out, key);
  out.push_back(':');
  out += buf;
}

struct WriteJob {
  uv_work_t req;
  std::shared_ptr<AccessSink> sink;
  std::string data;
};

}  // namespace

Result<std::shared_ptr<AccessSink>> AccessSink::open(const std::string& path) {
  std::shared_ptr<AccessSink> s(new AccessSink());
  if (path == "-") {
    s->fd_ = STDOUT_FILENO;
    return s;
  }
  s->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (s->fd_ < 0) return fail("access_log_open", path + ": " + std::strerror(errno));
  s->owned_ = true;
  return s;
}

AccessSink::~AccessSink() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

void AccessSink::write(std::string_view data) {
  std::lock_guard lock(mu_);
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk loses log lines, never requests
    data.remove_prefix(static_cast<size_t>(n));
  }
}

Result<std::unique_ptr<AccessLog>> AccessLog::make(uv_loop_t* loop,
                                                   std::shared_ptr<AccessSink> sink) {
  std::unique_ptr<AccessLog> a(new AccessLog());
  a->loop_ = loop;
  a->sink_ = std::move(sink);
  auto t = uv::Timer::make(loop);
  if (!t) return unexpected(std::move(t).error());
  a->timer_ = std::move(*t);
  a->buf_.reserve(kFlushBytes + 1024);
  return a;
}

AccessLog::~AccessLog() { close(); }

void AccessLog::format(const AccessRecord& r, int64_t unix_ms, std::string& out) {
  out += "{\"time\":\"";
  append_utc_ms(unix_ms, out);
  out += "\"";
  field(out, "listener", r.listener);
  field(out, "client_ip", r.client_ip);
  field(out, "protocol", r.protocol);
  field(out, "method", r.method);
  field(out, "host", r.host);
  field(out, "path", r.path);
  out += ",\"status\":" + std::to_string(r.status);
  out += ",\"bytes_in\":" + std::to_string(r.bytes_in);
  out += ",\"bytes_out\":" + std::to_string(r.bytes_out);
  number(out, "duration_s", r.duration_s, "%.6f");
  if (r.backend_s >= 0) number(out, "backend_s", r.backend_s, "%.6f");
  if (!r.route.empty()) field(out, "route", r.route);
  if (!r.backend.empty()) field(out, "backend", r.backend);
  if (!r.tls_version.empty()) field(out, "tls_version", r.tls_version);
  if (!r.tls_cipher.empty()) field(out, "tls_cipher", r.tls_cipher);
  if (!r.refusal.empty()) field(out, "refusal", r.refusal);
  if (!r.sas.empty()) field(out, "sas", r.sas);
  if (!r.sas_reason.empty()) field(out, "sas_reason", r.sas_reason);
  out += "}\n";
}

void AccessLog::record(const AccessRecord& r) {
  format(r, now_unix_ms(), buf_);
  if (buf_.size() >= kFlushBytes) return flush();
  if (!timer_armed_) {
    timer_armed_ = true;
    timer_.arm<AccessLog, &AccessLog::on_timer>(this, kFlushMs);
  }
}

void AccessLog::on_timer() {
  timer_armed_ = false;
  flush();
}

void AccessLog::flush() {
  if (buf_.empty()) return;
  auto* job = new WriteJob{};
  job->req.data = job;
  job->sink = sink_;
  job->data.swap(buf_);
  buf_.reserve(kFlushBytes + 1024);
  const int rc = uv_queue_work(
      loop_, &job->req,
      [](uv_work_t* w) {
        auto* j = static_cast<WriteJob*>(w->data);
        j->sink->write(j->data);
      },
      [](uv_work_t* w, int) { delete static_cast<WriteJob*>(w->data); });
  if (rc < 0) {
    sink_->write(job->data);  // no thread pool: write here rather than lose the lines
    delete job;
  }
}

void AccessLog::close() {
  if (sink_ && !buf_.empty()) {
    sink_->write(buf_);
    buf_.clear();
  }
  timer_.close();
  timer_armed_ = false;
}

}  // namespace intransit::gateway
