// IKEv2 payload bodies (RFC 7296 §3.3–§3.16) as plain values, with their codec. Every body
// is parsed through a bounds-checked Reader (wire.h) and owns copies of its bytes, so a
// parsed message outlives the datagram. The generic payload header and the chaining of
// payloads are handled in message.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gateway/base/bytes.h"
#include "ipsec/ike/constants.h"
#include "ipsec/ike/errors.h"
#include "ipsec/ike/wire.h"
#include "ipsec/traffic_selector.h"

namespace intransit::ipsec::ike {

// Transform is one RFC 7296 §3.3.2 transform substructure.
struct Transform {
  TransformType type = TransformType::Encr;
  uint16_t id = 0;
  std::optional<uint16_t> key_length;  // §3.3.5 Key Length attribute, in bits
  // unknown_attribute is set when an attribute other than Key Length was present: such a
  // transform can never be selected (§3.3.6). `raw_attributes` then keeps all attributes
  // as received, so the transform re-encodes unchanged.
  bool unknown_attribute = false;
  Bytes raw_attributes;

  friend bool operator==(const Transform&, const Transform&) = default;
};

// Proposal is one RFC 7296 §3.3.1 proposal substructure.
struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::Ike;
  Bytes spi;  // 0 bytes (IKE_SA_INIT), 8 (IKE rekey) or 4 (ESP/AH)
  std::vector<Transform> transforms;

  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// SaPayload: RFC 7296 §3.3.
struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// KePayload: RFC 7296 §3.4.
struct KePayload {
  uint16_t group = 0;
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// IdPayload: RFC 7296 §3.5 (IDi and IDr share the format).
struct IdPayload {
  uint8_t type = 0;  // an IdType value; kept raw so unknown types survive a round trip
  Bytes data;
  // body is IDx' of §2.15: the payload body without the generic header (type, three
  // reserved bytes, data). The AUTH computation signs prf(SK_px, IDx').
  Bytes body() const;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// CertPayload: RFC 7296 §3.6.
struct CertPayload {
  uint8_t encoding = static_cast<uint8_t>(CertEncoding::X509Signature);
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

// CertReqPayload: RFC 7296 §3.7. For X.509 the authority field is a concatenation of
// 20-byte SHA-1 hashes of trusted CAs' SubjectPublicKeyInfo.
struct CertReqPayload {
  uint8_t encoding = static_cast<uint8_t>(CertEncoding::X509Signature);
  Bytes authorities;
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// AuthPayload: RFC 7296 §3.8.
struct AuthPayload {
  uint8_t method = 0;  // an AuthMethod value
  Bytes data;
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

// NoncePayload: RFC 7296 §3.9; 16 to 256 bytes.
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

// NotifyPayload: RFC 7296 §3.10.
struct NotifyPayload {
  ProtocolId protocol = ProtocolId::None;
  Bytes spi;
  uint16_t type = 0;  // a NotifyType value; unknown status types are legal
  Bytes data;

  NotifyType notify_type() const { return static_cast<NotifyType>(type); }
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

// DeletePayload: RFC 7296 §3.11. For IKE the SPI list is empty (SPI size 0); for ESP and
// AH it holds 4-byte SPIs.
struct DeletePayload {
  ProtocolId protocol = ProtocolId::Esp;
  std::vector<uint32_t> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// VendorIdPayload: RFC 7296 §3.12.
struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

// TsPayload: RFC 7296 §3.13 (TSi and TSr). Selectors of unknown types are kept raw in
// `unknown` (type and body) and ignored by the negotiation, as strongSwan does.
struct UnknownSelector {
  uint8_t type = 0;
  Bytes body;  // everything after the 4-byte selector header
  friend bool operator==(const UnknownSelector&, const UnknownSelector&) = default;
};
// TsPayload: the selectors of a TSi or TSr payload, known and unknown.
struct TsPayload {
  std::vector<TrafficSelector> selectors;
  std::vector<UnknownSelector> unknown;
  friend bool operator==(const TsPayload&, const TsPayload&) = default;
};

// CpAttribute and CpPayload: RFC 7296 §3.15 (parsed, never acted on: site-to-site only).
struct CpAttribute {
  uint16_t type = 0;
  Bytes value;
  friend bool operator==(const CpAttribute&, const CpAttribute&) = default;
};
// CpPayload: a configuration payload with its attributes.
struct CpPayload {
  uint8_t cfg_type = 0;
  std::vector<CpAttribute> attributes;
  friend bool operator==(const CpPayload&, const CpPayload&) = default;
};

// EapPayload: RFC 7296 §3.16, kept opaque (EAP is not offered).
struct EapPayload {
  Bytes data;
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

// UnknownPayload keeps a non-critical payload of an unknown type (§2.5: skipped).
struct UnknownPayload {
  uint8_t type = 0;
  Bytes data;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

// PayloadBody is the parsed body of any payload type.
using PayloadBody = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload,
                                 AuthPayload, NoncePayload, NotifyPayload, DeletePayload,
                                 VendorIdPayload, TsPayload, CpPayload, EapPayload, UnknownPayload>;

// Payload is one payload of a message: its type (which tells IDi from IDr and TSi from
// TSr), the critical bit as received or to be sent, and the body.
struct Payload {
  PayloadType type = PayloadType::None;
  bool critical = false;
  PayloadBody body;

  friend bool operator==(const Payload&, const Payload&) = default;
};

// is_known_payload is true for the types parse_body understands (SK and SKF excluded:
// they are containers, handled by the message codec).
bool is_known_payload(uint8_t type);

// parse_body decodes the body of a payload of type `type` from `r`, which spans exactly
// the body (the bytes after the generic header). It fails with MalformedPayload or
// Truncated at the offending offset.
IkeResult<PayloadBody> parse_body(PayloadType type, Reader& r);

// encode_body serialises a body (without the generic header).
Bytes encode_body(const PayloadBody& body);

// Builders for the common payloads.
Payload make_notify(NotifyType t, BytesView data = {}, ProtocolId proto = ProtocolId::None,
                    BytesView spi = {});
Payload make_nonce(BytesView nonce);
Payload make_ke(uint16_t group, BytesView data);

// describe renders a payload in strongSwan's log notation: "SA", "N(NATD_S_IP)", "D", …
std::string describe(const Payload& p);

}  // namespace intransit::ipsec::ike
