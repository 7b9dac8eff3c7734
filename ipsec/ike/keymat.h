// The IKEv2 key schedule: SKEYSEED and the SK_* keys of an IKE SA (RFC 7296 §2.14), the
// SKEYSEED of a rekeyed IKE SA (§2.18), and CHILD SA keying material (§2.17).
#pragma once

#include <cstdint>

#include "gateway/base/bytes.h"
#include "ipsec/ike/proposal.h"
#include "ipsec/secret.h"

namespace intransit::ipsec::ike {

// IkeKeys are the seven keys of an IKE SA. The _i keys protect what the original
// initiator sends, the _r keys what the responder sends.
struct IkeKeys {
  SecretBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

// skeyseed computes SKEYSEED = prf(Ni | Nr, g^ir) (§2.14).
SecretBytes skeyseed(PrfAlg prf, BytesView ni, BytesView nr, BytesView g_ir);

// rekey_skeyseed computes SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old
// SA's PRF (§2.18).
SecretBytes rekey_skeyseed(PrfAlg old_prf, BytesView old_sk_d, BytesView g_ir, BytesView ni,
                           BytesView nr);

// derive_ike_keys computes {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (§2.14), with the lengths of `suite` (SK_a empty
// for AEADs, SK_e including the salt, RFC 5282 §7.1).
IkeKeys derive_ike_keys(const IkeSuite& suite, BytesView skeyseed, BytesView ni, BytesView nr,
                        uint64_t spi_i, uint64_t spi_r);

// ChildKeys is the ESP keying material of one CHILD SA. The _i keys protect traffic from
// the initiator of the exchange that created the SA to the responder (§2.17: those keys
// come first, encryption before integrity).
struct ChildKeys {
  SecretBytes encr_i, integ_i, encr_r, integ_r;
};

// derive_child_keys computes KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (§2.17) and
// splits it. `g_ir` is empty without PFS.
ChildKeys derive_child_keys(PrfAlg prf, BytesView sk_d, BytesView g_ir, BytesView ni, BytesView nr,
                            const ChildSuite& suite);

}  // namespace intransit::ipsec::ike
