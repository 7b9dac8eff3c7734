#include "ipsec/ike/proposal.h"

#include <algorithm>

namespace intransit::ipsec::ike {
namespace {

Transform encr_transform(const Cipher& c) {
  Transform t;
  t.type = TransformType::Encr;
  t.id = static_cast<uint16_t>(c.alg);
  // §3.3.5: the Key Length attribute is used for AES; ChaCha20-Poly1305 has a fixed key
  // and RFC 7634 §3 forbids the attribute.
  if (c.alg != EncrAlg::ChaCha20Poly1305) t.key_length = c.key_bits;
  return t;
}

Transform simple(TransformType type, uint16_t id) {
  Transform t;
  t.type = type;
  t.id = id;
  return t;
}

template <class T>
std::vector<T> front_first(std::vector<T> v, std::optional<T> first) {
  if (!first) return v;
  auto it = std::find(v.begin(), v.end(), *first);
  if (it != v.end()) std::rotate(v.begin(), it, it + 1);
  return v;
}

bool known_type(TransformType t) {
  return static_cast<uint8_t>(t) >= 1 && static_cast<uint8_t>(t) <= 5;
}

bool offers(const Proposal& p, TransformType type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [type](const Transform& t) { return t.type == type; });
}

// has checks that the offer holds the transform exactly (type, ID, key length) and that
// no unknown attribute disqualifies it.
bool has(const Proposal& p, const Transform& want) {
  for (const auto& t : p.transforms) {
    if (t.type == want.type && t.id == want.id && t.key_length == want.key_length &&
        !t.unknown_attribute) {
      return true;
    }
  }
  return false;
}

// Matcher finds the first of our algorithms of one type that the peer's proposal offers.
// Absent DH/INTEG transform types count as NONE.
struct Match {
  Cipher encr;
  IntegAlg integ = IntegAlg::None;
  PrfAlg prf = PrfAlg::HmacSha256;
  DhGroup dh = DhGroup::None;
  bool esn = false;
};

std::optional<Cipher> match_encr(const Proposal& p, const std::vector<Cipher>& ours) {
  for (const auto& c : ours) {
    if (has(p, encr_transform(c))) return c;
  }
  return std::nullopt;
}

// match_integ: with an AEAD the peer must offer no integrity transform or only NONE
// (§3.3: "Proposals that include an AEAD … MUST either offer no integrity algorithm or a
// single integrity algorithm of NONE").
std::optional<IntegAlg> match_integ(const Proposal& p, const Cipher& encr,
                                    const std::vector<IntegAlg>& ours) {
  if (is_aead(encr.alg)) {
    for (const auto& t : p.transforms) {
      if (t.type == TransformType::Integ && t.id != 0) return std::nullopt;
    }
    return IntegAlg::None;
  }
  for (IntegAlg i : ours) {
    if (i != IntegAlg::None && has(p, simple(TransformType::Integ, static_cast<uint16_t>(i)))) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<DhGroup> match_dh(const Proposal& p, const std::vector<DhGroup>& ours_in,
                                std::optional<DhGroup> ke_group, bool none_if_absent) {
  std::vector<DhGroup> ours = ours_in;
  if (ours.empty()) ours.push_back(DhGroup::None);
  const bool peer_has_dh = offers(p, TransformType::Dh);
  auto peer_offers = [&](DhGroup g) {
    if (!peer_has_dh) return none_if_absent && g == DhGroup::None;
    return has(p, simple(TransformType::Dh, static_cast<uint16_t>(g)));
  };
  if (ke_group && std::find(ours.begin(), ours.end(), *ke_group) != ours.end() &&
      peer_offers(*ke_group)) {
    return *ke_group;
  }
  for (DhGroup g : ours) {
    if (peer_offers(g)) return g;
  }
  return std::nullopt;
}

bool all_types_known(const Proposal& p) {
  return std::all_of(p.transforms.begin(), p.transforms.end(),
                     [](const Transform& t) { return known_type(t.type); });
}

// count returns how many transforms of `type` a (response) proposal holds.
size_t count(const Proposal& p, TransformType type) {
  return static_cast<size_t>(std::count_if(p.transforms.begin(), p.transforms.end(),
                                           [type](const Transform& t) { return t.type == type; }));
}

const Transform* only(const Proposal& p, TransformType type) {
  for (const auto& t : p.transforms) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

const Proposal* offered_by_number(const SaPayload& offered, uint8_t number, ProtocolId proto) {
  for (const auto& p : offered.proposals) {
    if (p.number == number && p.protocol == proto) return &p;
  }
  return nullptr;
}

uint32_t spi32(const Bytes& b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

Bytes spi_bytes32(uint32_t spi) {
  return {static_cast<uint8_t>(spi >> 24), static_cast<uint8_t>(spi >> 16),
          static_cast<uint8_t>(spi >> 8), static_cast<uint8_t>(spi)};
}

}  // namespace

std::string IkeSuite::to_string() const {
  std::string s = name(encr);
  if (integ != IntegAlg::None) s += "/" + std::string(name(integ));
  s += "/" + std::string(name(prf)) + "/" + std::string(name(dh));
  return s;
}

std::string ChildSuite::to_string() const {
  std::string s = name(encr);
  if (integ != IntegAlg::None) s += "/" + std::string(name(integ));
  if (dh != DhGroup::None) s += "/" + std::string(name(dh));
  s += esn ? "/esn" : "/noesn";
  return s;
}

SaPayload ike_offer(const std::vector<IkeProposal>& proposals, BytesView spi,
                    std::optional<DhGroup> first_dh) {
  SaPayload sa;
  uint8_t n = 1;
  for (const auto& p : proposals) {
    Proposal out;
    out.number = n++;  // §3.3.1: the first proposal is 1, each next one more
    out.protocol = ProtocolId::Ike;
    out.spi.assign(spi.begin(), spi.end());
    for (const auto& c : p.encr) out.transforms.push_back(encr_transform(c));
    for (auto f : p.prf) {
      out.transforms.push_back(simple(TransformType::Prf, static_cast<uint16_t>(f)));
    }
    for (auto i : p.integ) {
      out.transforms.push_back(simple(TransformType::Integ, static_cast<uint16_t>(i)));
    }
    for (auto g : front_first(p.dh, first_dh)) {
      out.transforms.push_back(simple(TransformType::Dh, static_cast<uint16_t>(g)));
    }
    sa.proposals.push_back(std::move(out));
  }
  return sa;
}

SaPayload esp_offer(const std::vector<EspProposal>& proposals, uint32_t spi, bool with_dh,
                    std::optional<DhGroup> first_dh) {
  SaPayload sa;
  uint8_t n = 1;
  for (const auto& p : proposals) {
    Proposal out;
    out.number = n++;
    out.protocol = ProtocolId::Esp;
    out.spi = spi_bytes32(spi);
    for (const auto& c : p.encr) out.transforms.push_back(encr_transform(c));
    for (auto i : p.integ) {
      out.transforms.push_back(simple(TransformType::Integ, static_cast<uint16_t>(i)));
    }
    if (with_dh) {
      for (auto g : front_first(p.dh, first_dh)) {
        out.transforms.push_back(simple(TransformType::Dh, static_cast<uint16_t>(g)));
      }
    }
    for (bool e : p.esn) out.transforms.push_back(simple(TransformType::Esn, e ? 1 : 0));
    // IKE_AUTH drops the DH groups, so two proposals can become identical; send each once.
    if (std::none_of(sa.proposals.begin(), sa.proposals.end(),
                     [&](const Proposal& q) { return q.transforms == out.transforms; })) {
      sa.proposals.push_back(std::move(out));
    } else {
      --n;
    }
  }
  return sa;
}

IkeResult<IkeChoice> select_ike(const SaPayload& offered, const std::vector<IkeProposal>& ours,
                                std::optional<DhGroup> ke_group, size_t spi_bytes) {
  for (const auto& mine : ours) {
    for (const auto& p : offered.proposals) {
      if (p.protocol != ProtocolId::Ike || p.spi.size() != spi_bytes || !all_types_known(p) ||
          offers(p, TransformType::Esn)) {
        continue;
      }
      auto encr = match_encr(p, mine.encr);
      if (!encr) continue;
      auto integ = match_integ(p, *encr, mine.integ);
      if (!integ) continue;
      std::optional<PrfAlg> prf;
      for (auto f : mine.prf) {
        if (has(p, simple(TransformType::Prf, static_cast<uint16_t>(f)))) {
          prf = f;
          break;
        }
      }
      if (!prf) continue;
      auto dh = match_dh(p, mine.dh, ke_group, false);
      if (!dh || *dh == DhGroup::None) continue;
      IkeChoice c;
      c.suite = IkeSuite{*encr, *integ, *prf, *dh};
      c.number = p.number;
      c.peer_spi = p.spi;
      return c;
    }
  }
  return failure(Errc::NoProposalChosen);
}

IkeResult<EspChoice> select_esp(const SaPayload& offered, const std::vector<EspProposal>& ours,
                                DhUse dh_use, std::optional<DhGroup> ke_group) {
  for (const auto& mine : ours) {
    for (const auto& p : offered.proposals) {
      if (p.protocol != ProtocolId::Esp || p.spi.size() != 4 || !all_types_known(p) ||
          offers(p, TransformType::Prf) || !offers(p, TransformType::Esn)) {
        continue;
      }
      auto encr = match_encr(p, mine.encr);
      if (!encr) continue;
      auto integ = match_integ(p, *encr, mine.integ);
      if (!integ) continue;
      DhGroup dh = DhGroup::None;
      if (dh_use == DhUse::Match) {
        auto g = match_dh(p, mine.dh, ke_group, true);
        if (!g) continue;
        dh = *g;
      }
      std::optional<bool> esn;
      for (bool e : mine.esn) {
        if (has(p, simple(TransformType::Esn, e ? 1 : 0))) {
          esn = e;
          break;
        }
      }
      if (!esn) continue;
      EspChoice c;
      c.suite = ChildSuite{*encr, *integ, dh, *esn};
      c.number = p.number;
      c.peer_spi = spi32(p.spi);
      return c;
    }
  }
  return failure(Errc::NoProposalChosen);
}

SaPayload ike_answer(const IkeChoice& c, BytesView spi) {
  Proposal p;
  p.number = c.number;
  p.protocol = ProtocolId::Ike;
  p.spi.assign(spi.begin(), spi.end());
  p.transforms.push_back(encr_transform(c.suite.encr));
  p.transforms.push_back(simple(TransformType::Prf, static_cast<uint16_t>(c.suite.prf)));
  if (c.suite.integ != IntegAlg::None) {
    p.transforms.push_back(simple(TransformType::Integ, static_cast<uint16_t>(c.suite.integ)));
  }
  p.transforms.push_back(simple(TransformType::Dh, static_cast<uint16_t>(c.suite.dh)));
  return SaPayload{{std::move(p)}};
}

SaPayload esp_answer(const EspChoice& c, uint32_t spi) {
  Proposal p;
  p.number = c.number;
  p.protocol = ProtocolId::Esp;
  p.spi = spi_bytes32(spi);
  p.transforms.push_back(encr_transform(c.suite.encr));
  if (c.suite.integ != IntegAlg::None) {
    p.transforms.push_back(simple(TransformType::Integ, static_cast<uint16_t>(c.suite.integ)));
  }
  if (c.suite.dh != DhGroup::None) {
    p.transforms.push_back(simple(TransformType::Dh, static_cast<uint16_t>(c.suite.dh)));
  }
  p.transforms.push_back(simple(TransformType::Esn, c.suite.esn ? 1 : 0));
  return SaPayload{{std::move(p)}};
}

IkeResult<IkeChoice> accept_ike(const SaPayload& answer, const SaPayload& offered,
                                size_t spi_bytes) {
  if (answer.proposals.size() != 1) return failure(Errc::NoProposalChosen);
  const Proposal& a = answer.proposals.front();
  const Proposal* o = offered_by_number(offered, a.number, ProtocolId::Ike);
  if (!o || a.spi.size() != spi_bytes || !all_types_known(a)) {
    return failure(Errc::NoProposalChosen);
  }
  for (const auto& t : a.transforms) {
    if (!has(*o, t)) return failure(Errc::NoProposalChosen);
  }
  if (count(a, TransformType::Encr) != 1 || count(a, TransformType::Prf) != 1 ||
      count(a, TransformType::Dh) != 1 || count(a, TransformType::Integ) > 1 ||
      count(a, TransformType::Esn) != 0) {
    return failure(Errc::NoProposalChosen);
  }
  const Transform* e = only(a, TransformType::Encr);
  const Transform* f = only(a, TransformType::Prf);
  const Transform* g = only(a, TransformType::Dh);
  const Transform* i = only(a, TransformType::Integ);
  if (!known_encr(e->id) || !known_prf(f->id) || !known_dh(g->id) || g->id == 0 ||
      (i && !known_integ(i->id))) {
    return failure(Errc::NoProposalChosen);
  }
  IkeChoice c;
  c.suite.encr = Cipher{static_cast<EncrAlg>(e->id), e->key_length.value_or(256)};
  c.suite.prf = static_cast<PrfAlg>(f->id);
  c.suite.dh = static_cast<DhGroup>(g->id);
  c.suite.integ = i ? static_cast<IntegAlg>(i->id) : IntegAlg::None;
  if (!cipher_key_bits_valid(c.suite.encr) ||
      is_aead(c.suite.encr.alg) != (c.suite.integ == IntegAlg::None)) {
    return failure(Errc::NoProposalChosen);
  }
  c.number = a.number;
  c.peer_spi = a.spi;
  return c;
}

IkeResult<EspChoice> accept_esp(const SaPayload& answer, const SaPayload& offered, DhUse dh) {
  if (answer.proposals.size() != 1) return failure(Errc::NoProposalChosen);
  const Proposal& a = answer.proposals.front();
  const Proposal* o = offered_by_number(offered, a.number, ProtocolId::Esp);
  if (!o || a.spi.size() != 4 || !all_types_known(a)) return failure(Errc::NoProposalChosen);
  for (const auto& t : a.transforms) {
    // A DH NONE in the answer is fine even if we did not list NONE.
    if (t.type == TransformType::Dh && t.id == 0) continue;
    if (!has(*o, t)) return failure(Errc::NoProposalChosen);
  }
  if (count(a, TransformType::Encr) != 1 || count(a, TransformType::Esn) != 1 ||
      count(a, TransformType::Integ) > 1 || count(a, TransformType::Dh) > 1 ||
      count(a, TransformType::Prf) != 0) {
    return failure(Errc::NoProposalChosen);
  }
  const Transform* e = only(a, TransformType::Encr);
  const Transform* i = only(a, TransformType::Integ);
  const Transform* g = only(a, TransformType::Dh);
  const Transform* n = only(a, TransformType::Esn);
  if (!known_encr(e->id) || (i && !known_integ(i->id)) || (g && !known_dh(g->id)) || n->id > 1) {
    return failure(Errc::NoProposalChosen);
  }
  // With PFS offered and no NONE among the groups, the answer must carry one of them.
  if (dh == DhUse::Match && offers(*o, TransformType::Dh) && (!g || g->id == 0) &&
      !has(*o, simple(TransformType::Dh, 0))) {
    return failure(Errc::NoProposalChosen);
  }
  EspChoice c;
  c.suite.encr = Cipher{static_cast<EncrAlg>(e->id), e->key_length.value_or(256)};
  c.suite.integ = i ? static_cast<IntegAlg>(i->id) : IntegAlg::None;
  c.suite.dh = (g && dh == DhUse::Match) ? static_cast<DhGroup>(g->id) : DhGroup::None;
  c.suite.esn = n->id == 1;
  if (!cipher_key_bits_valid(c.suite.encr) ||
      is_aead(c.suite.encr.alg) != (c.suite.integ == IntegAlg::None)) {
    return failure(Errc::NoProposalChosen);
  }
  c.number = a.number;
  c.peer_spi = spi32(a.spi);
  return c;
}

}  // namespace intransit::ipsec::ike
