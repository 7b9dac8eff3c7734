// ike::Sa is one IKE SA as a sans-I/O state machine (STYLE.md R4, R9): datagrams and the
// time come in, datagrams and CHILD SAs go out through Env. It owns the message-ID windows
// (size 1, RFC 7296 §2.3), the retransmission schedule of its outstanding request (§2.1),
// the cached response for retransmitted requests, fragment reassembly (RFC 7383), the
// lifetimes of itself and its CHILD SAs, and the queue of tasks (task.h) that carry out
// the exchanges. Sa objects are created and routed by ike::Manager (manager.h).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/time.h"
#include "ipsec/address.h"
#include "ipsec/child_sa.h"
#include "ipsec/config.h"
#include "ipsec/ike/counters.h"
#include "ipsec/ike/keymat.h"
#include "ipsec/ike/message.h"
#include "ipsec/ike/proposal.h"
#include "ipsec/ike/protect.h"
#include "ipsec/ike/sk.h"
#include "ipsec/ike/task.h"
#include "ipsec/rng.h"

namespace intransit::ipsec::ike {

class Manager;
class Sa;

// SaState follows strongSwan's IKE SA states.
enum class SaState : uint8_t {
  Created,      // nothing exchanged yet
  Connecting,   // IKE_SA_INIT done or under way, not authenticated
  Established,  // IKE_AUTH done
  Rekeying,     // our IKE rekey is outstanding
  Rekeyed,      // replaced by a new IKE SA; waits for (or sends) the Delete
  Deleting,     // our Delete is outstanding
  Closed,       // gone; the Manager drops it
  kCount,
};
std::string_view name(SaState s);

// ChildState is the life of one CHILD SA inside its IKE SA.
enum class ChildState : uint8_t {
  Installed,  // in use
  Rekeying,   // our rekey is outstanding
  Rekeyed,    // replaced; the Delete is due or under way
  Deleting,   // our Delete is outstanding
};
std::string_view name(ChildState s);

// ChildSa is the control plane's record of a CHILD SA (the keys went to the data plane
// and are not kept).
struct ChildSa {
  uint64_t id = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ChildSuite suite;
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;
  ChildState state = ChildState::Installed;
  Time created;
  Time rekey_at;
  Time expire_at;
};

// Packet is one datagram to send. `data` is the bare IKE message: the glue prepends the
// four-byte non-ESP marker when it sends from the NAT-T port (RFC 3948 §2.2).
struct Packet {
  Endpoint local;
  Endpoint remote;
  Bytes data;
};

// WallClock gives the calendar time for certificate validity checks (R9: an input).
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual int64_t unix_seconds() const = 0;
};

// SystemWallClock reads time(2); it is what the glue hands to the Manager.
class SystemWallClock final : public WallClock {
 public:
  int64_t unix_seconds() const override;
};

// ManagerOptions are process-wide IKE settings.
struct ManagerOptions {
  uint16_t ike_port = 500;    // RFC 7296 §2.11
  uint16_t natt_port = 4500;  // RFC 3948, RFC 7296 §2.23
  // Half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not yet) above which a COOKIE is
  // demanded from new initiators (§2.6); 0 demands it always.
  size_t cookie_threshold = 16;
  // Hard cap on half-open SAs; further IKE_SA_INIT requests are dropped.
  size_t max_half_open = 1024;
  // Reassembly limits (RFC 7383 §2.6.2 asks for some).
  size_t max_fragments = 32;
  size_t max_reassembled_bytes = 64 * 1024;
  // How long a cookie secret is used before a new one is drawn (the previous one stays
  // valid for one more period).
  Duration cookie_secret_lifetime = std::chrono::minutes(5);
  // trace, when set, receives one line per message sent or processed:
  // "<label> > IKE_AUTH request 1 [ IDi AUTH SA TSi TSr ]" (tests assert on it).
  std::vector<std::string>* trace = nullptr;
  std::string trace_label;
};

// Env carries the inputs and outputs of one call into the Manager to the SA and its tasks.
struct Env {
  Time now;
  int64_t unix_now = 0;
  Rng& rng;
  ChildSaSink* sink;
  Counters& counters;
  const ManagerOptions& opts;
  Manager& manager;
  std::vector<Packet>& out;
  std::vector<std::unique_ptr<Sa>>& spawned;  // SAs created by an IKE rekey
};

// SaContext is the state an IKE SA's tasks share. It is public so that status reports and
// tests can read it; only the Sa and its tasks write it.
struct SaContext {
  uint64_t id = 0;
  std::shared_ptr<const TunnelConfig> cfg;
  bool original_initiator = false;
  SaState state = SaState::Created;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;

