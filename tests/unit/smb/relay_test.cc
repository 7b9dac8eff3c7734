// smb::Relay over real loopback sockets in one uv loop: a fake client and a fake SMB server
// replay captured Samba frames through the relay. Bytes arrive unchanged, drops close both
// sides, metrics count, and every handle is gone at the end (uv_loop_close == 0).
#include "smb/relay.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "gateway/base/log.h"
#include "smb/header.h"
#include "smb/metrics.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

namespace {

struct Peer : uv::StreamEvents {
  Bytes got;
  bool eof = false;
  int error = 0;
  int connected = 1;
  void on_read(BytesView d) override { got.insert(got.end(), d.begin(), d.end()); }
  void on_eof() override { eof = true; }
  void on_error(int s) override { error = s; }
  void on_connected(int s) override { connected = s; }
  bool closed() const { return eof || error != 0; }
};

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  template <class Pred>
  bool run_until(Pred done, int max_iters = 200000) {
    for (int i = 0; i < max_iters && !done(); ++i) uv_run(&loop, UV_RUN_ONCE);
    return done();
  }
};

// Lab is a fake SMB server, a relay in front of it and a client connected to the relay.
struct Lab {
  Loop l;
  Peer server_sink, client_sink;
  std::unique_ptr<uv::TcpListener> server_listener;
  std::unique_ptr<uv::TcpStream> server;
  std::unique_ptr<Relay> relay;
  std::unique_ptr<uv::TcpStream> client;

  explicit Lab(RelayConfig config, bool with_server = true) {
    log::set_level(log::Level::Error);
    uint16_t backend_port = 0;
    auto sl = uv::TcpListener::bind(&l.loop, "127.0.0.1", 0, 16, [this](uv_stream_t* s) {
      auto a = uv::TcpStream::accept(s, &server_sink);
      REQUIRE(a);
      server = std::move(*a);
      server->start_reading();
    });
    REQUIRE(sl);
    backend_port = (*sl)->port();
    if (with_server) {
      server_listener = std::move(*sl);
    } else {
      (*sl)->close();  // nothing listens there any more
    }
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.backend_host = "127.0.0.1";
    config.backend_port = backend_port;
    auto r = Relay::start(&l.loop, config);
    REQUIRE(r);
    relay = std::move(*r);
    auto addr = uv::make_sockaddr("127.0.0.1", relay->port());
    REQUIRE(addr);
    auto c = uv::TcpStream::connect(&l.loop, *addr, &client_sink);
    REQUIRE(c);
    client = std::move(*c);
    REQUIRE(l.run_until([&] { return client_sink.connected == 0; }));
    client->start_reading();
    if (with_server) REQUIRE(l.run_until([&] { return server != nullptr; }));
  }

  ~Lab() {
    client.reset();
    if (server) server->set_events(nullptr);
    server.reset();
    relay.reset();
    if (server_listener) server_listener->close();
  }

  // send writes one captured frame from its side and waits until the other side has it.
  void send(const Frame& f, Bytes& want_at_server, Bytes& want_at_client) {
    if (f.side == Side::Client) {
      client->write(f.bytes);
      want_at_server.insert(want_at_server.end(), f.bytes.begin(), f.bytes.end());
      REQUIRE(l.run_until([&] { return server_sink.got.size() >= want_at_server.size(); }));
      REQUIRE(server_sink.got == want_at_server);
    } else {
      server->write(f.bytes);
      want_at_client.insert(want_at_client.end(), f.bytes.begin(), f.bytes.end());
      REQUIRE(l.run_until([&] { return client_sink.got.size() >= want_at_client.size(); }));
      REQUIRE(client_sink.got == want_at_client);
    }
  }
};

double counter(prometheus::Family<prometheus::Counter>& f, const prometheus::Labels& labels) {
  return f.Add(labels).Value();
}

uint64_t session_of(const std::vector<Frame>& frames) {
  return std::get<Parsed<Smb2Header>>(read_smb2_header(message(frames.at(5)))).value.session_id;
}

}  // namespace

TEST_CASE("smb: relay carries an encrypted Samba session unchanged", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-pass";
  const auto frames = load_capture("capture_311_aes128gcm.hex");
  Bytes at_server, at_client;
  {
    Lab lab(cfg);
    for (const Frame& f : frames) lab.send(f, at_server, at_client);
    CHECK(lab.relay->connections() == 1);
    lab.client.reset();  // the client leaves: the relay closes the server side too
    REQUIRE(lab.l.run_until([&] { return lab.server_sink.closed(); }));
    REQUIRE(lab.l.run_until([&] { return lab.relay->connections() == 0; }));
  }
  auto& m = SmbMetrics::global();
  CHECK(counter(m.sessions, {{"listener", "relay-test-pass"},
                             {"dialect", "3.1.1"},
                             {"cipher", "AES-128-GCM"}}) == 1);
  CHECK(counter(m.bytes, {{"listener", "relay-test-pass"}, {"direction", "client_to_server"}}) ==
        static_cast<double>(at_server.size()));
  CHECK(counter(m.bytes, {{"listener", "relay-test-pass"}, {"direction", "server_to_client"}}) ==
        static_cast<double>(at_client.size()));
  for (size_t i = 0; i < kErrcCount; ++i) {
    CHECK(counter(m.drops, {{"listener", "relay-test-pass"},
                            {"reason", std::string(label(static_cast<Errc>(i)))}}) == 0);
  }
}

