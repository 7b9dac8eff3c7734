#include "ipsec/ike/wire.h"

#include <algorithm>

#include "gateway/base/assert.h"

namespace intransit::ipsec::ike {

Writer::Writer() {
  ok_ = CBB_init(&cbb_, 256) == 1;
}
Writer::~Writer() {
  CBB_cleanup(&cbb_);
}

Writer& Writer::u8(uint8_t v) {
  ok_ = ok_ && CBB_add_u8(&cbb_, v) == 1;
  return *this;
}
Writer& Writer::u16(uint16_t v) {
  ok_ = ok_ && CBB_add_u16(&cbb_, v) == 1;
  return *this;
}
Writer& Writer::u32(uint32_t v) {
  ok_ = ok_ && CBB_add_u32(&cbb_, v) == 1;
  return *this;
}
Writer& Writer::u64(uint64_t v) {
  ok_ = ok_ && CBB_add_u64(&cbb_, v) == 1;
  return *this;
}
Writer& Writer::bytes(BytesView v) {
  ok_ = ok_ && (v.empty() || CBB_add_bytes(&cbb_, v.data(), v.size()) == 1);
  return *this;
}
Writer& Writer::zeros(size_t n) {
  uint8_t* p = nullptr;
  ok_ = ok_ && CBB_add_space(&cbb_, &p, n) == 1;
  if (ok_ && n) std::fill(p, p + n, uint8_t{0});
  return *this;
}

size_t Writer::size() const {
  return ok_ ? CBB_len(&cbb_) : 0;
}

Bytes Writer::finish() {
  INTRANSIT_ASSERT(ok_);
  const uint8_t* data = CBB_data(&cbb_);
  Bytes out(data, data + CBB_len(&cbb_));
  return out;
}

}  // namespace intransit::ipsec::ike