  // Negotiated in IKE_SA_INIT (or the rekeying CREATE_CHILD_SA).
  IkeSuite suite;
  bool keyed = false;
  IkeKeys keys;
  std::optional<SkCipher> cipher_out;
  std::optional<SkCipher> cipher_in;
  uint64_t iv_counter = 0;
  Bytes ni;
  Bytes nr;
  Bytes init_request;      // RealMessage1 (§2.15)
  Bytes init_response;     // RealMessage2
  bool frag_peer = false;  // peer sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 §2.3)
  bool frag_on = false;    // both sides did
  std::vector<HashAlgorithm> peer_hashes;  // RFC 7427 §4
  bool peer_certreq = false;
  // NAT detection (§2.23): nat_here when the peer's NAT_DETECTION_DESTINATION_IP does not
  // hash our address (we are behind a NAT), nat_there when its NAT_DETECTION_SOURCE_IP does
  // not hash the address the datagram came from (the peer is).
  bool nat_here = false;
  bool nat_there = false;

  // After IKE_AUTH.
  Identity peer_id;
  Time established_at;
  Time rekey_at;
  Time expire_at;
  std::vector<ChildSa> children;
  bool initial_contact_received = false;
  Time last_inbound;

  // Collision bookkeeping (RFC 7296 §2.8.1, §2.8.2): what the peer created while our own
  // rekey of the same SA was outstanding.
  struct ChildCollision {
    uint32_t old_spi_in = 0;
    uint32_t peer_new_spi_in = 0;  // the CHILD SA the peer's rekey created here
    Bytes ni;                      // the peer's exchange's nonces
    Bytes nr;
  };
  std::vector<ChildCollision> child_collisions;
  struct IkeCollision {
    uint64_t new_sa = 0;  // id of the IKE SA the peer's rekey created here
    Bytes ni;
    Bytes nr;
  };
  std::optional<IkeCollision> ike_collision;
  uint64_t rekeyed_into = 0;  // id of the IKE SA that replaced this one
  std::optional<Failure> close_reason;

  // udp_encap is true when ESP goes in UDP (a NAT was seen, or force_encap).
  bool udp_encap() const { return nat_here || nat_there || (cfg && cfg->force_encap); }
};

// Sa: see the file comment. Owned by a Manager; never used from two threads.
class Sa {
 public:
  // Sa creates an IKE SA in state Created. `local_spi` is our SPI (SPIi when
  // `original_initiator`, else SPIr).
  Sa(uint64_t id, std::shared_ptr<const TunnelConfig> cfg, bool original_initiator,
     const Endpoint& local, const Endpoint& remote, uint64_t local_spi, const ManagerOptions& opts,
     Time now);
  ~Sa();
  Sa(const Sa&) = delete;
  Sa& operator=(const Sa&) = delete;

  // --- used by the Manager -----------------------------------------------------------------

  // start queues IKE_SA_INIT and IKE_AUTH (initiator) and sends the first request.
  void start(Env& env);
  // handle processes one datagram already decoded by the Manager and routed here.
  void handle(Env& env, BytesView datagram, const Decoded& d, const Endpoint& from,
              const Endpoint& to);
  // on_timer runs whatever is due at env.now: retransmissions, lifetimes, DPD.
  void on_timer(Env& env);
  // next_deadline is the earliest time on_timer has work, or nullopt.
  std::optional<Time> next_deadline() const;
  // delete_sa queues a Delete of the IKE SA (and thereby of all its CHILD SAs).
  void delete_sa(Env& env);
  // rekey_ike and rekey_child queue a rekey now (normally the lifetimes trigger them).
  void rekey_ike(Env& env);
  bool rekey_child(Env& env, uint32_t spi_in);
  // delete_child queues a Delete of one CHILD SA; false when it is not ours.
  bool delete_child(Env& env, uint32_t spi_in);
  // kick starts queued work (used after the Manager adopts an SA made by a rekey).
  void kick(Env& env) { initiate_next(env); }
  // close drops the SA without telling the peer (INITIAL_CONTACT, timeouts): its CHILD
  // SAs are removed from the sink.
  void close(Env& env, std::optional<Failure> reason);

  // ctx exposes the SA's state read-only (status pages, tests, the fuzzer).
  const SaContext& ctx() const { return ctx_; }
  uint64_t id() const { return ctx_.id; }
  // local_spi is the SPI this side chose: the Manager's routing key.
  uint64_t local_spi() const { return ctx_.original_initiator ? ctx_.spi_i : ctx_.spi_r; }
  // state, closed and half_open summarise where the SA is in its life.
  SaState state() const { return ctx_.state; }
  bool closed() const { return ctx_.state == SaState::Closed; }
  bool half_open() const {
    return ctx_.state == SaState::Created || ctx_.state == SaState::Connecting;
  }
  // active_kind is the kind of the task whose request is outstanding, if any.
  std::optional<TaskKind> active_kind() const;
  size_t queued_tasks() const { return queue_.size(); }

  // --- used by tasks ---------------------------------------------------------------------

