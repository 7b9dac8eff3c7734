// Factories for the IKE tasks (task.h). One task per exchange kind, each usable as
// initiator (build_i/process_i) or, created by the Sa for an incoming request, as
// responder (process_r/build_r):
//
//   ike_init.cc       IKE_SA_INIT: proposals, KE, nonces, COOKIE and INVALID_KE_PAYLOAD
//                     retries, NAT detection, fragmentation and signature-hash notifies
//   ike_auth.cc       IKE_AUTH: identities, certificates, AUTH, INITIAL_CONTACT and the
//                     first CHILD SA
//   child_create.cc   CREATE_CHILD_SA for a new CHILD SA or a CHILD SA rekey (with PFS),
//                     including simultaneous-rekey collisions
//   ike_rekey.cc      CREATE_CHILD_SA rekeying the IKE SA, including collisions
//   informational.cc  INFORMATIONAL: Delete of the IKE SA or of CHILD SAs, liveness checks,
//                     and the responder side of every INFORMATIONAL request
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ipsec/ike/payloads.h"
#include "ipsec/ike/task.h"

namespace intransit::ipsec::ike {

// make_ike_init returns the IKE_SA_INIT task (RFC 7296 §1.2).
std::unique_ptr<Task> make_ike_init();
// make_ike_auth returns the IKE_AUTH task (§1.2, §2.15) with the first CHILD SA.
std::unique_ptr<Task> make_ike_auth();
// make_child_create returns a CREATE_CHILD_SA task: a rekey of the CHILD SA whose inbound
// SPI is `rekey_spi_in` (§1.3.3), or a new CHILD SA from the tunnel's selectors when it is
// 0 (§1.3.1).
std::unique_ptr<Task> make_child_create(uint32_t rekey_spi_in = 0);
// make_ike_rekey returns the IKE SA rekey task (§1.3.2, §2.18).
std::unique_ptr<Task> make_ike_rekey();
// make_ike_delete returns the task that deletes the IKE SA (§1.4.1).
std::unique_ptr<Task> make_ike_delete();
// make_child_delete returns the task that deletes CHILD SAs by inbound SPI (§1.4.1).
std::unique_ptr<Task> make_child_delete(std::vector<uint32_t> spis_in);
// make_informational returns an INFORMATIONAL request carrying `payloads` (none: a
// liveness check, §2.4).
std::unique_ptr<Task> make_informational(std::vector<Payload> payloads = {});

// The same factories make the responder tasks: the Sa creates one per incoming request
// (make_child_create(0) for any CREATE_CHILD_SA that is not an IKE rekey,
// make_informational() for any INFORMATIONAL request).

}  // namespace intransit::ipsec::ike
