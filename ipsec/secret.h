// SecretBytes holds key material (PSKs, SK_* keys, ESP KEYMAT, DH private values). The
// buffer is wiped with OPENSSL_cleanse when it is released, it never grows in place (so no
// stale copy is left behind by a reallocation), and it has no stream operator: secrets are
// never logged.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "gateway/base/bytes.h"

namespace intransit::ipsec {

// SecretBytes owns key material; see the file comment.
class SecretBytes {
 public:
  SecretBytes() = default;
  // SecretBytes(n) holds n zero bytes.
  explicit SecretBytes(size_t n) : b_(n, 0) {}
  // SecretBytes(v) copies `v`.
  explicit SecretBytes(BytesView v) : b_(v.begin(), v.end()) {}
  SecretBytes(const SecretBytes& o) : b_(o.b_) {}
  SecretBytes(SecretBytes&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      wipe();
      b_ = o.b_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      b_ = std::move(o.b_);
      o.b_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  // take_from moves the contents of a plain byte vector in and wipes nothing else: use it for
  // buffers that were produced only to become a secret (prf+ output, DH shared values).
  static SecretBytes take_from(Bytes&& b) {
    SecretBytes s;
    s.b_ = std::move(b);
    return s;
  }

  // Accessors; views are valid until the SecretBytes changes or dies.
  uint8_t* data() noexcept { return b_.data(); }
  const uint8_t* data() const noexcept { return b_.data(); }
  size_t size() const noexcept { return b_.size(); }
  bool empty() const noexcept { return b_.empty(); }
  BytesView view() const noexcept { return {b_.data(), b_.size()}; }
  std::span<uint8_t> span() noexcept { return {b_.data(), b_.size()}; }
  // sub returns a view of `n` bytes at `offset`; the range must lie inside the buffer.
  BytesView sub(size_t offset, size_t n) const { return view().subspan(offset, n); }

  // wipe zeroes and releases the buffer.
  void wipe() noexcept {
    if (!b_.empty()) OPENSSL_cleanse(b_.data(), b_.size());
    b_.clear();
    b_.shrink_to_fit();
  }

  // equal compares in constant time (lengths are not secret).
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return constant_time_equal(a.view(), b.view());
  }

 private:
  std::vector<uint8_t> b_;
};

// WipeOnExit cleanses a plain buffer when the scope ends (for temporaries such as
// intermediate prf outputs that live in ordinary vectors).
class WipeOnExit {
 public:
  explicit WipeOnExit(std::span<uint8_t> s) : s_(s) {}
  explicit WipeOnExit(Bytes& b) : s_(b.data(), b.size()), vec_(&b) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() {
    if (vec_) s_ = {vec_->data(), vec_->size()};
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
  }

 private:
  std::span<uint8_t> s_;
  Bytes* vec_ = nullptr;
};

}  // namespace intransit::ipsec
