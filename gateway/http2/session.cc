#include "gateway/http2/session.h"

#include <algorithm>
#include <cstring>

#include "gateway/base/text.h"
#include "gateway/http/field_rules.h"

namespace intransit::http2 {

// Stream is what the Session keeps per client stream: the head being decoded, and the
// response body waiting for nghttp2's data provider.
struct Session::Stream {
  http::RequestHead head;
  std::string authority;  // :authority
  std::string host;       // host field, if any
  std::string scheme;
  std::string path;
  std::string cookie;  // cookie fields joined with "; " (RFC 9113 §8.2.3)
  uint32_t header_bytes = 0;
  uint32_t header_count = 0;
  bool too_large = false;
  bool head_done = false;  // a Request or Refused event was emitted
  bool refused = false;
  ByteQueue out;
  bool out_end = false;
  bool deferred = false;
  bool has_provider = false;
};

namespace {

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

bool visible_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  }
  return true;
}

}  // namespace

// Callbacks are the nghttp2 callbacks; each one only records into the Session.
struct Callbacks {
  static Session& self(void* user) { return *static_cast<Session*>(user); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Session& s = self(user);
    auto st = std::make_unique<Session::Stream>();
    st->head.version = http::Version::Http2;
    s.streams_[frame->hd.stream_id] = std::move(st);
    ++s.streams_seen_;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user) {
    Session& s = self(user);
    Session::Stream* st = s.find(frame->hd.stream_id);
    if (!st) return 0;
    // RFC 9113 §6.5.2 accounting: name + value + 32 per field. Keep decoding (the HPACK
    // state must stay in sync) but stop storing once over the limit.
    st->header_bytes += static_cast<uint32_t>(std::min<size_t>(namelen + valuelen + 32, 1u << 30));
    ++st->header_count;
    if (st->header_bytes > s.limits_.max_header_list_bytes ||
        st->header_count > s.limits_.max_header_count) {
      st->too_large = true;
    }
    if (st->too_large || st->head_done) return 0;  // trailers are not forwarded
    const std::string_view n = view(name, namelen);
    const std::string_view v = view(value, valuelen);
    if (!n.empty() && n[0] == ':') {
      if (n == ":method") st->head.method = std::string(v);
      else if (n == ":scheme") st->scheme = std::string(v);
      else if (n == ":authority") st->authority = std::string(v);
      else if (n == ":path") st->path = std::string(v);
      return 0;  // nghttp2 refuses unknown pseudo-headers
    }
    if (n == "host") {
      st->host = std::string(v);
    } else if (n == "cookie") {
      if (!st->cookie.empty()) st->cookie += "; ";
      st->cookie.append(v);
    } else if (n == "te" || n == "expect") {
      // te: only "trailers" gets here (nghttp2 checks) and it is hop-by-hop. expect: the
      // body follows anyway in HTTP/2.
    } else {
      st->head.fields.push_back({std::string(n), std::string(v)});
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Session& s = self(user);
    const int32_t id = frame->hd.stream_id;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        Session::Stream* st = s.find(id);
        if (!st) return 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST && !st->head_done) {
          s.finish_head(*st, id, end_stream);
        } else if (end_stream && !st->refused) {
          s.events_.push_back(Event{EventKind::End, id});  // after trailers
        }
        return 0;
      }
      case NGHTTP2_DATA: {
        Session::Stream* st = s.find(id);
        if (st && end_stream && !st->refused) s.events_.push_back(Event{EventKind::End, id});
        return 0;
      }
      default:
        return 0;
    }
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                           size_t len, void* user) {
    Session& s = self(user);
    Session::Stream* st = s.find(id);
    if (!st || st->refused) {
      // Nobody will consume these bytes: give the window back at once.
      nghttp2_session_consume_connection(s.session_.get(), len);
      if (st) nghttp2_session_consume_stream(s.session_.get(), id, len);
      return 0;
    }
    Event e{EventKind::Data, id};
    e.data = BytesView(data, len);
    s.events_.push_back(std::move(e));
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    Session& s = self(user);
    auto it = s.streams_.find(id);
    if (it == s.streams_.end()) return 0;
    Event e{EventKind::Reset, id};
    e.error_code = error_code;
    e.label = error_code == NGHTTP2_NO_ERROR ? "closed" : "reset";
    s.events_.push_back(std::move(e));
    s.streams_.erase(it);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Session& s = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      ++s.stats_.goaway_sent;
      s.stats_.last_goaway_code = frame->goaway.error_code;
    } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
      ++s.stats_.rst_sent;
    }
    return 0;
  }

  static int on_invalid_frame(nghttp2_session*, const nghttp2_frame*, int, void* user) {
    ++self(user).stats_.protocol_errors;
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user) {
    Session& s = self(user);
    Session::Stream* st = s.find(id);
    if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t before = st->out.size();
    const size_t n = st->out.copy_out({buf, length});
    st->out.consume(n);
    if (st->out.empty() && st->out_end) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      st->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (before >= Session::kBodyLowWater && st->out.size() < Session::kBodyLowWater)
      s.drained_.push_back(id);
    return static_cast<ssize_t>(n);
  }
};

