// http2::Session (gateway/http2/session.h) driven by a real nghttp2 *client* session in
// memory: the client's frames (nghttp2_session_mem_send) are fed to the Session, whatever the
// Session produces goes back through nghttp2_session_mem_recv, and both sides' observations
// are recorded: the Session's events (bodies copied out at once, as the glue must) and the
// client's frames, response heads, bodies and stream closes. No sockets, no clock reads by
// the test itself (nghttp2's reset rate limiter uses wall-clock seconds internally; the
// burst used here is far below what a one-second refill could hide).
#include <catch2/catch.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "gateway/base/c_handle.h"
#include "gateway/http/request_head.h"
#include "gateway/http2/session.h"

using namespace intransit;
using http2::EventKind;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Seen is a Session event with its body bytes copied (Event::data points into the fed buffer).
struct Seen {
  EventKind kind;
  int32_t stream;
  http::RequestHead head;
  std::string data;
  uint16_t status = 0;
  std::string label;
  uint32_t error_code = 0;
};

// ClientFrame is one frame the client received from the Session.
struct ClientFrame {
  uint8_t type = 0;
  uint8_t flags = 0;
  int32_t stream = 0;
  uint32_t error_code = 0;      // RST_STREAM, GOAWAY
  int32_t last_stream_id = 0;   // GOAWAY
  int32_t window_increment = 0; // WINDOW_UPDATE
  std::map<int32_t, uint32_t> settings;  // SETTINGS (not ACK)
};

// ClientStream is what the client saw of one stream.
struct ClientStream {
  Headers response;  // response header fields, in order, :status included
  std::string body;
  bool closed = false;
  uint32_t close_code = 0;
};

// BodySource feeds a request body through nghttp2's data provider.
struct BodySource {
  std::string data;
  size_t off = 0;
  Headers trailers;  // sent after the data (END_STREAM on the trailers)
  bool end_stream = true;
};

