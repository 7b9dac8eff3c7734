#include "ipsec/ike/manager.h"

#include <openssl/hmac.h>

#include <algorithm>

#include "gateway/base/log.h"

namespace intransit::ipsec::ike {
namespace {

bool known_exchange(uint8_t t) {
  return t >= 34 && t <= 37;
}

Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

}  // namespace

Manager::Manager(ManagerOptions opts, Rng& rng, const WallClock& clock, ChildSaSink* sink)
    : opts_(std::move(opts)), rng_(rng), clock_(clock), sink_(sink) {
  cookie_secret_.resize(32);
  rng_.fill(cookie_secret_);
}

Manager::~Manager() {
  OPENSSL_cleanse(cookie_secret_.data(), cookie_secret_.size());
  OPENSSL_cleanse(old_cookie_secret_.data(), old_cookie_secret_.size());
}

Result<void> Manager::add_tunnel(std::shared_ptr<const TunnelConfig> cfg) {
  if (!cfg) return fail("invalid_tunnel", "null tunnel");
  if (auto v = validate(*cfg); !v) return v;
  if (tunnel_by_name(cfg->name)) return fail("invalid_tunnel", "duplicate tunnel " + cfg->name);
  tunnels_.push_back(std::move(cfg));
  return {};
}

std::shared_ptr<const TunnelConfig> Manager::tunnel_by_name(std::string_view name) const {
  for (const auto& t : tunnels_) {
    if (t->name == name) return t;
  }
  return nullptr;
}

Env Manager::make_env(Time now) {
  return Env{now, clock_.unix_seconds(), rng_, sink_, counters_, opts_, *this, out_, spawned_};
}

Sa* Manager::find(uint64_t id) {
  auto it = sas_.find(id);
  return it == sas_.end() ? nullptr : it->second.get();
}

const Sa* Manager::sa(uint64_t id) const {
  auto it = sas_.find(id);
  return it == sas_.end() ? nullptr : it->second.get();
}

std::vector<const Sa*> Manager::sas() const {
  std::vector<const Sa*> out;
  for (const auto& [id, sa] : sas_) out.push_back(sa.get());
  return out;
}

uint32_t Manager::allocate_esp_spi() {
  while (true) {
    const uint32_t spi = rng_.u32();
    if (spi < 256 || esp_spis_.count(spi)) continue;
    esp_spis_.insert(spi);
    return spi;
  }
}

void Manager::release_esp_spi(uint32_t spi) {
  esp_spis_.erase(spi);
}

uint64_t Manager::allocate_ike_spi() {
  while (true) {
    const uint64_t spi = rng_.u64();
    if (spi != 0 && !by_spi_.count(spi)) return spi;
  }
}

std::shared_ptr<const TunnelConfig> Manager::tunnel_for_init(const Endpoint& local,
                                                             const Endpoint& remote) const {
  for (const auto& t : tunnels_) {
    if (t->local_address != local.ip) continue;
    if (t->remote_address.is_set() && t->remote_address != remote.ip) continue;
    return t;
  }
  return nullptr;
}

std::shared_ptr<const TunnelConfig> Manager::tunnel_for_auth(const Identity& peer,
                                                             const Identity* us,
                                                             const Endpoint& local,
                                                             const Endpoint& remote) const {
  for (const auto& t : tunnels_) {
    if (t->local_address != local.ip) continue;
    if (t->remote_address.is_set() && t->remote_address != remote.ip) continue;
    if (t->remote_id != peer) continue;
    if (us && t->local_id != *us) continue;
    return t;
  }
  return nullptr;
}

size_t Manager::half_open_count() const {
  size_t n = 0;
  for (const auto& [id, sa] : sas_) {
    if (!sa->ctx().original_initiator && sa->half_open()) ++n;
  }
  return n;
}

Result<uint64_t> Manager::initiate(std::string_view name, Time now) {
  auto cfg = tunnel_by_name(name);
  if (!cfg) return fail("unknown_tunnel", std::string(name));
  if (!cfg->remote_address.is_set()) {
    return fail("responder_only", std::string(name) + " has no remote address");
  }
  Env env = make_env(now);
  const uint64_t id = next_id();
  auto sa = std::make_unique<Sa>(id, cfg, true, Endpoint{cfg->local_address, opts_.ike_port},
                                 Endpoint{cfg->remote_address, cfg->remote_port},
                                 allocate_ike_spi(), opts_, now);
  Sa* p = sa.get();
  by_spi_[p->local_spi()] = id;
  sas_.emplace(id, std::move(sa));
  p->start(env);
  after_input(env);
  return id;
}

void Manager::terminate(std::string_view name, Time now) {
  Env env = make_env(now);
  for (auto& [id, sa] : sas_) {
    if (sa->ctx().cfg->name == name) sa->delete_sa(env);
  }
  after_input(env);
}

bool Manager::rekey_ike(uint64_t sa_id, Time now) {
  Sa* sa = find(sa_id);
  if (!sa || sa->state() != SaState::Established) return false;
  Env env = make_env(now);
  sa->rekey_ike(env);
  after_input(env);
  return true;
}

bool Manager::rekey_child(uint32_t spi_in, Time now) {
  Env env = make_env(now);
  bool ok = false;
  for (auto& [id, sa] : sas_) {
    if (sa->ctx().state == SaState::Established && sa->child_by_in(spi_in)) {
      ok = sa->rekey_child(env, spi_in);
      break;
    }
  }
  after_input(env);
  return ok;
}

void Manager::child_expired(uint32_t spi_in, bool hard, Time now) {
  Env env = make_env(now);
  for (auto& [id, sa] : sas_) {
    if (!sa->child_by_in(spi_in)) continue;
    if (hard) {
      sa->delete_child(env, spi_in);
    } else {
      sa->rekey_child(env, spi_in);
    }
    break;
  }
  after_input(env);
}

Bytes Manager::cookie_for(BytesView ni, const Endpoint& from, uint64_t spi_i, const Bytes& secret,
                          uint32_t version) const {
  // §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>); we use
  // HMAC-SHA-256 keyed with the secret.
  Bytes data(ni.begin(), ni.end());
  const BytesView ip = from.ip.bytes();
  data.insert(data.end(), ip.begin(), ip.end());
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<uint8_t>(spi_i >> (8 * i)));
  Bytes out = be32(version);
  uint8_t mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), secret.size(), data.data(), data.size(), mac, &len);
  out.insert(out.end(), mac, mac + len);
  return out;
}

