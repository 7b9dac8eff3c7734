// Reader is the bounds-checked cursor the SMB codecs read the wire through (STYLE.md R7): a
// BoringSSL CBS plus the start of the message, so that every position, and every failure, is
// a byte offset from the start of the SMB2 message. SMB2 is little-endian except for the
// NBSS length.
#pragma once

#include <openssl/bytestring.h>

#include <cstddef>
#include <cstdint>

#include "gateway/base/bytes.h"

namespace intransit::smb {

// Reader reads one message; see the top of this file.
class Reader {
 public:
  // Reader reads `in`; offsets are counted from in.data(). `in` must outlive the Reader.
  explicit Reader(BytesView in) : base_(in.data()) { CBS_init(&cbs_, in.data(), in.size()); }

  // at returns a Reader over `in` positioned `offset` bytes in, with offsets still counted
  // from in.data(). It returns false (and leaves `out` alone) when offset > in.size().
  static bool at(BytesView in, size_t offset, Reader& out) {
    Reader r(in);
    if (!r.skip(offset)) return false;
    out = r;
    return true;
  }

  // Each getter returns false, consuming nothing, when fewer bytes remain than it needs.
  bool u8(uint8_t& out) { return CBS_get_u8(&cbs_, &out) == 1; }
  bool u16le(uint16_t& out) { return CBS_get_u16le(&cbs_, &out) == 1; }
  bool u32le(uint32_t& out) { return CBS_get_u32le(&cbs_, &out) == 1; }
  bool u64le(uint64_t& out) { return CBS_get_u64le(&cbs_, &out) == 1; }
  bool u24be(uint32_t& out) { return CBS_get_u24(&cbs_, &out) == 1; }
  bool skip(size_t n) { return CBS_skip(&cbs_, n) == 1; }
  // bytes sets `out` to a view of the next n bytes (valid as long as the input).
  bool bytes(size_t n, BytesView& out) {
    CBS sub;
    if (CBS_get_bytes(&cbs_, &sub, n) != 1) return false;
    out = BytesView(CBS_data(&sub), CBS_len(&sub));
    return true;
  }
  // sub sets `out` to a Reader over the next n bytes, which cannot read past them; offsets
  // stay relative to the same message start.
  bool sub(size_t n, Reader& out) {
    CBS s;
    if (CBS_get_bytes(&cbs_, &s, n) != 1) return false;
    out = *this;
    out.cbs_ = s;
    return true;
  }

  // offset is the position of the next byte, from the start of the message.
  size_t offset() const { return static_cast<size_t>(CBS_data(&cbs_) - base_); }
  size_t remaining() const { return CBS_len(&cbs_); }

 private:
  const uint8_t* base_;
  CBS cbs_;
};

}  // namespace intransit::smb