// Client is an nghttp2 client session with recording callbacks.
class Client {
 public:
  explicit Client(std::vector<nghttp2_settings_entry> settings = {},
                  int32_t connection_window = 0) {
    nghttp2_session_callbacks* cbs = nullptr;
    REQUIRE(nghttp2_session_callbacks_new(&cbs) == 0);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Client::on_frame_recv);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &Client::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Client::on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Client::on_close);
    nghttp2_session* raw = nullptr;
    REQUIRE(nghttp2_session_client_new(&raw, cbs, this) == 0);
    nghttp2_session_callbacks_del(cbs);
    session_.reset(raw);
    REQUIRE(nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings.data(), settings.size()) == 0);
    if (connection_window > 0) {
      REQUIRE(nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0,
                                                    connection_window) == 0);
    }
  }

  nghttp2_session* get() { return session_.get(); }

  // request submits a request; with `body` (even empty) a data provider sends it.
  int32_t request(const Headers& h, std::optional<BodySource> body = std::nullopt) {
    kept_.push_back(std::make_unique<Headers>(h));
    auto nv = to_nv(*kept_.back());
    nghttp2_data_provider prd{};
    BodySource* src = nullptr;
    if (body) {
      bodies_.push_back(std::make_unique<BodySource>(std::move(*body)));
      src = bodies_.back().get();
      prd.source.ptr = src;
      prd.read_callback = &Client::read_body;
    }
    const int32_t id =
        nghttp2_submit_request(session_.get(), nullptr, nv.data(), nv.size(), body ? &prd : nullptr, src);
    REQUIRE(id > 0);
    return id;
  }

  // take returns every byte the client session wants to send now.
  Bytes take() {
    Bytes out;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
      REQUIRE(n >= 0);
      if (n == 0) break;
      out.insert(out.end(), data, data + n);
    }
    return out;
  }

  // recv hands the Session's bytes to the client; returns false on a client-side error.
  bool recv(BytesView in) {
    if (in.empty()) return true;
    const ssize_t n = nghttp2_session_mem_recv(session_.get(), in.data(), in.size());
    return n == static_cast<ssize_t>(in.size());
  }

  std::vector<ClientFrame> frames;
  std::map<int32_t, ClientStream> streams;

  std::vector<const ClientFrame*> of_type(uint8_t type) const {
    std::vector<const ClientFrame*> out;
    for (const auto& f : frames) {
      if (f.type == type) out.push_back(&f);
    }
    return out;
  }
  const ClientFrame* goaway() const {
    auto g = of_type(NGHTTP2_GOAWAY);
    return g.empty() ? nullptr : g.front();
  }
  std::string status(int32_t id) const {
    auto it = streams.find(id);
    if (it == streams.end()) return "";
    for (const auto& [n, v] : it->second.response) {
      if (n == ":status") return v;
    }
    return "";
  }
  std::string response_field(int32_t id, const std::string& name) const {
    auto it = streams.find(id);
    if (it == streams.end()) return "";
    for (const auto& [n, v] : it->second.response) {
      if (n == name) return v;
    }
    return "";
  }

 private:
  // to_nv points into `h`. nghttp2 copies and lowercases names on submit; a name with
  // uppercase letters is passed with NO_COPY_NAME so it goes out as written, which needs `h`
  // to live until the frame is sent (callers pass header lists kept in kept_).
  static std::vector<nghttp2_nv> to_nv(const Headers& h) {
    std::vector<nghttp2_nv> nv;
    for (const auto& [n, v] : h) {
      const bool upper = std::any_of(n.begin(), n.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      nv.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                              reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(),
                              v.size(),
                              static_cast<uint8_t>(upper ? NGHTTP2_NV_FLAG_NO_COPY_NAME
                                                         : NGHTTP2_NV_FLAG_NONE)});
    }
    return nv;
  }

  static Client& self(void* user) { return *static_cast<Client*>(user); }

  static ssize_t read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* src = static_cast<BodySource*>(source->ptr);
    const size_t n = std::min(length, src->data.size() - src->off);
    std::memcpy(buf, src->data.data() + src->off, n);
    src->off += n;
    if (src->off == src->data.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!src->trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        auto nv = to_nv(src->trailers);
        if (nghttp2_submit_trailer(session, id, nv.data(), nv.size()) != 0)
          return NGHTTP2_ERR_CALLBACK_FAILURE;
      } else if (!src->end_stream) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<ssize_t>(n);
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    ClientFrame f;
    f.type = frame->hd.type;
    f.flags = frame->hd.flags;
    f.stream = frame->hd.stream_id;
    switch (frame->hd.type) {
      case NGHTTP2_RST_STREAM:
        f.error_code = frame->rst_stream.error_code;
        break;
      case NGHTTP2_GOAWAY:
        f.error_code = frame->goaway.error_code;
        f.last_stream_id = frame->goaway.last_stream_id;
        break;
      case NGHTTP2_WINDOW_UPDATE:
        f.window_increment = frame->window_update.window_size_increment;
        break;
      case NGHTTP2_SETTINGS:
        for (size_t i = 0; i < frame->settings.niv; ++i)
          f.settings[frame->settings.iv[i].settings_id] =
              frame->settings.iv[i].value;
        break;
      default:
        break;
    }
    self(user).frames.push_back(std::move(f));
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    self(user).streams[frame->hd.stream_id].response.emplace_back(
        std::string(reinterpret_cast<const char*>(name), namelen),
        std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                     void* user) {
    self(user).streams[id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t id, uint32_t code, void* user) {
    auto& s = self(user).streams[id];
    s.closed = true;
    s.close_code = code;
    return 0;
  }

  std::unique_ptr<nghttp2_session, CFree<&nghttp2_session_del>> session_;
  std::vector<std::unique_ptr<BodySource>> bodies_;
  std::vector<std::unique_ptr<Headers>> kept_;
};

Bytes queue_bytes(const ByteQueue& q) {
  Bytes out(q.size());
  q.copy_out(out);
  return out;
}

// Wire is one client and one Session connected in memory.
struct Wire {
  explicit Wire(const http2::Limits& lim, std::vector<nghttp2_settings_entry> settings = {},
                int32_t client_connection_window = 0)
      : server(lim), client(std::move(settings), client_connection_window) {
    REQUIRE(server.ok());
  }

  http2::Session server;
  Client client;
  std::vector<Seen> events;  // every Session event so far
  uint64_t server_bytes_out = 0;

  void collect() {
    std::vector<http2::Event> batch;
    server.take_events(batch);
    for (auto& e : batch) {
      Seen s{e.kind, e.stream, std::move(e.head),
             std::string(reinterpret_cast<const char*>(e.data.data()), e.data.size()),
             e.status, std::string(e.label), e.error_code};
      events.push_back(std::move(s));
    }
  }

  // server_to_client runs one produce and hands the bytes to the client; true if any.
  bool server_to_client() {
    ByteQueue out;
    server.produce(out, 1u << 30);
    collect();
    if (out.empty()) return false;
    const Bytes b = queue_bytes(out);
    server_bytes_out += b.size();
    REQUIRE(client.recv(b));
    return true;
  }

  // client_to_server hands the client's pending bytes to the Session; true if any.
  bool client_to_server() {
    const Bytes b = client.take();
    if (b.empty()) return false;
    server.feed(b);
    collect();
    return true;
  }

  // pump moves bytes both ways until neither side has anything to send (bounded).
  void pump() {
    for (int i = 0; i < 1000; ++i) {
      const bool a = client_to_server();
      const bool b = server_to_client();
      if (!a && !b) return;
    }
    FAIL("pump did not settle");
  }

