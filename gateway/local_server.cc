#include "gateway/local_server.h"

#include "gateway/base/byte_queue.h"
#include "gateway/base/log.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/parser.h"
#include "gateway/http1/serializer.h"

namespace intransit::gateway {

class LocalServer::Conn final : public uv::StreamEvents {
 public:
  Conn(LocalServer& owner, std::unique_ptr<uv::TcpStream> s) : owner_(owner), stream_(std::move(s)) {
    stream_->set_events(this);
    stream_->start_reading();
  }

  void on_read(BytesView data) override {
    in_.append(data);
    process();
  }
  void on_eof() override { owner_.remove(this); }
  void on_error(int) override { owner_.remove(this); }

  std::list<std::unique_ptr<Conn>>::iterator pos;

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
          LocalResponse bad{ref.status, "text/plain; charset=utf-8", std::string(ref.body), {}};
          return respond(bad, true, false);
        }
        auto& p = std::get<Parsed<http::RequestHead>>(r);
        in_.consume(p.consumed);
        req_ = std::move(p.value);
        body_ = http1::BodyReader(http1::request_framing(*req_));
        handler_ = owner_.factory_();
        handler_->begin(*req_);
        if (!req_->has_body()) finish();
        continue;
      }
      auto step = body_.feed(chunk);
      if (step.error) {
        LocalResponse bad{400, "text/plain; charset=utf-8", "bad request body\n", {}};
        return respond(bad, true, false);
      }
      if (!step.data.empty()) handler_->body(step.data);
      in_.consume(step.consumed);
      if (step.done) {
        finish();
        continue;
      }
      if (step.consumed == 0) break;
    }
  }

  void finish() {
    LocalResponse r = handler_->end(*req_);
    const bool close = !req_->keep_alive;
    const bool head_only = req_->method == "HEAD";
    req_.reset();
    handler_.reset();
    parser_.reset();
    respond(r, close, head_only);
  }

  void respond(const LocalResponse& r, bool close, bool head_only) {
    http::ResponseHead h;
    h.status = r.status;
    h.reason = std::string(http::status_reason(r.status));
    h.fields = r.fields;
    h.fields.push_back({"content-type", r.content_type});
    h.content_length = r.body.size();
    h.keep_alive = !close;
    (void)http1::write_response(h, http1::BodyFraming::of_length(r.body.size()),
                                http::Version::Http11, stream_->out());
    if (!head_only) stream_->out().append(as_bytes(r.body));
    stream_->flush();
    if (close) {
      closing_ = true;
      stream_->set_events(nullptr);
      uv::TcpStream::linger_close(std::move(stream_), 1000);
      owner_.remove(this);
    }
  }

  LocalServer& owner_;
  std::unique_ptr<uv::TcpStream> stream_;
  ByteQueue in_;
  http1::RequestParser parser_;
  std::optional<http::RequestHead> req_;
  http1::BodyReader body_{http1::BodyFraming::none()};
  std::unique_ptr<LocalHandler> handler_;
  bool closing_ = false;
};

Result<std::unique_ptr<LocalServer>> LocalServer::start(uv_loop_t* loop, const std::string& host,
                                                        uint16_t port, std::string name,
                                                        Factory factory) {
  std::unique_ptr<LocalServer> srv(new LocalServer());
  srv->name_ = std::move(name);
  srv->factory_ = std::move(factory);
  LocalServer* raw = srv.get();
  auto l = uv::TcpListener::bind(loop, host, port, 128, [raw](uv_stream_t* server) {
    auto s = uv::TcpStream::accept(server, nullptr);
    if (!s) return;
    raw->dead_.clear();
    raw->conns_.push_back(std::make_unique<Conn>(*raw, std::move(*s)));
    raw->conns_.back()->pos = std::prev(raw->conns_.end());
  });
  if (!l) return unexpected(std::move(l).error());
  srv->listener_ = std::move(*l);
  return srv;
}

void LocalServer::remove(Conn* c) {
  // Called from inside c's callbacks: the object is deleted at the next accept or close.
  dead_.push_back(std::move(*c->pos));
  conns_.erase(c->pos);
}

void LocalServer::close() {
  if (listener_) listener_->close();
  listener_.reset();
  conns_.clear();
  dead_.clear();
}

LocalServer::~LocalServer() { close(); }

}  // namespace intransit::gateway
