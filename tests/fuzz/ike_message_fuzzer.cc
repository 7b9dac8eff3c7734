// libFuzzer target for the IKE control plane. The first input byte picks what the rest is:
//
//   0  a datagram for the codec: decode, and every decodable message must re-encode and
//      decode to the same payloads (the summary renders);
//   1  a datagram for a fresh responder Manager (IKE_SA_INIT path, cookies, stateless
//      notifies), delivered twice;
//   2  the inner payload chain of a request on an established IKE SA: an in-memory pair
//      (fixed RNG and clock, PSK, x25519) is set up, the bytes are encrypted with the
//      initiator's real SK_ei as an SK payload of the exchange type named by the next
//      byte and delivered to the responder, whose answer goes back to the initiator; then
//      the pair must still rekey and delete cleanly when it is not closed;
//   3  like 2, but sent as RFC 7383 SKF fragments of fuzz-chosen size;
//   4  a raw datagram carrying the established SA's SPIs (routing, windows, integrity).
//
// Oracles beyond the sanitizers: round-trip equality (mode 0), no exceptions, and that a
// responder never answers from the wrong SPIs.
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gateway/base/log.h"
#include "ipsec/config.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike/message.h"
#include "ipsec/ike/protect.h"

using namespace intransit;
using namespace intransit::ipsec;
using namespace intransit::ipsec::ike;

namespace {

class FixedRng final : public Rng {
 public:
  explicit FixedRng(std::string seed) : seed_(std::move(seed)) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      if (pos_ == sizeof(block_)) {
        const std::string in = seed_ + std::to_string(counter_++);
        SHA256(reinterpret_cast<const uint8_t*>(in.data()), in.size(), block_);
        pos_ = 0;
      }
      b = block_[pos_++];
    }
  }

 private:
  std::string seed_;
  uint64_t counter_ = 0;
  uint8_t block_[32] = {};
  size_t pos_ = sizeof(block_);
};

class Clock final : public WallClock {
 public:
  int64_t unix_seconds() const override { return 1795600000; }
};

std::shared_ptr<TunnelConfig> tunnel(bool a) {
  auto c = std::make_shared<TunnelConfig>();
  c->name = "t";
  c->local_address = *IpAddress::parse(a ? "10.231.0.1" : "10.231.0.2");
  c->remote_address = *IpAddress::parse(a ? "10.231.0.2" : "10.231.0.1");
  c->local_ts = {
      TrafficSelector::from_subnet(*Subnet::parse(a ? "10.231.1.0/24" : "10.231.2.0/24"))};
  c->remote_ts = {
      TrafficSelector::from_subnet(*Subnet::parse(a ? "10.231.2.0/24" : "10.231.1.0/24"))};
  c->local_id = *Identity::parse(a ? "10.231.0.1" : "10.231.0.2");
  c->remote_id = *Identity::parse(a ? "10.231.0.2" : "10.231.0.1");
  c->psk = SecretBytes(Bytes(32, 0x42));
  c->ike_proposals = {*parse_ike_proposal("aes256gcm16-prfsha256-x25519")};
  c->esp_proposals = {*parse_esp_proposal("aes256gcm16-x25519")};
  c->child_rekey_time = std::chrono::seconds(30);
  c->child_over_time = std::chrono::seconds(10);
  c->ike_rekey_time = std::chrono::seconds(60);
  c->ike_over_time = std::chrono::seconds(10);
  return c;
}

struct Side {
  explicit Side(bool a) : rng(a ? "a" : "b") {
    mgr = std::make_unique<Manager>(ManagerOptions{}, rng, clock, nullptr);
    if (!mgr->add_tunnel(tunnel(a))) std::abort();
  }
  FixedRng rng;
  Clock clock;
  std::unique_ptr<Manager> mgr;
};

// exchange delivers everything in flight until both sides are quiet (bounded).
void exchange(Side& a, Side& b, Time now) {
  for (int round = 0; round < 64; ++round) {
    auto pa = a.mgr->take_packets();
    auto pb = b.mgr->take_packets();
    if (pa.empty() && pb.empty()) return;
    for (auto& p : pa) b.mgr->on_datagram(p.data, p.local, p.remote, now);
    for (auto& p : pb) a.mgr->on_datagram(p.data, p.local, p.remote, now);
  }
}

void fuzz_codec(BytesView in) {
  auto d = decode(in);
  if (!d) return;
  (void)summary(d->header, d->payloads);
  Header h = d->header;
  const Bytes again = encode_plain(h, d->payloads);
  auto d2 = decode(again);
  if (!d2 || d2->payloads != d->payloads) __builtin_trap();
}