  std::vector<const Seen*> of(EventKind k, int32_t stream = 0) const {
    std::vector<const Seen*> out;
    for (const auto& e : events) {
      if (e.kind == k && (stream == 0 || e.stream == stream)) out.push_back(&e);
    }
    return out;
  }
  const Seen* request(int32_t stream) const {
    auto r = of(EventKind::Request, stream);
    return r.empty() ? nullptr : r.front();
  }
  std::string body_of(int32_t stream) const {
    std::string b;
    for (const auto* e : of(EventKind::Data, stream)) b += e->data;
    return b;
  }
  size_t count(EventKind k, int32_t stream = 0) const { return of(k, stream).size(); }
};

Headers get_headers(const std::string& path = "/index", const std::string& authority = "example.com") {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", authority}, {":path", path}};
}
Headers post_headers(const std::string& path = "/upload", const std::string& authority = "example.com") {
  return {{":method", "POST"}, {":scheme", "https"}, {":authority", authority}, {":path", path}};
}
Headers plus(Headers h, const Headers& more) {
  h.insert(h.end(), more.begin(), more.end());
  return h;
}

const http::Field* field(const http::RequestHead& h, std::string_view name) {
  return http::find(h.fields, name);
}

size_t count_fields(const http::RequestHead& h, std::string_view name) {
  size_t n = 0;
  for (const auto& f : h.fields) n += f.name == name;
  return n;
}

http::ResponseHead response(uint16_t status, std::optional<uint64_t> length = std::nullopt) {
  http::ResponseHead r;
  r.status = status;
  r.version = http::Version::Http2;
  r.fields.push_back({"content-type", "text/plain"});
  r.content_length = length;
  return r;
}

BodySource body(std::string data, bool end_stream = true) {
  BodySource b;
  b.data = std::move(data);
  b.end_stream = end_stream;
  return b;
}

}  // namespace

