#include "ipsec/ike/message.h"

namespace intransit::ipsec::ike {
namespace {

// parse_generic reads a generic payload header (§3.2): Next Payload(1) | C + RESERVED(1) |
// Payload Length(2), then splits off the body. `critical` is the C bit.
IkeResult<Reader> parse_generic(Reader& r, uint8_t& next, bool& critical) {
  uint8_t flags = 0;
  uint16_t len = 0;
  const size_t start = r.offset();
  if (!r.u8(next) || !r.u8(flags) || !r.u16(len)) {
    return failure(Errc::Truncated, static_cast<uint32_t>(r.offset()));
  }
  if (len < kPayloadHeaderBytes) return failure(Errc::BadPayloadLength, start);
  // §3.2: the RESERVED bits "MUST be ignored on receipt".
  critical = (flags & 0x80) != 0;
  Reader body;
  if (!r.sub(len - kPayloadHeaderBytes, body)) return failure(Errc::Truncated, start);
  return body;
}

// parse_payloads walks a chain starting at type `type`. When `outer`, an SK or SKF payload
// ends the chain and is returned in `enc`.
IkeResult<std::vector<Payload>> parse_payloads(uint8_t type, Reader& r, bool outer,
                                               std::optional<Encrypted>* enc) {
  std::vector<Payload> out;
  while (type != 0) {
    if (out.size() >= kMaxPayloads) return failure(Errc::MalformedPayload, r.offset());
    const size_t start = r.offset();
    uint8_t next = 0;
    bool critical = false;
    auto body = parse_generic(r, next, critical);
    if (!body) return unexpected(body.error());
    if (type == static_cast<uint8_t>(PayloadType::Sk) ||
        type == static_cast<uint8_t>(PayloadType::Skf)) {
      if (!outer) return failure(Errc::MalformedPayload, start);
      // §3.14: "the Encrypted payload, if present in a message, MUST be the last payload";
      // its Next Payload field names the first inner payload.
      if (!r.empty()) return failure(Errc::SkNotLast, static_cast<uint32_t>(r.offset()));
      Encrypted e;
      e.type = static_cast<PayloadType>(type);
      e.inner_next = next;
      if (e.type == PayloadType::Skf) {
        // RFC 7383 §2.5: Fragment Number(2) | Total Fragments(2) precede the IV.
        if (!body->u16(e.fragment_number) || !body->u16(e.total_fragments)) {
          return failure(Errc::Truncated, static_cast<uint32_t>(body->offset()));
        }
        if (e.fragment_number == 0 || e.total_fragments == 0 ||
            e.fragment_number > e.total_fragments) {
          return failure(Errc::BadFragment, start);
        }
        // RFC 7383 §2.5: Next Payload is zero in all fragments but the first.
        if (e.fragment_number != 1 && next != 0) return failure(Errc::BadFragment, start);
      }
      e.aad_end = body->offset();
      e.body = body->rest();
      *enc = e;
      return out;
    }
    if (!is_known_payload(type)) {
      if (critical) {
        // §2.5: reject the message; the notify data is the one-octet payload type.
        return failure(Errc::UnsupportedCriticalPayload, start, type);
      }
      // Non-critical and unknown: skip, but keep it visible for traces.
      BytesView rest = body->rest();
      out.push_back(Payload{static_cast<PayloadType>(type), false,
                            UnknownPayload{type, Bytes(rest.begin(), rest.end())}});
      type = next;
      continue;
    }
    auto parsed = parse_body(static_cast<PayloadType>(type), *body);
    if (!parsed) return unexpected(parsed.error());
    out.push_back(Payload{static_cast<PayloadType>(type), critical, std::move(*parsed)});
    type = next;
  }
  if (!r.empty()) return failure(Errc::MalformedPayload, static_cast<uint32_t>(r.offset()));
  return out;
}

}  // namespace

const NotifyPayload* Message::notify(NotifyType t) const {
  for (const auto* n : all<NotifyPayload>(PayloadType::Notify)) {
    if (n->notify_type() == t) return n;
  }
  return nullptr;
}

const NotifyPayload* Message::first_error_notify() const {
  for (const auto* n : all<NotifyPayload>(PayloadType::Notify)) {
    if (is_error(n->notify_type())) return n;
  }
  return nullptr;
}

IkeResult<Header> parse_header(BytesView datagram) {
  Reader r(datagram);
  Header h;
  // §3.1: IKE SA Initiator's SPI(8) | Responder's SPI(8) | Next Payload(1) |
  // MjVer(4 bits) MnVer(4 bits) | Exchange Type(1) | Flags(1) | Message ID(4) | Length(4)
  if (!r.u64(h.spi_i) || !r.u64(h.spi_r) || !r.u8(h.next_payload) || !r.u8(h.version) ||
      !r.u8(h.exchange) || !r.u8(h.flags) || !r.u32(h.message_id) || !r.u32(h.length)) {
    return failure(Errc::Truncated, static_cast<uint32_t>(r.offset()));
  }
  // §3.1: "Implementations MUST reject or ignore messages containing a major version number
  // greater than 2" (answered with INVALID_MAJOR_VERSION, §1.5).
  if ((h.version >> 4) != 2) return failure(Errc::BadVersion, 17);
  if (h.length != datagram.size()) return failure(Errc::BadLength, 24);
  return h;
}

Bytes encode_header(const Header& h) {
  Writer w;
  w.u64(h.spi_i)
      .u64(h.spi_r)
      .u8(h.next_payload)
      .u8(h.version)
      .u8(h.exchange)
      .u8(h.flags)
      .u32(h.message_id)
      .u32(h.length);
  return w.finish();
}

IkeResult<Decoded> decode(BytesView datagram) {
  auto h = parse_header(datagram);
  if (!h) return unexpected(h.error());
  Decoded d;
  d.header = *h;
  Reader r(datagram.subspan(kHeaderBytes), kHeaderBytes);
  auto payloads = parse_payloads(h->next_payload, r, true, &d.encrypted);
  if (!payloads) return unexpected(payloads.error());
  d.payloads = std::move(*payloads);
  return d;
}

IkeResult<std::vector<Payload>> decode_chain(uint8_t first, BytesView plaintext,
                                             size_t base_offset) {
  Reader r(plaintext, base_offset);
  return parse_payloads(first, r, false, nullptr);
}

Bytes encode_chain(const std::vector<Payload>& payloads, uint8_t& first) {
  Writer w;
  first = payloads.empty() ? 0 : static_cast<uint8_t>(payloads.front().type);
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const Bytes body = encode_body(p.body);
    const uint8_t next = i + 1 < payloads.size() ? static_cast<uint8_t>(payloads[i + 1].type) : 0;
    w.u8(next)
        .u8(p.critical ? 0x80 : 0)
        .u16(static_cast<uint16_t>(body.size() + kPayloadHeaderBytes))
        .bytes(body);
  }
  return w.finish();
}

Bytes encode_plain(Header h, const std::vector<Payload>& payloads) {
  uint8_t first = 0;
  const Bytes chain = encode_chain(payloads, first);
  h.next_payload = first;
  h.length = static_cast<uint32_t>(kHeaderBytes + chain.size());
  Bytes out = encode_header(h);
  out.insert(out.end(), chain.begin(), chain.end());
  return out;
}

std::string summary(const Header& h, const std::vector<Payload>& payloads) {
  std::string s(name(h.exchange_type()));
  s += h.is_response() ? " response " : " request ";
  s += std::to_string(h.message_id);
  s += " [";
  for (const auto& p : payloads) {
    s += " ";
    s += describe(p);
  }
  s += " ]";
  return s;
}

}  // namespace intransit::ipsec::ike
