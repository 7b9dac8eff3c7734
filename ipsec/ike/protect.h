// Protected messages: building SK datagrams (RFC 7296 §3.14) or, when a message is too big,
// a set of SKF fragments (RFC 7383 §2.5), and taking them apart again, including the
// reassembly of fragments (RFC 7383 §2.6).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "gateway/base/bytes.h"
#include "ipsec/ike/errors.h"
#include "ipsec/ike/message.h"
#include "ipsec/ike/sk.h"

namespace intransit::ipsec::ike {

// IvSource fills an IV: a counter for the AEADs, random bytes for CBC (SkCipher tells which).
using IvSource = std::function<void(std::span<uint8_t>)>;

// seal_message returns the datagrams of one protected message: a single SK datagram, or
// SKF fragments when `max_datagram` is non-zero and the SK form would exceed it. Each
// fragment is encrypted on its own with the header's length set to its own size; only the
// first names the first inner payload (RFC 7383 §2.5). `h.next_payload` and `h.length`
// are computed.
std::vector<Bytes> seal_message(Header h, const std::vector<Payload>& inner, const SkCipher& cipher,
                                const IvSource& iv, size_t max_datagram = 0);

// open_sk verifies and decrypts the SK payload of `d` (decoded from `datagram`) and parses
// the inner payload chain. Integrity failures are IntegrityFailed.
IkeResult<std::vector<Payload>> open_sk(BytesView datagram, const Decoded& d,
                                        const SkCipher& cipher);

// Reassembler collects the SKF fragments of one message (one per direction: requests and
// responses are reassembled separately). Each fragment is verified before it is kept
// (RFC 7383 §2.6.2); a fragment with a larger Total Fragments than the stored ones replaces
// them, a smaller one is dropped.
class Reassembler {
 public:
  // Reassembler accepts at most `max_fragments` fragments and `max_bytes` of plaintext.
  Reassembler(size_t max_fragments, size_t max_bytes)
      : max_fragments_(max_fragments), max_bytes_(max_bytes) {}

  // add verifies and stores one fragment of message `d.header.message_id`. It returns the
  // inner payloads once all fragments are present, nullopt while some are missing, and an
  // error for an unverifiable or inconsistent fragment (BadFragment / IntegrityFailed).
  IkeResult<std::optional<std::vector<Payload>>> add(BytesView datagram, const Decoded& d,
                                                     const SkCipher& cipher);
  // reset drops whatever is stored.
  void reset();
  // pending is true while fragments of an incomplete message are stored.
  bool pending() const { return total_ != 0; }
  uint32_t message_id() const { return mid_; }

 private:
  size_t max_fragments_;
  size_t max_bytes_;
  uint32_t mid_ = 0;
  uint16_t total_ = 0;
  uint8_t first_next_ = 0;
  size_t bytes_ = 0;
  size_t have_ = 0;
  std::vector<std::optional<Bytes>> parts_;
};

}  // namespace intransit::ipsec::ike