void Manager::rotate_cookie_secret(Time now) {
  if (!cookie_rotate_at_) {
    cookie_rotate_at_ = now + opts_.cookie_secret_lifetime;
    return;
  }
  if (now < *cookie_rotate_at_) return;
  OPENSSL_cleanse(old_cookie_secret_.data(), old_cookie_secret_.size());
  old_cookie_secret_ = cookie_secret_;
  rng_.fill(cookie_secret_);
  ++cookie_version_;
  cookie_rotate_at_ = now + opts_.cookie_secret_lifetime;
}

bool Manager::cookie_valid(const Decoded& d, const Endpoint& from) const {
  // §2.6: the COOKIE notify must be the first payload of the retried request.
  if (d.payloads.empty()) return false;
  const auto* n = std::get_if<NotifyPayload>(&d.payloads.front().body);
  if (!n || n->notify_type() != NotifyType::Cookie || n->data.size() < 4) return false;
  const Message m{d.header, d.payloads};
  const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
  if (!ni) return false;
  const uint32_t version = uint32_t{n->data[0]} << 24 | uint32_t{n->data[1]} << 16 |
                           uint32_t{n->data[2]} << 8 | n->data[3];
  if (version == cookie_version_) {
    return constant_time_equal(n->data,
                               cookie_for(ni->data, from, d.header.spi_i, cookie_secret_, version));
  }
  if (version + 1 == cookie_version_ && !old_cookie_secret_.empty()) {
    return constant_time_equal(
        n->data, cookie_for(ni->data, from, d.header.spi_i, old_cookie_secret_, version));
  }
  return false;
}

