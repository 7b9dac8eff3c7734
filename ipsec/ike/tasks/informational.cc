// INFORMATIONAL exchanges (RFC 7296 §1.4): deleting the IKE SA or CHILD SAs (§1.4.1),
// liveness checks (§2.4), and the responder side of every INFORMATIONAL request: Deletes
// are answered with the Deletes of the paired inbound SAs, except for SAs we are deleting
// ourselves at the same time (§1.4.1); a Delete of the IKE SA is answered empty.
#include "gateway/base/log.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/sa.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

class IkeDelete final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::IkeDelete; }
  ExchangeType exchange() const override { return ExchangeType::Informational; }

  TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) override {
    sa.set_state(env, SaState::Deleting);
    out.push_back(Payload{PayloadType::Delete, false, DeletePayload{ProtocolId::Ike, {}}});
    return TaskStatus::NeedMore;
  }
  TaskStatus process_i(Sa& sa, Env& env, const Message&) override {
    sa.close(env, std::nullopt);
    return TaskStatus::Done;
  }
  TaskStatus process_r(Sa&, Env&, const Message&) override { return TaskStatus::Failed; }
  TaskStatus build_r(Sa&, Env&, std::vector<Payload>&) override { return TaskStatus::Failed; }
};

class ChildDelete final : public Task {
 public:
  explicit ChildDelete(std::vector<uint32_t> spis) : spis_(std::move(spis)) {}
  TaskKind kind() const override { return TaskKind::ChildDelete; }
  ExchangeType exchange() const override { return ExchangeType::Informational; }

  TaskStatus build_i(Sa& sa, Env&, std::vector<Payload>& out) override {
    DeletePayload d{ProtocolId::Esp, {}};
    for (uint32_t spi : spis_) {
      if (ChildSa* c = sa.child_by_in(spi)) {
        c->state = ChildState::Deleting;
        d.spis.push_back(spi);
      }
    }
    if (d.spis.empty()) return TaskStatus::Done;
    spis_ = d.spis;
    out.push_back(Payload{PayloadType::Delete, false, std::move(d)});
    return TaskStatus::NeedMore;
  }
  TaskStatus process_i(Sa& sa, Env& env, const Message&) override {
    // Whatever the peer lists, the SAs we named are gone now (§1.4.1).
    for (uint32_t spi : spis_) sa.remove_child(env, spi);
    return TaskStatus::Done;
  }
  TaskStatus process_r(Sa&, Env&, const Message&) override { return TaskStatus::Failed; }
  TaskStatus build_r(Sa&, Env&, std::vector<Payload>&) override { return TaskStatus::Failed; }

 private:
  std::vector<uint32_t> spis_;
};

class Informational final : public Task {
 public:
  explicit Informational(std::vector<Payload> payloads) : payloads_(std::move(payloads)) {}
  TaskKind kind() const override { return TaskKind::Informational; }
  ExchangeType exchange() const override { return ExchangeType::Informational; }

  TaskStatus build_i(Sa&, Env&, std::vector<Payload>& out) override {
    out = payloads_;
    return TaskStatus::NeedMore;
  }
  TaskStatus process_i(Sa&, Env&, const Message&) override { return TaskStatus::Done; }

  TaskStatus process_r(Sa& sa, Env& env, const Message& m) override {
    for (const DeletePayload* d : m.all<DeletePayload>(PayloadType::Delete)) {
      if (d->protocol == ProtocolId::Ike) {
        delete_ike_ = true;
        continue;
      }
      if (d->protocol != ProtocolId::Esp) continue;
      for (uint32_t spi_out : d->spis) {
        ChildSa* c = sa.child_by_out(spi_out);
        if (!c) continue;  // unknown SPIs are ignored (§1.4.1)
        const uint32_t spi_in = c->spi_in;
        const bool ours_too = c->state == ChildState::Deleting;
        sa.remove_child(env, spi_in);
        if (!ours_too) answer_.push_back(spi_in);
      }
    }
    for (const NotifyPayload* n : m.all<NotifyPayload>(PayloadType::Notify)) {
      if (!is_error(n->notify_type())) continue;
      log::warn("ipsec", "peer_error")
          .kv("tunnel", sa.ctx().cfg->name)
          .kv("notify", name(n->notify_type()));
      // §2.21.2: the initiator rejected our AUTH.
      if (n->notify_type() == NotifyType::AuthenticationFailed) {
        env.counters.count(AuthFailure::PeerRejected);
        delete_ike_ = true;
      }
    }
    return TaskStatus::NeedMore;
  }

  TaskStatus build_r(Sa& sa, Env&, std::vector<Payload>& out) override {
    if (delete_ike_) {
      // §1.4.1: the response to a Delete of the IKE SA is empty; then the SA is gone.
      sa.close_after_response(Failure{Errc::PeerError});
      return TaskStatus::Done;
    }
    if (!answer_.empty()) {
      out.push_back(Payload{PayloadType::Delete, false, DeletePayload{ProtocolId::Esp, answer_}});
    }
    return TaskStatus::Done;
  }

 private:
  std::vector<Payload> payloads_;
  bool delete_ike_ = false;
  std::vector<uint32_t> answer_;
};

}  // namespace

std::unique_ptr<Task> make_ike_delete() {
  return std::make_unique<IkeDelete>();
}
std::unique_ptr<Task> make_child_delete(std::vector<uint32_t> spis_in) {
  return std::make_unique<ChildDelete>(std::move(spis_in));
}
std::unique_ptr<Task> make_informational(std::vector<Payload> payloads) {
  return std::make_unique<Informational>(std::move(payloads));
}

}  // namespace intransit::ipsec::ike
