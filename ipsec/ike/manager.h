// ike::Manager is the IKE control plane of the process as one sans-I/O object: it holds the
// tunnel configurations, creates IKE SAs (as initiator on request, as responder for
// IKE_SA_INIT), routes datagrams to them by SPI, answers with stateless COOKIEs under load
// (RFC 7296 §2.6), hands over IKE SAs created by rekeys, applies INITIAL_CONTACT (§2.4),
// and merges the SAs' deadlines into one. The glue feeds it datagrams and timer ticks and
// sends what take_packets() returns.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "gateway/base/time.h"
#include "ipsec/child_sa.h"
#include "ipsec/config.h"
#include "ipsec/ike/counters.h"
#include "ipsec/ike/sa.h"
#include "ipsec/rng.h"

namespace intransit::ipsec::ike {

// ChildSaStatus and IkeSaStatus are read-only snapshots for status pages and metrics.
struct ChildSaStatus {
  uint64_t id = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ChildState state = ChildState::Installed;
  std::string suite;
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;
  Time created;
  Time rekey_at;
  Time expire_at;
};

struct IkeSaStatus {
  uint64_t id = 0;
  std::string tunnel;
  SaState state = SaState::Created;
  bool initiator = false;  // original initiator of this IKE SA
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;
  std::string suite;
  std::string peer_id;
  bool udp_encap = false;
  bool behind_nat = false;  // our address is translated: NAT-T keepalives are due
  bool fragmentation = false;
  Time established_at;
  std::vector<ChildSaStatus> children;
};

// Status is the Manager's state at one instant (Manager::status()).
struct Status {
  std::vector<IkeSaStatus> ike_sas;
  // ike_sas_by_state[SaState] counts the IKE SAs in each state (the metrics gauge).
  std::array<size_t, static_cast<size_t>(SaState::kCount)> ike_sas_by_state{};
  size_t child_sas = 0;
};

// Manager: see the file comment. Not thread-safe; one per IKE loop.
class Manager {
 public:
  // Manager keeps references to `rng`, `clock` and `sink` (which may be null: CHILD SAs are
  // then only visible in status()). They must outlive it.
  Manager(ManagerOptions opts, Rng& rng, const WallClock& clock, ChildSaSink* sink);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // add_tunnel validates and adds a tunnel. Names must be unique.
  Result<void> add_tunnel(std::shared_ptr<const TunnelConfig> cfg);
  const std::vector<std::shared_ptr<const TunnelConfig>>& tunnels() const { return tunnels_; }

  // initiate starts an IKE SA with its first CHILD SA for tunnel `name` and returns the
  // SA id. The tunnel needs a remote address.
  Result<uint64_t> initiate(std::string_view name, Time now);
  // terminate deletes every IKE SA of tunnel `name`, telling the peer.
  void terminate(std::string_view name, Time now);
  // rekey_ike and rekey_child start a rekey now; false when no such SA is established.
  bool rekey_ike(uint64_t sa_id, Time now);
  bool rekey_child(uint32_t spi_in, Time now);
  // child_expired is the data plane reporting a volume limit of a CHILD SA: soft → rekey,
  // hard → delete.
  void child_expired(uint32_t spi_in, bool hard, Time now);

  // on_datagram handles one IKE message received on (`to`) from (`from`); `data` excludes
  // the non-ESP marker. Bad input is counted and dropped, never thrown.
  void on_datagram(BytesView data, const Endpoint& from, const Endpoint& to, Time now);
  // on_timer runs what is due; call it at next_deadline().
  void on_timer(Time now);
  // next_deadline is the earliest time on_timer has work.
  std::optional<Time> next_deadline() const;
  // take_packets returns and clears the datagrams to send, in order.
  std::vector<Packet> take_packets();

  // status builds a snapshot of every IKE SA and CHILD SA; counters returns the metrics.
  Status status() const;
  const Counters& counters() const { return counters_; }
  // sa returns an IKE SA by id (null when gone); sas lists them in creation order.
  const Sa* sa(uint64_t id) const;
  std::vector<const Sa*> sas() const;

  // --- used by SAs and tasks -------------------------------------------------------------
  Sa* find(uint64_t id);
  // next_id returns a process-unique id for a new IKE or CHILD SA.
  uint64_t next_id() { return ++last_id_; }
  // allocate_esp_spi returns an unused inbound ESP SPI (>= 256, RFC 4303 §2.1).
  uint32_t allocate_esp_spi();
  // release_esp_spi returns an SPI when its CHILD SA (or the offer that reserved it) is gone.
  void release_esp_spi(uint32_t spi);
  // allocate_ike_spi returns a fresh, unused, non-zero IKE SPI.
  uint64_t allocate_ike_spi();
  // tunnel_for_auth picks the tunnel an IKE_AUTH request belongs to: the peer's ID must be
  // its remote_id, our ID (when the peer named one) its local_id, and the addresses must
  // fit. Returns null when none does.
  std::shared_ptr<const TunnelConfig> tunnel_for_auth(const Identity& peer, const Identity* us,
                                                      const Endpoint& local,
                                                      const Endpoint& remote) const;

 private:
  Env make_env(Time now);
  void adopt_spawned(Env& env);
  void after_input(Env& env);
  void handle_init_request(Env& env, BytesView data, const Decoded& d, const Endpoint& from,
                           const Endpoint& to);
  Bytes cookie_for(BytesView ni, const Endpoint& from, uint64_t spi_i, const Bytes& secret,
                   uint32_t version) const;
  bool cookie_valid(const Decoded& d, const Endpoint& from) const;
  void rotate_cookie_secret(Time now);
  std::shared_ptr<const TunnelConfig> tunnel_for_init(const Endpoint& local,
                                                      const Endpoint& remote) const;
  std::shared_ptr<const TunnelConfig> tunnel_by_name(std::string_view name) const;
  size_t half_open_count() const;

  ManagerOptions opts_;
  Rng& rng_;
  const WallClock& clock_;
  ChildSaSink* sink_;
  Counters counters_;
  std::vector<std::shared_ptr<const TunnelConfig>> tunnels_;
  std::map<uint64_t, std::unique_ptr<Sa>> sas_;    // by id, in creation order
  std::unordered_map<uint64_t, uint64_t> by_spi_;  // local IKE SPI -> SA id
  std::set<uint32_t> esp_spis_;
  std::vector<Packet> out_;
  std::vector<std::unique_ptr<Sa>> spawned_;  // SAs made by rekeys during one input
  uint64_t last_id_ = 0;
  // COOKIE secrets (§2.6): the current one and the previous one, with version numbers.
  Bytes cookie_secret_;
  Bytes old_cookie_secret_;
  uint32_t cookie_version_ = 0;
  std::optional<Time> cookie_rotate_at_;
};

}  // namespace intransit::ipsec::ike
