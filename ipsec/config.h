// TunnelConfig: everything one IPsec site-to-site tunnel needs, as loaded, typed values
// (the policy file is parsed elsewhere; README.md lists the proposed keys). Credentials
// are BoringSSL objects already loaded from files; the PSK is a SecretBytes, wiped on
// destruction. A TunnelConfig is immutable once built and shared by the IKE SAs created
// from it (`std::shared_ptr<const TunnelConfig>`).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/base/result.h"
#include "gateway/base/time.h"
#include "ipsec/address.h"
#include "ipsec/algorithms.h"
#include "ipsec/ike/constants.h"
#include "ipsec/secret.h"
#include "ipsec/traffic_selector.h"

namespace intransit::ipsec {

// Identity is an IKE identity (RFC 7296 §3.5): a type and its raw data.
struct Identity {
  ike::IdType type = ike::IdType::Fqdn;
  Bytes data;

  // parse reads strongSwan-style text: an IPv4 or IPv6 literal gives ID_IPV4_ADDR /
  // ID_IPV6_ADDR; "user@host" gives ID_RFC822_ADDR; "@name" or a host name gives ID_FQDN;
  // "keyid:<hex>" gives ID_KEY_ID; "asn1dn:<hex DER>" gives ID_DER_ASN1_DN.
  static std::optional<Identity> parse(std::string_view text);
  // to_string renders the identity for logs and status (addresses as text, FQDN and
  // RFC 822 as is, binary types as "<type>:<hex>").
  std::string to_string() const;
  bool empty() const { return data.empty(); }

  friend bool operator==(const Identity&, const Identity&) = default;
};

// AuthKind is how one side proves its identity (RFC 7296 §2.15).
enum class AuthKind : uint8_t {
  Psk,        // shared key, AUTH method 2
  PublicKey,  // certificate + private key: RFC 7427 method 14, or methods 1/9/10/11
};

// IkeProposal is one IKE proposal; every list is in preference order. An AEAD cipher takes
// no integrity algorithm (leave `integ` empty); AES-CBC needs one.
struct IkeProposal {
  std::vector<Cipher> encr;
  std::vector<IntegAlg> integ;
  std::vector<PrfAlg> prf;
  std::vector<DhGroup> dh;

  friend bool operator==(const IkeProposal&, const IkeProposal&) = default;
};

// EspProposal is one ESP proposal for CHILD SAs. `dh` lists the PFS groups used when a
// CHILD SA is rekeyed (CREATE_CHILD_SA with KE, RFC 7296 §1.3.1); empty means no PFS. The
// DH transforms are left out of the IKE_AUTH offer (§1.2). `esn` lists the accepted
// extended sequence number settings (RFC 7296 §3.3.2 type 5), in preference order.
struct EspProposal {
  std::vector<Cipher> encr;
  std::vector<IntegAlg> integ;
  std::vector<DhGroup> dh;
  std::vector<bool> esn{false};

  friend bool operator==(const EspProposal&, const EspProposal&) = default;
};

// parse_ike_proposal and parse_esp_proposal read strongSwan's proposal notation, e.g.
// "aes256gcm16-prfsha384-ecp384", "aes128-sha256-prfsha256-modp2048",
// "chacha20poly1305-x25519", "aes256gcm16-ecp384-esn-noesn". For IKE a missing PRF is
// derived from the integrity algorithm. They return an Error naming the bad token.
Result<IkeProposal> parse_ike_proposal(std::string_view text);
Result<EspProposal> parse_esp_proposal(std::string_view text);
// to_string renders a proposal back in the same notation.
std::string to_string(const IkeProposal& p);
std::string to_string(const EspProposal& p);

// default_ike_proposals: AES-GCM-16-256/128 and ChaCha20-Poly1305 with PRF SHA2-384/256
// over x25519/ECP-384/ECP-256, then the RFC 8247 MUST set AES-CBC-256/128 +
// HMAC-SHA2-256-128 + PRF-HMAC-SHA2-256 with group 14.
std::vector<IkeProposal> default_ike_proposals();
// default_esp_proposals: AES-GCM-16-256/128 and ChaCha20-Poly1305, then AES-CBC +
// HMAC-SHA2-256-128; PFS with the same groups; no ESN.
std::vector<EspProposal> default_esp_proposals();

// RetransmitPolicy: request n is retransmitted after timeout * base^n; the SA is given up
// after `tries` retransmissions (strongSwan's defaults: 4 s, 1.8, 5 → 165 s in total).
struct RetransmitPolicy {
  Duration timeout = ms(4000);
  double base = 1.8;
  uint32_t tries = 5;
};

// SendCert says when our certificate goes into IKE_AUTH.
enum class SendCert : uint8_t { Always, IfAsked, Never };

// TunnelConfig is one site-to-site tunnel: see the file comment and README.md for the
// policy keys that fill it. Defaults are safe at the edge; validate() checks the rest.
struct TunnelConfig {
  std::string name;