void Manager::handle_init_request(Env& env, BytesView data, const Decoded& d, const Endpoint& from,
                                  const Endpoint& to) {
  const Header& h = d.header;
  // A retransmitted IKE_SA_INIT goes to the SA that answered it (§2.1).
  for (auto& [id, sa] : sas_) {
    const SaContext& c = sa->ctx();
    if (!c.original_initiator && c.spi_i == h.spi_i && c.remote == from && sa->half_open()) {
      sa->handle(env, data, d, from, to);
      return;
    }
  }
  if (h.spi_r != 0 || h.message_id != 0 || h.spi_i == 0) {
    counters_.count(DropReason::Malformed);
    return;
  }
  auto cfg = tunnel_for_init(to, from);
  if (!cfg) {
    counters_.count(DropReason::NoTunnel);
    return;
  }
  const size_t half_open = half_open_count();
  if (half_open >= opts_.max_half_open) {
    counters_.count(DropReason::HalfOpenLimit);
    return;
  }
  if (half_open >= opts_.cookie_threshold) {
    rotate_cookie_secret(env.now);
    if (!cookie_valid(d, from)) {
      const Message m{d.header, d.payloads};
      const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
      if (!ni) {
        counters_.count(DropReason::Malformed);
        return;
      }
      const bool had_cookie = m.notify(NotifyType::Cookie) != nullptr;
      if (had_cookie) counters_.count(DropReason::InvalidCookie);
      // §2.6: answer statelessly with a COOKIE; the responder SPI is zero.
      Header r = h;
      r.flags = kFlagResponse;
      r.spi_r = 0;
      const Bytes cookie = cookie_for(ni->data, from, h.spi_i, cookie_secret_, cookie_version_);
      const std::vector<Payload> p{make_notify(NotifyType::Cookie, cookie)};
      if (opts_.trace) {
        opts_.trace->push_back(opts_.trace_label + (opts_.trace_label.empty() ? "" : " ") + "> " +
                               summary(r, p));
      }
      out_.push_back(Packet{to, from, encode_plain(r, p)});
      ++counters_.cookies_sent;
      return;
    }
  }
  const uint64_t id = next_id();
  auto sa = std::make_unique<Sa>(id, cfg, false, to, from, allocate_ike_spi(), opts_, env.now);
  sa->ctx().spi_i = h.spi_i;
  Sa* p = sa.get();
  by_spi_[p->local_spi()] = id;
  sas_.emplace(id, std::move(sa));
  p->handle(env, data, d, from, to);
}

void Manager::on_datagram(BytesView data, const Endpoint& from, const Endpoint& to, Time now) {
  Env env = make_env(now);
  auto d = decode(data);
  if (!d) {
    counters_.count(DropReason::Malformed);
    // §2.5 / §1.5: an IKE_SA_INIT request with an unknown critical payload or a newer major
    // version is answered, unprotected and statelessly.
    const Errc e = d.error().code;
    if ((e == Errc::UnsupportedCriticalPayload || e == Errc::BadVersion) &&
        data.size() >= kHeaderBytes) {
      Reader r(data);
      Header hh;
      if (r.u64(hh.spi_i) && r.u64(hh.spi_r) && r.u8(hh.next_payload) && r.u8(hh.version) &&
          r.u8(hh.exchange) && r.u8(hh.flags) && r.u32(hh.message_id) &&
          hh.exchange_type() == ExchangeType::IkeSaInit && !hh.is_response() && hh.spi_r == 0) {
        Header resp = hh;
        resp.version = kVersion2;
        resp.flags = kFlagResponse;
        const NotifyType n = e == Errc::BadVersion ? NotifyType::InvalidMajorVersion
                                                   : NotifyType::UnsupportedCriticalPayload;
        const Bytes nd =
            e == Errc::BadVersion ? Bytes{} : Bytes{static_cast<uint8_t>(d.error().data)};
        out_.push_back(Packet{to, from, encode_plain(resp, {make_notify(n, nd)})});
      }
    }
    return;
  }
  const Header& h = d->header;
  if (!known_exchange(h.exchange)) {
    counters_.count(DropReason::Malformed);
    return;
  }
  if (h.exchange_type() == ExchangeType::IkeSaInit && !h.is_response()) {
    handle_init_request(env, data, *d, from, to);
    after_input(env);
    return;
  }
  // Our SPI is the responder's when the sender is the original initiator (§3.1 I flag).
  const uint64_t local = h.from_original_initiator() ? h.spi_r : h.spi_i;
  auto it = by_spi_.find(local);
  Sa* sa = it == by_spi_.end() ? nullptr : find(it->second);
  if (!sa) {
    counters_.count(DropReason::UnknownSpi);
    return;
  }
  sa->handle(env, data, *d, from, to);
  after_input(env);
}

