// Rekeying the IKE SA (RFC 7296 §1.3.2, §2.18): a CREATE_CHILD_SA with an IKE proposal
// carrying the new SPI, a nonce and a KE. The new SA's SKEYSEED is prf(SK_d (old),
// g^ir (new) | Ni | Nr); its message IDs start at zero; the CHILD SAs move over; the
// rekey's initiator deletes the old SA. Simultaneous rekeys (§2.8.2) are resolved like
// CHILD SA collisions: the new SA whose exchange used the lowest nonce is deleted by its
// initiator, the other side deletes the old SA.
#include <cstring>

#include "gateway/base/log.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/sa.h"
#include "ipsec/ike/tasks/common.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

constexpr int kMaxRetries = 5;

bool nonce_less(const Bytes& a, const Bytes& b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0;
  return a.size() < b.size();
}

// make_successor builds the new IKE SA and copies what IKE_SA_INIT had negotiated for the
// old one (NAT state, fragmentation, signature hashes, identity).
std::unique_ptr<Sa> make_successor(Sa& old, Env& env, bool initiator, uint64_t spi_i,
                                   uint64_t spi_r, const IkeSuite& suite, const Bytes& ni,
                                   const Bytes& nr, BytesView seed) {
  const SaContext& o = old.ctx();
  const uint64_t local_spi = initiator ? spi_i : spi_r;
  auto n = std::make_unique<Sa>(env.manager.next_id(), o.cfg, initiator, o.local, o.remote,
                                local_spi, env.opts, env.now);
  SaContext& c = n->ctx();
  c.spi_i = spi_i;
  c.spi_r = spi_r;
  c.suite = suite;
  c.ni = ni;
  c.nr = nr;
  c.frag_peer = o.frag_peer;
  c.frag_on = o.frag_on;
  c.peer_hashes = o.peer_hashes;
  c.peer_certreq = o.peer_certreq;
  c.nat_here = o.nat_here;
  c.nat_there = o.nat_there;
  c.peer_id = o.peer_id;
  if (!n->derive_keys(seed)) return nullptr;
  n->establish(env);
  return n;
}

void move_children(Sa& from, Sa& to, Env& env) {
  auto& src = from.ctx().children;
  auto& dst = to.ctx().children;
  for (auto& ch : src) {
    to.trace(env, "child " + std::to_string(ch.spi_in) + " moved from IKE SA " +
                      std::to_string(from.id()));
    dst.push_back(std::move(ch));
  }
  src.clear();
}