TEST_CASE("http2: the Session advertises its limits in its first SETTINGS", "[http2][session]") {
  http2::Limits lim;
  lim.max_concurrent_streams = 7;
  lim.stream_window_bytes = 32 * 1024;
  lim.max_header_list_bytes = 8 * 1024;
  Wire w(lim);
  w.pump();
  auto settings = w.client.of_type(NGHTTP2_SETTINGS);
  REQUIRE(!settings.empty());
  const ClientFrame& first = *settings.front();
  CHECK((first.flags & NGHTTP2_FLAG_ACK) == 0);
  CHECK(first.settings.at(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 7);
  CHECK(first.settings.at(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 32 * 1024);
  CHECK(first.settings.at(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE) == 4096);
  CHECK(first.settings.at(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE) == 8 * 1024);
  CHECK(first.settings.at(NGHTTP2_SETTINGS_ENABLE_PUSH) == 0);
  CHECK(nghttp2_session_get_remote_settings(w.client.get(),
                                            NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 7);
  // The connection window is opened to connection_window_bytes with a WINDOW_UPDATE on 0.
  int64_t conn_increment = 0;
  for (const auto* f : w.client.of_type(NGHTTP2_WINDOW_UPDATE)) {
    if (f->stream == 0) conn_increment += f->window_increment;
  }
  CHECK(conn_increment + 65535 == lim.connection_window_bytes);
  CHECK(nghttp2_session_get_remote_window_size(w.client.get()) ==
        static_cast<int32_t>(lim.connection_window_bytes));
  CHECK_FALSE(w.server.dead());
}

TEST_CASE("http2: GET with END_STREAM on HEADERS gives Request then End", "[http2][session]") {
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(
      plus(get_headers("/a/b?x=1&y=2", "Example.COM:8443"), {{"accept", "*/*"}, {"x-trace", "t1"}}));
  w.pump();
  REQUIRE(w.events.size() == 2);
  CHECK(w.events[0].kind == EventKind::Request);
  CHECK(w.events[1].kind == EventKind::End);
  CHECK(w.events[1].stream == id);
  const http::RequestHead& h = w.events[0].head;
  CHECK(h.method == "GET");
  CHECK(h.version == http::Version::Http2);
  CHECK(h.authority == "example.com:8443");  // lowercased
  CHECK(h.path == "/a/b");
  CHECK(h.has_query);
  CHECK(h.query == "x=1&y=2");
  CHECK_FALSE(h.chunked);
  CHECK_FALSE(h.content_length.has_value());
  CHECK_FALSE(h.has_body());
  REQUIRE(field(h, "accept"));
  CHECK(field(h, "accept")->value == "*/*");
  CHECK(field(h, "x-trace")->value == "t1");
  // pseudo-header fields never appear as fields
  for (const auto& f : h.fields) CHECK(f.name[0] != ':');
  CHECK(w.server.open_streams() == 1);  // open until we respond

  SECTION("a response without a body ends the stream") {
    REQUIRE(w.server.respond(id, response(204), true));
    w.pump();
    CHECK(w.client.status(id) == "204");
    CHECK(w.client.response_field(id, "content-type") == "text/plain");
    CHECK(w.client.streams[id].closed);
    CHECK(w.client.streams[id].close_code == NGHTTP2_NO_ERROR);
    CHECK(w.count(EventKind::Reset, id) == 1);  // "closed" once both sides are done
    CHECK(w.of(EventKind::Reset, id)[0]->error_code == NGHTTP2_NO_ERROR);
    CHECK(w.server.open_streams() == 0);
  }
  SECTION("a response with a body and content-length") {
    REQUIRE(w.server.respond(id, response(200, 5), false));
    w.server.send_body(id, as_bytes("hello"));
    w.server.end_body(id);
    w.pump();
    CHECK(w.client.status(id) == "200");
    CHECK(w.client.response_field(id, "content-length") == "5");
    CHECK(w.client.streams[id].body == "hello");
    CHECK(w.client.streams[id].closed);
    CHECK(w.client.streams[id].close_code == NGHTTP2_NO_ERROR);
  }
}

TEST_CASE("http2: POST with a Content-Length body", "[http2][session]") {
  Wire w(http2::Limits{});
  const std::string payload(3000, 'p');
  const int32_t id =
      w.client.request(plus(post_headers(), {{"content-length", "3000"}}), std::optional<BodySource>(body(payload)));
  w.pump();
  const Seen* r = w.request(id);
  REQUIRE(r);
  CHECK(r->head.method == "POST");
  REQUIRE(r->head.content_length.has_value());
  CHECK(*r->head.content_length == 3000);
  CHECK_FALSE(r->head.chunked);
  CHECK(w.body_of(id) == payload);
  REQUIRE(w.count(EventKind::End, id) == 1);
  // the End event comes after the last Data event
  CHECK(w.events.back().kind == EventKind::End);
}

TEST_CASE("http2: POST without Content-Length is re-framed as chunked", "[http2][session]") {
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(post_headers(), std::optional<BodySource>(body("abcdef")));
  w.pump();
  const Seen* r = w.request(id);
  REQUIRE(r);
  CHECK(r->head.chunked);
  CHECK_FALSE(r->head.content_length.has_value());
  CHECK(w.body_of(id) == "abcdef");
  CHECK(w.count(EventKind::End, id) == 1);
}

TEST_CASE("http2: request trailers are not forwarded", "[http2][session]") {
  Wire w(http2::Limits{});
  BodySource b = body("data-before-trailers");
  b.trailers = {{"x-checksum", "abc"}, {"x-late", "1"}};
  const int32_t id = w.client.request(plus(post_headers(), {{"te", "trailers"}}), b);
  w.pump();
  REQUIRE(w.count(EventKind::Request) == 1);  // trailers are not a second request
  const Seen* r = w.request(id);
  REQUIRE(r);
  CHECK(field(r->head, "x-checksum") == nullptr);
  CHECK(field(r->head, "x-late") == nullptr);
  CHECK(field(r->head, "te") == nullptr);  // hop-by-hop, consumed by the codec
  CHECK(w.body_of(id) == "data-before-trailers");
  CHECK(w.count(EventKind::End, id) == 1);  // END_STREAM rode on the trailers
  CHECK(w.count(EventKind::Reset) == 0);
}

TEST_CASE("http2: cookie fields are joined with '; '", "[http2][session]") {
  Wire w(http2::Limits{});
  // nghttp2 sends each crumb as its own field (RFC 9113 §8.2.3 allows splitting)
  const int32_t id = w.client.request(
      plus(get_headers(), {{"cookie", "a=1"}, {"x-mid", "m"}, {"cookie", "b=2"}, {"cookie", "c=3"}}));
  w.pump();
  const Seen* r = w.request(id);
  REQUIRE(r);
  CHECK(count_fields(r->head, "cookie") == 1);
  REQUIRE(field(r->head, "cookie"));
  CHECK(field(r->head, "cookie")->value == "a=1; b=2; c=3");
  CHECK(field(r->head, "x-mid")->value == "m");
}

TEST_CASE("http2: host and :authority", "[http2][session]") {
  Wire w(http2::Limits{});
  SECTION("a host field naming another host is refused with 400") {
    const int32_t id = w.client.request(plus(get_headers("/", "example.com"), {{"host", "evil.example"}}));
    w.pump();
    CHECK(w.count(EventKind::Request) == 0);
    auto refused = w.of(EventKind::Refused, id);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0]->status == 400);
    CHECK(refused[0]->label == "h2_host_mismatch");
    CHECK(w.count(EventKind::End, id) == 0);  // a refused stream never ends as a request
    SECTION("the glue's answer reaches the client") {
      REQUIRE(w.server.respond(id, response(400, 0), true));
      w.pump();
      CHECK(w.client.status(id) == "400");
    }
  }
  SECTION("a host field equal to :authority (any case) is accepted") {
    const int32_t id = w.client.request(plus(get_headers("/", "example.com"), {{"host", "EXAMPLE.com"}}));
    w.pump();
    REQUIRE(w.request(id));
    CHECK(w.request(id)->head.authority == "example.com");
    CHECK(field(w.request(id)->head, "host") == nullptr);  // authority is carried separately
  }
  SECTION("host alone stands in for :authority") {
    const int32_t id = w.client.request(
        {{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "only-host.example"}});
    w.pump();
    REQUIRE(w.request(id));
    CHECK(w.request(id)->head.authority == "only-host.example");
  }
  SECTION("neither is refused") {
    const int32_t id = w.client.request({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}});
    w.pump();
    // nghttp2's messaging checks reset it (RFC 9113 §8.3.1: :authority or host is needed
    // for an https request); were they relaxed, the Session would refuse it with 400.
    CHECK(w.count(EventKind::Request) == 0);
    auto refused = w.of(EventKind::Refused, id);
    if (refused.empty()) {
      REQUIRE(w.client.streams[id].closed);
      CHECK(w.client.streams[id].close_code == NGHTTP2_PROTOCOL_ERROR);
    } else {
      CHECK(refused[0]->status == 400);
      CHECK(refused[0]->label == "h2_bad_authority");
    }
  }
  SECTION("scheme http on the TLS door is refused") {
    const int32_t id =
        w.client.request({{":method", "GET"}, {":scheme", "http"}, {":authority", "a.example"}, {":path", "/"}});
    w.pump();
    auto refused = w.of(EventKind::Refused, id);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0]->status == 400);
    CHECK(refused[0]->label == "h2_bad_scheme");
  }
}

