#include "gateway/conn/h2_conn.h"

#include "gateway/base/log.h"
#include "gateway/base/time_format.h"
#include "gateway/conn/admission.h"
#include "gateway/conn/client_conn.h"
#include "gateway/http/field_rules.h"
#include "gateway/http1/chunked.h"
#include "gateway/http1/serializer.h"

namespace intransit::gateway {
namespace {

std::string_view goaway_label(uint32_t code) {
  switch (code) {
    case NGHTTP2_PROTOCOL_ERROR:
      return "h2_goaway_protocol_error";
    case NGHTTP2_INTERNAL_ERROR:
      return "h2_goaway_internal_error";
    case NGHTTP2_FLOW_CONTROL_ERROR:
      return "h2_goaway_flow_control_error";
    case NGHTTP2_SETTINGS_TIMEOUT:
      return "h2_goaway_settings_timeout";
    case NGHTTP2_FRAME_SIZE_ERROR:
      return "h2_goaway_frame_size_error";
    case NGHTTP2_COMPRESSION_ERROR:
      return "h2_goaway_compression_error";
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return "h2_goaway_enhance_your_calm";
    default:
      return "h2_goaway_other";
  }
}

}  // namespace

// Stream is one request/response exchange on the HTTP/2 connection.
struct H2Conn::Stream final : upstream::BackendUser {
  Stream(H2Conn& h, int32_t i) : h2(h), id(i) {}

  H2Conn& h2;
  int32_t id;
  http::RequestHead req;
  const policy::Route* route = nullptr;
  upstream::BackendConn* backend = nullptr;
  bool chunked_out = false;  // the request body goes to the backend as chunked
  bool body_done = false;    // END_STREAM seen from the client
  uint64_t body_bytes = 0;
  size_t unconsumed = 0;       // request body bytes not yet given back as window
  bool responded = false;      // a response head was submitted
  bool response_done = false;  // the response ended (or was reset)
  bool bodyless = false;
  bool paused = false;  // the backend is paused on our queue
  bool closed = false;  // nghttp2 closed the stream
  uint16_t status = 0;
  ExchangeStats stats;
  GenerationPtr gen;  // the policy generation this stream was admitted under

  void release_backend() {
    if (!backend) return;
    upstream::BackendConn* b = std::exchange(backend, nullptr);
    gen->pools.get(route->backend_index).release(b, false);
  }

