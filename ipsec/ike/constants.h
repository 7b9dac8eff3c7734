// IKEv2 wire constants (RFC 7296 §3 and the IANA "IKEv2 Parameters" registry) with names
// for logs, traces and metric labels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intransit::ipsec::ike {

// ExchangeType: RFC 7296 §3.1.
enum class ExchangeType : uint8_t {
  IkeSaInit = 34,
  IkeAuth = 35,
  CreateChildSa = 36,
  Informational = 37,
};

// PayloadType: RFC 7296 §3.2 ("Next Payload"), plus SKF from RFC 7383 §2.5.
enum class PayloadType : uint8_t {
  None = 0,
  Sa = 33,
  Ke = 34,
  IdI = 35,
  IdR = 36,
  Cert = 37,
  CertReq = 38,
  Auth = 39,
  Nonce = 40,
  Notify = 41,
  Delete = 42,
  VendorId = 43,
  TsI = 44,
  TsR = 45,
  Sk = 46,
  Cp = 47,
  Eap = 48,
  Skf = 53,
};

// Header flags: RFC 7296 §3.1.
inline constexpr uint8_t kFlagInitiator = 0x08;
inline constexpr uint8_t kFlagVersion = 0x10;
inline constexpr uint8_t kFlagResponse = 0x20;
// Version: major 2, minor 0 (RFC 7296 §3.1).
inline constexpr uint8_t kVersion2 = 0x20;
// Size of the fixed IKE header (RFC 7296 §3.1) and of the generic payload header (§3.2).
inline constexpr size_t kHeaderBytes = 28;
inline constexpr size_t kPayloadHeaderBytes = 4;

// ProtocolId: RFC 7296 §3.3.1 (proposals, notify and delete payloads).
enum class ProtocolId : uint8_t { None = 0, Ike = 1, Ah = 2, Esp = 3 };

// TransformType: RFC 7296 §3.3.2.
enum class TransformType : uint8_t { Encr = 1, Prf = 2, Integ = 3, Dh = 4, Esn = 5 };

// Transform attribute "Key Length", TV format: RFC 7296 §3.3.5.
inline constexpr uint16_t kAttrKeyLength = 14;

// IdType: RFC 7296 §3.5.
enum class IdType : uint8_t {
  Ipv4Addr = 1,
  Fqdn = 2,
  Rfc822Addr = 3,
  Ipv6Addr = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
};

// CertEncoding: RFC 7296 §3.6 (only X.509 signature certificates are used).
enum class CertEncoding : uint8_t { X509Signature = 4 };

// AuthMethod: RFC 7296 §3.8, RFC 4754 (9-11), RFC 7427 (14).
enum class AuthMethod : uint8_t {
  Rsa = 1,
  Psk = 2,
  Dss = 3,
  EcdsaSha256P256 = 9,
  EcdsaSha384P384 = 10,
  EcdsaSha512P521 = 11,
  DigitalSignature = 14,
};

// HashAlgorithm: RFC 7427 §4 (SIGNATURE_HASH_ALGORITHMS).
enum class HashAlgorithm : uint16_t {
  Sha1 = 1,
  Sha256 = 2,
  Sha384 = 3,
  Sha512 = 4,
  Identity = 5,
};

// TsType: RFC 7296 §3.13.1.
enum class TsType : uint8_t { Ipv4AddrRange = 7, Ipv6AddrRange = 8 };

// NotifyType: RFC 7296 §3.10.1 and later registrations. Values below 16384 are errors.
enum class NotifyType : uint16_t {
  UnsupportedCriticalPayload = 1,
  InvalidIkeSpi = 4,
  InvalidMajorVersion = 5,
  InvalidSyntax = 7,
  InvalidMessageId = 9,
  InvalidSpi = 11,
  NoProposalChosen = 14,
  InvalidKePayload = 17,
  AuthenticationFailed = 24,
  SinglePairRequired = 34,
  NoAdditionalSas = 35,
  InternalAddressFailure = 36,
  FailedCpRequired = 37,
  TsUnacceptable = 38,
  InvalidSelectors = 39,
  TemporaryFailure = 43,
  ChildSaNotFound = 44,
  InitialContact = 16384,
  SetWindowSize = 16385,
  AdditionalTsPossible = 16386,
  IpcompSupported = 16387,
  NatDetectionSourceIp = 16388,
  NatDetectionDestinationIp = 16389,
  Cookie = 16390,
  UseTransportMode = 16391,
  HttpCertLookupSupported = 16392,
  RekeySa = 16393,
  EspTfcPaddingNotSupported = 16394,
  NonFirstFragmentsAlso = 16395,
  MobikeSupported = 16396,
  NoAdditionalAddresses = 16399,
  MultipleAuthSupported = 16404,
  RedirectSupported = 16406,
  EapOnlyAuthentication = 16417,
  ChildlessIkev2Supported = 16418,
  Ikev2MessageIdSyncSupported = 16420,
  Ikev2FragmentationSupported = 16430,
  SignatureHashAlgorithms = 16431,
};

// is_error is true for error notifications (types below 16384, RFC 7296 §3.10.1).
constexpr bool is_error(NotifyType t) {
  return static_cast<uint16_t>(t) < 16384;
}

std::string_view name(ExchangeType t);
std::string_view name(PayloadType t);
// short_name gives strongSwan's log abbreviation ("SA", "KE", "No", "IDi", "N", …).
std::string_view short_name(PayloadType t);
std::string_view name(NotifyType t);
// short_name of a notify gives strongSwan's abbreviation ("NATD_S_IP", "FRAG_SUP", …), or
// the number for unknown types.
std::string short_name(NotifyType t);
std::string_view name(AuthMethod m);
std::string_view name(IdType t);

}  // namespace intransit::ipsec::ike