TEST_CASE("http2: a header list over the limit gets 431 and HPACK stays in sync", "[http2][session]") {
  http2::Limits lim;
  lim.max_header_list_bytes = 4096;
  lim.max_header_count = 20;
  Wire w(lim);
  w.pump();  // SETTINGS exchanged
  // Small fields the client's encoder puts into its dynamic table: the next request refers to
  // them by index, so the Session must have decoded (and indexed) them although it refused.
  const Headers shared = {{"x-shared-a", "alpha"}, {"x-shared-b", "beta"}};
  Headers big = plus(get_headers("/big"), shared);
  SECTION("too many bytes") {
    for (int i = 0; i < 6; ++i) big.emplace_back("x-pad-" + std::to_string(i), std::string(900, 'v'));
  }
  SECTION("too many fields") {
    for (int i = 0; i < 25; ++i) big.emplace_back("x-f" + std::to_string(i), "v");
  }
  const int32_t bad = w.client.request(big);
  w.pump();
  auto refused = w.of(EventKind::Refused, bad);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]->status == 431);
  CHECK(refused[0]->label == "h2_header_list_too_large");
  CHECK(w.count(EventKind::Request, bad) == 0);
  REQUIRE(w.server.respond(bad, response(431, 0), true));
  w.pump();
  CHECK(w.client.status(bad) == "431");

  // Same connection, next stream, indexed references to the fields above.
  const int32_t next = w.client.request(plus(get_headers("/next"), shared));
  w.pump();
  CHECK_FALSE(w.client.goaway());  // no COMPRESSION_ERROR
  const Seen* r = w.request(next);
  REQUIRE(r);
  CHECK(r->head.path == "/next");
  REQUIRE(field(r->head, "x-shared-a"));
  CHECK(field(r->head, "x-shared-a")->value == "alpha");
  CHECK(field(r->head, "x-shared-b")->value == "beta");
}

TEST_CASE("http2: streams per connection end with GOAWAY(NO_ERROR)", "[http2][session]") {
  http2::Limits lim;
  lim.max_streams_per_connection = 3;
  Wire w(lim);
  w.pump();
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(w.client.request(get_headers("/n" + std::to_string(i))));
  w.pump();
  CHECK(w.count(EventKind::Request) == 3);
  const ClientFrame* g = w.client.goaway();
  REQUIRE(g);
  CHECK(g->error_code == NGHTTP2_NO_ERROR);
  CHECK(g->last_stream_id == ids.back());
  CHECK(w.server.stats().goaway_sent == 1);
  // the streams already accepted still complete
  for (int32_t id : ids) REQUIRE(w.server.respond(id, response(200, 0), true));
  w.pump();
  for (int32_t id : ids) CHECK(w.client.status(id) == "200");
  CHECK(w.server.open_streams() == 0);
  CHECK(w.server.dead());  // GOAWAY sent, nothing open: the glue closes the socket
}