class IkeRekey final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::IkeRekey; }
  ExchangeType exchange() const override { return ExchangeType::CreateChildSa; }

  TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (c.state != SaState::Established && c.state != SaState::Rekeying) return TaskStatus::Done;
    sa.set_state(env, SaState::Rekeying);
    if (!new_spi_) new_spi_ = env.manager.allocate_ike_spi();
    if (group_ == DhGroup::None) {
      group_ = tasks::group_offered(cfg.ike_proposals, c.suite.dh)
                   ? c.suite.dh
                   : cfg.ike_proposals.front().dh.front();
    }
    if (!kx_ || kx_->group() != group_) kx_ = make_key_exchange(group_, env.rng);
    if (!kx_) return TaskStatus::Failed;
    ni_ = sa.nonce(env);
    offer_ = ike_offer(cfg.ike_proposals, tasks::u64_bytes(new_spi_), group_);
    out.push_back(Payload{PayloadType::Sa, false, offer_});
    out.push_back(make_nonce(ni_));
    out.push_back(make_ke(static_cast<uint16_t>(group_), kx_->public_value()));
    return TaskStatus::NeedMore;
  }

  TaskStatus process_i(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (const NotifyPayload* n = m.notify(NotifyType::InvalidKePayload)) {
      const auto g = tasks::be16(n->data);
      if (g && ++retries_ <= kMaxRetries && known_dh(*g) && *g != 0 &&
          *g != static_cast<uint16_t>(group_) &&
          tasks::group_offered(cfg.ike_proposals, static_cast<DhGroup>(*g))) {
        group_ = static_cast<DhGroup>(*g);
        kx_.reset();
        return TaskStatus::Retry;
      }
      return failed(sa, env, n->notify_type());
    }
    if (const NotifyPayload* n = m.first_error_notify()) return failed(sa, env, n->notify_type());
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const NoncePayload* nr = m.first<NoncePayload>(PayloadType::Nonce);
    const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
    if (!sap || !nr || !ke) return failed(sa, env, NotifyType::InvalidSyntax);
    auto choice = accept_ike(*sap, offer_, 8);
    if (!choice || choice->suite.dh != group_ || ke->group != static_cast<uint16_t>(group_)) {
      return failed(sa, env, NotifyType::NoProposalChosen);
    }
    const uint64_t spi_r = tasks::read_u64(choice->peer_spi);
    auto gir = kx_->shared(ke->data);
    if (!gir || spi_r == 0) return failed(sa, env, NotifyType::InvalidSyntax);
    const SecretBytes seed =
        rekey_skeyseed(c.suite.prf, c.keys.sk_d.view(), gir->view(), ni_, nr->data);
    auto next =
        make_successor(sa, env, true, new_spi_, spi_r, choice->suite, ni_, nr->data, seed.view());
    if (!next) return failed(sa, env, NotifyType::NoProposalChosen);
    ++env.counters.ike_rekeys;
    kx_.reset();
    c.rekeyed_into = next->id();
    if (c.ike_collision) {
      const auto coll = *c.ike_collision;
      c.ike_collision.reset();
      const Bytes* lowest = &ni_;
      for (const Bytes* n : std::initializer_list<const Bytes*>{&nr->data, &coll.ni, &coll.nr}) {
        if (nonce_less(*n, *lowest)) lowest = n;
      }
      const bool ours_redundant = lowest == &ni_ || lowest == &nr->data;
      sa.trace(env, std::string("IKE rekey collision: ") +
                        (ours_redundant ? "ours is redundant" : "the peer's is redundant"));
      Sa* passive = env.manager.find(coll.new_sa);
      if (ours_redundant && passive) {
        // Keep the peer's new SA; delete ours; the peer deletes the old one.
        move_children(sa, *passive, env);
        c.rekeyed_into = passive->id();
        next->queue(make_ike_delete(), true);
        sa.set_state(env, SaState::Rekeyed);
        env.spawned.push_back(std::move(next));
        return TaskStatus::Done;
      }
      // Ours survives: fall through; the peer deletes the SA it created.
    }
    move_children(sa, *next, env);
    sa.set_state(env, SaState::Rekeyed);
    sa.queue(make_ike_delete(), true);
    env.spawned.push_back(std::move(next));
    return TaskStatus::Done;
  }

  TaskStatus process_r(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (c.state != SaState::Established && c.state != SaState::Rekeying) {
      return refuse(NotifyType::TemporaryFailure);
    }
    // §2.25: while one of our CHILD SA exchanges is outstanding, come back later.
    if (sa.active_task() && sa.active_task()->kind() != TaskKind::IkeRekey) {
      return refuse(NotifyType::TemporaryFailure);
    }
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
    const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
    if (!sap || !ni || !ke) return refuse(NotifyType::InvalidSyntax);
    auto choice = select_ike(*sap, cfg.ike_proposals, static_cast<DhGroup>(ke->group), 8);
    if (!choice) return refuse(NotifyType::NoProposalChosen);
    if (ke->group != static_cast<uint16_t>(choice->suite.dh)) {
      ++env.counters.invalid_ke_sent;
      invalid_ke_group_ = static_cast<uint16_t>(choice->suite.dh);
      return refuse(NotifyType::InvalidKePayload);
    }
    kx_ = make_key_exchange(choice->suite.dh, env.rng);
    if (!kx_) return refuse(NotifyType::NoProposalChosen);
    auto gir = kx_->shared(ke->data);
    if (!gir) return refuse(NotifyType::InvalidSyntax);
    peer_spi_ = tasks::read_u64(choice->peer_spi);
    if (peer_spi_ == 0) return refuse(NotifyType::InvalidSyntax);
    gir_ = std::move(*gir);
    ni_ = ni->data;
    nr_ = sa.nonce(env);
    choice_ = *choice;
    new_spi_ = env.manager.allocate_ike_spi();
    return TaskStatus::NeedMore;
  }

  TaskStatus build_r(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    if (error_) {
      out.push_back(
          make_notify(*error_, invalid_ke_group_ ? tasks::u16_bytes(invalid_ke_group_) : Bytes{}));
      return TaskStatus::Failed;
    }
    const SecretBytes seed = rekey_skeyseed(c.suite.prf, c.keys.sk_d.view(), gir_.view(), ni_, nr_);
    auto next =
        make_successor(sa, env, false, peer_spi_, new_spi_, choice_.suite, ni_, nr_, seed.view());
    if (!next) {
      out.push_back(make_notify(NotifyType::NoProposalChosen));
      return TaskStatus::Failed;
    }
    out.push_back(Payload{PayloadType::Sa, false, ike_answer(choice_, tasks::u64_bytes(new_spi_))});
    out.push_back(make_nonce(nr_));
    out.push_back(make_ke(static_cast<uint16_t>(kx_->group()), kx_->public_value()));
    ++env.counters.ike_rekeys;
    Task* active = sa.active_task();
    if (active && active->kind() == TaskKind::IkeRekey) {
      // Our own rekey is outstanding: its response decides which new SA survives.
      c.ike_collision = SaContext::IkeCollision{next->id(), ni_, nr_};
      sa.trace(env, "IKE rekey collision detected");
    } else {
      move_children(sa, *next, env);
      c.rekeyed_into = next->id();
      sa.set_state(env, SaState::Rekeyed);  // the peer deletes this SA (§2.18)
    }
    env.spawned.push_back(std::move(next));
    kx_.reset();
    return TaskStatus::Done;
  }

 private:
  TaskStatus refuse(NotifyType n) {
    error_ = n;
    return TaskStatus::Failed;
  }

  TaskStatus failed(Sa& sa, Env& env, NotifyType why) {
    SaContext& c = sa.ctx();
    log::warn("ipsec", "ike_rekey_failed").kv("tunnel", c.cfg->name).kv("reason", name(why));
    kx_.reset();
    if (c.ike_collision) {
      // The peer's rekey went through: its SA replaces this one; the peer deletes the old.
      const auto coll = *c.ike_collision;
      c.ike_collision.reset();
      if (Sa* passive = env.manager.find(coll.new_sa)) {
        move_children(sa, *passive, env);
        c.rekeyed_into = passive->id();
        sa.set_state(env, SaState::Rekeyed);
        return TaskStatus::Failed;
      }
    }
    sa.set_state(env, SaState::Established);
    // §2.25: retry after a short, random delay.
    c.rekey_at = env.now + std::chrono::seconds(1 + env.rng.u32() % 10);
    return TaskStatus::Failed;
  }

  uint64_t new_spi_ = 0;
  DhGroup group_ = DhGroup::None;
  std::unique_ptr<KeyExchange> kx_;
  SaPayload offer_;
  Bytes ni_;
  Bytes nr_;
  int retries_ = 0;
  // responder
  std::optional<NotifyType> error_;
  uint16_t invalid_ke_group_ = 0;
  IkeChoice choice_;
  uint64_t peer_spi_ = 0;
  SecretBytes gir_;
};

}  // namespace

std::unique_ptr<Task> make_ike_rekey() {
  return std::make_unique<IkeRekey>();
}

}  // namespace intransit::ipsec::ike
