// CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1, §1.3.3): a new CHILD SA, or the rekey of
// one (REKEY_SA notify), with optional PFS (KE payload; INVALID_KE_PAYLOAD retry), traffic
// selector narrowing (§2.9) and keys from prf+(SK_d, g^ir | Ni | Nr) (§2.17).
//
// Simultaneous rekeys of the same CHILD SA (§2.8.1): each side answers the other's request
// and records it; when its own response arrives, the exchange that used the lowest of the
// four nonces is redundant. Its initiator deletes the redundant new SA, the other side
// deletes the old one.
#include <cstring>

#include "gateway/base/log.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/sa.h"
#include "ipsec/ike/tasks/common.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

constexpr int kMaxRetries = 5;

// nonce_less orders nonces as unsigned big numbers of equal length would be, shorter first.
bool nonce_less(const Bytes& a, const Bytes& b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0;
  return a.size() < b.size();
}

class ChildCreate final : public Task {
 public:
  explicit ChildCreate(uint32_t rekey_spi_in) : rekey_(rekey_spi_in) {}

  TaskKind kind() const override { return rekey_ ? TaskKind::ChildRekey : TaskKind::ChildCreate; }
  ExchangeType exchange() const override { return ExchangeType::CreateChildSa; }
  uint32_t rekeying_child() const override { return rekey_; }

  TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    ChildSa* old = rekey_ ? sa.child_by_in(rekey_) : nullptr;
    if (rekey_ &&
        (!old || (old->state != ChildState::Installed && old->state != ChildState::Rekeying))) {
      return TaskStatus::Done;  // deleted or replaced meanwhile: nothing to do
    }
    if (old) old->state = ChildState::Rekeying;
    if (!spi_in_) spi_in_ = sa.new_esp_spi(env);
    ni_ = sa.nonce(env);
    if (group_ == DhGroup::None && !cfg.esp_proposals.front().dh.empty()) {
      group_ = cfg.esp_proposals.front().dh.front();
    }
    offer_ = esp_offer(cfg.esp_proposals, spi_in_, true,
                       group_ == DhGroup::None ? std::nullopt : std::optional<DhGroup>(group_));
    if (old) {
      // §3.10.1 REKEY_SA: protocol ESP and the SPI of the SA being rekeyed (ours, inbound).
      out.push_back(
          make_notify(NotifyType::RekeySa, {}, ProtocolId::Esp, tasks::u32_bytes(old->spi_in)));
    }
    out.push_back(Payload{PayloadType::Sa, false, offer_});
    out.push_back(make_nonce(ni_));
    if (group_ != DhGroup::None) {
      if (!kx_ || kx_->group() != group_) kx_ = make_key_exchange(group_, env.rng);
      if (!kx_) return TaskStatus::Failed;
      out.push_back(make_ke(static_cast<uint16_t>(group_), kx_->public_value()));
    }
    ts_local_ = old ? old->local_ts : cfg.local_ts;
    ts_remote_ = old ? old->remote_ts : cfg.remote_ts;
    out.push_back(Payload{PayloadType::TsI, false, TsPayload{ts_local_, {}}});
    out.push_back(Payload{PayloadType::TsR, false, TsPayload{ts_remote_, {}}});
    return TaskStatus::NeedMore;
  }

  TaskStatus process_i(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (const NotifyPayload* n = m.notify(NotifyType::InvalidKePayload)) {
      const auto g = tasks::be16(n->data);
      if (g && ++retries_ <= kMaxRetries && known_dh(*g) && *g != 0 &&
          *g != static_cast<uint16_t>(group_) &&
          tasks::group_offered(cfg.esp_proposals, static_cast<DhGroup>(*g))) {
        sa.trace(env, "peer wants PFS group " + std::string(name(static_cast<DhGroup>(*g))) +
                          ", retrying");
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
    const TsPayload* tsi = m.first<TsPayload>(PayloadType::TsI);
    const TsPayload* tsr = m.first<TsPayload>(PayloadType::TsR);
    if (!sap || !nr || !tsi || !tsr) return failed(sa, env, NotifyType::InvalidSyntax);
    auto choice = accept_esp(*sap, offer_, DhUse::Match);
    if (!choice) return failed(sa, env, NotifyType::NoProposalChosen);
    SecretBytes gir;
    if (choice->suite.dh != DhGroup::None) {
      if (choice->suite.dh != group_ || !kx_ || !ke || ke->group != static_cast<uint16_t>(group_)) {
        return failed(sa, env, NotifyType::InvalidKePayload);
      }
      auto s = kx_->shared(ke->data);
      if (!s) return failed(sa, env, NotifyType::InvalidSyntax);
      gir = std::move(*s);
    }
    if (tsi->selectors.empty() || tsr->selectors.empty() ||
        !covered_by(tsi->selectors, ts_local_) || !covered_by(tsr->selectors, ts_remote_)) {
      return failed(sa, env, NotifyType::TsUnacceptable);
    }
    const ChildKeys keys = derive_child_keys(c.suite.prf, c.keys.sk_d.view(), gir.view(), ni_,
                                             nr->data, choice->suite);
    const uint32_t new_in = spi_in_;
    spi_in_ = 0;
    sa.install_child(env, new_in, choice->peer_spi, choice->suite, keys, true, tsi->selectors,
                     tsr->selectors, rekey_);
    kx_.reset();
    if (!rekey_) return TaskStatus::Done;
    ++env.counters.child_rekeys;
    ChildSa* old = sa.child_by_in(rekey_);
    auto coll =
        std::find_if(c.child_collisions.begin(), c.child_collisions.end(),
                     [this](const SaContext::ChildCollision& x) { return x.old_spi_in == rekey_; });
    if (coll != c.child_collisions.end()) {
      // §2.8.1: the SA created with the lowest of the four nonces is redundant.
      const Bytes* lowest = &ni_;
      for (const Bytes* n : std::initializer_list<const Bytes*>{&nr->data, &coll->ni, &coll->nr}) {
        if (nonce_less(*n, *lowest)) lowest = n;
      }
      const bool ours_redundant = lowest == &ni_ || lowest == &nr->data;
      sa.trace(env, std::string("child rekey collision: ") +
                        (ours_redundant ? "ours is redundant" : "the peer's is redundant"));
      if (old) old->state = ChildState::Rekeyed;
      if (ours_redundant) {
        if (ChildSa* mine = sa.child_by_in(new_in)) mine->state = ChildState::Deleting;
        sa.queue(make_child_delete({new_in}), true);
      } else if (old) {
        old->state = ChildState::Deleting;
        sa.queue(make_child_delete({rekey_}), true);
      }
      c.child_collisions.erase(coll);
      return TaskStatus::Done;
    }
    if (old) {
      // §2.8: the rekey's initiator deletes the replaced SA.
      old->state = ChildState::Deleting;
      sa.queue(make_child_delete({rekey_}), true);
    }
    return TaskStatus::Done;
  }

  TaskStatus process_r(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    if (const NotifyPayload* n = m.notify(NotifyType::RekeySa)) {
      if (n->protocol != ProtocolId::Esp || n->spi.size() != 4) {
        return refuse(NotifyType::InvalidSyntax);
      }
      const uint32_t spi_out = static_cast<uint32_t>(tasks::read_u64(n->spi));
      ChildSa* old = sa.child_by_out(spi_out);
      if (!old) return refuse(NotifyType::ChildSaNotFound);
      if (old->state == ChildState::Deleting || old->state == ChildState::Rekeyed) {
        return refuse(NotifyType::TemporaryFailure);
      }
      old_in_ = old->spi_in;
    }
    // §2.25: no CHILD SA work while the IKE SA itself is being rekeyed.
    if (sa.active_task() && sa.active_task()->kind() == TaskKind::IkeRekey) {
      return refuse(NotifyType::TemporaryFailure);
    }
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
    const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
    const TsPayload* tsi = m.first<TsPayload>(PayloadType::TsI);
    const TsPayload* tsr = m.first<TsPayload>(PayloadType::TsR);
    if (!sap || !ni || !tsi || !tsr) return refuse(NotifyType::InvalidSyntax);
    auto choice =
        select_esp(*sap, cfg.esp_proposals, DhUse::Match,
                   ke ? std::optional<DhGroup>(static_cast<DhGroup>(ke->group)) : std::nullopt);
    if (!choice) return refuse(NotifyType::NoProposalChosen);
    if (choice->suite.dh != DhGroup::None &&
        (!ke || ke->group != static_cast<uint16_t>(choice->suite.dh))) {
      ++env.counters.invalid_ke_sent;
      invalid_ke_group_ = static_cast<uint16_t>(choice->suite.dh);
      return refuse(NotifyType::InvalidKePayload);
    }
    ts_remote_ = narrow(tsi->selectors, cfg.remote_ts);
    ts_local_ = narrow(tsr->selectors, cfg.local_ts);
    if (ts_remote_.empty() || ts_local_.empty()) return refuse(NotifyType::TsUnacceptable);
    nr_ = sa.nonce(env);
    ni_ = ni->data;
    if (choice->suite.dh != DhGroup::None) {
      kx_ = make_key_exchange(choice->suite.dh, env.rng);
      if (!kx_) return refuse(NotifyType::NoProposalChosen);
      auto s = kx_->shared(ke->data);
      if (!s) return refuse(NotifyType::InvalidSyntax);
      gir_ = std::move(*s);
    }
    choice_ = *choice;
    return TaskStatus::NeedMore;
  }

  TaskStatus build_r(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    if (error_) {
      out.push_back(
          make_notify(*error_, invalid_ke_group_ ? tasks::u16_bytes(invalid_ke_group_) : Bytes{}));
      return TaskStatus::Failed;
    }
    const uint32_t spi_in = sa.new_esp_spi(env);
    const ChildKeys keys =
        derive_child_keys(c.suite.prf, c.keys.sk_d.view(), gir_.view(), ni_, nr_, choice_.suite);
    sa.install_child(env, spi_in, choice_.peer_spi, choice_.suite, keys, false, ts_local_,
                     ts_remote_, old_in_);
    out.push_back(Payload{PayloadType::Sa, false, esp_answer(choice_, spi_in)});
    out.push_back(make_nonce(nr_));
    if (kx_) {
      out.push_back(make_ke(static_cast<uint16_t>(kx_->group()), kx_->public_value()));
    }
    out.push_back(Payload{PayloadType::TsI, false, TsPayload{ts_remote_, {}}});
    out.push_back(Payload{PayloadType::TsR, false, TsPayload{ts_local_, {}}});
    if (old_in_) {
      ++env.counters.child_rekeys;
      Task* active = sa.active_task();
      if (active && active->rekeying_child() == old_in_) {
        // Our own rekey of the same SA is outstanding: decide when its response comes.
        c.child_collisions.push_back(SaContext::ChildCollision{old_in_, spi_in, ni_, nr_});
        sa.trace(env, "child rekey collision detected");
      } else if (ChildSa* old = sa.child_by_in(old_in_)) {
        // The peer deletes the old SA (§2.8); if it never does, it expires soon.
        old->state = ChildState::Rekeyed;
        old->expire_at = std::min(old->expire_at, env.now + sa.retransmit_span());
      }
    }
    kx_.reset();
    return TaskStatus::Done;
  }

  void abort(Sa& sa, Env& env) override {
    if (spi_in_) env.manager.release_esp_spi(spi_in_);
    spi_in_ = 0;
    if (ChildSa* old = rekey_ ? sa.child_by_in(rekey_) : nullptr) {
      if (old->state == ChildState::Rekeying) old->state = ChildState::Installed;
    }
  }

 private:
  TaskStatus refuse(NotifyType n) {
    error_ = n;
    return TaskStatus::Failed;
  }

  TaskStatus failed(Sa& sa, Env& env, NotifyType why) {
    SaContext& c = sa.ctx();
    log::warn("ipsec", rekey_ ? "child_rekey_failed" : "child_create_failed")
        .kv("tunnel", c.cfg->name)
        .kv("reason", name(why));
    if (spi_in_) env.manager.release_esp_spi(spi_in_);
    spi_in_ = 0;
    kx_.reset();
    ChildSa* old = rekey_ ? sa.child_by_in(rekey_) : nullptr;
    if (!old) return TaskStatus::Failed;
    auto coll =
        std::find_if(c.child_collisions.begin(), c.child_collisions.end(),
                     [this](const SaContext::ChildCollision& x) { return x.old_spi_in == rekey_; });
    if (coll != c.child_collisions.end()) {
      // The peer's rekey of this SA went through: it replaces the old one and the peer
      // deletes it.
      old->state = ChildState::Rekeyed;
      old->expire_at = std::min(old->expire_at, env.now + sa.retransmit_span());
      c.child_collisions.erase(coll);
    } else if (why == NotifyType::ChildSaNotFound) {
      sa.remove_child(env, rekey_);  // the peer has no such SA any more
    } else {
      // §2.25: TEMPORARY_FAILURE and the like: retry after a short, random delay.
      old->state = ChildState::Installed;
      old->rekey_at = env.now + std::chrono::seconds(1 + env.rng.u32() % 10);
    }
    return TaskStatus::Failed;
  }

  uint32_t rekey_ = 0;  // initiator: inbound SPI of the SA we rekey
  uint32_t spi_in_ = 0;
  DhGroup group_ = DhGroup::None;
  std::unique_ptr<KeyExchange> kx_;
  SaPayload offer_;
  Bytes ni_;
  Bytes nr_;
  int retries_ = 0;
  std::vector<TrafficSelector> ts_local_;
  std::vector<TrafficSelector> ts_remote_;
  // responder
  uint32_t old_in_ = 0;
  std::optional<NotifyType> error_;
  uint16_t invalid_ke_group_ = 0;
  EspChoice choice_;
  SecretBytes gir_;
};

}  // namespace

std::unique_ptr<Task> make_child_create(uint32_t rekey_spi_in) {
  return std::make_unique<ChildCreate>(rekey_spi_in);
}

}  // namespace intransit::ipsec::ike
