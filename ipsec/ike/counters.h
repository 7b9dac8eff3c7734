// IKE metrics as plain data (no Prometheus in the core): the Manager increments these and
// the glue exports them. Every label comes from an enum with a name() table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "ipsec/ike/constants.h"

namespace intransit::ipsec::ike {

// ExchangeResult is the outcome of one exchange, counted once per exchange on each side.
enum class ExchangeResult : uint8_t { Ok, Failed, Timeout, kCount };

// AuthFailure is why an IKE_AUTH did not authenticate the peer.
enum class AuthFailure : uint8_t {
  NoMatchingTunnel,  // no tunnel accepts the peer's identities
  IdMismatch,        // the ID payload is not the configured peer ID
  MethodMismatch,    // AUTH method does not fit the configured auth kind
  BadPsk,            // PSK AUTH value wrong
  BadCertificate,    // certificate missing, unparsable, untrusted or not binding the ID
  BadSignature,      // signature did not verify
  PeerRejected,      // the peer sent AUTHENTICATION_FAILED
  kCount,
};

// DropReason is why an incoming datagram was discarded without an answer.
enum class DropReason : uint8_t {
  Malformed,      // header or payload chain unparsable
  UnknownSpi,     // no SA for the SPIs (RFC 7296 §2.21.4)
  NoTunnel,       // IKE_SA_INIT from an address no tunnel accepts
  Integrity,      // SK/SKF failed to verify
  MessageId,      // outside the window, or an unexpected response (§2.3)
  Fragment,       // bad or excess fragments (RFC 7383 §2.6)
  InvalidCookie,  // COOKIE missing or stale while cookies are demanded (§2.6)
  HalfOpenLimit,  // too many half-open SAs
  kCount,
};

std::string_view name(ExchangeResult r);
std::string_view name(AuthFailure f);
std::string_view name(DropReason d);

// exchange_index maps IKE_SA_INIT..INFORMATIONAL to 0..3.
constexpr size_t exchange_index(ExchangeType t) {
  return static_cast<size_t>(t) - static_cast<size_t>(ExchangeType::IkeSaInit);
}
inline constexpr size_t kExchangeTypes = 4;

// Counters holds every IKE counter of one Manager (all monotonic).
struct Counters {
  // exchanges[exchange_index][ExchangeResult]
  std::array<std::array<uint64_t, static_cast<size_t>(ExchangeResult::kCount)>, kExchangeTypes>
      exchanges{};
  std::array<uint64_t, static_cast<size_t>(AuthFailure::kCount)> auth_failures{};
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};
  uint64_t ike_sas_established = 0;
  uint64_t child_sas_installed = 0;
  uint64_t child_rekeys = 0;      // CHILD SAs replaced by a rekey (either side initiated)
  uint64_t ike_rekeys = 0;        // IKE SAs replaced by a rekey
  uint64_t retransmits = 0;       // requests we sent again
  uint64_t responses_resent = 0;  // cached responses sent for retransmitted requests
  uint64_t cookies_sent = 0;
  uint64_t invalid_ke_sent = 0;
  uint64_t fragments_sent = 0;
  uint64_t fragments_received = 0;

  // count_exchange and count bump one labelled counter.
  void count_exchange(ExchangeType t, ExchangeResult r) {
    const size_t i = exchange_index(t);
    if (i < kExchangeTypes) ++exchanges[i][static_cast<size_t>(r)];
  }
  void count(AuthFailure f) { ++auth_failures[static_cast<size_t>(f)]; }
  void count(DropReason d) { ++dropped[static_cast<size_t>(d)]; }
};

}  // namespace intransit::ipsec::ike
