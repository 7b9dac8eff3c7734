#include "ipsec/ike_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

#include "gateway/base/log.h"

namespace intransit::ipsec {
namespace {

constexpr size_t kMaxDatagram = 65536;
thread_local std::array<char, kMaxDatagram> t_buf;

Endpoint endpoint_of(const sockaddr* sa) {
  Endpoint e;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    e.ip = *IpAddress::from_bytes(BytesView(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4));
    e.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(sa);
    e.ip = *IpAddress::from_bytes(BytesView(reinterpret_cast<const uint8_t*>(&in->sin6_addr), 16));
    e.port = ntohs(in->sin6_port);
  }
  return e;
}

sockaddr_storage sockaddr_of(const Endpoint& e) {
  sockaddr_storage ss{};
  if (e.ip.family == 6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&ss);
    in->sin6_family = AF_INET6;
    in->sin6_port = htons(e.port);
    std::memcpy(&in->sin6_addr, e.ip.b.data(), 16);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(e.port);
    std::memcpy(&in->sin_addr, e.ip.b.data(), 4);
  }
  return ss;
}

}  // namespace

Time IkeEndpoint::now() {
  return Time::from_ns(uv_hrtime());
}

Result<std::unique_ptr<IkeEndpoint>> IkeEndpoint::start(uv_loop_t* loop, ike::Manager& mgr,
                                                        Options o) {
  std::unique_ptr<IkeEndpoint> ep(new IkeEndpoint(mgr, std::move(o)));
  if (auto r = ep->bind(loop, ep->ike_, ep->opts_.ike_port); !r) return unexpected(r.error());
  if (auto r = ep->bind(loop, ep->natt_, ep->opts_.natt_port); !r) return unexpected(r.error());
  auto t = uv::Timer::make(loop);
  if (!t) return unexpected(std::move(t).error());
  ep->timer_ = std::move(*t);
  if (ep->opts_.keepalive_ms > 0) {
    auto k = uv::Timer::make(loop);
    if (!k) return unexpected(std::move(k).error());
    ep->keepalive_ = std::move(*k);
    ep->keepalive_.arm<IkeEndpoint, &IkeEndpoint::on_keepalive>(ep.get(), ep->opts_.keepalive_ms);
  }
  ep->kick();
  return ep;
}

Result<void> IkeEndpoint::bind(uv_loop_t* loop, uv::Handle<uv_udp_t>& h, uint16_t port) {
  auto made = uv::make_handle<uv_udp_t>(uv_udp_init, loop);
  if (!made) return unexpected(std::move(made).error());
  h = std::move(*made);
  h.get()->data = this;
  const sockaddr_storage ss = sockaddr_of(Endpoint{opts_.address, port});
  if (int rc = uv_udp_bind(h.get(), reinterpret_cast<const sockaddr*>(&ss), 0); rc < 0) {
    return unexpected(uv::uv_error(rc, "bind " + Endpoint{opts_.address, port}.to_string()));
  }
  const int rc = uv_udp_recv_start(
      h.get(),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        buf->base = t_buf.data();
        buf->len = t_buf.size();
      },
      &IkeEndpoint::on_recv);
  if (rc < 0) return unexpected(uv::uv_error(rc));
  return {};
}

IkeEndpoint::~IkeEndpoint() {
  close();
}

void IkeEndpoint::close() {
  timer_.close();
  keepalive_.close();
  ike_.close();
  natt_.close();
}

void IkeEndpoint::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                          unsigned /*flags*/) {
  auto* self = static_cast<IkeEndpoint*>(h->data);
  if (!self || nread <= 0 || !addr) return;  // nread 0 with no addr: nothing to read
  const uint16_t port = h == self->ike_.get() ? self->opts_.ike_port : self->opts_.natt_port;
  self->on_datagram(
      port, BytesView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)),
      addr);
}

void IkeEndpoint::on_datagram(uint16_t local_port, BytesView data, const sockaddr* from_sa) {
  const Endpoint from = endpoint_of(from_sa);
  const Endpoint to{opts_.address, local_port};
  if (local_port == opts_.natt_port) {
    // RFC 3948 §2.2/§2.3: 0xFF alone is a keepalive; four zero bytes mark IKE; anything
    // else starts with an ESP SPI.
    if (data.size() == 1 && data[0] == 0xff) {
      ++counters_.keepalives;
      return;
    }
    if (data.size() < 4) {
      ++counters_.malformed;
      return;
    }
    if (data[0] != 0 || data[1] != 0 || data[2] != 0 || data[3] != 0) {
      ++counters_.esp;
      if (opts_.on_esp) opts_.on_esp(data, from, to);
      return;
    }
    data = data.subspan(4);
  }
  ++counters_.received;
  mgr_.on_datagram(data, from, to, now());
  kick();
}

void IkeEndpoint::flush() {
  static constexpr uint8_t kMarker[4] = {0, 0, 0, 0};
  for (auto& p : mgr_.take_packets()) {
    const bool natt = p.local.port == opts_.natt_port;
    uv_udp_t* sock = natt ? natt_.get() : ike_.get();
    if (!sock) continue;
    uv_buf_t bufs[2];
    unsigned n = 0;
    if (natt) bufs[n++] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(kMarker)), 4);
    bufs[n++] =
        uv_buf_init(reinterpret_cast<char*>(p.data.data()), static_cast<unsigned>(p.data.size()));
    const sockaddr_storage to = sockaddr_of(p.remote);
    const int rc = uv_udp_try_send(sock, bufs, n, reinterpret_cast<const sockaddr*>(&to));
    if (rc < 0) {
      ++counters_.send_errors;
      log::warn("ipsec", "send_failed").kv("to", p.remote.to_string()).kv("error", uv_err_name(rc));
    } else {
      ++counters_.sent;
    }
  }
}

void IkeEndpoint::arm() {
  if (!timer_) return;
  const auto deadline = mgr_.next_deadline();
  if (!deadline) {
    timer_.stop();
    return;
  }
  const Duration left = *deadline - now();
  // At least 1 ms, so a deadline the core leaves in the past cannot spin the loop.
  const int64_t ms = left <= Duration(0)
                         ? 1
                         : std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
  timer_.arm<IkeEndpoint, &IkeEndpoint::on_timer>(this, static_cast<uint64_t>(ms));
}

void IkeEndpoint::kick() {
  flush();
  arm();
}

void IkeEndpoint::on_keepalive() {
  // RFC 3948 §2.3: a one-byte 0xFF from the NAT-T port keeps our NAT mapping alive.
  static constexpr uint8_t kKeepalive[1] = {0xff};
  for (const auto& sa : mgr_.status().ike_sas) {
    if (!sa.behind_nat || sa.state != ike::SaState::Established || !natt_) continue;
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(kKeepalive)), 1);
    const sockaddr_storage to = sockaddr_of(sa.remote);
    if (uv_udp_try_send(natt_.get(), &buf, 1, reinterpret_cast<const sockaddr*>(&to)) >= 0) {
      ++counters_.keepalives_sent;
    }
  }
  keepalive_.arm<IkeEndpoint, &IkeEndpoint::on_keepalive>(this, opts_.keepalive_ms);
}

void IkeEndpoint::on_timer() {
  mgr_.on_timer(now());
  kick();
}

}  // namespace intransit::ipsec
