// The IKE message codec: the fixed header (RFC 7296 §3.1), the payload chain with its
// generic headers (§3.2), and the framing of the Encrypted payload (§3.14) and of Encrypted
// Fragment payloads (RFC 7383 §2.5). Decryption and encryption of SK/SKF bodies live in
// sk.h; this file only finds and frames them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/bytes.h"
#include "ipsec/ike/constants.h"
#include "ipsec/ike/errors.h"
#include "ipsec/ike/payloads.h"

namespace intransit::ipsec::ike {

// Header is the RFC 7296 §3.1 IKE header.
struct Header {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  uint8_t next_payload = 0;
  uint8_t version = kVersion2;
  uint8_t exchange = 0;  // an ExchangeType value; kept raw so unknown types can be reported
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0;

  ExchangeType exchange_type() const { return static_cast<ExchangeType>(exchange); }
  // is_response: the R flag (§3.1).
  bool is_response() const { return (flags & kFlagResponse) != 0; }
  // from_original_initiator: the I flag, set by the original initiator of the IKE SA.
  bool from_original_initiator() const { return (flags & kFlagInitiator) != 0; }

  friend bool operator==(const Header&, const Header&) = default;
};

// parse_header reads the header of `datagram` and checks it against the datagram:
// the Length field must equal the datagram size (§3.1) and the major version must be 2
// (BadVersion otherwise, answered with INVALID_MAJOR_VERSION, §1.5).
IkeResult<Header> parse_header(BytesView datagram);

// encode_header writes the 28 header bytes.
Bytes encode_header(const Header& h);

// Message is a decoded message: its header and its payloads. For protected messages the
// payloads are the inner ones (from inside SK, or the reassembled SKF fragments).
struct Message {
  Header header;
  std::vector<Payload> payloads;

  // first returns the first payload of `type` holding a body of type T, or null.
  template <class T>
  const T* first(PayloadType type) const {
    for (const auto& p : payloads) {
      if (p.type == type) {
        if (const T* b = std::get_if<T>(&p.body)) return b;
      }
    }
    return nullptr;
  }
  // all returns every body of type T under payload `type`, in order.
  template <class T>
  std::vector<const T*> all(PayloadType type) const {
    std::vector<const T*> out;
    for (const auto& p : payloads) {
      if (p.type == type) {
        if (const T* b = std::get_if<T>(&p.body)) out.push_back(b);
      }
    }
    return out;
  }
  // notify returns the first notify of type `t`, or null.
  const NotifyPayload* notify(NotifyType t) const;
  // first_error_notify returns the first error notify (type < 16384), or null.
  const NotifyPayload* first_error_notify() const;
};

// Encrypted is the Encrypted (SK) or Encrypted Fragment (SKF) payload found at the end of
// a datagram, still protected.
struct Encrypted {
  PayloadType type = PayloadType::Sk;
  uint8_t inner_next = 0;        // Next Payload of SK/SKF: type of the first inner payload
  uint16_t fragment_number = 0;  // SKF only (RFC 7383 §2.5), 1-based
  uint16_t total_fragments = 0;  // SKF only
  size_t aad_end = 0;            // bytes [0, aad_end) of the datagram are authenticated data
  BytesView body;                // IV | ciphertext | ICV, a view into the datagram
};

// Decoded is a datagram split into header, cleartext payloads and (if present) the
// still-encrypted SK/SKF payload, which RFC 7296 §3.14 requires to be the last one.
struct Decoded {
  Header header;
  std::vector<Payload> payloads;
  std::optional<Encrypted> encrypted;
};

// Limits on what the decoder accepts.
inline constexpr size_t kMaxPayloads = 64;

// decode parses a datagram (without the RFC 3948 non-ESP marker). Views in the result
// point into `datagram`. Unknown payloads are skipped when not critical and rejected with
// UnsupportedCriticalPayload (data = the type) when critical (§2.5).
IkeResult<Decoded> decode(BytesView datagram);

// decode_chain parses a chain of inner payloads starting with type `first` from
// `plaintext` (decrypted SK content). SK and SKF are not allowed inside. `base_offset` is
// used for error offsets.
IkeResult<std::vector<Payload>> decode_chain(uint8_t first, BytesView plaintext,
                                             size_t base_offset = 0);

// encode_chain serialises payloads with their generic headers, chaining the Next Payload
// fields, and returns the type of the first one in `first` (0 for none).
Bytes encode_chain(const std::vector<Payload>& payloads, uint8_t& first);

// encode_plain builds an unprotected message (IKE_SA_INIT, or stateless notifies): the
// header's next_payload and length are computed.
Bytes encode_plain(Header h, const std::vector<Payload>& payloads);

// summary renders a message in strongSwan's log notation, e.g.
// "IKE_AUTH request 1 [ IDi AUTH SA TSi TSr N(INIT_CONTACT) ]".
std::string summary(const Header& h, const std::vector<Payload>& payloads);

}  // namespace intransit::ipsec::ike
