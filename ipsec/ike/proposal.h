// Proposal negotiation (RFC 7296 §2.7, §3.3): turning configured proposals into SA payloads,
// the responder's choice of exactly one proposal with one transform per type, and the
// initiator's check that the answer is one of its offers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipsec/algorithms.h"
#include "ipsec/config.h"
#include "ipsec/ike/errors.h"
#include "ipsec/ike/payloads.h"

namespace intransit::ipsec::ike {

// IkeSuite is a negotiated IKE SA transform set.
struct IkeSuite {
  Cipher encr;
  IntegAlg integ = IntegAlg::None;
  PrfAlg prf = PrfAlg::HmacSha256;
  DhGroup dh = DhGroup::None;

  std::string to_string() const;
  friend bool operator==(const IkeSuite&, const IkeSuite&) = default;
};

// ChildSuite is a negotiated ESP transform set. `dh` is the PFS group of a
// CREATE_CHILD_SA, None otherwise.
struct ChildSuite {
  Cipher encr;
  IntegAlg integ = IntegAlg::None;
  DhGroup dh = DhGroup::None;
  bool esn = false;

  std::string to_string() const;
  friend bool operator==(const ChildSuite&, const ChildSuite&) = default;
};

// ike_offer builds the SA payload of an IKE_SA_INIT request (empty `spi`, §3.3.1) or of an
// IKE rekey (the new 8-byte SPI, §1.3.2). If `first_dh` is set, that group is moved to the
// front of each proposal's group list (after INVALID_KE_PAYLOAD, so the offer matches KE).
SaPayload ike_offer(const std::vector<IkeProposal>& proposals, BytesView spi,
                    std::optional<DhGroup> first_dh = std::nullopt);

// esp_offer builds a CHILD SA offer with our inbound SPI. With `with_dh` the PFS groups go
// in (CREATE_CHILD_SA, §1.3.1), without them the DH transforms are left out (IKE_AUTH,
// §1.2); `first_dh` as for ike_offer.
SaPayload esp_offer(const std::vector<EspProposal>& proposals, uint32_t spi, bool with_dh,
                    std::optional<DhGroup> first_dh = std::nullopt);

// IkeChoice and EspChoice are what a responder selected.
struct IkeChoice {
  IkeSuite suite;
  uint8_t number = 1;
  Bytes peer_spi;  // the initiator's SPI from the proposal (IKE rekey), else empty
};
// EspChoice: the selected ESP suite and the peer's SPI from its proposal.
struct EspChoice {
  ChildSuite suite;
  uint8_t number = 1;
  uint32_t peer_spi = 0;
};

// select_ike picks the first of our proposals (our preference order) that one of the
// offered proposals satisfies: every mandatory transform type present, one acceptable
// algorithm per type, no unknown transform types (§3.3.6). When the DH group list of the
// match contains `ke_group`, that group is chosen so no INVALID_KE_PAYLOAD round trip is
// needed (§1.2). `spi_bytes` is the SPI size the exchange requires (0 in IKE_SA_INIT, 8
// for a rekey). Fails with NoProposalChosen.
IkeResult<IkeChoice> select_ike(const SaPayload& offered, const std::vector<IkeProposal>& ours,
                                std::optional<DhGroup> ke_group, size_t spi_bytes);

// DhUse says how DH transforms in an ESP offer are treated.
enum class DhUse : uint8_t {
  Ignore,  // IKE_AUTH: DH transforms are stripped on both sides (§1.2)
  Match,   // CREATE_CHILD_SA: negotiated like the other types; missing means NONE
};

// select_esp picks an ESP proposal like select_ike. ESP offers must carry a 4-byte SPI and
// an ESN transform (§3.3.3).
IkeResult<EspChoice> select_esp(const SaPayload& offered, const std::vector<EspProposal>& ours,
                                DhUse dh, std::optional<DhGroup> ke_group);

// ike_answer and esp_answer encode a choice as the single-proposal SA payload of a
// response, with the proposal number of the offer it came from (§3.3.1).
SaPayload ike_answer(const IkeChoice& c, BytesView spi);
SaPayload esp_answer(const EspChoice& c, uint32_t spi);

// accept_ike and accept_esp check a response's SA payload on the initiator: exactly one
// proposal, numbered like one we sent, holding one transform per type, each of which we
// offered in that proposal (§2.7). They return the suite and the responder's SPI.
IkeResult<IkeChoice> accept_ike(const SaPayload& answer, const SaPayload& offered,
                                size_t spi_bytes);
IkeResult<EspChoice> accept_esp(const SaPayload& answer, const SaPayload& offered, DhUse dh);

}  // namespace intransit::ipsec::ike