TEST_CASE("http2: shutdown sends GOAWAY naming the last stream", "[http2][session]") {
  Wire w(http2::Limits{});
  const int32_t a = w.client.request(post_headers("/a"), std::optional<BodySource>(body("x", false)));
  const int32_t b = w.client.request(get_headers("/b"));
  w.pump();
  REQUIRE(w.request(a));
  REQUIRE(w.request(b));
  w.server.shutdown();
  w.server.shutdown();  // idempotent
  w.pump();
  auto goaways = w.client.of_type(NGHTTP2_GOAWAY);
  REQUIRE(goaways.size() == 1);
  CHECK(goaways[0]->error_code == NGHTTP2_NO_ERROR);
  CHECK(goaways[0]->last_stream_id == b);
  CHECK_FALSE(w.server.dead());  // streams a and b are still open
  REQUIRE(w.server.respond(b, response(200, 2), false));
  w.server.send_body(b, as_bytes("ok"));
  w.server.end_body(b);
  REQUIRE(w.server.respond(a, response(200, 0), true));
  w.pump();
  CHECK(w.client.streams[b].body == "ok");
  CHECK(w.client.status(a) == "200");
}

TEST_CASE("http2: request body flow control follows consume()", "[http2][session]") {
  http2::Limits lim;  // stream window 64 KiB, connection window 1 MiB
  Wire w(lim);
  w.pump();  // the client learns our window before it sends
  const std::string payload(300 * 1024, 'z');
  const int32_t id =
      w.client.request(plus(post_headers(), {{"content-length", std::to_string(payload.size())}}),
                       std::optional<BodySource>(body(payload)));
  w.pump();
  REQUIRE(w.request(id));
  // Without consume the client stalls with exactly the stream window sent.
  CHECK(w.body_of(id).size() == lim.stream_window_bytes);
  CHECK(nghttp2_session_get_stream_remote_window_size(w.client.get(), id) == 0);
  w.pump();
  CHECK(w.body_of(id).size() == lim.stream_window_bytes);  // still stalled

  // The glue hands the bytes on and gives the window back: the client moves again.
  size_t consumed = 0;
  for (int round = 0; round < 100 && w.body_of(id).size() < payload.size(); ++round) {
    const size_t got = w.body_of(id).size();
    w.server.consume(id, got - consumed);
    consumed = got;
    w.pump();
    REQUIRE(w.body_of(id).size() > got);  // progress after every consume
  }
  CHECK(w.body_of(id) == payload);
  CHECK(w.count(EventKind::End, id) == 1);
}

TEST_CASE("http2: response body deferral and resume", "[http2][session]") {
  // A client with large windows, so only our own queue decides what is sent.
  Wire w(http2::Limits{}, {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 8 * 1024 * 1024}}, 16 * 1024 * 1024);
  const int32_t id = w.client.request(get_headers("/stream"));
  w.pump();
  REQUIRE(w.request(id));
  REQUIRE(w.server.respond(id, response(200), false));  // no body yet: the provider defers
  w.pump();
  CHECK(w.client.status(id) == "200");
  CHECK(w.client.streams[id].body.empty());
  CHECK_FALSE(w.client.streams[id].closed);

  w.server.send_body(id, as_bytes("first;"));
  CHECK(w.server.pending_body(id) == 6);
  w.pump();  // resumed by send_body
  CHECK(w.server.pending_body(id) == 0);
  CHECK(w.client.streams[id].body == "first;");
  CHECK_FALSE(w.client.streams[id].closed);

  // More than kBodyLowWater queued: once produce drains it below, the stream is listed.
  const std::string big(3 * http2::Session::kBodyLowWater, 'B');
  w.server.send_body(id, as_bytes(big));
  CHECK(w.server.pending_body(id) == big.size());
  ByteQueue out;
  w.server.produce(out, 1u << 30);
  CHECK(w.server.pending_body(id) == 0);
  REQUIRE(w.server.drained_streams().size() == 1);
  CHECK(w.server.drained_streams()[0] == id);
  REQUIRE(w.client.recv(queue_bytes(out)));
  w.collect();
  ByteQueue none;
  w.server.produce(none, 1u << 30);
  CHECK(w.server.drained_streams().empty());  // cleared by the next produce
  CHECK(none.empty());

  w.server.end_body(id);  // resumes the deferred provider with EOF
  w.pump();
  CHECK(w.client.streams[id].body == "first;" + big);
  CHECK(w.client.streams[id].closed);
  CHECK(w.client.streams[id].close_code == NGHTTP2_NO_ERROR);
}