void Manager::adopt_spawned(Env& env) {
  while (!spawned_.empty()) {
    std::vector<std::unique_ptr<Sa>> batch;
    batch.swap(spawned_);
    for (auto& s : batch) {
      const uint64_t id = s->id();
      by_spi_[s->local_spi()] = id;
      Sa* p = s.get();
      sas_.emplace(id, std::move(s));
      p->kick(env);
    }
  }
}

void Manager::after_input(Env& env) {
  adopt_spawned(env);
  // INITIAL_CONTACT (§2.4): the peer lost its state, so every other IKE SA with it goes.
  for (auto& [id, sa] : sas_) {
    SaContext& c = sa->ctx();
    if (!c.initial_contact_received) continue;
    c.initial_contact_received = false;
    for (auto& [oid, other] : sas_) {
      if (oid == id || other->closed()) continue;
      const SaContext& o = other->ctx();
      if (o.cfg->name == c.cfg->name && o.peer_id == c.peer_id && !other->half_open()) {
        other->close(env, std::nullopt);
      }
    }
  }
  adopt_spawned(env);
  for (auto it = sas_.begin(); it != sas_.end();) {
    if (it->second->closed()) {
      auto s = by_spi_.find(it->second->local_spi());
      if (s != by_spi_.end() && s->second == it->first) by_spi_.erase(s);
      it = sas_.erase(it);
    } else {
      ++it;
    }
  }
}

void Manager::on_timer(Time now) {
  Env env = make_env(now);
  rotate_cookie_secret(now);
  std::vector<uint64_t> due;
  for (auto& [id, sa] : sas_) {
    auto d = sa->next_deadline();
    if (d && *d <= now) due.push_back(id);
  }
  for (uint64_t id : due) {
    if (Sa* sa = find(id)) sa->on_timer(env);
  }
  after_input(env);
}

std::optional<Time> Manager::next_deadline() const {
  std::optional<Time> t;
  for (const auto& [id, sa] : sas_) {
    auto d = sa->next_deadline();
    if (d && (!t || *d < *t)) t = d;
  }
  return t;
}

std::vector<Packet> Manager::take_packets() {
  std::vector<Packet> out;
  out.swap(out_);
  return out;
}

Status Manager::status() const {
  Status s;
  for (const auto& [id, sa] : sas_) {
    const SaContext& c = sa->ctx();
    IkeSaStatus st;
    st.id = id;
    st.tunnel = c.cfg->name;
    st.state = c.state;
    st.initiator = c.original_initiator;
    st.spi_i = c.spi_i;
    st.spi_r = c.spi_r;
    st.local = c.local;
    st.remote = c.remote;
    st.suite = c.keyed ? c.suite.to_string() : "";
    st.peer_id = c.peer_id.empty() ? "" : c.peer_id.to_string();
    st.udp_encap = c.keyed && c.udp_encap();
    st.behind_nat = c.nat_here;
    st.fragmentation = c.frag_on;
    st.established_at = c.established_at;
    for (const auto& ch : c.children) {
      st.children.push_back(ChildSaStatus{ch.id, ch.spi_in, ch.spi_out, ch.state,
                                          ch.suite.to_string(), ch.local_ts, ch.remote_ts,
                                          ch.created, ch.rekey_at, ch.expire_at});
    }
    s.child_sas += st.children.size();
    ++s.ike_sas_by_state[static_cast<size_t>(c.state)];
    s.ike_sas.push_back(std::move(st));
  }
  return s;
}

}  // namespace intransit::ipsec::ike