  void on_backend_writable() override {
    h2.give_back_window(*this);
    h2.schedule_flush();
  }
  void on_backend_interim(const http::ResponseHead&) override {}
  void on_backend_head(http::ResponseHead& head) override {
    stats.backend_head_ns = uv_hrtime();
    responded = true;
    status = head.status;
    http::prepare_client_response(head);
    h2.conn_.add_security_fields(head);
    bodyless = req.method == "HEAD" || head.status == 204 || head.status == 304;
    if (!h2.session_.respond(id, head, bodyless)) {
      release_backend();
      return;
    }
    h2.schedule_flush();
  }
  void on_backend_data(BytesView data) override {
    if (bodyless) return;
    stats.bytes_out += data.size();
    h2.session_.send_body(id, data);
    if (h2.session_.pending_body(id) > kStreamHighWater && backend) {
      backend->pause_response();
      paused = true;
    }
    h2.schedule_flush();
  }
  void on_backend_end() override {
    backend = nullptr;  // back in the pool
    response_done = true;
    if (!bodyless) h2.session_.end_body(id);
    h2.finish(*this);
    h2.schedule_flush();
  }
  void on_backend_failure(upstream::BackendFailure f) override {
    backend = nullptr;
    const auto info = upstream::describe(f);
    log::warn("https", "backend_failed")
        .kv("listener", h2.conn_.listener().name)
        .kv("peer", h2.conn_.peer_ip())
        .kv("backend", route ? route->backend : "")
        .kv("reason", info.label)
        .kv("stream", static_cast<int64_t>(id))
        .kv("response_started", responded ? "yes" : "no");
    if (responded) {
      h2.session_.reset(id, NGHTTP2_INTERNAL_ERROR);  // a truncated body must not look whole
      response_done = true;
      h2.finish(*this);
    } else {
      h2.conn_.metrics().refusal(info.label);
      h2.respond_error(id, info.status, info.label, std::string(info.what) + "\n");
    }
    h2.schedule_flush();
  }
};

H2Conn::H2Conn(ClientConn& conn, const http2::Limits& limits) : conn_(conn), session_(limits) {
  flush();  // our SETTINGS
}

H2Conn::~H2Conn() {
  abort();
  graveyard_.clear();
}

void H2Conn::abort() {
  // Called while a stream's own callback may be running: keep the objects until later.
  for (auto& [id, s] : streams_) {
    s->release_backend();
    graveyard_.push_back(std::move(s));
  }
  streams_.clear();
}

void H2Conn::on_output_room() {
  graveyard_.clear();
  flush();
}

void H2Conn::on_input(ByteQueue& in) {
  graveyard_.clear();
  while (!in.empty()) {
    const BytesView chunk = in.front();
    session_.feed(chunk);
    // Data events point into `chunk`: handle them before consuming it.
    session_.take_events(in_events_);
    handle(in_events_);
    in.consume(chunk.size());
  }
  schedule_flush();
}

void H2Conn::schedule_flush() {
  if (uv::Flusher* f = conn_.worker().flusher()) {
    f->defer(this);
  } else {
    flush();
  }
}

void H2Conn::note_connection_errors() {
  const auto& st = session_.stats();
  if (st.goaway_sent > goaways_seen_) {
    goaways_seen_ = st.goaway_sent;
    if (st.last_goaway_code != NGHTTP2_NO_ERROR) {
      failure_noted_ = true;
      conn_.metrics().refusal(goaway_label(st.last_goaway_code));
      log::info("https", "h2_goaway")
          .kv("listener", conn_.listener().name)
          .kv("peer", conn_.peer_ip())
          .kv("reason", goaway_label(st.last_goaway_code))
          .kv("detail", session_.failure());
    }
  }
  if (!failure_noted_ && !session_.failure().empty()) {
    // nghttp2 gave up on the connection (flood, bad preface) without a GOAWAY of ours.
    failure_noted_ = true;
    conn_.metrics().refusal("h2_connection_error");
    log::info("https", "h2_connection_error")
        .kv("listener", conn_.listener().name)
        .kv("peer", conn_.peer_ip())
        .kv("reason", "h2_connection_error")
        .kv("detail", session_.failure());
  }
}

void H2Conn::handle(std::vector<http2::Event>& events) {
  for (auto& e : events) {
    switch (e.kind) {
      case http2::EventKind::Request:
        on_request(e.stream, std::move(e.head));
        break;
      case http2::EventKind::Data:
        on_data(e.stream, e.data);
        break;
      case http2::EventKind::End:
        on_end(e.stream);
        break;
      case http2::EventKind::Refused: {
        auto s = std::make_unique<Stream>(*this, e.stream);
        streams_[e.stream] = std::move(s);
        conn_.metrics().refusal(e.label);
        log::info("https", "refused")
            .kv("listener", conn_.listener().name)
            .kv("peer", conn_.peer_ip())
            .kv("status", static_cast<unsigned>(e.status))
            .kv("reason", e.label)
            .kv("stream", static_cast<int64_t>(e.stream));
        respond_error(
            e.stream, e.status, e.label,
            e.status == 431 ? "request header fields too large\n" : "malformed request\n");
        break;
      }
      case http2::EventKind::Reset:
        on_reset(e.stream, e.error_code);
        break;
    }
  }
}

void H2Conn::on_request(int32_t id, http::RequestHead&& head) {
  auto owned = std::make_unique<Stream>(*this, id);
  Stream& s = *owned;
  streams_[id] = std::move(owned);
  s.req = std::move(head);
  s.req.scheme = "https";
  s.stats.start_ns = uv_hrtime();
  s.gen = conn_.generation();
  auto a = admit(*s.gen->snapshot->policy, conn_.listener(), true, s.req, conn_.peer_ip(),
                 now_unix_ms() / 1000);
  s.stats.sas = a.sas;
  s.stats.sas_reason = a.sas_reason;
  if (!a.sas.empty()) metrics::SasMetrics::decision(a.sas == "allow", a.sas_reason);
  if (!a.allowed()) {
    conn_.metrics().refusal(a.label);
    auto line = log::info("https", "refused");
    line.kv("listener", conn_.listener().name)
        .kv("peer", conn_.peer_ip())
        .kv("status", static_cast<unsigned>(a.status))
        .kv("reason", a.label)
        .kv("host", s.req.authority)
        .kv("path", s.req.path);
    for (const auto& [k, v] : a.log_fields) line.kv(k, v);
    return respond_error(id, a.status, a.label, a.body, std::move(a.fields));
  }
  s.route = a.route;
  auto& pool = s.gen->pools.get(s.route->backend_index);
  s.backend = pool.acquire(&s, s.req.method);
  if (!s.backend) {
    const auto info = upstream::describe(upstream::BackendFailure::PoolExhausted);
    conn_.metrics().refusal(info.label);
    return respond_error(id, info.status, info.label, std::string(info.what) + "\n");
  }
  write_request_head(s);
}

void H2Conn::write_request_head(Stream& s) {
  http::RequestHead& fwd = s.req;  // rewritten in place: nothing needs the original fields
  http::prepare_backend_request(fwd, conn_.peer_ip(), "https");
  http1::BodyFraming framing = http1::BodyFraming::none();
  if (s.req.chunked) {
    framing = http1::BodyFraming::chunked();
    s.chunked_out = true;
  } else if (s.req.content_length) {
    framing = http1::BodyFraming::of_length(*s.req.content_length);
  }
  if (auto r = http1::write_request(fwd, framing, s.backend->out()); !r) {
    s.release_backend();
    const auto ref = http1::refusal(r.error());
    conn_.metrics().refusal(ref.label);
    return respond_error(s.id, 400, ref.label, ref.body);
  }
  s.stats.backend_sent_ns = uv_hrtime();
  s.backend->flush();
}

void H2Conn::on_data(int32_t id, BytesView data) {
  auto it = streams_.find(id);
  Stream* s = it == streams_.end() ? nullptr : it->second.get();
  if (!s || !s->backend || s->body_done) {
    session_.consume(id, data.size());  // nobody takes these bytes: free the window now
    return;
  }
  s->body_bytes += data.size();
  s->stats.bytes_in += data.size();
  if (s->route->max_body_bytes > 0 && s->body_bytes > s->route->max_body_bytes) {
    session_.consume(id, data.size());
    s->release_backend();
    conn_.metrics().refusal("body_too_large");
    if (!s->responded) {
      return respond_error(id, 413, "body_too_large",
                           "request body larger than this route allows\n");
    }
    session_.reset(id, NGHTTP2_CANCEL);
    return;
  }
  if (s->chunked_out) {
    http1::ChunkedEncoder::write_chunk(data, s->backend->out());
  } else {
    s->backend->out().append(data);
  }
  s->backend->flush();
  s->unconsumed += data.size();
  give_back_window(*s);
}

void H2Conn::give_back_window(Stream& s) {
  if (s.unconsumed == 0) return;
  if (s.backend &&
      (!s.backend->connected() || s.backend->pending() > upstream::BackendConn::kHighWater)) {
    return;  // on_backend_writable comes back here
  }
  session_.consume(s.id, s.unconsumed);
  s.unconsumed = 0;
}

void H2Conn::on_end(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  s.body_done = true;
  if (!s.backend) return;
  if (s.chunked_out) http1::ChunkedEncoder::write_last_chunk(s.backend->out());
  s.backend->flush();
  s.backend->request_sent();
}

void H2Conn::on_reset(int32_t id, uint32_t error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  s.closed = true;
  if (!s.response_done && error_code != NGHTTP2_NO_ERROR) {
    log::debug("https", "h2_stream_reset")
        .kv("listener", conn_.listener().name)
        .kv("stream", static_cast<int64_t>(id))
        .kv("error_code", static_cast<uint64_t>(error_code));
  }
  s.release_backend();
  if (!s.response_done) finish(s);
  // The stream may be inside one of its own backend callbacks: delete it later.
  graveyard_.push_back(std::move(it->second));
  streams_.erase(it);
}

void H2Conn::respond_error(int32_t id, uint16_t status, std::string_view label,
                           std::string_view body, http::Fields fields) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  s.release_backend();
  http::ResponseHead head;
  head.status = status;
  head.fields = std::move(fields);
  if (!http::find(head.fields, "content-type"))
    head.fields.push_back({"content-type", "text/plain; charset=utf-8"});
  head.fields.push_back({"cache-control", "no-store"});
  head.content_length = body.size();
  conn_.add_security_fields(head);
  s.responded = true;
  s.status = status;
  s.stats.refusal = label;
  if (!s.stats.start_ns) s.stats.start_ns = uv_hrtime();
  const bool head_only = s.req.method == "HEAD" || body.empty();
  if (!head_only) s.stats.bytes_out += body.size();
  if (session_.respond(id, head, head_only) && !head_only) {
    session_.send_body(id, as_bytes(body));
    session_.end_body(id);
  }
  s.response_done = true;
  finish(s);
}

void H2Conn::finish(Stream& s) {
  if (s.status != 0) conn_.report(s.req, s.stats, s.status, s.route);
  s.status = 0;  // count once
}

void H2Conn::shutdown() {
  session_.shutdown();
  flush();
}

void H2Conn::flush() {
  if (flushing_) return;
  flushing_ = true;
  for (;;) {
    const size_t pending = conn_.client_pending();
    if (pending > ClientConn::kOutputHighWater) break;
    scratch_.clear();
    const bool more = session_.produce(scratch_, ClientConn::kOutputHighWater - pending);
    if (!scratch_.empty()) conn_.send_queue(scratch_);
    // produce may close streams (both sides done): handle those events now.
    session_.take_events(out_events_);
    handle(out_events_);
    for (int32_t id : session_.drained_streams()) {
      auto it = streams_.find(id);
      if (it != streams_.end() && it->second->paused && it->second->backend) {
        it->second->paused = false;
        it->second->backend->resume_response();
      }
    }
    if (!more) break;
  }
  flushing_ = false;
  note_connection_errors();
  conn_.after_h2_flush(session_.dead(), !streams_.empty());
}

}  // namespace intransit::gateway
