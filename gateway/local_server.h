// LocalServer is the small HTTP/1.1 server behind the gateway's own endpoints (the demo
// backend of the quick start, the admin listener). It parses with the same strict
// http1::RequestParser as the proxy, keeps connections alive, streams request bodies to its
// handler, and runs on whatever loop it is given.
#pragma once

#include <uv.h>

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "gateway/http/request_head.h"
#include "gateway/uv/tcp.h"

namespace intransit::gateway {

struct LocalResponse {
  uint16_t status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  http::Fields fields;  // extra fields, lowercase names
};

// LocalHandler serves one request: begin, zero or more body pieces, then end.
class LocalHandler {
 public:
  virtual ~LocalHandler() = default;
  virtual void begin(const http::RequestHead& head) = 0;
  virtual void body(BytesView) {}
  virtual LocalResponse end(const http::RequestHead& head) = 0;
};

class LocalServer {
 public:
  using Factory = std::function<std::unique_ptr<LocalHandler>()>;

  // start listens on host:port (exclusively) and serves each request with a handler made by
  // `factory`. `name` appears in log lines.
  static Result<std::unique_ptr<LocalServer>> start(uv_loop_t* loop, const std::string& host,
                                                    uint16_t port, std::string name,
                                                    Factory factory);
  ~LocalServer();
  // close stops listening and closes every connection.
  void close();

  class Conn;

 private:
  LocalServer() = default;
  friend class Conn;
  void remove(Conn* c);

  std::string name_;
  Factory factory_;
  std::unique_ptr<uv::TcpListener> listener_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> dead_;
};

}  // namespace intransit::gateway
