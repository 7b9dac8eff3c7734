#include "ipsec/ike/payloads.h"

#include <type_traits>

namespace intransit::ipsec::ike {
namespace {

// Proposal and transform "last" markers (RFC 7296 §3.3.1, §3.3.2).
constexpr uint8_t kMoreProposals = 2;
constexpr uint8_t kMoreTransforms = 3;

Unexpected<Failure> malformed(const Reader& r) {
  return failure(Errc::MalformedPayload, static_cast<uint32_t>(r.offset()));
}
Unexpected<Failure> truncated(const Reader& r) {
  return failure(Errc::Truncated, static_cast<uint32_t>(r.offset()));
}

Bytes copy(BytesView v) {
  return Bytes(v.begin(), v.end());
}

// --- SA (§3.3) ---------------------------------------------------------------------------

IkeResult<Transform> parse_transform(Reader& r, bool& last) {
  // §3.3.2: Last Substruc(1) | RESERVED(1) | Transform Length(2) | Type(1) | RESERVED(1) |
  // Transform ID(2) | attributes
  uint8_t more = 0, reserved = 0, type = 0, reserved2 = 0;
  uint16_t len = 0, id = 0;
  const size_t start = r.offset();
  if (!r.u8(more) || !r.u8(reserved) || !r.u16(len)) return truncated(r);
  if (more != 0 && more != kMoreTransforms) return failure(Errc::MalformedPayload, start);
  if (len < 8) return failure(Errc::MalformedPayload, start);
  Reader body;
  if (!r.sub(len - 4u, body)) return truncated(r);
  if (!body.u8(type) || !body.u8(reserved2) || !body.u16(id)) return truncated(body);
  Transform t;
  t.type = static_cast<TransformType>(type);
  t.id = id;
  const BytesView all_attributes = body.rest();
  // §3.3.5 attributes: AF(1 bit) + type(15) | length or value(2) | value (TLV only).
  while (!body.empty()) {
    uint16_t atype = 0, lv = 0;
    if (!body.u16(atype) || !body.u16(lv)) return truncated(body);
    const bool tv = (atype & 0x8000) != 0;
    atype &= 0x7fff;
    if (tv) {
      if (atype == kAttrKeyLength) {
        if (t.key_length) return malformed(body);
        t.key_length = lv;
      } else {
        t.unknown_attribute = true;
      }
    } else {
      if (!body.skip(lv)) return truncated(body);
      t.unknown_attribute = true;  // Key Length must use TV (§3.3.5); nothing else is known
    }
  }
  if (t.unknown_attribute) t.raw_attributes.assign(all_attributes.begin(), all_attributes.end());
  last = more == 0;
  return t;
}

IkeResult<Proposal> parse_proposal(Reader& r, bool& last) {
  // §3.3.1: Last Substruc(1) | RESERVED(1) | Proposal Length(2) | Proposal Num(1) |
  // Protocol ID(1) | SPI Size(1) | Num Transforms(1) | SPI | transforms
  uint8_t more = 0, reserved = 0, num = 0, proto = 0, spi_size = 0, ntrans = 0;
  uint16_t len = 0;
  const size_t start = r.offset();
  if (!r.u8(more) || !r.u8(reserved) || !r.u16(len)) return truncated(r);
  if (more != 0 && more != kMoreProposals) return failure(Errc::MalformedPayload, start);
  if (len < 8) return failure(Errc::MalformedPayload, start);
  Reader body;
  if (!r.sub(len - 4u, body)) return truncated(r);
  if (!body.u8(num) || !body.u8(proto) || !body.u8(spi_size) || !body.u8(ntrans)) {
    return truncated(body);
  }
  Proposal p;
  p.number = num;
  p.protocol = static_cast<ProtocolId>(proto);
  BytesView spi;
  if (!body.bytes(spi_size, spi)) return truncated(body);
  p.spi = copy(spi);
  bool tlast = ntrans == 0;
  for (unsigned i = 0; i < ntrans; ++i) {
    if (tlast) return malformed(body);  // a transform marked last was not the last
    auto t = parse_transform(body, tlast);
    if (!t) return unexpected(t.error());
    p.transforms.push_back(*t);
  }
  if (!tlast || !body.empty()) return malformed(body);
  last = more == 0;
  return p;
}

IkeResult<SaPayload> parse_sa(Reader& r) {
  SaPayload sa;
  bool last = r.empty();
  while (!r.empty()) {
    if (last) return malformed(r);
    auto p = parse_proposal(r, last);
    if (!p) return unexpected(p.error());
    sa.proposals.push_back(std::move(*p));
  }
  if (!last || sa.proposals.empty()) return malformed(r);
  return sa;
}

void encode_sa(const SaPayload& sa, Writer& w) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    Writer pb;
    pb.u8(p.number)
        .u8(static_cast<uint8_t>(p.protocol))
        .u8(static_cast<uint8_t>(p.spi.size()))
        .u8(static_cast<uint8_t>(p.transforms.size()))
        .bytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      Writer tb;
      tb.u8(static_cast<uint8_t>(t.type)).u8(0).u16(t.id);
      if (!t.raw_attributes.empty()) {
        tb.bytes(t.raw_attributes);
      } else if (t.key_length) {
        tb.u16(0x8000 | kAttrKeyLength).u16(*t.key_length);
      }
      const Bytes tbody = tb.finish();
      pb.u8(j + 1 == p.transforms.size() ? 0 : kMoreTransforms)
          .u8(0)
          .u16(static_cast<uint16_t>(tbody.size() + 4))
          .bytes(tbody);
    }
    const Bytes pbody = pb.finish();
    w.u8(i + 1 == sa.proposals.size() ? 0 : kMoreProposals)
        .u8(0)
        .u16(static_cast<uint16_t>(pbody.size() + 4))
        .bytes(pbody);
  }
}