void fuzz_responder(BytesView in) {
  Side b(false);
  const Endpoint from{*IpAddress::parse("10.231.0.1"), 500};
  const Endpoint to{*IpAddress::parse("10.231.0.2"), 500};
  const Time t0 = Time::from_ns(1'000'000'000);
  b.mgr->on_datagram(in, from, to, t0);
  b.mgr->on_datagram(in, from, to, t0);
  for (const auto& p : b.mgr->take_packets()) {
    if (p.remote != from || p.local != to) __builtin_trap();
  }
  b.mgr->on_timer(t0 + std::chrono::seconds(60));
}

// seal_raw encrypts raw inner bytes as one SK payload (or SKF fragments of `frag` bytes).
std::vector<Bytes> seal_raw(Header h, uint8_t first, BytesView plain, const SkCipher& c,
                            size_t frag) {
  std::vector<Bytes> out;
  const size_t per = frag == 0 ? plain.size() : frag;
  const size_t count = frag == 0 ? 1 : std::max<size_t>(1, (plain.size() + per - 1) / per);
  uint64_t iv_ctr = 1u << 20;
  for (size_t i = 0; i < count; ++i) {
    const BytesView piece =
        plain.subspan(std::min(plain.size(), i * per),
                      std::min(per, plain.size() - std::min(plain.size(), i * per)));
    const bool skf = frag != 0;
    const size_t sealed = c.sealed_bytes(piece.size());
    const size_t plen = 4 + (skf ? 4 : 0) + sealed;
    h.next_payload = skf ? 53 : 46;
    h.length = static_cast<uint32_t>(kHeaderBytes + plen);
    Bytes msg = encode_header(h);
    Writer w;
    w.u8(i == 0 ? first : 0).u8(0).u16(static_cast<uint16_t>(plen));
    if (skf) w.u16(static_cast<uint16_t>(i + 1)).u16(static_cast<uint16_t>(count));
    const Bytes gh = w.finish();
    msg.insert(msg.end(), gh.begin(), gh.end());
    Bytes iv(c.iv_bytes());
    uint64_t v = iv_ctr++;
    for (size_t k = iv.size(); k-- > 0; v >>= 8) iv[k] = static_cast<uint8_t>(v);
    const Bytes body = c.seal(msg, piece, iv);
    msg.insert(msg.end(), body.begin(), body.end());
    out.push_back(std::move(msg));
  }
  return out;
}

void fuzz_established(uint8_t mode, BytesView in) {
  Side a(true), b(false);
  Time now = Time::from_ns(1'000'000'000);
  if (!a.mgr->initiate("t", now)) std::abort();
  exchange(a, b, now);
  if (a.mgr->sas().size() != 1 || b.mgr->sas().size() != 1) std::abort();
  const Sa* sa = a.mgr->sas().front();
  if (sa->state() != SaState::Established) std::abort();
  const SaContext& c = sa->ctx();
  if (in.empty()) return;

  if (mode == 4) {
    Bytes raw(in.begin(), in.end());
    for (size_t i = 0; i < 16 && i < raw.size(); ++i) {
      raw[i] = static_cast<uint8_t>((i < 8 ? c.spi_i : c.spi_r) >> (8 * (7 - i % 8)));
    }
    b.mgr->on_datagram(raw, c.local, c.remote, now);
  } else {
    // in[0]: exchange type and flags; in[1]: message ID offset; in[2]: first payload type;
    // in[3]: fragment size (mode 3); the rest: the inner chain.
    if (in.size() < 4) return;
    Header h;
    h.spi_i = c.spi_i;
    h.spi_r = c.spi_r;
    h.exchange = static_cast<uint8_t>(34 + (in[0] & 3));
    h.flags = kFlagInitiator | ((in[0] & 4) ? kFlagResponse : 0);
    h.message_id = 2 + (in[1] & 3) - 1;  // around the expected ID
    const size_t frag = mode == 3 ? 16 + in[3] : 0;
    const BytesView plain = in.subspan(4);
    for (const auto& dg : seal_raw(h, in[2], plain, *c.cipher_out, frag)) {
      b.mgr->on_datagram(dg, c.local, c.remote, now);
    }
  }
  for (const auto& p : b.mgr->take_packets()) {
    auto d = decode(p.data);
    if (!d) __builtin_trap();  // we only ever send well-formed messages
    const SaContext* owner = nullptr;
    for (const Sa* s : b.mgr->sas()) {
      if (s->ctx().spi_i == d->header.spi_i) owner = &s->ctx();
    }
    if (owner && d->header.spi_r != owner->spi_r) __builtin_trap();
    a.mgr->on_datagram(p.data, p.local, p.remote, now);
  }
  exchange(a, b, now);
  // Whatever happened, time must move the pair to a clean end: rekeys, deletes, timeouts.
  for (int i = 0; i < 8; ++i) {
    now = now + std::chrono::seconds(35);
    a.mgr->on_timer(now);
    b.mgr->on_timer(now);
    exchange(a, b, now);
  }
  a.mgr->terminate("t", now);
  exchange(a, b, now);
  now = now + std::chrono::seconds(400);
  a.mgr->on_timer(now);
  b.mgr->on_timer(now);
  exchange(a, b, now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    log::set_level(log::Level::Error);
    return true;
  }();
  (void)quiet;
  if (size < 1 || size > 8192) return 0;
  const BytesView in(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      fuzz_codec(in);
      break;
    case 1:
      fuzz_responder(in);
      break;
    case 2:
      fuzz_established(2, in);
      break;
    case 3:
      fuzz_established(3, in);
      break;
    case 4:
      fuzz_established(4, in);
      break;
  }
  return 0;
}
