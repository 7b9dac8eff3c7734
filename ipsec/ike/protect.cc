#include "ipsec/ike/protect.h"

#include <algorithm>

#include "gateway/base/assert.h"

namespace intransit::ipsec::ike {
namespace {

// aad_prefix returns the header and the SK/SKF header (with Fragment Number and Total
// Fragments for SKF) for a datagram of `total` bytes.
Bytes aad_prefix(Header h, PayloadType type, uint8_t inner_next, size_t total, size_t payload_len,
                 uint16_t frag_no, uint16_t frag_total) {
  h.next_payload = static_cast<uint8_t>(type);
  h.length = static_cast<uint32_t>(total);
  Bytes out = encode_header(h);
  Writer w;
  w.u8(inner_next).u8(0).u16(static_cast<uint16_t>(payload_len));
  if (type == PayloadType::Skf) w.u16(frag_no).u16(frag_total);
  const Bytes gh = w.finish();
  out.insert(out.end(), gh.begin(), gh.end());
  return out;
}

Bytes seal_one(const Header& h, PayloadType type, uint8_t inner_next, BytesView plaintext,
               const SkCipher& cipher, const IvSource& iv_source, uint16_t frag_no,
               uint16_t frag_total) {
  const size_t extra = type == PayloadType::Skf ? 4 : 0;
  const size_t sealed = cipher.sealed_bytes(plaintext.size());
  const size_t payload_len = kPayloadHeaderBytes + extra + sealed;
  const size_t total = kHeaderBytes + payload_len;
  INTRANSIT_ASSERT(payload_len <= 0xffff);
  Bytes out = aad_prefix(h, type, inner_next, total, payload_len, frag_no, frag_total);
  Bytes iv(cipher.iv_bytes());
  iv_source(iv);
  const Bytes body = cipher.seal(out, plaintext, iv);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

std::vector<Bytes> seal_message(Header h, const std::vector<Payload>& inner, const SkCipher& cipher,
                                const IvSource& iv, size_t max_datagram) {
  uint8_t first = 0;
  Bytes plain = encode_chain(inner, first);
  WipeOnExit wipe(plain);
  const size_t whole = kHeaderBytes + kPayloadHeaderBytes + cipher.sealed_bytes(plain.size());
  if (max_datagram == 0 || whole <= max_datagram) {
    return {seal_one(h, PayloadType::Sk, first, plain, cipher, iv, 0, 0)};
  }
  // Overhead of one fragment without its plaintext: header, SKF header with the two
  // counters, IV, ICV, Pad Length, and up to a block of CBC padding.
  const size_t overhead = kHeaderBytes + kPayloadHeaderBytes + 4 + cipher.sealed_bytes(0) +
                          (cipher.iv_is_counter() ? 0 : 15);
  const size_t per = max_datagram > overhead + 16 ? max_datagram - overhead : 16;
  const size_t count = (plain.size() + per - 1) / per;
  INTRANSIT_ASSERT(count <= 0xffff);
  std::vector<Bytes> out;
  for (size_t i = 0; i < count; ++i) {
    const BytesView piece =
        BytesView(plain).subspan(i * per, std::min(per, plain.size() - i * per));
    out.push_back(seal_one(h, PayloadType::Skf, i == 0 ? first : 0, piece, cipher, iv,
                           static_cast<uint16_t>(i + 1), static_cast<uint16_t>(count)));
  }
  return out;
}

IkeResult<std::vector<Payload>> open_sk(BytesView datagram, const Decoded& d,
                                        const SkCipher& cipher) {
  if (!d.encrypted || d.encrypted->type != PayloadType::Sk) {
    return failure(Errc::MissingPayload);
  }
  const Encrypted& e = *d.encrypted;
  auto plain = cipher.open(datagram.first(e.aad_end), e.body);
  if (!plain) return unexpected(plain.error());
  WipeOnExit wipe(*plain);
  return decode_chain(e.inner_next, *plain, e.aad_end + cipher.iv_bytes());
}

void Reassembler::reset() {
  mid_ = 0;
  total_ = 0;
  first_next_ = 0;
  bytes_ = 0;
  have_ = 0;
  parts_.clear();
}

IkeResult<std::optional<std::vector<Payload>>> Reassembler::add(BytesView datagram,
                                                                const Decoded& d,
                                                                const SkCipher& cipher) {
  if (!d.encrypted || d.encrypted->type != PayloadType::Skf) return failure(Errc::BadFragment);
  const Encrypted& e = *d.encrypted;
  if (e.total_fragments > max_fragments_) return failure(Errc::BadFragment);
  // RFC 7383 §2.6.2: verify before storing, so forged fragments cannot evict real ones.
  auto plain = cipher.open(datagram.first(e.aad_end), e.body);
  if (!plain) return unexpected(plain.error());
  const uint32_t mid = d.header.message_id;
  // A different message, or the sender re-fragmented with a smaller size (more
  // fragments): start over (RFC 7383 §2.6.2).
  if (total_ != 0 && (mid != mid_ || e.total_fragments > total_)) reset();
  if (total_ != 0 && e.total_fragments < total_) return failure(Errc::BadFragment);
  if (total_ == 0) {
    mid_ = mid;
    total_ = e.total_fragments;
    parts_.assign(total_, std::nullopt);
  }
  auto& slot = parts_[e.fragment_number - 1];
  if (slot) return std::optional<std::vector<Payload>>();  // duplicate
  if (bytes_ + plain->size() > max_bytes_) {
    reset();
    return failure(Errc::BadFragment);
  }
  if (e.fragment_number == 1) first_next_ = e.inner_next;
  bytes_ += plain->size();
  slot = std::move(*plain);
  if (++have_ < total_) return std::optional<std::vector<Payload>>();
  Bytes whole;
  whole.reserve(bytes_);
  for (auto& p : parts_) whole.insert(whole.end(), p->begin(), p->end());
  const uint8_t first = first_next_;
  reset();
  auto payloads = decode_chain(first, whole, 0);
  if (!payloads) return unexpected(payloads.error());
  return std::optional<std::vector<Payload>>(std::move(*payloads));
}

}  // namespace intransit::ipsec::ike
