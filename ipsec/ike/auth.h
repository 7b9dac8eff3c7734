// IKE_AUTH authentication (RFC 7296 §2.15): the signed octets, PSK AUTH with the
// "Key Pad for IKEv2", signatures (RFC 7427 method 14 with its AlgorithmIdentifier, and the
// classic methods 1 and 9-11 of RFC 7296 / RFC 4754), certificate path validation against
// the configured CAs, and the checks that bind an IKE identity to a certificate.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <vector>

#include "gateway/base/bytes.h"
#include "ipsec/algorithms.h"
#include "ipsec/config.h"
#include "ipsec/ike/errors.h"
#include "ipsec/ike/payloads.h"
#include "ipsec/secret.h"

namespace intransit::ipsec::ike {

// signed_octets builds <SignedOctets> = RealMessage | NonceData | prf(SK_p, IDx')
// (§2.15): the whole first message this side sent, the peer's nonce, and the MAC of our
// ID payload body.
Bytes signed_octets(BytesView real_message, BytesView peer_nonce, PrfAlg prf, BytesView sk_p,
                    BytesView id_body);

// psk_auth computes AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
// (§2.15).
SecretBytes psk_auth(PrfAlg prf, BytesView psk, BytesView octets);

// SignatureOptions is what the signer may use.
struct SignatureOptions {
  // peer_hashes are the hashes from the peer's SIGNATURE_HASH_ALGORITHMS notify (RFC 7427
  // §4); empty when the peer sent none, which selects a classic method.
  std::vector<HashAlgorithm> peer_hashes;
  bool use_rfc7427 = true;
  bool rsa_pss = false;
};

// sign_auth signs `octets` with `key` and returns the AUTH payload body: method 14 with
// length | AlgorithmIdentifier | signature when RFC 7427 is usable (the hash picked from
// the peer's list: SHA-384 for P-384, SHA-512 for P-521, else SHA-256), otherwise method 9,
// 10 or 11 for ECDSA (raw r|s, RFC 4754 §7) or 1 for RSA (PKCS#1 v1.5 with SHA-1, §3.8).
IkeResult<AuthPayload> sign_auth(EVP_PKEY* key, BytesView octets, const SignatureOptions& o);

// verify_auth checks a signature AUTH payload against the peer's public key. For method 14
// the AlgorithmIdentifier must fit the key type; SHA-1 is refused (RFC 8247 §3.2).
// Failures are AuthenticationFailed.
IkeResult<void> verify_auth(const AuthPayload& auth, EVP_PKEY* peer_key, BytesView octets);

// hash_algorithms_data encodes our SIGNATURE_HASH_ALGORITHMS notify data: SHA2-256,
// SHA2-384, SHA2-512 (RFC 7427 §4).
Bytes hash_algorithms_data();
// parse_hash_algorithms reads a SIGNATURE_HASH_ALGORITHMS notify's data (2-byte IDs).
std::vector<HashAlgorithm> parse_hash_algorithms(BytesView data);

// certreq_authorities returns the concatenated SHA-1 hashes of the CAs' SubjectPublicKeyInfo
// (§3.7).
Bytes certreq_authorities(const std::vector<bssl::UniquePtr<X509>>& cas);

// verify_peer_certificate parses the peer's CERT payloads (end-entity first, then
// intermediates), validates the path to one of `cas` at `unix_now`, and returns the
// end-entity certificate. Failures are AuthenticationFailed.
IkeResult<bssl::UniquePtr<X509>> verify_peer_certificate(
    const std::vector<const CertPayload*>& certs, const std::vector<bssl::UniquePtr<X509>>& cas,
    int64_t unix_now);

// identity_in_certificate is true when `id` is bound to `cert`: FQDN, IPv4/IPv6 and RFC 822
// IDs must be a subjectAltName of the certificate, a DER_ASN1_DN ID must equal its subject.
bool identity_in_certificate(const Identity& id, X509* cert);

}  // namespace intransit::ipsec::ike