// --- Traffic selectors (§3.13) -------------------------------------------------------------

IkeResult<TsPayload> parse_ts(Reader& r) {
  // §3.13: Number of TSs(1) | RESERVED(3) | selectors
  uint8_t count = 0;
  if (!r.u8(count) || !r.skip(3)) return truncated(r);
  if (count == 0) return malformed(r);
  TsPayload ts;
  for (unsigned i = 0; i < count; ++i) {
    // §3.13.1: TS Type(1) | IP Protocol ID(1) | Selector Length(2) | Start Port(2) |
    // End Port(2) | Starting Address | Ending Address
    uint8_t type = 0, proto = 0;
    uint16_t len = 0;
    const size_t start = r.offset();
    if (!r.u8(type) || !r.u8(proto) || !r.u16(len)) return truncated(r);
    if (len < 8) return failure(Errc::MalformedPayload, start);
    Reader sel;
    if (!r.sub(len - 4u, sel)) return truncated(r);
    size_t addr_len = 0;
    if (type == static_cast<uint8_t>(TsType::Ipv4AddrRange)) {
      addr_len = 4;
    } else if (type == static_cast<uint8_t>(TsType::Ipv6AddrRange)) {
      addr_len = 16;
    } else {
      BytesView rest = sel.rest();
      ts.unknown.push_back(UnknownSelector{type, Bytes(rest.begin(), rest.end())});
      continue;
    }
    TrafficSelector t;
    t.ip_protocol = proto;
    BytesView a, b;
    if (!sel.u16(t.start_port) || !sel.u16(t.end_port) || !sel.bytes(addr_len, a) ||
        !sel.bytes(addr_len, b)) {
      return truncated(sel);
    }
    if (!sel.empty()) return malformed(sel);
    t.start = *IpAddress::from_bytes(a);
    t.end = *IpAddress::from_bytes(b);
    ts.selectors.push_back(t);
  }
  if (!r.empty()) return malformed(r);
  return ts;
}

void encode_ts(const TsPayload& ts, Writer& w) {
  w.u8(static_cast<uint8_t>(ts.selectors.size() + ts.unknown.size())).zeros(3);
  for (const auto& t : ts.selectors) {
    const bool v6 = t.start.family == 6;
    const size_t alen = v6 ? 16 : 4;
    w.u8(static_cast<uint8_t>(v6 ? TsType::Ipv6AddrRange : TsType::Ipv4AddrRange))
        .u8(t.ip_protocol)
        .u16(static_cast<uint16_t>(8 + 2 * alen))
        .u16(t.start_port)
        .u16(t.end_port)
        .bytes(BytesView(t.start.b.data(), alen))
        .bytes(BytesView(t.end.b.data(), alen));
  }
  for (const auto& u : ts.unknown) {
    w.u8(u.type).u8(0).u16(static_cast<uint16_t>(u.body.size() + 4)).bytes(u.body);
  }
}