Session::Stream* Session::find(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Session::finish_head(Stream& st, int32_t id, bool end_stream) {
  st.head_done = true;
  auto refuse = [&](uint16_t status, std::string_view label) {
    st.refused = true;
    Event e{EventKind::Refused, id};
    e.status = status;
    e.label = label;
    events_.push_back(std::move(e));
  };
  if (st.too_large) return refuse(431, "h2_header_list_too_large");
  http::RequestHead& h = st.head;
  // RFC 9113 §8.3.1: :authority wins; a Host field naming something else is malformed.
  std::string authority = !st.authority.empty() ? st.authority : st.host;
  if (!st.authority.empty() && !st.host.empty() && !iequals(st.authority, st.host))
    return refuse(400, "h2_host_mismatch");
  if (authority.empty() || !http::is_valid_authority(authority))
    return refuse(400, "h2_bad_authority");
  if (st.scheme != "https") return refuse(400, "h2_bad_scheme");
  if (!http::is_token(h.method)) return refuse(400, "h2_bad_method");
  if (h.method == "CONNECT") return refuse(400, "h2_connect_refused");
  if (!visible_ascii(st.path)) return refuse(400, "h2_bad_path");
  const auto q = st.path.find('?');
  h.path = st.path.substr(0, q);
  if (q != std::string::npos) {
    h.has_query = true;
    h.query = st.path.substr(q + 1);
  }
  if (h.path.empty() || (h.path[0] != '/' && !(h.path == "*" && h.method == "OPTIONS")))
    return refuse(400, "h2_bad_path");
  h.authority = to_lower(authority);
  for (const auto& f : h.fields) {
    if (!http::is_token(f.name) || !http::is_field_value(f.value))
      return refuse(400, "h2_bad_field");
  }
  if (!st.cookie.empty()) h.fields.push_back({"cookie", std::move(st.cookie)});
  h.keep_alive = true;
  if (const auto* cl = http::find(h.fields, "content-length")) {
    const auto n = parse_u64(cl->value);
    if (!n) return refuse(400, "h2_bad_content_length");
    h.content_length = *n;
  }
  if (end_stream) {
    h.chunked = false;
    if (!h.content_length) h.content_length.reset();
  } else if (!h.content_length) {
    h.chunked = true;  // a body of unknown length: re-framed as chunked towards HTTP/1.1
  }
  Event e{EventKind::Request, id};
  e.head = std::move(h);
  events_.push_back(std::move(e));
  if (end_stream) events_.push_back(Event{EventKind::End, id});
}

Session::Session(const Limits& limits) : limits_(limits) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return;
  std::unique_ptr<nghttp2_session_callbacks, CFree<&nghttp2_session_callbacks_del>> cb(cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, &Callbacks::on_invalid_frame);

  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) return;
  std::unique_ptr<nghttp2_option, CFree<&nghttp2_option_del>> o(opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, limits_.header_table_bytes);
  nghttp2_option_set_stream_reset_rate_limit(opt, limits_.reset_burst, limits_.reset_rate_per_s);
  nghttp2_option_set_max_continuations(opt, limits_.max_continuations);
  nghttp2_option_set_max_settings(opt, limits_.max_settings);
  nghttp2_option_set_max_outbound_ack(opt, limits_.max_outbound_ack);

  nghttp2_session* raw = nullptr;
  if (nghttp2_session_server_new2(&raw, cbs, this, opt) != 0) return;
  session_.reset(raw);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.stream_window_bytes},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, limits_.header_table_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0,
                                            static_cast<int32_t>(limits_.connection_window_bytes)) !=
          0) {
    session_.reset();
  }
}