  // ctx gives tasks write access to the shared state.
  SaContext& ctx() { return ctx_; }
  // queue adds a task; `front` puts it before the others (Deletes after a rekey).
  void queue(std::unique_ptr<Task> t, bool front = false);
  // active_task returns the task whose request is outstanding, or null.
  Task* active_task() const { return active_.get(); }
  // set_state changes the SA state (and traces it).
  void set_state(Env& env, SaState s);
  // establish marks the IKE SA authenticated and arms its lifetimes.
  void establish(Env& env);
  // derive_keys runs the §2.14 key schedule from SKEYSEED and sets up SK ciphers.
  IkeResult<void> derive_keys(BytesView skeyseed);
  // install_child records a CHILD SA and hands it to the sink. `we_initiated` tells which
  // half of KEYMAT is inbound (§2.17).
  ChildSa& install_child(Env& env, uint32_t spi_in, uint32_t spi_out, const ChildSuite& suite,
                         const ChildKeys& keys, bool we_initiated,
                         std::vector<TrafficSelector> local_ts,
                         std::vector<TrafficSelector> remote_ts, uint32_t rekeyed_from);
  // remove_child drops a CHILD SA (and removes it from the sink).
  void remove_child(Env& env, uint32_t spi_in);
  // child_by_in and child_by_out find a CHILD SA by one of its SPIs, or return null.
  ChildSa* child_by_in(uint32_t spi_in);
  ChildSa* child_by_out(uint32_t spi_out);
  // new_esp_spi allocates an inbound ESP SPI unique in the Manager.
  uint32_t new_esp_spi(Env& env);
  // nonce draws a fresh nonce (32 bytes: at least half the PRF key size, §2.10).
  Bytes nonce(Env& env) const;
  // peer_hashes_usable tells whether RFC 7427 signatures may be sent.
  bool peer_accepts_rfc7427() const { return !ctx_.peer_hashes.empty(); }
  // send_notify_and_close sends a one-shot INFORMATIONAL with `n` (no retransmission) and
  // closes: used when the initiator rejects the responder's AUTH (§2.21.2).
  void send_notify_and_close(Env& env, NotifyType n, Failure why);
  // trace appends a line to the Manager's trace.
  void trace(Env& env, const std::string& line) const;
  // close_after_response makes the SA close once the response being built is sent
  // (a Delete of the IKE SA, a fatal IKE_SA_INIT or IKE_AUTH error).
  void close_after_response(Failure why) { close_after_response_ = why; }
  // The datagram being handled and its addresses (valid during handle() only): IKE_SA_INIT
  // keeps the raw message for AUTH, NAT detection hashes the addresses.
  BytesView current_datagram() const { return current_datagram_; }
  const Endpoint& current_from() const { return current_from_; }
  const Endpoint& current_to() const { return current_to_; }
  // retransmit_span is the time a request is retried before the SA is given up.
  Duration retransmit_span() const;

 private:
  struct Outstanding {
    uint32_t mid = 0;
    ExchangeType exchange = ExchangeType::Informational;
    std::vector<Bytes> datagrams;
    uint32_t retransmits = 0;
    Time next_send;
  };
  struct CachedResponse {
    uint32_t mid = 0;
    std::vector<Bytes> datagrams;
  };

  void initiate_next(Env& env);
  void send_request(Env& env, std::vector<Payload> payloads);
  std::vector<Bytes> encode(Env& env, const Header& h, const std::vector<Payload>& payloads);
  void transmit(Env& env, const std::vector<Bytes>& datagrams);
  void handle_response(Env& env, const Message& m);
  void handle_request(Env& env, const Message& m);
  std::unique_ptr<Task> responder_task(Env& env, const Message& m, std::optional<Errc>& refuse);
  void respond(Env& env, const Header& req, std::vector<Payload> payloads);
  void finish_active(Env& env, ExchangeResult r);
  void check_lifetimes(Env& env);
  Duration jitter(Env& env) const;
  size_t max_datagram() const;
  Header request_header(ExchangeType t, uint32_t mid) const;

  SaContext ctx_;
  std::deque<std::unique_ptr<Task>> queue_;
  std::unique_ptr<Task> active_;
  std::optional<Outstanding> outstanding_;
  uint32_t next_request_mid_ = 0;      // our next request (§2.2)
  uint32_t expected_request_mid_ = 0;  // the peer's next request
  std::optional<CachedResponse> cached_;
  Reassembler reasm_requests_;
  Reassembler reasm_responses_;
  Time half_open_deadline_;
  std::optional<Time> linger_until_;  // Rekeyed / failed: when to give up waiting
  std::optional<Time> dpd_at_;
  std::optional<Failure> close_after_response_;
  BytesView current_datagram_;
  Endpoint current_from_;
  Endpoint current_to_;
};

}  // namespace intransit::ipsec::ike