// --- everything else -----------------------------------------------------------------------

IkeResult<NotifyPayload> parse_notify(Reader& r) {
  // §3.10: Protocol ID(1) | SPI Size(1) | Notify Message Type(2) | SPI | data
  uint8_t proto = 0, spi_size = 0;
  NotifyPayload n;
  BytesView spi;
  if (!r.u8(proto) || !r.u8(spi_size) || !r.u16(n.type) || !r.bytes(spi_size, spi)) {
    return truncated(r);
  }
  n.protocol = static_cast<ProtocolId>(proto);
  n.spi = copy(spi);
  n.data = copy(r.rest());
  return n;
}

IkeResult<DeletePayload> parse_delete(Reader& r) {
  // §3.11: Protocol ID(1) | SPI Size(1) | Num of SPIs(2) | SPIs
  uint8_t proto = 0, spi_size = 0;
  uint16_t count = 0;
  if (!r.u8(proto) || !r.u8(spi_size) || !r.u16(count)) return truncated(r);
  DeletePayload d;
  d.protocol = static_cast<ProtocolId>(proto);
  if (d.protocol == ProtocolId::Ike) {
    // "For IKE SAs, the SPI Size field MUST be zero and the Num of SPIs field MUST be 0."
    if (spi_size != 0 || count != 0 || !r.empty()) return malformed(r);
    return d;
  }
  if ((d.protocol != ProtocolId::Esp && d.protocol != ProtocolId::Ah) || spi_size != 4) {
    return malformed(r);
  }
  if (r.remaining() != size_t{count} * 4) return malformed(r);
  for (unsigned i = 0; i < count; ++i) {
    uint32_t spi = 0;
    if (!r.u32(spi)) return truncated(r);
    d.spis.push_back(spi);
  }
  return d;
}

IkeResult<CpPayload> parse_cp(Reader& r) {
  // §3.15: CFG Type(1) | RESERVED(3) | attributes: R + type(15) | Length(2) | value
  CpPayload cp;
  if (!r.u8(cp.cfg_type) || !r.skip(3)) return truncated(r);
  while (!r.empty()) {
    uint16_t type = 0, len = 0;
    BytesView v;
    if (!r.u16(type) || !r.u16(len) || !r.bytes(len, v)) return truncated(r);
    cp.attributes.push_back({static_cast<uint16_t>(type & 0x7fff), copy(v)});
  }
  return cp;
}

template <class T>
IkeResult<PayloadBody> wrap(IkeResult<T> r) {
  if (!r) return unexpected(r.error());
  return PayloadBody(std::move(*r));
}

}  // namespace

Bytes IdPayload::body() const {
  Writer w;
  w.u8(type).zeros(3).bytes(data);
  return w.finish();
}

bool is_known_payload(uint8_t type) {
  return (type >= 33 && type <= 45) || type == 47 || type == 48;
}

