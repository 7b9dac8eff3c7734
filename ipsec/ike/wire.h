// Bounds-checked cursors for IKE wire formats (STYLE.md R7). Reader wraps BoringSSL's CBS
// and knows its absolute offset in the datagram, so codec errors can name the byte where
// they happened; a length-prefixed field becomes a child Reader that cannot run past its
// parent. Writer wraps a CBB; IKE length fields that count their own header are written by
// building the body first (never by patching computed offsets).
#pragma once

#include <openssl/bytestring.h>

#include <cstddef>
#include <cstdint>

#include "gateway/base/bytes.h"

namespace intransit::ipsec::ike {

// Reader is a read cursor over a byte span it does not own.
class Reader {
 public:
  Reader() { CBS_init(&cbs_, nullptr, 0); }
  // Reader reads `data`; `base_offset` is the offset of data[0] in the whole message.
  explicit Reader(BytesView data, size_t base_offset = 0)
      : origin_(data.data()), base_(base_offset) {
    CBS_init(&cbs_, data.data(), data.size());
  }

  // Each getter returns false, consuming nothing, when too few bytes remain. Integers are
  // big-endian (RFC 7296 §3: network byte order).
  bool u8(uint8_t& out) { return CBS_get_u8(&cbs_, &out) == 1; }
  bool u16(uint16_t& out) { return CBS_get_u16(&cbs_, &out) == 1; }
  bool u32(uint32_t& out) { return CBS_get_u32(&cbs_, &out) == 1; }
  bool u64(uint64_t& out) { return CBS_get_u64(&cbs_, &out) == 1; }
  // bytes returns a view of the next `n` bytes; it stays valid as long as the input.
  bool bytes(size_t n, BytesView& out) {
    CBS c;
    if (CBS_get_bytes(&cbs_, &c, n) != 1) return false;
    out = {CBS_data(&c), CBS_len(&c)};
    return true;
  }
  // sub splits off the next `n` bytes as a child reader.
  bool sub(size_t n, Reader& out) {
    const size_t off = offset();
    BytesView v;
    if (!bytes(n, v)) return false;
    out = Reader(v, off);
    return true;
  }
  bool skip(size_t n) { return CBS_skip(&cbs_, n) == 1; }

  // rest returns the unread bytes (without consuming them).
  BytesView rest() const { return {CBS_data(&cbs_), CBS_len(&cbs_)}; }
  size_t remaining() const { return CBS_len(&cbs_); }
  bool empty() const { return CBS_len(&cbs_) == 0; }
  // offset is the absolute offset of the next unread byte.
  size_t offset() const { return base_ + static_cast<size_t>(CBS_data(&cbs_) - origin_); }

 private:
  CBS cbs_;
  const uint8_t* origin_ = nullptr;
  size_t base_ = 0;
};

// Writer appends big-endian fields to a growing buffer. Allocation failure (the only way a
// CBB can fail here) is recorded and reported by finish().
class Writer {
 public:
  Writer();
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // u8 … zeros append big-endian fields and return *this for chaining.
  Writer& u8(uint8_t v);
  Writer& u16(uint16_t v);
  Writer& u32(uint32_t v);
  Writer& u64(uint64_t v);
  Writer& bytes(BytesView v);
  Writer& zeros(size_t n);

  // size is the number of bytes written so far.
  size_t size() const;
  // finish returns the bytes written. It aborts on allocation failure (R15: an OOM is not
  // the peer's doing and there is nothing sensible to send).
  Bytes finish();

 private:
  CBB cbb_;
  bool ok_ = true;
};

}  // namespace intransit::ipsec::ike