Session::~Session() = default;

void Session::feed(BytesView in) {
  if (!session_ || failed_) return;
  const ssize_t n = nghttp2_session_mem_recv(session_.get(), in.data(), in.size());
  if (n < 0) {
    // Bad preface, flood, compression error: nghttp2 has queued GOAWAY where it can.
    failed_ = true;
    failure_ = nghttp2_strerror(static_cast<int>(n));
    ++stats_.protocol_errors;
  }
  // Submissions are made here, after the callbacks, never from inside them.
  if (!goaway_queued_ && streams_seen_ >= limits_.max_streams_per_connection) shutdown();
}

bool Session::respond(int32_t id, const http::ResponseHead& head, bool end_stream) {
  Stream* st = find(id);
  if (!st || !session_) return false;
  char status[4];
  const unsigned code = head.status;
  status[0] = static_cast<char>('0' + code / 100 % 10);
  status[1] = static_cast<char>('0' + code / 10 % 10);
  status[2] = static_cast<char>('0' + code % 10);
  status[3] = 0;
  std::vector<nghttp2_nv> nv;
  nv.reserve(head.fields.size() + 2);
  auto add = [&](std::string_view n, std::string_view v) {
    nv.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                            reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(),
                            v.size(), NGHTTP2_NV_FLAG_NONE});
  };
  add(":status", std::string_view(status, 3));
  std::string length;
  for (const auto& f : head.fields) add(f.name, f.value);
  if (head.content_length && !http::find(head.fields, "content-length")) {
    length = std::to_string(*head.content_length);
    add("content-length", length);
  }
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_body;
  st->has_provider = !end_stream;
  const int rc = nghttp2_submit_response(session_.get(), id, nv.data(), nv.size(),
                                         end_stream ? nullptr : &provider);
  return rc == 0;
}

void Session::send_body(int32_t id, BytesView data) {
  Stream* st = find(id);
  if (!st || data.empty()) return;
  st->out.append(data);
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(session_.get(), id);
  }
}

void Session::end_body(int32_t id) {
  Stream* st = find(id);
  if (!st) return;
  st->out_end = true;
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(session_.get(), id);
  }
}

size_t Session::pending_body(int32_t id) const {
  const Stream* st = find(id);
  return st ? st->out.size() : 0;
}

void Session::reset(int32_t id, uint32_t error_code) {
  if (session_ && find(id)) nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, error_code);
}

void Session::consume(int32_t id, size_t n) {
  if (!session_ || n == 0) return;
  if (find(id)) {
    nghttp2_session_consume(session_.get(), id, n);
  } else {
    nghttp2_session_consume_connection(session_.get(), n);
  }
}

bool Session::produce(ByteQueue& out, size_t max_queued) {
  drained_.clear();
  if (!session_) return false;
  for (;;) {
    if (out.size() > max_queued) return true;
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      failed_ = true;
      failure_ = nghttp2_strerror(static_cast<int>(n));
      return false;
    }
    if (n == 0) return false;
    out.append(BytesView(data, static_cast<size_t>(n)));
  }
}

void Session::shutdown() {
  if (!session_ || goaway_queued_) return;
  goaway_queued_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

bool Session::dead() const {
  if (!session_) return true;
  if (failed_) return !nghttp2_session_want_write(session_.get());
  return !nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get());
}

}  // namespace intransit::http2