TEST_CASE("smb: relay drops a plaintext TREE_CONNECT and closes both sides", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-drop";
  const auto frames = load_capture("capture_311_plain_tree_connect.hex");
  Bytes at_server, at_client;
  {
    Lab lab(cfg);
    for (size_t i = 0; i < 6; ++i) lab.send(frames[i], at_server, at_client);
    REQUIRE(frames[6].side == Side::Client);
    lab.client->write(frames[6].bytes);
    REQUIRE(lab.l.run_until([&] { return lab.client_sink.closed() && lab.server_sink.closed(); }));
    CHECK(lab.server_sink.got == at_server);  // not one byte of the TREE_CONNECT
    CHECK(lab.relay->connections() == 0);
  }
  CHECK(counter(SmbMetrics::global().drops,
                {{"listener", "relay-test-drop"}, {"reason", "plaintext_message"}}) == 1);
}

TEST_CASE("smb: relay drops SMB1 at the first frame", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-smb1";
  const auto frames = load_capture("capture_smb1_multiprotocol.hex");
  {
    Lab lab(cfg);
    lab.client->write(frames.at(0).bytes);
    REQUIRE(lab.l.run_until([&] { return lab.client_sink.closed() && lab.server_sink.closed(); }));
    CHECK(lab.server_sink.got.empty());
  }
  CHECK(counter(SmbMetrics::global().drops,
                {{"listener", "relay-test-smb1"}, {"reason", "smb1"}}) == 1);
}

TEST_CASE("smb: relay streams 8 MiB TRANSFORMs under back-pressure", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-bulk";
  cfg.max_buffered_bytes = 128 * 1024;
  const auto frames = load_capture("capture_311_aes128gcm.hex");
  const uint64_t sid = session_of(frames);
  Lab lab(cfg);
  Bytes at_server, at_client;
  for (size_t i = 0; i < 6; ++i) lab.send(frames[i], at_server, at_client);
  // The client stops reading for a while: the relay must stop reading the server, not buffer.
  lab.client->stop_reading();
  Bytes big;
  for (int i = 0; i < 4; ++i) {
    Bytes f = nbss_frame(transform(sid, 8 * 1024 * 1024 + 80));
    for (size_t k = 56; k < f.size(); ++k) f[k] = static_cast<uint8_t>(k * 31 + i);
    big.insert(big.end(), f.begin(), f.end());
  }
  lab.server->write(big);
  for (int i = 0; i < 2000; ++i) uv_run(&lab.l.loop, UV_RUN_NOWAIT);
  CHECK(lab.server->pending() > 0);  // the server's bytes wait: nobody reads them
  lab.client->start_reading();
  at_client.insert(at_client.end(), big.begin(), big.end());
  REQUIRE(lab.l.run_until([&] { return lab.client_sink.got.size() >= at_client.size(); }));
  CHECK(lab.client_sink.got == at_client);
  // And the other way.
  Bytes up = nbss_frame(transform(sid, 3 * 1024 * 1024));
  lab.client->write(up);
  at_server.insert(at_server.end(), up.begin(), up.end());
  REQUIRE(lab.l.run_until([&] { return lab.server_sink.got.size() >= at_server.size(); }));
  CHECK(lab.server_sink.got == at_server);
}

TEST_CASE("smb: relay drops when the SMB server cannot be reached", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-down";
  {
    Lab lab(cfg, /*with_server=*/false);
    REQUIRE(lab.l.run_until([&] { return lab.client_sink.closed(); }));
    REQUIRE(lab.l.run_until([&] { return lab.relay->connections() == 0; }));
  }
  CHECK(counter(SmbMetrics::global().drops,
                {{"listener", "relay-test-down"}, {"reason", "backend_connect_failed"}}) == 1);
}

TEST_CASE("smb: relay drops a client that never sets up an encrypted session", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-slow";
  cfg.setup_timeout_ms = 150;
  const auto frames = load_capture("capture_311_aes128gcm.hex");
  {
    Lab lab(cfg);
    Bytes at_server, at_client;
    lab.send(frames[0], at_server, at_client);  // NEGOTIATE, then silence
    REQUIRE(lab.l.run_until([&] { return lab.client_sink.closed() && lab.server_sink.closed(); }));
  }
  CHECK(counter(SmbMetrics::global().drops,
                {{"listener", "relay-test-slow"}, {"reason", "setup_timeout"}}) == 1);
}

TEST_CASE("smb: relay refuses connections over its limit", "[smb][relay]") {
  RelayConfig cfg;
  cfg.listener = "relay-test-limit";
  cfg.max_connections = 1;
  {
    Lab lab(cfg);
    Peer second_sink;
    auto addr = uv::make_sockaddr("127.0.0.1", lab.relay->port());
    auto second = uv::TcpStream::connect(&lab.l.loop, *addr, &second_sink);
    REQUIRE(second);
    REQUIRE(lab.l.run_until([&] { return second_sink.connected == 0; }));
    (*second)->start_reading();
    REQUIRE(lab.l.run_until([&] { return second_sink.closed(); }));
    CHECK(lab.relay->connections() == 1);
    second->reset();
  }
  CHECK(counter(SmbMetrics::global().drops,
                {{"listener", "relay-test-limit"}, {"reason", "too_many_connections"}}) == 1);
}

TEST_CASE("smb: relay refuses an invalid configuration", "[smb][relay]") {
  Loop l;
  RelayConfig cfg;
  cfg.listen_port = 0;
  auto r = Relay::start(&l.loop, cfg);  // no backend
  REQUIRE_FALSE(r);
  CHECK(r.error().label == "invalid_config");
  cfg.backend_host = "not-an-ip";
  CHECK_FALSE(Relay::start(&l.loop, cfg));
}
