// The hand-over from the IKE control plane to the ESP data plane: what an established
// CHILD SA is (SPIs, algorithms, keys, selectors, endpoints, lifetimes) and the interface
// through which the control plane installs and removes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/base/time.h"
#include "ipsec/address.h"
#include "ipsec/algorithms.h"
#include "ipsec/secret.h"
#include "ipsec/traffic_selector.h"

namespace intransit::ipsec {

// ChildSaParams describes one established ESP SA pair (RFC 7296 §2.17, RFC 4303). Keys are
// the raw KEYMAT slices: for the AEADs the encryption key ends with its 4-byte salt
// (RFC 4106 §8.1, RFC 7634 §2); the integrity keys are empty for the AEADs.
struct ChildSaParams {
  std::string tunnel;    // TunnelConfig::name
  uint64_t ike_sa = 0;   // id of the IKE SA that created it (for status and logs)
  uint32_t spi_in = 0;   // SPI the peer puts on packets to us
  uint32_t spi_out = 0;  // SPI we put on packets to the peer
  Cipher encr;
  IntegAlg integ = IntegAlg::None;
  bool esn = false;  // RFC 4303 §2.2.1 extended sequence numbers
  SecretBytes encr_key_in, integ_key_in, encr_key_out, integ_key_out;
  std::vector<TrafficSelector> local_ts;   // our side of the tunnel
  std::vector<TrafficSelector> remote_ts;  // the peer's side
  Endpoint local;  // outer addresses; with udp_encap the ports are the NAT-T ports
  Endpoint remote;
  bool udp_encap = false;  // RFC 3948 ESP-in-UDP (a NAT was detected or forced)
  // rekeyed_from is the inbound SPI of the SA this one replaces (0 for a new SA). The data
  // plane keeps accepting on the old SA until it is removed.
  uint32_t rekeyed_from = 0;
  // Volume limits from the tunnel config (0 = none); the data plane reports reaching them
  // through Manager::child_expired (time limits are enforced by the control plane).
  uint64_t life_bytes = 0;
  uint64_t life_packets = 0;
};

// ChildSaSink receives CHILD SAs from the IKE control plane. Calls happen synchronously
// from inside Manager's input functions; an implementation must not call back into the
// Manager from them. `install` hands over the keys by reference: copy what is needed.
class ChildSaSink {
 public:
  virtual ~ChildSaSink() = default;
  // install: a new SA pair is established. Inbound is usable at once. For a rekey the
  // outbound direction of the new SA should be preferred from now on (RFC 7296 §2.8).
  virtual void install(const ChildSaParams& sa) = 0;
  // remove: the SA pair named by its inbound SPI (and its outbound SPI) is deleted.
  virtual void remove(uint32_t spi_in, uint32_t spi_out) = 0;
  // update_endpoints: the peer's outer address or port changed (RFC 7296 §2.23: a NAT
  // mapping moved); ESP must follow.
  virtual void update_endpoints(uint32_t spi_in, const Endpoint& local, const Endpoint& remote) {
    (void)spi_in;
    (void)local;
    (void)remote;
  }
};

}  // namespace intransit::ipsec