TEST_CASE("http2: produce stops at max_queued", "[http2][session]") {
  Wire w(http2::Limits{}, {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 8 * 1024 * 1024}}, 16 * 1024 * 1024);
  const int32_t id = w.client.request(get_headers("/big"));
  w.pump();
  REQUIRE(w.server.respond(id, response(200), false));
  const std::string big(256 * 1024, 'q');
  w.server.send_body(id, as_bytes(big));
  w.server.end_body(id);
  ByteQueue out;
  CHECK(w.server.produce(out, 20 * 1024));  // stopped because of max_queued
  CHECK(out.size() > 20 * 1024);
  CHECK(out.size() < 64 * 1024);
  CHECK(w.server.pending_body(id) > 0);
  REQUIRE(w.client.recv(queue_bytes(out)));
  w.pump();
  CHECK(w.client.streams[id].body == big);
}

TEST_CASE("http2: the client's window paces the response body", "[http2][session]") {
  // Default client: 65535-byte stream window, and we never let it send WINDOW_UPDATE.
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(get_headers("/big"));
  w.pump();
  REQUIRE(w.server.respond(id, response(200), false));
  const std::string big(200 * 1024, 'w');
  w.server.send_body(id, as_bytes(big));
  ByteQueue out;
  w.server.produce(out, 1u << 30);
  REQUIRE(w.client.recv(queue_bytes(out)));
  CHECK(w.client.streams[id].body.size() == 65535);
  CHECK(w.server.pending_body(id) == big.size() - 65535);
  w.pump();  // the client's automatic WINDOW_UPDATEs let the rest through
  CHECK(w.client.streams[id].body == big);
  CHECK(w.server.pending_body(id) == 0);
}

TEST_CASE("http2: RST_STREAM from the client gives a Reset event", "[http2][session]") {
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(post_headers(), std::optional<BodySource>(body("partial", false)));
  w.pump();
  REQUIRE(w.request(id));
  CHECK(w.body_of(id) == "partial");
  REQUIRE(nghttp2_submit_rst_stream(w.client.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL) == 0);
  w.pump();
  auto resets = w.of(EventKind::Reset, id);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0]->error_code == NGHTTP2_CANCEL);
  CHECK(resets[0]->label == "reset");
  CHECK(w.server.open_streams() == 0);
  // The stream is gone: respond and send_body are refused or ignored, nothing is sent.
  CHECK_FALSE(w.server.respond(id, response(200, 0), true));
  w.server.send_body(id, as_bytes("late"));
  w.server.end_body(id);
  CHECK(w.server.pending_body(id) == 0);
  const uint64_t before = w.server_bytes_out;
  w.pump();
  CHECK(w.server_bytes_out == before);
}

TEST_CASE("http2: the Session resets a stream on request", "[http2][session]") {
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(get_headers());
  w.pump();
  REQUIRE(w.server.respond(id, response(200), false));
  w.server.send_body(id, as_bytes("half"));
  w.pump();
  w.server.reset(id, NGHTTP2_INTERNAL_ERROR);
  w.pump();
  CHECK(w.client.streams[id].closed);
  CHECK(w.client.streams[id].close_code == NGHTTP2_INTERNAL_ERROR);
  CHECK(w.server.stats().rst_sent == 1);
  CHECK(w.count(EventKind::Reset, id) == 1);
}

TEST_CASE("http2: content-length that disagrees with DATA resets the stream", "[http2][session]") {
  Wire w(http2::Limits{});
  SECTION("fewer bytes than announced") {
    const int32_t id = w.client.request(plus(post_headers(), {{"content-length", "10"}}),
                                        std::optional<BodySource>(body("12345")));
    w.pump();
    REQUIRE(w.client.streams[id].closed);
    CHECK(w.client.streams[id].close_code == NGHTTP2_PROTOCOL_ERROR);
    CHECK(w.count(EventKind::End, id) == 0);  // never looks like a complete body
    CHECK(w.count(EventKind::Reset, id) == 1);
    CHECK(w.server.open_streams() == 0);
  }
  SECTION("more bytes than announced") {
    const int32_t id = w.client.request(plus(post_headers(), {{"content-length", "3"}}),
                                        std::optional<BodySource>(body("123456789")));
    w.pump();
    REQUIRE(w.client.streams[id].closed);
    CHECK(w.client.streams[id].close_code == NGHTTP2_PROTOCOL_ERROR);
    CHECK(w.count(EventKind::End, id) == 0);
    CHECK(w.body_of(id).size() <= 3);  // nothing past the announced length is handed on
  }
  CHECK_FALSE(w.client.goaway());  // a stream error, not a connection error
}

