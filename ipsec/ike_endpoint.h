// IkeEndpoint is the libuv glue of the IKE control plane (DESIGN.md: thin glue around a
// sans-I/O core). It owns the two UDP sockets (IKE on 500, NAT-T on 4500, RFC 3948) and one
// timer armed from Manager::next_deadline(), and pumps datagrams between them and an
// ike::Manager:
//
//   * port 500 carries bare IKE messages;
//   * port 4500 carries IKE behind the four-byte non-ESP marker, ESP (a non-zero SPI),
//     which goes to `on_esp` (the data plane, a later issue), and one-byte 0xFF NAT-T
//     keepalives, which are dropped (RFC 3948 §2.2, §2.3);
//   * what the Manager wants to send goes out of the socket of its local port, with the
//     marker on 4500.
//
// It runs on one uv loop; the Manager must only be used from that loop. After calling into
// the Manager directly (initiate, terminate, rekey_*), call kick() so the datagrams leave
// and the timer follows the new deadline.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "gateway/uv/handle.h"
#include "ipsec/address.h"
#include "ipsec/ike/manager.h"

namespace intransit::ipsec {

// EndpointCounters counts what the glue itself drops or fails to send.
struct EndpointCounters {
  uint64_t received = 0;  // IKE datagrams handed to the Manager
  uint64_t sent = 0;
  uint64_t send_errors = 0;  // uv_udp_try_send failed (IKE retransmits cover it)
  uint64_t keepalives = 0;   // NAT-T keepalives received and dropped
  uint64_t keepalives_sent = 0;
  uint64_t esp = 0;        // ESP datagrams seen on the NAT-T port
  uint64_t malformed = 0;  // too short for either
};

// IkeEndpoint: see the file comment. Create with start(); destroy on the loop thread.
class IkeEndpoint {
 public:
  // Options of the sockets; the ports must match the Manager's options.
  struct Options {
    IpAddress address;          // local address to bind (the tunnels' local_address)
    uint16_t ike_port = 500;    // must match ManagerOptions::ike_port
    uint16_t natt_port = 4500;  // must match ManagerOptions::natt_port
    // keepalive_ms is the NAT-T keepalive interval for SAs whose own address is
    // translated (RFC 3948 §2.3); 0 disables.
    uint64_t keepalive_ms = 20000;
    // on_esp receives ESP-in-UDP datagrams (without UDP header); null drops them.
    std::function<void(BytesView esp, const Endpoint& from, const Endpoint& to)> on_esp;
  };

  // start binds both sockets and starts reading. `mgr` must outlive the endpoint.
  static Result<std::unique_ptr<IkeEndpoint>> start(uv_loop_t* loop, ike::Manager& mgr, Options o);
  ~IkeEndpoint();
  IkeEndpoint(const IkeEndpoint&) = delete;
  IkeEndpoint& operator=(const IkeEndpoint&) = delete;

  // kick sends what the Manager has queued and re-arms the timer.
  void kick();
  // close stops reading and closes the handles (also done by the destructor).
  void close();
  // now is the loop's monotonic time as the core's Time.
  static Time now();

  // counters returns what the glue counted.
  const EndpointCounters& counters() const { return counters_; }

 private:
  IkeEndpoint(ike::Manager& mgr, Options o) : mgr_(mgr), opts_(std::move(o)) {}
  Result<void> bind(uv_loop_t* loop, uv::Handle<uv_udp_t>& h, uint16_t port);
  void on_datagram(uint16_t local_port, BytesView data, const sockaddr* from);
  void flush();
  void arm();
  void on_timer();
  void on_keepalive();
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                      unsigned flags);

  ike::Manager& mgr_;
  Options opts_;
  uv::Handle<uv_udp_t> ike_;
  uv::Handle<uv_udp_t> natt_;
  uv::Timer timer_;
  uv::Timer keepalive_;
  EndpointCounters counters_;
};

}  // namespace intransit::ipsec
