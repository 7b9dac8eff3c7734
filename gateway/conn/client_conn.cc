#include "gateway/conn/client_conn.h"

#include <algorithm>

#include "gateway/access_log.h"
#include "gateway/base/log.h"
#include "gateway/base/time_format.h"
#include "gateway/conn/admission.h"
#include "gateway/http/field_rules.h"
#include "gateway/http1/serializer.h"

namespace intransit::gateway {
namespace {

// Plaintext waiting to be parsed above this size stops reading from the client.
constexpr size_t kInputHighWater = 64 * 1024;
// How long a closing connection keeps reading (and discarding) so its last response is not
// destroyed by a TCP reset.
constexpr uint64_t kLingerMs = 2000;

bool req_is_head(const http::RequestHead& r) {
  return r.method == "HEAD";
}

constexpr std::string_view kPlainHttpOnTlsPort =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 59\r\n"
    "Connection: close\r\n"
    "\r\n"
    "HTTPS is required: a plain HTTP request reached a TLS port\n";

}  // namespace

void ClientConn::accept(Worker& worker, size_t listener_index, uv_stream_t* server) {
  auto s = uv::TcpStream::accept(server, nullptr);
  if (!s) {
    log::warn("listener", "accept_failed").kv("error", s.error().message());
    return;
  }
  std::unique_ptr<ClientConn> c(new ClientConn(worker, listener_index, std::move(*s)));
  ClientConn* raw = c.get();
  if (!raw->timer_) return;  // out of memory for a timer: the stream closes with c
  worker.adopt(std::move(c));
  raw->client_->set_events(raw);
  raw->client_->start_reading();
  raw->arm(raw->tls_ ? Wait::Handshake : Wait::Idle);
}

ClientConn::ClientConn(Worker& worker, size_t listener_index, std::unique_ptr<uv::TcpStream> stream)
    : worker_(worker),
      gen_(worker.generation()),
      listener_(&gen_->snapshot->policy->listeners[listener_index]),
      limits_(&gen_->snapshot->policy->limits),
      metrics_(metrics::ListenerMetrics::of(listener_->name)),
      client_(std::move(stream)),
      peer_ip_(client_->peer_ip()),
      parser_(http1::ParserLimits{limits_->max_head_bytes, limits_->max_header_count}) {
  if (const auto& ctx = gen_->snapshot->tls[listener_index]) {
    tls_ = std::make_unique<tls::Session>(ctx);
    phase_ = Phase::Handshake;
  }
  if (auto t = uv::Timer::make(worker_.loop())) timer_ = std::move(*t);
  client_->set_flusher(worker_.flusher());
  metrics_.accepted.Increment();
  metrics_.active.Increment();
}

ClientConn::~ClientConn() {
  metrics_.active.Decrement();
  release_backend();
}

// ---- input ---------------------------------------------------------------------------------

void ClientConn::on_read(BytesView data) {
  metrics_.bytes_in.Increment(static_cast<double>(data.size()));
  if (tls_) {
    tls_->feed(data);
    return drive_tls();
  }
  in_.append(data);
  process();
}

void ClientConn::drive_tls() {
  if (phase_ == Phase::Handshake) {
    const auto st = tls_->advance();
    if (st == tls::State::Failed) {
      const std::string_view reason = tls_->failure_reason();
      metrics_.handshake_failure(reason);
      log::info("https", "handshake_failed")
          .kv("listener", listener_->name)
          .kv("peer", client_->peer_ip())
          .kv("reason", reason);
      if (tls_->failure().kind == tls::Failure::PlainHttp) {
        metrics_.refusal("plain_http_on_tls_port");
        client_->out().append(as_bytes(kPlainHttpOnTlsPort));
        return close_gracefully();
      }
      flush_tls();  // the alert
      return close_gracefully();
    }
    flush_tls();
    if (st == tls::State::Handshaking) return;
    const auto& info = tls_->info();
    metrics_.handshake(info.version, info.cipher, info.group, info.resumed);
    phase_ = Phase::Idle;
    arm(Wait::Idle);
    if (info.alpn == tls::Alpn::H2) {
      start_h2();
      if (phase_ == Phase::Closing) return;
    }
  }
  // Decrypt everything available; input is bounded by one socket read per call.
  tls_->read_into(in_);
  {
    const auto st = tls_->state();
    if (st == tls::State::Closed) {
      flush_tls();
      process();
      if (phase_ == Phase::Closing) return;
      return on_eof();
    }
    if (st == tls::State::Failed) {
      log::info("https", "tls_error")
          .kv("listener", listener_->name)
          .kv("peer", client_->peer_ip())
          .kv("reason", tls_->failure_reason());
      metrics_.refusal("tls_error");
      flush_tls();
      return close_now();
    }
  }
  flush_tls();
  process();
}

void ClientConn::process() {
  for (;;) {
    switch (phase_) {
      case Phase::Handshake:
      case Phase::Closing:
        return;
      case Phase::Idle:
      case Phase::Head: {
        if (in_.empty()) {
          if (phase_ == Phase::Idle && draining_) return close_gracefully();
          return update_reading();
        }
        if (phase_ == Phase::Idle) {
          phase_ = Phase::Head;
          arm(Wait::Head);  // the head timeout covers the whole head from its first byte
        }
        const BytesView chunk = in_.front();
        auto r = parser_.feed(chunk);
        if (std::holds_alternative<NeedMore>(r)) {
          in_.consume(chunk.size());
          continue;
        }
        if (auto* e = std::get_if<ParseError<http1::Errc>>(&r)) return refuse(e->code);
        auto& p = std::get<Parsed<http::RequestHead>>(r);
        in_.consume(p.consumed);
        start_exchange(std::move(p.value));
        continue;
      }
      case Phase::Exchange:
        return pump_request_body();
      case Phase::H2:
        return h2_->on_input(in_);
    }
  }
}

void ClientConn::start_h2() {
  const auto& l = *limits_;
  http2::Limits h2;
  h2.max_header_list_bytes = l.max_head_bytes;
  h2.max_header_count = l.max_header_count;
  h2.max_concurrent_streams = l.http2.max_concurrent_streams;
  h2.max_streams_per_connection = l.http2.max_streams_per_connection;
  h2.stream_window_bytes = l.http2.stream_window_bytes;
  h2.connection_window_bytes = l.http2.connection_window_bytes;
  h2.reset_burst = l.http2.reset_burst;
  h2.reset_rate_per_s = l.http2.reset_rate_per_s;
  h2.max_continuations = l.http2.max_continuations;
  h2.max_settings = l.http2.max_settings;
  h2.max_outbound_ack = l.http2.max_outbound_ack;
  h2.header_table_bytes = l.http2.header_table_bytes;
  phase_ = Phase::H2;
  h2_ = std::make_unique<H2Conn>(*this, h2);
  if (!h2_->ok()) close_now();
}

void ClientConn::after_h2_flush(bool dead, bool active) {
  if (phase_ == Phase::Closing) return;
  if (dead) return close_gracefully();
  if (client_pending() > kOutputHighWater) {
    if (wait_ != Wait::Send) arm(Wait::Send);
    return update_reading();
  }
  if (!active) {
    if (draining_) return close_gracefully();
    if (wait_ != Wait::Idle) arm(Wait::Idle);
  } else if (wait_ == Wait::Idle || wait_ == Wait::Send) {
    timer_.stop();
    wait_ = Wait::None;
  }
  update_reading();
}

void ClientConn::update_reading() {
  if (!client_) return;
  bool want = in_.size() < kInputHighWater && !eof_;
  if (phase_ == Phase::Exchange && ex_ && !ex_->body_done && ex_->backend &&
      (!ex_->backend->connected() || ex_->backend->pending() > upstream::BackendConn::kHighWater)) {
    want = false;  // the backend is not taking request body: let TCP push back on the client
  }
  if (phase_ == Phase::H2 && client_->pending() > kOutputHighWater) want = false;
  if (phase_ == Phase::Closing) want = false;
  if (want) {
    client_->start_reading();
  } else {
    client_->stop_reading();
  }
}

void ClientConn::start_exchange(http::RequestHead&& head) {
  ++requests_;
  head.scheme = tls_ ? "https" : "http";
  ex_.emplace();
  ex_->stats.start_ns = uv_hrtime();
  ex_->req = std::move(head);
  http::RequestHead& req = ex_->req;
  phase_ = Phase::Exchange;
  timer_.stop();
  wait_ = Wait::None;
  if (!req.keep_alive || draining_) close_after_ = true;

  ex_->body_done = !req.has_body();  // before any refusal: a refused body-less request keeps the
                                     // connection
  auto a = admit(*gen_->snapshot->policy, *listener_, tls_ != nullptr, req, peer_ip_,
                 now_unix_ms() / 1000);
  ex_->stats.sas = a.sas;
  ex_->stats.sas_reason = a.sas_reason;
  if (!a.sas.empty()) metrics::SasMetrics::decision(a.sas == "allow", a.sas_reason);
  if (!a.allowed()) {
    metrics_.refusal(a.label);
    auto line = log::info(tls_ ? "https" : "http", "refused");
    line.kv("listener", listener_->name)
        .kv("peer", peer_ip_)
        .kv("status", static_cast<unsigned>(a.status))
        .kv("reason", a.label)
        .kv("host", req.authority)
        .kv("path", req.path);
    for (const auto& [k, v] : a.log_fields) line.kv(k, v);
    return respond_simple(a.status, a.label, a.body, a.close || req.has_body(), "",
                          std::move(a.fields), /*logged=*/true);
  }
  ex_->route = a.route;
  ex_->body = http1::BodyReader(http1::request_framing(req));
  connect_backend();
}

void ClientConn::connect_backend() {
  auto& pool = gen_->pools.get(ex_->route->backend_index);
  ex_->backend = pool.acquire(this, ex_->req.method);
  if (ex_->backend) ex_->backend_reused = ex_->backend->reused();
  if (!ex_->backend) {
    const auto info = upstream::describe(upstream::BackendFailure::PoolExhausted);
    metrics_.refusal(info.label);
    log::warn("https", "backend_unavailable")
        .kv("listener", listener_->name)
        .kv("backend", ex_->route->backend)
        .kv("reason", info.label);
    return respond_simple(info.status, info.label, std::string(info.what) + "\n", !ex_->body_done);
  }
  write_request_head();
}

void ClientConn::write_request_head() {
  http::RequestHead& fwd = ex_->req;  // rewritten in place, once (a retry sends it again)
  if (!ex_->prepared) {
    ex_->prepared = true;
    http::prepare_backend_request(fwd, peer_ip_, "https");
    // The gateway answers Expect: 100-continue itself when it starts reading the body.
    std::erase_if(fwd.fields, [](const http::Field& f) { return f.name == "expect"; });
  }
  http1::BodyFraming framing = http1::BodyFraming::none();
  if (ex_->req.chunked) {
    framing = http1::BodyFraming::chunked();
    ex_->request_chunked_out = true;
  } else if (ex_->req.content_length) {
    framing = http1::BodyFraming::of_length(*ex_->req.content_length);
  }
  if (auto r = http1::write_request(fwd, framing, ex_->backend->out()); !r) {
    release_backend();
    return refuse(r.error());
  }
  ex_->stats.backend_sent_ns = uv_hrtime();
  ex_->backend->flush();
  if (ex_->body_done) ex_->backend->request_sent();
}

void ClientConn::pump_request_body() {
  if (!ex_ || ex_->body_done) return update_reading();
  upstream::BackendConn* b = ex_->backend;
  if (!b || !b->connected() || b->pending() > upstream::BackendConn::kHighWater) {
    return update_reading();  // on_backend_writable calls back
  }
  if (ex_->req.expect_continue && !ex_->sent_continue && !ex_->response_started) {
    ex_->sent_continue = true;
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    send(as_bytes(k100));
  }
  bool progressed = false;
  while (!in_.empty() && !ex_->body_done) {
    const BytesView chunk = in_.front();
    auto step = ex_->body.feed(chunk);
    if (step.error) {
      metrics_.refusal(http1::refusal(*step.error).label);
      log::info("https", "bad_request_body")
          .kv("listener", listener_->name)
          .kv("peer", client_->peer_ip())
          .kv("reason", http1::refusal(*step.error).label);
      if (ex_->response_started) return close_now();
      release_backend();
      return refuse(*step.error);
    }
    if (!step.data.empty()) {
      const BytesView piece = step.data;
      ex_->body_bytes += piece.size();
      ex_->stats.bytes_in += piece.size();
      if (ex_->route->max_body_bytes > 0 && ex_->body_bytes > ex_->route->max_body_bytes) {
        metrics_.refusal("body_too_large");
        if (ex_->response_started) return close_now();
        release_backend();
        return respond_simple(413, "body_too_large", "request body larger than this route allows\n",
                              true);
      }
      if (ex_->request_chunked_out) {
        http1::ChunkedEncoder::write_chunk(piece, b->out());
      } else {
        b->out().append(piece);
      }
    }
    in_.consume(step.consumed);
    progressed = progressed || step.consumed > 0;
    if (step.done) {
      ex_->body_done = true;
      if (ex_->request_chunked_out) http1::ChunkedEncoder::write_last_chunk(b->out());
      break;
    }
    if (step.consumed == 0) break;
    if (b->pending() > upstream::BackendConn::kHighWater) break;
  }
  if (progressed || ex_->body_done) b->flush();
  if (ex_->body_done) {
    b->request_sent();
    timer_.stop();
    wait_ = Wait::None;
  } else {
    const uint64_t now = uv_hrtime();
    if (progressed) progress_ns_ = now;
    if (wait_ != Wait::Body) {
      // Body checks: the longest pause between body bytes, and the rate over each window.
      progress_ns_ = now;
      window_start_ns_ = now;
      window_start_bytes_ = ex_->stats.bytes_in;
      arm(Wait::Body);
    }
  }
  update_reading();
}

void ClientConn::on_eof() {
  eof_ = true;
  switch (phase_) {
    case Phase::Handshake:
    case Phase::Idle:
    case Phase::Head:
      return close_now();
    case Phase::Exchange:
      // A client that half-closes after a complete request still gets its response;
      // one that goes away mid-body aborts the exchange.
      if (ex_ && ex_->body_done) {
        close_after_ = true;
        return update_reading();
      }
      return close_now();
    case Phase::H2:
      return close_now();
    case Phase::Closing:
      return;
  }
}

void ClientConn::on_error(int status) {
  log::debug("https", "client_io_error")
      .kv("listener", listener_->name)
      .kv("peer", client_->peer_ip())
      .kv("error", uv_err_name(status));
  close_now();
}

void ClientConn::on_drained() {
  if (h2_ && phase_ == Phase::H2) return h2_->on_output_room();
  if (!waiting_client_drain_) return;
  if (client_->pending() > kOutputHighWater / 4) return;
  waiting_client_drain_ = false;
  if (wait_ == Wait::Send) {
    timer_.stop();
    wait_ = Wait::None;
  }
  if (ex_ && ex_->backend) ex_->backend->resume_response();
}

// ---- backend events ------------------------------------------------------------------------

void ClientConn::on_backend_writable() {
  if (phase_ == Phase::Exchange) process();
}

void ClientConn::on_backend_interim(const http::ResponseHead&) {
  // Interim responses are not relayed: the gateway answers Expect: 100-continue itself when
  // it starts forwarding the body, and the backend never gets Expect.
}

void ClientConn::on_backend_head(http::ResponseHead& head) {
  ex_->stats.backend_head_ns = uv_hrtime();
  ex_->response_started = true;
  ex_->status = head.status;
  http::prepare_client_response(head);
  const bool bodyless = ex_->req.method == "HEAD" || head.status == 204 || head.status == 304;
  if (!ex_->body_done) close_after_ = true;  // answered before the request ended
  if (bodyless) {
    ex_->framing = Framing::None;
  } else if (head.content_length) {
    ex_->framing = Framing::Length;
  } else if (ex_->req.version == http::Version::Http11) {
    ex_->framing = Framing::Chunked;
  } else {
    ex_->framing = Framing::UntilClose;
    close_after_ = true;
  }
  if (draining_) close_after_ = true;
  add_security_fields(head);
  head.version =
      ex_->req.version == http::Version::Http10 ? http::Version::Http10 : http::Version::Http11;
  head.keep_alive = !close_after_;
  http1::BodyFraming f = http1::BodyFraming::none();
  if (ex_->framing == Framing::Chunked) f = http1::BodyFraming::chunked();
  if (ex_->framing == Framing::UntilClose) f = http1::BodyFraming::until_close();
  if (head.content_length) f = http1::BodyFraming::of_length(*head.content_length);  // HEAD too
  scratch_.clear();
  if (auto r = http1::write_response(head, f, ex_->req.version, scratch_); !r) {
    // The backend's head cannot be relayed safely (e.g. a field value we refuse to emit).
    log::warn("https", "bad_backend_head")
        .kv("listener", listener_->name)
        .kv("reason", http1::refusal(r.error()).label);
    release_backend();
    ex_->response_started = false;
    const auto info = upstream::describe(upstream::BackendFailure::BadResponse);
    metrics_.refusal(info.label);
    return respond_simple(info.status, info.label, std::string(info.what) + "\n", true);
  }
  send_queue(scratch_);
}

void ClientConn::on_backend_data(BytesView data) {
  ex_->stats.bytes_out += data.size();
  if (ex_->framing == Framing::Chunked) {
    scratch_.clear();
    http1::ChunkedEncoder::write_chunk(data, scratch_);
    send_queue(scratch_);
  } else {
    send(data);
  }
  if (client_ && client_->pending() > kOutputHighWater && ex_ && ex_->backend) {
    ex_->backend->pause_response();
    waiting_client_drain_ = true;
    arm(Wait::Send);
  }
}

void ClientConn::on_backend_end() {
  ex_->backend = nullptr;  // the pool took it back
  if (ex_->framing == Framing::Chunked) {
    scratch_.clear();
    http1::ChunkedEncoder::write_last_chunk(scratch_);
    send_queue(scratch_);
  }
  finish_exchange();
}

void ClientConn::on_backend_failure(upstream::BackendFailure f) {
  ex_->backend = nullptr;
  const auto info = upstream::describe(f);
  log::warn("https", "backend_failed")
      .kv("listener", listener_->name)
      .kv("peer", client_->peer_ip())
      .kv("backend", ex_->route ? ex_->route->backend : "")
      .kv("reason", info.label)
      .kv("response_started", ex_->response_started ? "yes" : "no");
  if (ex_->response_started) return close_now();  // a truncated response must not look whole
  // A reused keep-alive connection the backend had already closed (the keep-alive race):
  // retry an idempotent, body-less request once on another connection.
  const std::string_view m = ex_->req.method;
  const bool idempotent = m == "GET" || m == "HEAD" || m == "OPTIONS";
  if (f == upstream::BackendFailure::Closed && ex_->backend_reused && !ex_->retried && idempotent &&
      !ex_->req.has_body()) {
    ex_->retried = true;
    auto& pool = gen_->pools.get(ex_->route->backend_index);
    ex_->backend = pool.acquire(this, ex_->req.method);
    if (ex_->backend) {
      ex_->backend_reused = ex_->backend->reused();
      return write_request_head();
    }
  }
  metrics_.refusal(info.label);
  respond_simple(info.status, info.label, std::string(info.what) + "\n", !ex_->body_done);
}

// ---- output --------------------------------------------------------------------------------

void ClientConn::send(BytesView plain) {
  if (!client_) return;
  if (tls_) {
    tls_->write(plain);
    flush_tls();
  } else {
    metrics_.bytes_out.Increment(static_cast<double>(plain.size()));
    client_->out().append(plain);
    client_->flush_soon();
  }
}

void ClientConn::send_queue(ByteQueue& q) {
  while (!q.empty()) {
    const BytesView v = q.front();
    send(v);
    q.consume(v.size());
  }
}

void ClientConn::flush_tls() {
  if (!client_) return;
  ByteQueue& ct = tls_->output();
  if (ct.empty()) return;
  metrics_.bytes_out.Increment(static_cast<double>(ct.size()));
  if (client_->out().empty()) {
    std::swap(client_->out(), ct);  // nothing queued or in flight: hand the chunks over
  } else {
    tls_->take_output(client_->out());
  }
  client_->flush_soon();
}

void ClientConn::add_security_fields(http::ResponseHead& head) const {
  if (!tls_) return;
  const auto& t = *listener_->tls;
  if (t.hsts_max_age_s > 0) {
    std::string v = "max-age=" + std::to_string(t.hsts_max_age_s);
    if (t.hsts_include_subdomains) v += "; includeSubDomains";
    std::erase_if(head.fields,
                  [](const http::Field& f) { return f.name == "strict-transport-security"; });
    head.fields.push_back({"strict-transport-security", std::move(v)});
  }
  if (!http::find(head.fields, "x-content-type-options"))
    head.fields.push_back({"x-content-type-options", "nosniff"});
}

void ClientConn::respond_simple(uint16_t status, std::string_view reason_label,
                                std::string_view body, bool close, std::string_view content_type,
                                http::Fields extra, bool logged) {
  if (close) close_after_ = true;
  http::ResponseHead head;
  head.status = status;
  head.reason = std::string(http::status_reason(status));
  head.version = http::Version::Http11;
  head.fields = std::move(extra);
  if (!content_type.empty()) head.fields.push_back({"content-type", std::string(content_type)});
  if (!http::find(head.fields, "cache-control"))
    head.fields.push_back({"cache-control", "no-store"});
  head.content_length = body.size();
  head.keep_alive = !close_after_;
  add_security_fields(head);
  if (!ex_) ex_.emplace();
  ex_->response_started = true;
  ex_->status = status;
  ex_->framing = Framing::Length;
  if (!ex_->stats.start_ns) ex_->stats.start_ns = uv_hrtime();
  ex_->stats.refusal = reason_label;
  ex_->stats.bytes_out += req_is_head(ex_->req) ? 0 : body.size();
  const bool head_only = ex_->req.method == "HEAD";
  scratch_.clear();
  if (auto r = http1::write_response(
          head, http1::BodyFraming::of_length(body.size()),
          ex_->req.version == http::Version::Http10 ? http::Version::Http10 : http::Version::Http11,
          scratch_);
      !r) {
    return close_now();  // our own head does not serialize: cannot happen
  }
  if (!head_only) scratch_.append(as_bytes(body));
  send_queue(scratch_);
  if (!reason_label.empty() && !logged) {
    log::info(tls_ ? "https" : "http", "refused")
        .kv("listener", listener_->name)
        .kv("peer", client_ ? client_->peer_ip() : std::string())
        .kv("status", static_cast<unsigned>(status))
        .kv("reason", reason_label);
  }
  finish_exchange();
}

void ClientConn::refuse(http1::Errc code) {
  const auto r = http1::refusal(code);
  metrics_.refusal(r.label);
  if (!ex_) ex_.emplace();
  respond_simple(r.status, r.label, r.body, true);
}

void ClientConn::report(const http::RequestHead& req, const ExchangeStats& st, uint16_t status,
                        const policy::Route* route) {
  const uint64_t now = uv_hrtime();
  metrics_.request(route ? std::string_view(route->name) : std::string_view(), req.method, status,
                   st.start_ns ? static_cast<double>(now - st.start_ns) / 1e9 : -1);
  if (route && st.backend_sent_ns && st.backend_head_ns) {
    metrics::BackendMetrics::of(route->backend)
        .response(static_cast<double>(st.backend_head_ns - st.backend_sent_ns) / 1e9);
  }
  AccessLog* log = gen_->access_log.get();
  if (!log) return;
  AccessRecord r;
  r.listener = listener_->name;
  r.client_ip = peer_ip_;
  r.protocol = http::name(req.version);
  r.method = req.method;
  r.host = req.authority;
  r.path = req.path;
  r.backend = route ? std::string_view(route->backend) : std::string_view();
  r.status = status;
  r.bytes_in = st.bytes_in;
  r.bytes_out = st.bytes_out;
  r.duration_s = st.start_ns ? static_cast<double>(now - st.start_ns) / 1e9 : 0;
  if (st.backend_sent_ns && st.backend_head_ns)
    r.backend_s = static_cast<double>(st.backend_head_ns - st.backend_sent_ns) / 1e9;
  if (tls_) {
    r.tls_version = tls_->info().version;
    r.tls_cipher = tls_->info().cipher;
  }
  r.refusal = st.refusal;
  r.route = route ? std::string_view(route->name) : std::string_view();
  r.sas = st.sas;
  r.sas_reason = st.sas_reason;
  log->record(r);
}

void ClientConn::finish_exchange() {
  if (ex_ && ex_->status) report(ex_->req, ex_->stats, ex_->status, ex_->route);
  release_backend();
  const bool body_left = ex_ && !ex_->body_done;
  ex_.reset();
  adopt_generation();
  if (close_after_ || draining_ || body_left || eof_) return close_gracefully();
  phase_ = Phase::Idle;
  parser_.reset();
  arm(Wait::Idle);
  process();  // a pipelined request may already be waiting
}

// ---- timers and teardown -------------------------------------------------------------------

void ClientConn::arm(Wait w) {
  const Wait before = std::exchange(wait_, w);
  uint64_t ms = 0;
  switch (w) {
    case Wait::None:
      timer_.stop();
      return;
    case Wait::Handshake:
      ms = listener_->tls->handshake_timeout_ms;
      break;
    case Wait::Idle:
      ms = limits_->idle_timeout_ms;
      break;
    case Wait::Head:
      ms = limits_->head_read_timeout_ms;
      break;
    case Wait::Body:
      ms = limits_->body_read_timeout_ms;
      if (limits_->min_body_rate_bytes_per_s) ms = std::min<uint64_t>(ms, limits_->rate_window_ms);
      break;
    case Wait::Send:
      if (before != Wait::Send) {  // a new stall: its own window
        const uint64_t now = uv_hrtime();
        progress_ns_ = window_start_ns_ = now;
        window_start_bytes_ = sent_seen_ = client_ ? client_->bytes_written() : 0;
      }
      ms = limits_->send_timeout_ms;
      if (limits_->min_send_rate_bytes_per_s) ms = std::min<uint64_t>(ms, limits_->rate_window_ms);
      break;
  }
  timer_.arm<ClientConn, &ClientConn::on_timer>(this, ms);
}

ClientConn::RateCheck ClientConn::check_rate(uint64_t bytes_now, uint64_t gap_limit_ms,
                                             uint32_t min_rate) {
  const uint64_t now = uv_hrtime();
  if ((now - progress_ns_) / 1'000'000 >= gap_limit_ms) return RateCheck::Stalled;
  const uint64_t window_ms = (now - window_start_ns_) / 1'000'000;
  if (min_rate && window_ms >= limits_->rate_window_ms) {
    const uint64_t moved = bytes_now - window_start_bytes_;
    if (moved * 1000 < static_cast<uint64_t>(min_rate) * window_ms) return RateCheck::TooSlow;
    window_start_ns_ = now;
    window_start_bytes_ = bytes_now;
  }
  return RateCheck::Ok;
}

void ClientConn::on_timer() {
  const Wait w = std::exchange(wait_, Wait::None);
  switch (w) {
    case Wait::None:
      return;
    case Wait::Handshake:
      metrics_.handshake_failure("handshake_timeout");
      log::info("https", "handshake_timeout")
          .kv("listener", listener_->name)
          .kv("peer", client_->peer_ip());
      return close_now();
    case Wait::Idle:
      return close_gracefully();
    case Wait::Head:
      metrics_.refusal("head_timeout");
      if (!ex_) ex_.emplace();
      return respond_simple(408, "head_timeout", "the request head was not received in time\n",
                            true);
    case Wait::Body: {
      const auto r = check_rate(ex_ ? ex_->stats.bytes_in : 0, limits_->body_read_timeout_ms,
                                limits_->min_body_rate_bytes_per_s);
      if (r == RateCheck::Ok) return arm(Wait::Body);
      const std::string_view label = r == RateCheck::Stalled ? "body_timeout" : "body_too_slow";
      metrics_.refusal(label);
      if (ex_ && !ex_->response_started) {
        release_backend();
        return respond_simple(408, label,
                              r == RateCheck::Stalled ? "the request body stalled for too long\n"
                                                      : "the request body arrived too slowly\n",
                              true);
      }
      log::info("https", "refused")
          .kv("listener", listener_->name)
          .kv("peer", peer_ip_)
          .kv("reason", label);
      return close_now();
    }
    case Wait::Send: {
      const uint64_t written = client_ ? client_->bytes_written() : 0;
      if (written != sent_seen_) {
        sent_seen_ = written;
        progress_ns_ = uv_hrtime();
      }
      const auto r =
          check_rate(written, limits_->send_timeout_ms, limits_->min_send_rate_bytes_per_s);
      if (r == RateCheck::Ok) return arm(Wait::Send);
      const std::string_view label = r == RateCheck::Stalled ? "send_timeout" : "send_too_slow";
      metrics_.refusal(label);
      log::info("https", "refused")
          .kv("listener", listener_->name)
          .kv("peer", peer_ip_)
          .kv("reason", label);
      return close_now();
    }
  }
}

void ClientConn::release_backend() {
  if (ex_ && ex_->backend) {
    upstream::BackendConn* b = std::exchange(ex_->backend, nullptr);
    gen_->pools.get(ex_->route->backend_index).release(b, false);
  }
}

void ClientConn::close_gracefully() {
  if (phase_ == Phase::Closing) return;
  phase_ = Phase::Closing;
  release_backend();
  if (h2_) h2_->abort();
  timer_.close();
  if (client_) {
    if (tls_) {
      tls_->close_notify();
      tls_->take_output(client_->out());
    }
    client_->set_events(nullptr);
    uv::TcpStream::linger_close(std::move(client_), kLingerMs);
  }
  worker_.retire(this);
}

void ClientConn::close_now() {
  if (phase_ == Phase::Closing && !client_) return;
  phase_ = Phase::Closing;
  release_backend();
  if (h2_) h2_->abort();
  timer_.close();
  if (client_) {
    client_->set_events(nullptr);
    client_.reset();
  }
  worker_.retire(this);
}

void ClientConn::drain() {
  draining_ = true;
  switch (phase_) {
    case Phase::Idle:
      if (in_.empty()) return close_gracefully();
      return;
    case Phase::Handshake:
    case Phase::Head:
    case Phase::Exchange:
      close_after_ = true;  // finish what is in flight, then close
      return;
    case Phase::H2:
      return h2_->shutdown();  // GOAWAY; closes when the open streams are done
    case Phase::Closing:
      return;
  }
}

void ClientConn::abort() {
  close_now();
}

void ClientConn::on_new_generation() {
  switch (phase_) {
    case Phase::Idle:
      if (in_.empty()) adopt_generation();
      return;
    case Phase::H2:
      return adopt_generation();  // each stream keeps the generation it was admitted under
    case Phase::Handshake:
    case Phase::Head:
    case Phase::Exchange:
    case Phase::Closing:
      return;  // at the end of the exchange (finish_exchange)
  }
}

void ClientConn::adopt_generation() {
  const GenerationPtr& cur = worker_.generation();
  if (!cur || cur == gen_) return;
  const policy::Policy& pol = *cur->snapshot->policy;
  const policy::Listener* l = pol.find_listener(listener_->name);
  if (!l || l->kind != listener_->kind ||
      l->address.to_string() != listener_->address.to_string()) {
    close_after_ = true;  // the listener left the policy: finish what is in flight, then close
    return;
  }
  gen_ = cur;
  listener_ = l;
  limits_ = &pol.limits;
  parser_ =
      http1::RequestParser(http1::ParserLimits{limits_->max_head_bytes, limits_->max_header_count});
}

}  // namespace intransit::gateway
