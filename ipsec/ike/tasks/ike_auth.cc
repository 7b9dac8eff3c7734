// IKE_AUTH (RFC 7296 §1.2, §2.15): identities, certificates and CERTREQ (§3.6, §3.7), the
// AUTH payload (PSK or signatures), INITIAL_CONTACT (§2.4) and the first CHILD SA with its
// traffic selectors (§2.9) and keys (§2.17). An IKE SA whose CHILD SA fails is still
// established (§1.2: the error notify then replaces SA/TSi/TSr).
#include "gateway/base/log.h"
#include "ipsec/ike/auth.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/sa.h"
#include "ipsec/ike/tasks/common.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

IdPayload id_payload(const Identity& id) {
  return IdPayload{static_cast<uint8_t>(id.type), id.data};
}

Identity identity_of(const IdPayload& p) {
  Identity id;
  id.type = static_cast<IdType>(p.type);
  id.data = p.data;
  return id;
}

Bytes cert_der(X509* x) {
  uint8_t* der = nullptr;
  const int len = i2d_X509(x, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

bool is_signature_method(uint8_t m) {
  switch (static_cast<AuthMethod>(m)) {
    case AuthMethod::Rsa:
    case AuthMethod::EcdsaSha256P256:
    case AuthMethod::EcdsaSha384P384:
    case AuthMethod::EcdsaSha512P521:
    case AuthMethod::DigitalSignature:
      return true;
    case AuthMethod::Psk:
    case AuthMethod::Dss:
      return false;
  }
  return false;
}

// build_auth computes our AUTH payload over `octets` (§2.15).
IkeResult<AuthPayload> build_auth(const SaContext& c, BytesView octets) {
  const TunnelConfig& cfg = *c.cfg;
  if (cfg.local_auth == AuthKind::Psk) {
    const SecretBytes v = psk_auth(c.suite.prf, cfg.psk.view(), octets);
    return AuthPayload{static_cast<uint8_t>(AuthMethod::Psk),
                       Bytes(v.view().begin(), v.view().end())};
  }
  SignatureOptions o;
  o.peer_hashes = c.peer_hashes;
  o.use_rfc7427 = cfg.signature_auth;
  o.rsa_pss = cfg.rsa_pss;
  return sign_auth(cfg.private_key.get(), octets, o);
}

// verify_peer checks the peer's AUTH (and certificate) against the tunnel's remote auth.
std::optional<AuthFailure> verify_peer(const SaContext& c, const Message& m,
                                       const AuthPayload& auth, const Identity& peer,
                                       BytesView octets, int64_t unix_now) {
  const TunnelConfig& cfg = *c.cfg;
  if (cfg.remote_auth == AuthKind::Psk) {
    if (auth.method != static_cast<uint8_t>(AuthMethod::Psk)) return AuthFailure::MethodMismatch;
    const SecretBytes want = psk_auth(c.suite.prf, cfg.psk.view(), octets);
    if (!constant_time_equal(want.view(), auth.data)) return AuthFailure::BadPsk;
    return std::nullopt;
  }
  if (!is_signature_method(auth.method)) return AuthFailure::MethodMismatch;
  auto leaf =
      verify_peer_certificate(m.all<CertPayload>(PayloadType::Cert), cfg.ca_certificates, unix_now);
  if (!leaf) return AuthFailure::BadCertificate;
  if (!identity_in_certificate(peer, leaf->get())) return AuthFailure::BadCertificate;
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(leaf->get()));
  if (!key || !verify_auth(auth, key.get(), octets)) return AuthFailure::BadSignature;
  return std::nullopt;
}

void add_certs(const SaContext& c, bool asked, std::vector<Payload>& out) {
  const TunnelConfig& cfg = *c.cfg;
  if (cfg.local_auth != AuthKind::PublicKey || cfg.send_cert == SendCert::Never) return;
  if (cfg.send_cert == SendCert::IfAsked && !asked) return;
  for (const auto& x : cfg.certificates) {
    out.push_back(
        Payload{PayloadType::Cert, false,
                CertPayload{static_cast<uint8_t>(CertEncoding::X509Signature), cert_der(x.get())}});
  }
}

class IkeAuth final : public Task {
 public:
  TaskKind kind() const override { return TaskKind::IkeAuth; }
  ExchangeType exchange() const override { return ExchangeType::IkeAuth; }

  TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    const IdPayload idi = id_payload(cfg.local_id);
    out.push_back(Payload{PayloadType::IdI, false, idi});
    add_certs(c, c.peer_certreq, out);
    if (cfg.initial_contact) out.push_back(make_notify(NotifyType::InitialContact));
    if (cfg.remote_auth == AuthKind::PublicKey && cfg.send_certreq) {
      out.push_back(Payload{PayloadType::CertReq, false,
                            CertReqPayload{static_cast<uint8_t>(CertEncoding::X509Signature),
                                           certreq_authorities(cfg.ca_certificates)}});
    }
    out.push_back(Payload{PayloadType::IdR, false, id_payload(cfg.remote_id)});
    const Bytes octets =
        signed_octets(c.init_request, c.nr, c.suite.prf, c.keys.sk_pi.view(), idi.body());
    auto auth = build_auth(c, octets);
    if (!auth) {
      sa.close(env, auth.error());
      return TaskStatus::Failed;
    }
    out.push_back(Payload{PayloadType::Auth, false, std::move(*auth)});
    spi_in_ = sa.new_esp_spi(env);
    offer_ = esp_offer(cfg.esp_proposals, spi_in_, false);
    out.push_back(Payload{PayloadType::Sa, false, offer_});
    out.push_back(Payload{PayloadType::TsI, false, TsPayload{cfg.local_ts, {}}});
    out.push_back(Payload{PayloadType::TsR, false, TsPayload{cfg.remote_ts, {}}});
    return TaskStatus::NeedMore;
  }

  TaskStatus process_i(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const TunnelConfig& cfg = *c.cfg;
    const IdPayload* idr = m.first<IdPayload>(PayloadType::IdR);
    const AuthPayload* auth = m.first<AuthPayload>(PayloadType::Auth);
    if (!idr || !auth) {
      const NotifyPayload* n = m.first_error_notify();
      if (n && n->notify_type() == NotifyType::AuthenticationFailed) {
        env.counters.count(AuthFailure::PeerRejected);
        log::warn("ipsec", "auth_failed").kv("tunnel", cfg.name).kv("reason", "peer_rejected");
      }
      release(sa, env);
      sa.close(env,
               Failure{n ? Errc::PeerError : Errc::MissingPayload, 0, n ? n->type : uint16_t{0}});
      return TaskStatus::Failed;
    }
    const Identity peer = identity_of(*idr);
    std::optional<AuthFailure> bad;
    if (peer != cfg.remote_id) {
      bad = AuthFailure::IdMismatch;
    } else {
      const Bytes octets =
          signed_octets(c.init_response, c.ni, c.suite.prf, c.keys.sk_pr.view(), idr->body());
      bad = verify_peer(c, m, *auth, peer, octets, env.unix_now);
    }
    if (bad) {
      env.counters.count(*bad);
      log::warn("ipsec", "auth_failed")
          .kv("tunnel", cfg.name)
          .kv("reason", name(*bad))
          .kv("peer_id", peer.to_string());
      release(sa, env);
      // §2.21.2: tell the responder in an INFORMATIONAL, then drop the SA.
      sa.send_notify_and_close(env, NotifyType::AuthenticationFailed,
                               Failure{Errc::AuthenticationFailed});
      return TaskStatus::Failed;
    }
    c.peer_id = peer;
    sa.establish(env);
    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const TsPayload* tsi = m.first<TsPayload>(PayloadType::TsI);
    const TsPayload* tsr = m.first<TsPayload>(PayloadType::TsR);
    if (!sap || !tsi || !tsr) {
      const NotifyPayload* n = m.first_error_notify();
      log::warn("ipsec", "child_sa_failed")
          .kv("tunnel", cfg.name)
          .kv("reason", n ? std::string(name(n->notify_type())) : std::string("missing_payload"));
      release(sa, env);
      return TaskStatus::Done;
    }
    auto choice = accept_esp(*sap, offer_, DhUse::Ignore);
    // §2.9: the responder may only narrow what we proposed.
    if (!choice || !covered_by(tsi->selectors, cfg.local_ts) ||
        !covered_by(tsr->selectors, cfg.remote_ts) || tsi->selectors.empty() ||
        tsr->selectors.empty()) {
      log::warn("ipsec", "child_sa_failed").kv("tunnel", cfg.name).kv("reason", "bad_answer");
      release(sa, env);
      return TaskStatus::Done;
    }
    const ChildKeys keys =
        derive_child_keys(c.suite.prf, c.keys.sk_d.view(), {}, c.ni, c.nr, choice->suite);
    sa.install_child(env, spi_in_, choice->peer_spi, choice->suite, keys, true, tsi->selectors,
                     tsr->selectors, 0);
    spi_in_ = 0;
    return TaskStatus::Done;
  }

  TaskStatus process_r(Sa& sa, Env& env, const Message& m) override {
    SaContext& c = sa.ctx();
    const IdPayload* idi = m.first<IdPayload>(PayloadType::IdI);
    const IdPayload* idr = m.first<IdPayload>(PayloadType::IdR);
    const AuthPayload* auth = m.first<AuthPayload>(PayloadType::Auth);
    if (!idi || !auth) {
      auth_error_ = AuthFailure::MethodMismatch;  // EAP and other AUTH-less flows
      return TaskStatus::Failed;
    }
    const Identity peer = identity_of(*idi);
    const Identity us = idr ? identity_of(*idr) : Identity{};
    auto cfg = env.manager.tunnel_for_auth(peer, idr ? &us : nullptr, c.local, c.remote);
    if (!cfg && idr) cfg = env.manager.tunnel_for_auth(peer, nullptr, c.local, c.remote);
    if (!cfg) {
      auth_error_ = AuthFailure::NoMatchingTunnel;
      note_failure(sa, env, peer);
      return TaskStatus::Failed;
    }
    c.cfg = cfg;
    const Bytes octets =
        signed_octets(c.init_request, c.nr, c.suite.prf, c.keys.sk_pi.view(), idi->body());
    auth_error_ = verify_peer(c, m, *auth, peer, octets, env.unix_now);
    if (auth_error_) {
      note_failure(sa, env, peer);
      return TaskStatus::Failed;
    }
    c.peer_id = peer;
    asked_for_cert_ = m.first<CertReqPayload>(PayloadType::CertReq) != nullptr;
    if (m.notify(NotifyType::InitialContact)) c.initial_contact_received = true;

    const SaPayload* sap = m.first<SaPayload>(PayloadType::Sa);
    const TsPayload* tsi = m.first<TsPayload>(PayloadType::TsI);
    const TsPayload* tsr = m.first<TsPayload>(PayloadType::TsR);
    if (!sap || !tsi || !tsr) {
      child_error_ = NotifyType::InvalidSyntax;
      return TaskStatus::NeedMore;
    }
    auto choice = select_esp(*sap, cfg->esp_proposals, DhUse::Ignore, std::nullopt);
    if (!choice) {
      child_error_ = NotifyType::NoProposalChosen;
      return TaskStatus::NeedMore;
    }
    // §2.9: TSi is the initiator's (the peer's) side, TSr ours.
    ts_i_ = narrow(tsi->selectors, cfg->remote_ts);
    ts_r_ = narrow(tsr->selectors, cfg->local_ts);
    if (ts_i_.empty() || ts_r_.empty()) {
      child_error_ = NotifyType::TsUnacceptable;
      return TaskStatus::NeedMore;
    }
    choice_ = *choice;
    return TaskStatus::NeedMore;
  }

  TaskStatus build_r(Sa& sa, Env& env, std::vector<Payload>& out) override {
    SaContext& c = sa.ctx();
    if (auth_error_) {
      out.push_back(make_notify(NotifyType::AuthenticationFailed));
      sa.close_after_response(Failure{Errc::AuthenticationFailed});
      return TaskStatus::Failed;
    }
    const TunnelConfig& cfg = *c.cfg;
    const IdPayload idr = id_payload(cfg.local_id);
    out.push_back(Payload{PayloadType::IdR, false, idr});
    add_certs(c, asked_for_cert_, out);
    const Bytes octets =
        signed_octets(c.init_response, c.ni, c.suite.prf, c.keys.sk_pr.view(), idr.body());
    auto auth = build_auth(c, octets);
    if (!auth) {
      out.clear();
      out.push_back(make_notify(NotifyType::AuthenticationFailed));
      sa.close_after_response(auth.error());
      return TaskStatus::Failed;
    }
    out.push_back(Payload{PayloadType::Auth, false, std::move(*auth)});
    sa.establish(env);
    if (child_error_) {
      log::warn("ipsec", "child_sa_refused")
          .kv("tunnel", cfg.name)
          .kv("reason", name(*child_error_));
      out.push_back(make_notify(*child_error_));
      return TaskStatus::Done;
    }
    const uint32_t spi_in = sa.new_esp_spi(env);
    const ChildKeys keys =
        derive_child_keys(c.suite.prf, c.keys.sk_d.view(), {}, c.ni, c.nr, choice_.suite);
    sa.install_child(env, spi_in, choice_.peer_spi, choice_.suite, keys, false, ts_r_, ts_i_, 0);
    out.push_back(Payload{PayloadType::Sa, false, esp_answer(choice_, spi_in)});
    out.push_back(Payload{PayloadType::TsI, false, TsPayload{ts_i_, {}}});
    out.push_back(Payload{PayloadType::TsR, false, TsPayload{ts_r_, {}}});
    return TaskStatus::Done;
  }

  void abort(Sa& sa, Env& env) override { release(sa, env); }

 private:
  void release(Sa& sa, Env& env) {
    (void)sa;
    if (spi_in_) env.manager.release_esp_spi(spi_in_);
    spi_in_ = 0;
  }

  void note_failure(Sa& sa, Env& env, const Identity& peer) {
    env.counters.count(*auth_error_);
    log::warn("ipsec", "auth_failed")
        .kv("tunnel", sa.ctx().cfg->name)
        .kv("reason", name(*auth_error_))
        .kv("peer_id", peer.to_string())
        .kv("peer", sa.ctx().remote.to_string());
  }

  // initiator
  uint32_t spi_in_ = 0;
  SaPayload offer_;
  // responder
  std::optional<AuthFailure> auth_error_;
  std::optional<NotifyType> child_error_;
  bool asked_for_cert_ = false;
  EspChoice choice_;
  std::vector<TrafficSelector> ts_i_;
  std::vector<TrafficSelector> ts_r_;
};

}  // namespace

std::unique_ptr<Task> make_ike_auth() {
  return std::make_unique<IkeAuth>();
}

}  // namespace intransit::ipsec::ike