IkeResult<PayloadBody> parse_body(PayloadType type, Reader& r) {
  switch (type) {
    case PayloadType::Sa:
      return wrap(parse_sa(r));
    case PayloadType::Ke: {
      // §3.4: Diffie-Hellman Group Num(2) | RESERVED(2) | Key Exchange Data
      KePayload ke;
      if (!r.u16(ke.group) || !r.skip(2)) return truncated(r);
      if (r.empty()) return malformed(r);
      ke.data = copy(r.rest());
      return PayloadBody(std::move(ke));
    }
    case PayloadType::IdI:
    case PayloadType::IdR: {
      // §3.5: ID Type(1) | RESERVED(3) | Identification Data
      IdPayload id;
      if (!r.u8(id.type) || !r.skip(3)) return truncated(r);
      id.data = copy(r.rest());
      return PayloadBody(std::move(id));
    }
    case PayloadType::Cert: {
      CertPayload c;  // §3.6: Cert Encoding(1) | Certificate Data
      if (!r.u8(c.encoding)) return truncated(r);
      c.data = copy(r.rest());
      return PayloadBody(std::move(c));
    }
    case PayloadType::CertReq: {
      CertReqPayload c;  // §3.7: Cert Encoding(1) | Certification Authority
      if (!r.u8(c.encoding)) return truncated(r);
      c.authorities = copy(r.rest());
      return PayloadBody(std::move(c));
    }
    case PayloadType::Auth: {
      AuthPayload a;  // §3.8: Auth Method(1) | RESERVED(3) | Authentication Data
      if (!r.u8(a.method) || !r.skip(3)) return truncated(r);
      a.data = copy(r.rest());
      return PayloadBody(std::move(a));
    }
    case PayloadType::Nonce: {
      // §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
      if (r.remaining() < 16 || r.remaining() > 256) return malformed(r);
      return PayloadBody(NoncePayload{copy(r.rest())});
    }
    case PayloadType::Notify:
      return wrap(parse_notify(r));
    case PayloadType::Delete:
      return wrap(parse_delete(r));
    case PayloadType::VendorId:
      return PayloadBody(VendorIdPayload{copy(r.rest())});
    case PayloadType::TsI:
    case PayloadType::TsR:
      return wrap(parse_ts(r));
    case PayloadType::Cp:
      return wrap(parse_cp(r));
    case PayloadType::Eap:
      return PayloadBody(EapPayload{copy(r.rest())});
    case PayloadType::None:
    case PayloadType::Sk:
    case PayloadType::Skf:
      break;
  }
  return PayloadBody(UnknownPayload{static_cast<uint8_t>(type), copy(r.rest())});
}

Bytes encode_body(const PayloadBody& body) {
  Writer w;
  std::visit(
      [&w](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          encode_sa(b, w);
        } else if constexpr (std::is_same_v<T, KePayload>) {
          w.u16(b.group).u16(0).bytes(b.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          w.u8(b.type).zeros(3).bytes(b.data);
        } else if constexpr (std::is_same_v<T, CertPayload>) {
          w.u8(b.encoding).bytes(b.data);
        } else if constexpr (std::is_same_v<T, CertReqPayload>) {
          w.u8(b.encoding).bytes(b.authorities);
        } else if constexpr (std::is_same_v<T, AuthPayload>) {
          w.u8(b.method).zeros(3).bytes(b.data);
        } else if constexpr (std::is_same_v<T, NoncePayload>) {
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          w.u8(static_cast<uint8_t>(b.protocol))
              .u8(static_cast<uint8_t>(b.spi.size()))
              .u16(b.type)
              .bytes(b.spi)
              .bytes(b.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          const bool ike = b.protocol == ProtocolId::Ike;
          w.u8(static_cast<uint8_t>(b.protocol))
              .u8(ike ? 0 : 4)
              .u16(static_cast<uint16_t>(ike ? 0 : b.spis.size()));
          if (!ike) {
            for (uint32_t s : b.spis) w.u32(s);
          }
        } else if constexpr (std::is_same_v<T, VendorIdPayload>) {
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, TsPayload>) {
          encode_ts(b, w);
        } else if constexpr (std::is_same_v<T, CpPayload>) {
          w.u8(b.cfg_type).zeros(3);
          for (const auto& a : b.attributes) {
            w.u16(a.type).u16(static_cast<uint16_t>(a.value.size())).bytes(a.value);
          }
        } else if constexpr (std::is_same_v<T, EapPayload>) {
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, UnknownPayload>) {
          w.bytes(b.data);
        }
      },
      body);
  return w.finish();
}

Payload make_notify(NotifyType t, BytesView data, ProtocolId proto, BytesView spi) {
  NotifyPayload n;
  n.protocol = proto;
  n.spi = copy(spi);
  n.type = static_cast<uint16_t>(t);
  n.data = copy(data);
  return Payload{PayloadType::Notify, false, std::move(n)};
}

Payload make_nonce(BytesView nonce) {
  return Payload{PayloadType::Nonce, false, NoncePayload{copy(nonce)}};
}

Payload make_ke(uint16_t group, BytesView data) {
  return Payload{PayloadType::Ke, false, KePayload{group, copy(data)}};
}

std::string describe(const Payload& p) {
  if (const auto* n = std::get_if<NotifyPayload>(&p.body)) {
    return "N(" + short_name(n->notify_type()) + ")";
  }
  if (const auto* u = std::get_if<UnknownPayload>(&p.body)) {
    return "U(" + std::to_string(u->type) + ")";
  }
  return std::string(short_name(p.type));
}

}  // namespace intransit::ipsec::ike
