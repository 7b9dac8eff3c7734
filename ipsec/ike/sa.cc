#include "ipsec/ike/sa.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "gateway/base/assert.h"
#include "gateway/base/log.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/tasks/tasks.h"

namespace intransit::ipsec::ike {
namespace {

constexpr Time kNever{Duration::max()};

Duration scaled(Duration d, double f) {
  return Duration(static_cast<int64_t>(static_cast<double>(d.count()) * f));
}

bool is_delete_task(TaskKind k) {
  return k == TaskKind::IkeDelete;
}

}  // namespace

std::string_view name(SaState s) {
  switch (s) {
    case SaState::Created:
      return "created";
    case SaState::Connecting:
      return "connecting";
    case SaState::Established:
      return "established";
    case SaState::Rekeying:
      return "rekeying";
    case SaState::Rekeyed:
      return "rekeyed";
    case SaState::Deleting:
      return "deleting";
    case SaState::Closed:
      return "closed";
    case SaState::kCount:
      break;
  }
  return "unknown";
}

std::string_view name(ChildState s) {
  switch (s) {
    case ChildState::Installed:
      return "installed";
    case ChildState::Rekeying:
      return "rekeying";
    case ChildState::Rekeyed:
      return "rekeyed";
    case ChildState::Deleting:
      return "deleting";
  }
  return "unknown";
}

std::string_view name(TaskKind k) {
  switch (k) {
    case TaskKind::IkeInit:
      return "ike_init";
    case TaskKind::IkeAuth:
      return "ike_auth";
    case TaskKind::ChildCreate:
      return "child_create";
    case TaskKind::ChildRekey:
      return "child_rekey";
    case TaskKind::ChildDelete:
      return "child_delete";
    case TaskKind::IkeRekey:
      return "ike_rekey";
    case TaskKind::IkeDelete:
      return "ike_delete";
    case TaskKind::Informational:
      return "informational";
  }
  return "unknown";
}

int64_t SystemWallClock::unix_seconds() const {
  return static_cast<int64_t>(std::time(nullptr));
}

Sa::Sa(uint64_t id, std::shared_ptr<const TunnelConfig> cfg, bool original_initiator,
       const Endpoint& local, const Endpoint& remote, uint64_t local_spi,
       const ManagerOptions& opts, Time now)
    : reasm_requests_(opts.max_fragments, opts.max_reassembled_bytes),
      reasm_responses_(opts.max_fragments, opts.max_reassembled_bytes) {
  ctx_.id = id;
  ctx_.cfg = std::move(cfg);
  ctx_.original_initiator = original_initiator;
  ctx_.local = local;
  ctx_.remote = remote;
  (original_initiator ? ctx_.spi_i : ctx_.spi_r) = local_spi;
  ctx_.last_inbound = now;
  half_open_deadline_ = now + ctx_.cfg->half_open_timeout;
}

Sa::~Sa() = default;

// --- tasks and states ----------------------------------------------------------------------

void Sa::queue(std::unique_ptr<Task> t, bool front) {
  if (front) {
    queue_.push_front(std::move(t));
  } else {
    queue_.push_back(std::move(t));
  }
}

std::optional<TaskKind> Sa::active_kind() const {
  if (!active_) return std::nullopt;
  return active_->kind();
}

void Sa::set_state(Env& env, SaState s) {
  if (ctx_.state == s) return;
  trace(env, "state " + std::string(name(ctx_.state)) + " -> " + std::string(name(s)));
  ctx_.state = s;
  // A replaced SA waits for its Delete at most as long as a request could be retried.
  if (s == SaState::Rekeyed) linger_until_ = env.now + retransmit_span();
}

void Sa::trace(Env& env, const std::string& line) const {
  if (env.opts.trace) {
    env.opts.trace->push_back(env.opts.trace_label + (env.opts.trace_label.empty() ? "" : " ") +
                              line);
  }
  if (log::enabled(log::Level::Debug)) {
    log::debug("ipsec", "ike").kv("tunnel", ctx_.cfg->name).kv("sa", ctx_.id).kv("msg", line);
  }
}

Duration Sa::jitter(Env& env) const {
  const Duration r = ctx_.cfg->rand_time;
  if (r <= Duration(0)) return Duration(0);
  return Duration(static_cast<int64_t>(env.rng.u64() % static_cast<uint64_t>(r.count())));
}

Duration Sa::retransmit_span() const {
  const RetransmitPolicy& p = ctx_.cfg->retransmit;
  Duration total(0);
  for (uint32_t i = 0; i <= p.tries; ++i) total += scaled(p.timeout, std::pow(p.base, i));
  return total;
}

void Sa::establish(Env& env) {
  set_state(env, SaState::Established);
  ctx_.established_at = env.now;
  ctx_.rekey_at = env.now + (ctx_.cfg->ike_rekey_time - jitter(env));
  ctx_.expire_at = env.now + ctx_.cfg->ike_rekey_time + ctx_.cfg->ike_over_time;
  ctx_.last_inbound = env.now;
  if (ctx_.cfg->dpd_delay > Duration(0)) dpd_at_ = env.now + ctx_.cfg->dpd_delay;
  ++env.counters.ike_sas_established;
  log::info("ipsec", "ike_sa_established")
      .kv("tunnel", ctx_.cfg->name)
      .kv("sa", ctx_.id)
      .kv("peer", ctx_.remote.to_string())
      .kv("suite", ctx_.suite.to_string())
      .kv("role", ctx_.original_initiator ? "initiator" : "responder");
}

IkeResult<void> Sa::derive_keys(BytesView seed) {
  ctx_.keys = derive_ike_keys(ctx_.suite, seed, ctx_.ni, ctx_.nr, ctx_.spi_i, ctx_.spi_r);
  const bool i = ctx_.original_initiator;
  auto out = SkCipher::make(ctx_.suite.encr, ctx_.suite.integ,
                            (i ? ctx_.keys.sk_ei : ctx_.keys.sk_er).view(),
                            (i ? ctx_.keys.sk_ai : ctx_.keys.sk_ar).view());
  auto in = SkCipher::make(ctx_.suite.encr, ctx_.suite.integ,
                           (i ? ctx_.keys.sk_er : ctx_.keys.sk_ei).view(),
                           (i ? ctx_.keys.sk_ar : ctx_.keys.sk_ai).view());
  if (!out || !in) return failure(Errc::Internal);
  ctx_.cipher_out.emplace(std::move(*out));
  ctx_.cipher_in.emplace(std::move(*in));
  ctx_.keyed = true;
  return {};
}

Bytes Sa::nonce(Env& env) const {
  Bytes n(32);
  env.rng.fill(n);
  return n;
}

uint32_t Sa::new_esp_spi(Env& env) {
  return env.manager.allocate_esp_spi();
}

ChildSa* Sa::child_by_in(uint32_t spi_in) {
  for (auto& c : ctx_.children) {
    if (c.spi_in == spi_in) return &c;
  }
  return nullptr;
}

ChildSa* Sa::child_by_out(uint32_t spi_out) {
  for (auto& c : ctx_.children) {
    if (c.spi_out == spi_out) return &c;
  }
  return nullptr;
}

ChildSa& Sa::install_child(Env& env, uint32_t spi_in, uint32_t spi_out, const ChildSuite& suite,
                           const ChildKeys& keys, bool we_initiated,
                           std::vector<TrafficSelector> local_ts,
                           std::vector<TrafficSelector> remote_ts, uint32_t rekeyed_from) {
  const TunnelConfig& cfg = *ctx_.cfg;
  ChildSa c;
  c.id = env.manager.next_id();
  c.spi_in = spi_in;
  c.spi_out = spi_out;
  c.suite = suite;
  c.local_ts = std::move(local_ts);
  c.remote_ts = std::move(remote_ts);
  c.created = env.now;
  c.rekey_at = env.now + (cfg.child_rekey_time - jitter(env));
  c.expire_at = env.now + cfg.child_rekey_time + cfg.child_over_time;
  if (env.sink) {
    ChildSaParams p;
    p.tunnel = cfg.name;
    p.ike_sa = ctx_.id;
    p.spi_in = spi_in;
    p.spi_out = spi_out;
    p.encr = suite.encr;
    p.integ = suite.integ;
    p.esn = suite.esn;
    // §2.17: the _i keys protect initiator-to-responder traffic of the creating exchange.
    p.encr_key_out = we_initiated ? keys.encr_i : keys.encr_r;
    p.integ_key_out = we_initiated ? keys.integ_i : keys.integ_r;
    p.encr_key_in = we_initiated ? keys.encr_r : keys.encr_i;
    p.integ_key_in = we_initiated ? keys.integ_r : keys.integ_i;
    p.local_ts = c.local_ts;
    p.remote_ts = c.remote_ts;
    p.local = ctx_.local;
    p.remote = ctx_.remote;
    p.udp_encap = ctx_.udp_encap();
    p.rekeyed_from = rekeyed_from;
    p.life_bytes = cfg.child_life_bytes;
    p.life_packets = cfg.child_life_packets;
    env.sink->install(p);
  }
  ++env.counters.child_sas_installed;
  std::string ts;
  for (const auto& t : c.local_ts) ts += t.to_string() + " ";
  ts += "===";
  for (const auto& t : c.remote_ts) ts += " " + t.to_string();
  trace(env, "child " + std::to_string(spi_in) + "/" + std::to_string(spi_out) + " installed " +
                 suite.to_string() + " " + ts);
  log::info("ipsec", "child_sa_installed")
      .kv("tunnel", cfg.name)
      .kv("sa", ctx_.id)
      .kv("spi_in", spi_in)
      .kv("spi_out", spi_out)
      .kv("suite", suite.to_string())
      .kv("ts", ts);
  ctx_.children.push_back(std::move(c));
  return ctx_.children.back();
}

void Sa::remove_child(Env& env, uint32_t spi_in) {
  auto it = std::find_if(ctx_.children.begin(), ctx_.children.end(),
                         [spi_in](const ChildSa& c) { return c.spi_in == spi_in; });
  if (it == ctx_.children.end()) return;
  if (env.sink) env.sink->remove(it->spi_in, it->spi_out);
  env.manager.release_esp_spi(it->spi_in);
  trace(env,
        "child " + std::to_string(it->spi_in) + "/" + std::to_string(it->spi_out) + " removed");
  ctx_.children.erase(it);
}

void Sa::close(Env& env, std::optional<Failure> reason) {
  if (ctx_.state == SaState::Closed) return;
  if (active_) active_->abort(*this, env);
  while (!ctx_.children.empty()) remove_child(env, ctx_.children.back().spi_in);
  if (reason) ctx_.close_reason = reason;
  set_state(env, SaState::Closed);
  outstanding_.reset();
  auto line = log::info("ipsec", "ike_sa_closed");
  line.kv("tunnel", ctx_.cfg->name).kv("sa", ctx_.id);
  if (reason) line.kv("reason", label(reason->code));
}

// --- Manager-facing entry points -----------------------------------------------------------

void Sa::start(Env& env) {
  queue(make_ike_init());
  queue(make_ike_auth());
  set_state(env, SaState::Connecting);
  half_open_deadline_ = env.now + ctx_.cfg->half_open_timeout;
  initiate_next(env);
}

void Sa::delete_sa(Env& env) {
  if (ctx_.state == SaState::Closed || ctx_.state == SaState::Deleting) return;
  if (!ctx_.keyed || half_open()) {
    close(env, std::nullopt);
    return;
  }
  for (const auto& t : queue_) {
    if (t->kind() == TaskKind::IkeDelete) return;
  }
  queue(make_ike_delete(), true);
  initiate_next(env);
}

void Sa::rekey_ike(Env& env) {
  if (ctx_.state != SaState::Established) return;
  for (const auto& t : queue_) {
    if (t->kind() == TaskKind::IkeRekey) return;
  }
  if (active_ && active_->kind() == TaskKind::IkeRekey) return;
  queue(make_ike_rekey());
  initiate_next(env);
}

bool Sa::rekey_child(Env& env, uint32_t spi_in) {
  ChildSa* c = child_by_in(spi_in);
  if (!c || c->state != ChildState::Installed || ctx_.state != SaState::Established) return false;
  for (const auto& t : queue_) {
    if (t->kind() == TaskKind::ChildRekey && t->rekeying_child() == spi_in) return true;
  }
  if (active_ && active_->rekeying_child() == spi_in) return true;
  queue(make_child_create(spi_in));
  initiate_next(env);
  return true;
}

bool Sa::delete_child(Env& env, uint32_t spi_in) {
  ChildSa* c = child_by_in(spi_in);
  if (!c || c->state == ChildState::Deleting) return c != nullptr;
  c->state = ChildState::Deleting;
  queue(make_child_delete({spi_in}));
  initiate_next(env);
  return true;
}

// --- sending -------------------------------------------------------------------------------

size_t Sa::max_datagram() const {
  if (!ctx_.frag_on) return 0;
  // RFC 7383 §2.5.1: keep the IP datagram within fragment_size; subtract the IP and UDP
  // headers and the non-ESP marker on the NAT-T port.
  const size_t ip = ctx_.local.ip.family == 6 ? 40 : 20;
  const size_t marker = ctx_.local.port == 500 ? 0 : 4;
  const size_t overhead = ip + 8 + marker;
  return ctx_.cfg->fragment_size > overhead + 128 ? ctx_.cfg->fragment_size - overhead : 128;
}

Header Sa::request_header(ExchangeType t, uint32_t mid) const {
  Header h;
  h.spi_i = ctx_.spi_i;
  h.spi_r = ctx_.spi_r;
  h.exchange = static_cast<uint8_t>(t);
  h.flags = ctx_.original_initiator ? kFlagInitiator : 0;
  h.message_id = mid;
  return h;
}

std::vector<Bytes> Sa::encode(Env& env, const Header& h, const std::vector<Payload>& payloads) {
  if (h.exchange_type() == ExchangeType::IkeSaInit || !ctx_.cipher_out) {
    return {encode_plain(h, payloads)};
  }
  const SkCipher& c = *ctx_.cipher_out;
  IvSource iv = [this, &env, &c](std::span<uint8_t> out) {
    if (c.iv_is_counter()) {
      // RFC 5282 §3.1: the IV must not repeat under a key; a counter guarantees that.
      uint64_t v = ++ctx_.iv_counter;
      for (size_t i = out.size(); i-- > 0; v >>= 8) out[i] = static_cast<uint8_t>(v);
    } else {
      env.rng.fill(out);  // RFC 3602 §3: CBC IVs must be unpredictable
    }
  };
  auto dgrams = seal_message(h, payloads, c, iv, max_datagram());
  if (dgrams.size() > 1) env.counters.fragments_sent += dgrams.size();
  return dgrams;
}

void Sa::transmit(Env& env, const std::vector<Bytes>& datagrams) {
  for (const auto& d : datagrams) env.out.push_back(Packet{ctx_.local, ctx_.remote, d});
}

void Sa::send_request(Env& env, std::vector<Payload> payloads) {
  const uint32_t mid = next_request_mid_;
  const ExchangeType t = active_->exchange();
  const Header h = request_header(t, mid);
  auto dgrams = encode(env, h, payloads);
  if (t == ExchangeType::IkeSaInit) ctx_.init_request = dgrams.front();
  trace(env, "> " + summary(h, payloads) +
                 (dgrams.size() > 1 ? " (" + std::to_string(dgrams.size()) + " fragments)" : ""));
  outstanding_ = Outstanding{mid, t, dgrams, 0, env.now + ctx_.cfg->retransmit.timeout};
  transmit(env, dgrams);
}

void Sa::send_notify_and_close(Env& env, NotifyType n, Failure why) {
  if (ctx_.cipher_out) {
    const Header h = request_header(ExchangeType::Informational, next_request_mid_++);
    std::vector<Payload> p{make_notify(n)};
    trace(env, "> " + summary(h, p));
    transmit(env, encode(env, h, p));
  }
  close(env, why);
}

void Sa::respond(Env& env, const Header& req, std::vector<Payload> payloads) {
  Header h = req;
  h.flags = kFlagResponse | (ctx_.original_initiator ? kFlagInitiator : 0);
  h.spi_i = ctx_.spi_i;
  h.spi_r = ctx_.spi_r;
  // §2.6 / §1.2: an IKE_SA_INIT answered with only an error notify creates no SA, so the
  // responder SPI stays zero.
  if (req.exchange_type() == ExchangeType::IkeSaInit && close_after_response_) h.spi_r = 0;
  auto dgrams = encode(env, h, payloads);
  if (req.exchange_type() == ExchangeType::IkeSaInit && !close_after_response_) {
    ctx_.init_response = dgrams.front();
  }
  trace(env, "> " + summary(h, payloads) +
                 (dgrams.size() > 1 ? " (" + std::to_string(dgrams.size()) + " fragments)" : ""));
  transmit(env, dgrams);
  cached_ = CachedResponse{req.message_id, std::move(dgrams)};
  expected_request_mid_ = req.message_id + 1;
}

void Sa::initiate_next(Env& env) {
  while (!active_ && !queue_.empty() && !closed()) {
    const TaskKind k = queue_.front()->kind();
    const bool setup = k == TaskKind::IkeInit || k == TaskKind::IkeAuth;
    switch (ctx_.state) {
      case SaState::Created:
      case SaState::Connecting:
        if (!setup) return;  // wait until IKE_AUTH is done
        break;
      case SaState::Established:
        break;
      case SaState::Rekeying:
      case SaState::Deleting:
        return;
      case SaState::Rekeyed:
        // A replaced SA only deletes itself; other work belongs to the new SA.
        if (!is_delete_task(k)) {
          queue_.pop_front();
          continue;
        }
        break;
      case SaState::Closed:
      case SaState::kCount:
        return;
    }
    active_ = std::move(queue_.front());
    queue_.pop_front();
    std::vector<Payload> payloads;
    const TaskStatus st = active_->build_i(*this, env, payloads);
    if (st == TaskStatus::Failed || st == TaskStatus::Done) {
      active_.reset();
      continue;
    }
    send_request(env, std::move(payloads));
  }
}

void Sa::finish_active(Env& env, ExchangeResult r) {
  if (!active_) return;
  env.counters.count_exchange(active_->exchange(), r);
  active_.reset();
}

// --- receiving -----------------------------------------------------------------------------

void Sa::handle(Env& env, BytesView datagram, const Decoded& d, const Endpoint& from,
                const Endpoint& to) {
  if (closed()) return;
  const Header& h = d.header;
  // §3.1: the I flag is set by the original initiator; a message claiming our role is not
  // for this SA.
  if (h.from_original_initiator() == ctx_.original_initiator) {
    env.counters.count(DropReason::MessageId);
    return;
  }
  bool retransmitted_request = false;
  if (h.is_response()) {
    // §2.3: a response must answer our outstanding request.
    if (!outstanding_ || h.message_id != outstanding_->mid ||
        h.exchange_type() != outstanding_->exchange) {
      env.counters.count(DropReason::MessageId);
      return;
    }
  } else if (h.message_id != expected_request_mid_) {
    if (cached_ && h.message_id == cached_->mid) {
      retransmitted_request = true;
    } else {
      env.counters.count(DropReason::MessageId);
      return;
    }
  }

  current_datagram_ = datagram;
  current_from_ = from;
  current_to_ = to;
  Message m;
  m.header = h;
  if (h.exchange_type() == ExchangeType::IkeSaInit) {
    if (d.encrypted) {
      env.counters.count(DropReason::Malformed);
      return;
    }
    m.payloads = d.payloads;
  } else {
    if (!ctx_.cipher_in || !d.encrypted) {
      env.counters.count(DropReason::Malformed);
      return;
    }
    if (d.encrypted->type == PayloadType::Sk) {
      auto inner = open_sk(datagram, d, *ctx_.cipher_in);
      if (!inner) {
        if (inner.error().code == Errc::IntegrityFailed) {
          env.counters.count(DropReason::Integrity);
          return;
        }
        if (h.is_response() || retransmitted_request) {
          env.counters.count(DropReason::Malformed);
          return;
        }
        // Authentic but unparsable request: answer with the error (§2.21.2, §2.5).
        const Failure f = inner.error();
        const auto n = notify_for(f.code).value_or(NotifyType::InvalidSyntax);
        const Bytes data = n == NotifyType::UnsupportedCriticalPayload
                               ? Bytes{static_cast<uint8_t>(f.data)}
                               : Bytes{};
        trace(env, "< " + std::string(name(h.exchange_type())) + " request " +
                       std::to_string(h.message_id) + " refused: " + std::string(label(f.code)));
        respond(env, h, {make_notify(n, data)});
        env.counters.count_exchange(h.exchange_type(), ExchangeResult::Failed);
        return;
      }
      m.payloads = std::move(*inner);
    } else {
      if (!ctx_.frag_on) {
        env.counters.count(DropReason::Fragment);
        return;
      }
      ++env.counters.fragments_received;
      if (retransmitted_request) {
        // RFC 7383 §2.6.1: answer a retransmitted fragmented request once, on its first
        // fragment, after checking that fragment.
        if (d.encrypted->fragment_number != 1 ||
            !ctx_.cipher_in->open(datagram.first(d.encrypted->aad_end), d.encrypted->body)) {
          return;
        }
        ++env.counters.responses_resent;
        transmit(env, cached_->datagrams);
        return;
      }
      Reassembler& r = h.is_response() ? reasm_responses_ : reasm_requests_;
      auto done = r.add(datagram, d, *ctx_.cipher_in);
      if (!done) {
        env.counters.count(done.error().code == Errc::IntegrityFailed ? DropReason::Integrity
                                                                      : DropReason::Fragment);
        return;
      }
      if (!*done) return;  // more fragments to come
      m.payloads = std::move(**done);
    }
  }

  if (retransmitted_request) {
    ++env.counters.responses_resent;
    trace(env, "< " + summary(h, m.payloads) + " (retransmit, cached response sent)");
    transmit(env, cached_->datagrams);
    return;
  }
  ctx_.last_inbound = env.now;
  if (ctx_.cfg->dpd_delay > Duration(0)) dpd_at_ = env.now + ctx_.cfg->dpd_delay;

  // §2.23: behind a NAT, follow the peer's address and port as seen on authenticated
  // requests (the mapping can change).
  if (!h.is_response() && ctx_.keyed && h.exchange_type() != ExchangeType::IkeSaInit &&
      (from != ctx_.remote || to != ctx_.local)) {
    ctx_.remote = from;
    ctx_.local = to;
    if (env.sink) {
      for (const auto& c : ctx_.children) env.sink->update_endpoints(c.spi_in, to, from);
    }
  }

  trace(env, "< " + summary(h, m.payloads));
  if (h.is_response()) {
    handle_response(env, m);
  } else {
    handle_request(env, m);
  }
  current_datagram_ = {};
}

void Sa::handle_response(Env& env, const Message& m) {
  const uint32_t mid = outstanding_->mid;
  outstanding_.reset();
  if (!active_) return;
  // The exchange is over: a request a task sends now (an AUTHENTICATION_FAILED notify)
  // takes the next message ID.
  next_request_mid_ = mid + 1;
  const TaskStatus st = active_->process_i(*this, env, m);
  if (st == TaskStatus::Retry && !closed()) {
    // §2.6 and §1.2: IKE_SA_INIT is retried with message ID 0; other exchanges are new
    // requests.
    if (active_->exchange() == ExchangeType::IkeSaInit) next_request_mid_ = mid;
    std::vector<Payload> payloads;
    const TaskStatus b = active_->build_i(*this, env, payloads);
    if (b == TaskStatus::Failed || b == TaskStatus::Done) {
      finish_active(env, ExchangeResult::Failed);
    } else {
      send_request(env, std::move(payloads));
      return;
    }
  } else {
    finish_active(env, st == TaskStatus::Failed ? ExchangeResult::Failed : ExchangeResult::Ok);
  }
  initiate_next(env);
}

std::unique_ptr<Task> Sa::responder_task(Env& env, const Message& m, std::optional<Errc>& refuse) {
  (void)env;
  const ExchangeType t = m.header.exchange_type();
  switch (t) {
    case ExchangeType::IkeSaInit:
      if (ctx_.state != SaState::Created || ctx_.original_initiator) break;
      return make_ike_init();
    case ExchangeType::IkeAuth:
      if (ctx_.state != SaState::Connecting || ctx_.original_initiator || !ctx_.keyed) break;
      return make_ike_auth();
    case ExchangeType::CreateChildSa: {
      if (ctx_.state == SaState::Created || ctx_.state == SaState::Connecting) break;
      // §2.25: while our own rekey or delete of the IKE SA runs, refuse new work.
      if (ctx_.state == SaState::Rekeyed || ctx_.state == SaState::Deleting) {
        refuse = Errc::TemporaryFailure;
        return nullptr;
      }
      const SaPayload* sa = m.first<SaPayload>(PayloadType::Sa);
      const bool ike =
          sa && !sa->proposals.empty() && sa->proposals.front().protocol == ProtocolId::Ike;
      if (ike && !m.notify(NotifyType::RekeySa)) return make_ike_rekey();
      return make_child_create(0);
    }
    case ExchangeType::Informational:
      if (!ctx_.keyed) break;
      return make_informational();
  }
  refuse = Errc::BadExchange;
  return nullptr;
}

void Sa::handle_request(Env& env, const Message& m) {
  std::optional<Errc> refuse;
  auto task = responder_task(env, m, refuse);
  std::vector<Payload> out;
  if (!task) {
    const Errc e = refuse.value_or(Errc::BadExchange);
    if (m.header.exchange_type() == ExchangeType::IkeSaInit) return;  // not ours to answer
    out.push_back(make_notify(notify_for(e).value_or(NotifyType::InvalidSyntax)));
    respond(env, m.header, std::move(out));
    env.counters.count_exchange(m.header.exchange_type(), ExchangeResult::Failed);
    return;
  }
  const TaskStatus p = task->process_r(*this, env, m);
  const TaskStatus b = task->build_r(*this, env, out);
  respond(env, m.header, std::move(out));
  const bool ok = p != TaskStatus::Failed && b != TaskStatus::Failed;
  env.counters.count_exchange(m.header.exchange_type(),
                              ok ? ExchangeResult::Ok : ExchangeResult::Failed);
  if (close_after_response_) {
    close(env, *close_after_response_);
    return;
  }
  initiate_next(env);
}

// --- time ----------------------------------------------------------------------------------

std::optional<Time> Sa::next_deadline() const {
  if (closed()) return std::nullopt;
  Time t = kNever;
  if (outstanding_) t = std::min(t, outstanding_->next_send);
  if (half_open()) t = std::min(t, half_open_deadline_);
  if (linger_until_) t = std::min(t, *linger_until_);
  if (ctx_.state == SaState::Established) {
    t = std::min({t, ctx_.rekey_at, ctx_.expire_at});
    for (const auto& c : ctx_.children) {
      if (c.state == ChildState::Installed) t = std::min({t, c.rekey_at, c.expire_at});
      if (c.state == ChildState::Rekeyed) t = std::min(t, c.expire_at);
    }
    if (dpd_at_) t = std::min(t, *dpd_at_);
  }
  if (!active_ && !queue_.empty() &&
      (ctx_.state == SaState::Established || ctx_.state == SaState::Rekeyed)) {
    // Queued work waits for nothing but the window; run it at the next tick.
    t = std::min(t, ctx_.last_inbound);
  }
  if (t == kNever) return std::nullopt;
  return t;
}

void Sa::check_lifetimes(Env& env) {
  if (ctx_.state != SaState::Established) return;
  const Time now = env.now;
  if (now >= ctx_.expire_at) {
    trace(env, "IKE SA hard lifetime reached");
    ctx_.expire_at = Time{Duration::max()};
    delete_sa(env);
    return;
  }
  if (now >= ctx_.rekey_at) {
    ctx_.rekey_at = ctx_.expire_at;  // the task re-arms it if the rekey fails
    rekey_ike(env);
  }
  std::vector<uint32_t> expired, due;
  for (auto& c : ctx_.children) {
    if ((c.state == ChildState::Installed || c.state == ChildState::Rekeyed) &&
        now >= c.expire_at) {
      expired.push_back(c.spi_in);
      c.expire_at = Time{Duration::max()};
      c.state = ChildState::Deleting;
    } else if (c.state == ChildState::Installed && now >= c.rekey_at) {
      c.rekey_at = c.expire_at;
      due.push_back(c.spi_in);
    }
  }
  if (!expired.empty()) {
    for (uint32_t s : expired) trace(env, "child " + std::to_string(s) + " hard lifetime reached");
    queue(make_child_delete(expired));
  }
  for (uint32_t s : due) rekey_child(env, s);
  if (dpd_at_ && now >= *dpd_at_) {
    dpd_at_ = now + ctx_.cfg->dpd_delay;
    if (!active_ && queue_.empty() && now - ctx_.last_inbound >= ctx_.cfg->dpd_delay) {
      queue(make_informational());
    }
  }
}

void Sa::on_timer(Env& env) {
  if (closed()) return;
  if (outstanding_ && env.now >= outstanding_->next_send) {
    const RetransmitPolicy& p = ctx_.cfg->retransmit;
    if (outstanding_->retransmits >= p.tries) {
      // §2.4: no answer after the retransmissions: the peer is gone.
      trace(env, "request " + std::to_string(outstanding_->mid) + " timed out");
      if (active_) {
        active_->abort(*this, env);
        finish_active(env, ExchangeResult::Timeout);
      }
      close(env, Failure{Errc::Timeout});
      return;
    }
    ++outstanding_->retransmits;
    outstanding_->next_send =
        env.now + scaled(p.timeout, std::pow(p.base, outstanding_->retransmits));
    ++env.counters.retransmits;
    trace(env, "> retransmit " + std::to_string(outstanding_->retransmits) + " of request " +
                   std::to_string(outstanding_->mid));
    transmit(env, outstanding_->datagrams);
  }
  if (half_open() && env.now >= half_open_deadline_) {
    trace(env, "half-open SA timed out");
    if (active_) {
      active_->abort(*this, env);
      finish_active(env, ExchangeResult::Timeout);
    }
    close(env, Failure{Errc::Timeout});
    return;
  }
  if (linger_until_ && env.now >= *linger_until_) {
    close(env, std::nullopt);
    return;
  }
  check_lifetimes(env);
  initiate_next(env);
}

}  // namespace intransit::ipsec::ike
