// The IKE error domain (STYLE.md R5): one enum, one table that maps every code to what the
// peer is told (a notify type, or nothing) and to a static label for logs and metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/base/result.h"
#include "ipsec/ike/constants.h"

namespace intransit::ipsec::ike {

enum class Errc : uint8_t {
  Truncated,                   // a field runs past its container
  BadLength,                   // IKE header length differs from the datagram (§3.1)
  BadPayloadLength,            // payload length below its fixed part (§3.2)
  BadVersion,                  // major version above 2 (§3.1)
  BadExchange,                 // unknown exchange type, or wrong payloads for it
  UnsupportedCriticalPayload,  // unknown payload type with the critical bit (§2.5)
  MalformedPayload,            // a payload's body is inconsistent (§3.x)
  MissingPayload,              // a payload the exchange requires is absent
  SkNotLast,                   // the Encrypted payload is not the last one (§3.14)
  IntegrityFailed,             // ICV mismatch or undecryptable SK/SKF (§3.14)
  BadFragment,                 // inconsistent SKF fragments (RFC 7383 §2.6)
  NoProposalChosen,            // no acceptable proposal (§3.10.1)
  InvalidKe,                   // KE group is not the selected one (§1.2, §3.10.1)
  BadKeyExchange,              // KE data of the wrong size or not a valid public value
  AuthenticationFailed,        // AUTH, certificate or identity check failed (§2.15, §3.10.1)
  TsUnacceptable,              // no traffic selector overlaps the policy (§2.9)
  InvalidSpi,                  // an SPI that names no SA (§3.10.1)
  ChildSaNotFound,             // rekey of an unknown CHILD SA (RFC 7296 §3.10.1)
  TemporaryFailure,            // busy: a rekey or delete is in progress (§2.25)
  InvalidMessageId,            // outside the window (§2.3)
  PeerError,                   // the peer answered with an error notify
  Timeout,                     // retransmissions exhausted (§2.4)
  Internal,                    // a local failure (crypto library, configuration)
};

// Failure is an IKE error with where it happened. `data` carries the payload type for
// UnsupportedCriticalPayload, the wanted group for InvalidKe and the notify type for
// PeerError.
struct Failure {
  Errc code = Errc::Internal;
  uint32_t offset = 0;
  uint16_t data = 0;
};

template <class T>
using IkeResult = Result<T, Failure>;

// failure wraps an error code for returning from an IkeResult function.
inline Unexpected<Failure> failure(Errc code, uint32_t offset = 0, uint16_t data = 0) {
  return {Failure{code, offset, data}};
}

// label is the static metric/log label of an error ("no_proposal_chosen", …).
std::string_view label(Errc e);

// notify_for returns the error notify that reports `e` to the peer, or nullopt when the
// RFC says to drop silently (integrity failures, bad message IDs: §2.21, §2.3).
std::optional<NotifyType> notify_for(Errc e);

}  // namespace intransit::ipsec::ike
