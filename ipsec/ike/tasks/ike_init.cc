// IKE_SA_INIT (RFC 7296 §1.2): negotiate the IKE SA's proposal, exchange KE and nonces,
// derive the keys (§2.14), detect NATs (§2.23) and learn the peer's support for
// fragmentation (RFC 7383 §2.3) and signature hashes (RFC 7427 §4). The initiator retries
// with a COOKIE (§2.6) or the group named by INVALID_KE_PAYLOAD (§1.2).
#include "gateway/base/log.h"
#include "ipsec/ike/auth.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/sa.h"
#include "ipsec/ike/tasks/common.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

using tasks::any_matches;
using tasks::be16;
using tasks::natd_hash;

constexpr int kMaxRetries = 5;
constexpr size_t kMaxCookieBytes = 64;  // §2.6: 1 to 64 octets

class IkeInit final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::IkeInit; }
  ExchangeType exchange() const override { return ExchangeType::IkeSaInit; }

  TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (group_ == DhGroup::None) group_ = cfg.ike_proposals.front().dh.front();
    if (!kx_ || kx_->group() != group_) kx_ = make_key_exchange(group_, env.rng);
    if (!kx_) return fail(sa, env, Errc::Internal);
    if (c.ni.empty()) c.ni = sa.nonce(env);
    offer_ = ike_offer(cfg.ike_proposals, {}, group_);
    // §2.6: the COOKIE goes first.
    if (!cookie_.empty()) out.push_back(make_notify(NotifyType::Cookie, cookie_));
    out.push_back(Payload{PayloadType::Sa, false, offer_});
    out.push_back(make_ke(static_cast<uint16_t>(group_), kx_->public_value()));
    out.push_back(make_nonce(c.ni));
    add_natd(sa, env, out, 0);
    add_capabilities(sa, out, true);
    return TaskStatus::NeedMore;
  }

  TaskStatus process_i(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (const NotifyPayload* n = m.notify(NotifyType::Cookie)) {
      if (++retries_ > kMaxRetries || n->data.empty() || n->data.size() > kMaxCookieBytes) {
        return fail(sa, env, Errc::PeerError, n->type);
      }
      cookie_ = n->data;
      sa.trace(env, "peer demands a COOKIE, retrying");
      return TaskStatus::Retry;
    }
    if (const NotifyPayload* n = m.notify(NotifyType::InvalidKePayload)) {
      const auto g = be16(n->data);
      if (!g || ++retries_ > kMaxRetries || *g == static_cast<uint16_t>(group_) || !known_dh(*g) ||
          !tasks::group_offered(cfg.ike_proposals, static_cast<DhGroup>(*g))) {
        return fail(sa, env, Errc::InvalidKe, g.value_or(0));
      }
      sa.trace(env,
               "peer wants DH group " + std::string(name(static_cast<DhGroup>(*g))) + ", retrying");
      group_ = static_cast<DhGroup>(*g);
      kx_.reset();
      return TaskStatus::Retry;
    }
    if (const NotifyPayload* n = m.first_error_notify()) {
      return fail(sa, env, Errc::PeerError, n->type);
    }
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
    const NoncePayload* nr = m.first<NoncePayload>(PayloadType::Nonce);
    if (!sap || !ke || !nr || m.header.spi_r == 0) return fail(sa, env, Errc::MissingPayload);
    auto choice = accept_ike(*sap, offer_, 0);
    if (!choice) return fail(sa, env, choice.error().code);
    if (choice->suite.dh != group_ || ke->group != static_cast<uint16_t>(group_)) {
      return fail(sa, env, Errc::InvalidKe);
    }
    auto gir = kx_->shared(ke->data);
    if (!gir) return fail(sa, env, gir.error().code);
    c.spi_r = m.header.spi_r;
    c.nr = nr->data;
    c.suite = choice->suite;
    const SecretBytes seed = skeyseed(c.suite.prf, c.ni, c.nr, gir->view());
    if (!sa.derive_keys(seed.view())) return fail(sa, env, Errc::Internal);
    c.init_response.assign(sa.current_datagram().begin(), sa.current_datagram().end());
    detect_nat(sa, m, c.spi_r);
    learn_capabilities(sa, m);
    // §2.23: with a NAT on the path the initiator moves to port 4500 for IKE_AUTH.
    if (c.udp_encap()) {
      c.local.port = env.opts.natt_port;
      c.remote.port = env.opts.natt_port;
    }
    kx_.reset();
    return TaskStatus::Done;
  }

  TaskStatus process_r(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
    const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
    if (!sap || !ke || !ni) return refuse(Errc::MissingPayload);
    auto choice = select_ike(*sap, cfg.ike_proposals, static_cast<DhGroup>(ke->group), 0);
    if (!choice) return refuse(Errc::NoProposalChosen);
    choice_ = *choice;
    if (ke->group != static_cast<uint16_t>(choice_.suite.dh)) {
      // §1.2: the KE does not match the selected group; name the one we want.
      ++env.counters.invalid_ke_sent;
      return refuse(Errc::InvalidKe, static_cast<uint16_t>(choice_.suite.dh));
    }
    kx_ = make_key_exchange(choice_.suite.dh, env.rng);
    if (!kx_) return refuse(Errc::Internal);
    auto gir = kx_->shared(ke->data);
    if (!gir) return refuse(gir.error().code);
    c.ni = ni->data;
    c.nr = sa.nonce(env);
    c.suite = choice_.suite;
    const SecretBytes seed = skeyseed(c.suite.prf, c.ni, c.nr, gir->view());
    if (!sa.derive_keys(seed.view())) return refuse(Errc::Internal);
    c.init_request.assign(sa.current_datagram().begin(), sa.current_datagram().end());
    detect_nat(sa, m, 0);
    learn_capabilities(sa, m);
    return TaskStatus::NeedMore;
  }

  TaskStatus build_r(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    if (error_) {
      const NotifyType n = notify_for(*error_).value_or(NotifyType::InvalidSyntax);
      out.push_back(make_notify(n, error_data_ ? tasks::u16_bytes(error_data_) : Bytes{}));
      sa.close_after_response(Failure{*error_, 0, error_data_});
      return TaskStatus::Failed;
    }
    out.push_back(Payload{PayloadType::Sa, false, ike_answer(choice_, {})});
    out.push_back(make_ke(static_cast<uint16_t>(choice_.suite.dh), kx_->public_value()));
    out.push_back(make_nonce(c.nr));
    add_natd(sa, env, out, c.spi_r);
    if (c.cfg->remote_auth == AuthKind::PublicKey && c.cfg->send_certreq) {
      out.push_back(Payload{PayloadType::CertReq, false,
                            CertReqPayload{static_cast<uint8_t>(CertEncoding::X509Signature),
                                           certreq_authorities(c.cfg->ca_certificates)}});
    }
    add_capabilities(sa, out, false);
    sa.set_state(env, SaState::Connecting);
    kx_.reset();
    return TaskStatus::Done;
  }

 private:
  TaskStatus fail(Sa& sa, Env& env, Errc e, uint16_t data = 0) {
    log::warn("ipsec", "ike_sa_init_failed")
        .kv("tunnel", sa.ctx().cfg->name)
        .kv("reason", label(e))
        .kv("data", static_cast<unsigned>(data));
    sa.close(env, Failure{e, 0, data});
    return TaskStatus::Failed;
  }

  TaskStatus refuse(Errc e, uint16_t data = 0) {
    error_ = e;
    error_data_ = data;
    return TaskStatus::Failed;
  }

  // add_natd appends NAT_DETECTION_SOURCE_IP and NAT_DETECTION_DESTINATION_IP (§2.23). With
  // force_encap the source hash is random, so the peer sees a NAT (strongSwan's encap=yes).
  void add_natd(Sa& sa, Env& env, std::vector<Payload>& out, uint64_t spi_r) {
    const SaContext& c = sa.ctx();
    Bytes src = natd_hash(c.spi_i, spi_r, c.local);
    if (c.cfg->force_encap) env.rng.fill(src);
    out.push_back(make_notify(NotifyType::NatDetectionSourceIp, src));
    out.push_back(
        make_notify(NotifyType::NatDetectionDestinationIp, natd_hash(c.spi_i, spi_r, c.remote)));
  }

  void add_capabilities(Sa& sa, std::vector<Payload>& out, bool initiator) {
    const SaContext& c = sa.ctx();
    // RFC 7383 §2.3: the responder only echoes support the initiator announced.
    if (c.cfg->fragmentation && (initiator || c.frag_peer)) {
      out.push_back(make_notify(NotifyType::Ikev2FragmentationSupported));
    }
    // RFC 7427 §4: announce the hashes we accept in signatures.
    out.push_back(make_notify(NotifyType::SignatureHashAlgorithms, hash_algorithms_data()));
  }

  void detect_nat(Sa& sa, const Message& m, uint64_t spi_r) {
    SaContext& c = sa.ctx();
    const auto src = m.all<NotifyPayload>(PayloadType::Notify);
    std::vector<const NotifyPayload*> s, d;
    for (const auto* n : src) {
      if (n->notify_type() == NotifyType::NatDetectionSourceIp) s.push_back(n);
      if (n->notify_type() == NotifyType::NatDetectionDestinationIp) d.push_back(n);
    }
    if (s.empty() || d.empty()) return;  // the peer does no NAT detection
    c.nat_there = !any_matches(s, natd_hash(c.spi_i, spi_r, sa.current_from()));
    c.nat_here = !any_matches(d, natd_hash(c.spi_i, spi_r, sa.current_to()));
  }

  void learn_capabilities(Sa& sa, const Message& m) {
    SaContext& c = sa.ctx();
    c.frag_peer = m.notify(NotifyType::Ikev2FragmentationSupported) != nullptr;
    c.frag_on = c.frag_peer && c.cfg->fragmentation;
    if (const NotifyPayload* n = m.notify(NotifyType::SignatureHashAlgorithms)) {
      c.peer_hashes = parse_hash_algorithms(n->data);
    }
    c.peer_certreq = m.first<CertReqPayload>(PayloadType::CertReq) != nullptr;
  }

  DhGroup group_ = DhGroup::None;
  std::unique_ptr<KeyExchange> kx_;
  SaPayload offer_;
  Bytes cookie_;
  int retries_ = 0;
  IkeChoice choice_;
  std::optional<Errc> error_;
  uint16_t error_data_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_ike_init() {
  return std::make_unique<IkeInit>();
}

}  // namespace intransit::ipsec::ike