TEST_CASE("http2: connection-specific and malformed fields reset the stream", "[http2][session]") {
  using Catch::Generators::table;
  auto [name, value] = GENERATE(table<std::string, std::string>({
      {"connection", "keep-alive"},
      {"transfer-encoding", "chunked"},
      {"keep-alive", "timeout=5"},
      {"proxy-connection", "keep-alive"},
      {"upgrade", "h2c"},
      {"te", "gzip"},
      {"x-upper-Case", "v"},
      {"x-crlf", "a\r\nb: c"},
      {"x-nul", std::string("a\0b", 3)},
  }));
  INFO("field " << name);
  Wire w(http2::Limits{});
  const int32_t id = w.client.request(plus(get_headers(), {{name, value}}));
  w.pump();
  CHECK(w.count(EventKind::Request) == 0);
  REQUIRE(w.client.streams[id].closed);
  CHECK(w.client.streams[id].close_code == NGHTTP2_PROTOCOL_ERROR);
  CHECK(w.client.status(id).empty());
  CHECK_FALSE(w.client.goaway());
  CHECK(w.server.open_streams() == 0);
  // the connection keeps working
  const int32_t next = w.client.request(get_headers("/after"));
  w.pump();
  REQUIRE(w.request(next));
  CHECK(w.request(next)->head.path == "/after");
}

TEST_CASE("http2: rapid reset flood ends with GOAWAY", "[http2][session]") {
  http2::Limits lim;
  lim.reset_burst = 50;
  lim.reset_rate_per_s = 1;
  lim.max_streams_per_connection = 1'000'000;  // so the reset limiter, not the stream cap, acts
  Wire w(lim);
  w.pump();
  int pairs = 0;
  for (; pairs < 500 && !w.client.goaway(); ++pairs) {
    const int32_t id = w.client.request(get_headers("/r" + std::to_string(pairs)));
    w.client_to_server();
    REQUIRE(nghttp2_submit_rst_stream(w.client.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL) == 0);
    w.client_to_server();
    w.server_to_client();
  }
  const ClientFrame* g = w.client.goaway();
  REQUIRE(g);
  CHECK(g->error_code != NGHTTP2_NO_ERROR);
  CHECK(pairs <= 60);  // within the burst (plus the frames already in flight)
  CHECK(w.server.stats().goaway_sent >= 1);
  CHECK(w.server.stats().last_goaway_code == g->error_code);
}

TEST_CASE("http2: protocol errors kill the session", "[http2][session]") {
  Wire w(http2::Limits{});
  SECTION("bad preface") {
    const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    w.server.feed(as_bytes(junk));
    CHECK_FALSE(w.server.failure().empty());
    ByteQueue out;
    w.server.produce(out, 1u << 30);
    CHECK(w.server.dead());
  }
  SECTION("CONTINUATION flood past max_continuations") {
    w.pump();
    // HEADERS without END_HEADERS, then many empty CONTINUATION frames (CVE-2024-28182).
    Bytes raw;
    auto put_frame = [&](uint8_t type, uint8_t flags, int32_t sid, const Bytes& payload) {
      const uint32_t len = static_cast<uint32_t>(payload.size());
      raw.push_back(static_cast<uint8_t>(len >> 16));
      raw.push_back(static_cast<uint8_t>(len >> 8));
      raw.push_back(static_cast<uint8_t>(len));
      raw.push_back(type);
      raw.push_back(flags);
      for (int s = 24; s >= 0; s -= 8) raw.push_back(static_cast<uint8_t>(sid >> s));
      raw.insert(raw.end(), payload.begin(), payload.end());
    };
    // HPACK: :method GET (2), :scheme https (7), :path / (4), literal :authority (idx 1) "a"
    const Bytes block = {0x82, 0x87, 0x84, 0x41, 0x01, 'a'};
    put_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block);
    for (int i = 0; i < 50; ++i) put_frame(NGHTTP2_CONTINUATION, 0, 1, {});
    w.server.feed(raw);
    w.collect();
    CHECK(w.count(EventKind::Request) == 0);
    CHECK_FALSE(w.server.failure().empty());
    w.server_to_client();
    // nghttp2 gives up on the connection (it may or may not manage a GOAWAY first)
    if (const ClientFrame* g = w.client.goaway()) CHECK(g->error_code != NGHTTP2_NO_ERROR);
    CHECK(w.server.dead());
  }
}

TEST_CASE("http2: streams over max_concurrent_streams are refused", "[http2][session]") {
  http2::Limits lim;
  lim.max_concurrent_streams = 2;
  Wire w(lim);
  // The client sends before it has seen our SETTINGS, so it does not hold back.
  std::vector<int32_t> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(w.client.request(post_headers("/p" + std::to_string(i)), body("", false)));
  w.pump();
  CHECK(w.request(ids[0]));
  CHECK(w.request(ids[1]));
  CHECK_FALSE(w.request(ids[2]));
  CHECK_FALSE(w.request(ids[3]));
  for (int i = 2; i < 4; ++i) {
    INFO("stream " << ids[i]);
    REQUIRE(w.client.streams[ids[i]].closed);
    CHECK(w.client.streams[ids[i]].close_code == NGHTTP2_REFUSED_STREAM);
  }
  CHECK(w.server.open_streams() == 2);  // no state kept for the refused ones
  CHECK_FALSE(w.client.goaway());
}