  // Addresses. An unset remote_address makes the tunnel responder-only, matching any peer
  // that proves `remote_id`.
  IpAddress local_address;
  IpAddress remote_address;
  uint16_t remote_port = 500;  // where IKE_SA_INIT is sent (RFC 7296 §2.11)

  // CHILD SA traffic selectors (RFC 7296 §2.9): our side and the peer's side.
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;

  // Identities and authentication, one per side.
  Identity local_id;
  Identity remote_id;
  AuthKind local_auth = AuthKind::Psk;
  AuthKind remote_auth = AuthKind::Psk;
  SecretBytes psk;                                     // both sides' PSK auth
  bssl::UniquePtr<EVP_PKEY> private_key;               // local PublicKey auth
  std::vector<bssl::UniquePtr<X509>> certificates;     // local chain, end-entity first
  std::vector<bssl::UniquePtr<X509>> ca_certificates;  // trust anchors for the peer

  // Proposals in preference order (the responder prefers its own order).
  std::vector<IkeProposal> ike_proposals = default_ike_proposals();
  std::vector<EspProposal> esp_proposals = default_esp_proposals();

  // Lifetimes. A SA is rekeyed `*_rekey_time` after it was created (minus a random
  // share of `rand_time`), and deleted if still alive `*_rekey_time + *_over_time` after.
  Duration ike_rekey_time = std::chrono::hours(4);
  Duration ike_over_time = std::chrono::minutes(24);
  Duration child_rekey_time = std::chrono::hours(1);
  Duration child_over_time = std::chrono::minutes(6);
  Duration rand_time = Duration(0);
  // Volume limits of a CHILD SA, enforced by the data plane (0 = none).
  uint64_t child_life_bytes = 0;
  uint64_t child_life_packets = 0;

  // Liveness (RFC 7296 §2.4): an empty INFORMATIONAL after `dpd_delay` without inbound
  // IKE traffic; 0 disables.
  Duration dpd_delay = Duration(0);
  RetransmitPolicy retransmit;
  // How long a half-open SA (IKE_SA_INIT done, IKE_AUTH not) may live.
  Duration half_open_timeout = std::chrono::seconds(30);

  // RFC 7383 fragmentation: offered when `fragmentation`; messages are split so that each
  // IP datagram stays within `fragment_size` bytes.
  bool fragmentation = true;
  size_t fragment_size = 1280;

  // force_encap sends a bogus NAT_DETECTION_SOURCE_IP so the peer sees a NAT and ESP goes
  // in UDP/4500 (RFC 3948), as strongSwan's `encap = yes`. The userspace data plane needs
  // UDP encapsulation anyway.
  bool force_encap = true;

  bool send_certreq = true;
  SendCert send_cert = SendCert::Always;
  // signature_auth uses RFC 7427 method 14 when the peer sent SIGNATURE_HASH_ALGORITHMS.
  bool signature_auth = true;
  // rsa_pss signs with RSASSA-PSS instead of PKCS#1 v1.5 inside method 14.
  bool rsa_pss = false;
  // initial_contact sends INITIAL_CONTACT in our first IKE_AUTH (RFC 7296 §2.4).
  bool initial_contact = true;
};

// validate checks a TunnelConfig for consistency: names, IDs, selectors, credentials that
// match the auth kinds (the private key must match the first certificate), proposals
// that are complete (AEAD without integrity, CBC with one, a PRF and a DH group for IKE),
// and sane lifetimes. The Error label is "invalid_tunnel" and the detail says what.
Result<void> validate(const TunnelConfig& c);

// parse_pem_certificates reads every CERTIFICATE block of a PEM text.
Result<std::vector<bssl::UniquePtr<X509>>> parse_pem_certificates(std::string_view pem);
// parse_pem_private_key reads one private key (PKCS#8, SEC1 EC or PKCS#1 RSA) from PEM.
Result<bssl::UniquePtr<EVP_PKEY>> parse_pem_private_key(std::string_view pem);

}  // namespace intransit::ipsec
