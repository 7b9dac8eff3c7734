#include "ipsec/ike/constants.h"

namespace intransit::ipsec::ike {

std::string_view name(ExchangeType t) {
  switch (t) {
    case ExchangeType::IkeSaInit:
      return "IKE_SA_INIT";
    case ExchangeType::IkeAuth:
      return "IKE_AUTH";
    case ExchangeType::CreateChildSa:
      return "CREATE_CHILD_SA";
    case ExchangeType::Informational:
      return "INFORMATIONAL";
  }
  return "UNKNOWN";
}

std::string_view name(PayloadType t) {
  switch (t) {
    case PayloadType::None:
      return "NONE";
    case PayloadType::Sa:
      return "SECURITY_ASSOCIATION";
    case PayloadType::Ke:
      return "KEY_EXCHANGE";
    case PayloadType::IdI:
      return "ID_INITIATOR";
    case PayloadType::IdR:
      return "ID_RESPONDER";
    case PayloadType::Cert:
      return "CERTIFICATE";
    case PayloadType::CertReq:
      return "CERTIFICATE_REQUEST";
    case PayloadType::Auth:
      return "AUTHENTICATION";
    case PayloadType::Nonce:
      return "NONCE";
    case PayloadType::Notify:
      return "NOTIFY";
    case PayloadType::Delete:
      return "DELETE";
    case PayloadType::VendorId:
      return "VENDOR_ID";
    case PayloadType::TsI:
      return "TRAFFIC_SELECTOR_INITIATOR";
    case PayloadType::TsR:
      return "TRAFFIC_SELECTOR_RESPONDER";
    case PayloadType::Sk:
      return "ENCRYPTED";
    case PayloadType::Cp:
      return "CONFIGURATION";
    case PayloadType::Eap:
      return "EXTENSIBLE_AUTHENTICATION";
    case PayloadType::Skf:
      return "ENCRYPTED_FRAGMENT";
  }
  return "UNKNOWN";
}

std::string_view short_name(PayloadType t) {
  switch (t) {
    case PayloadType::None:
      return "-";
    case PayloadType::Sa:
      return "SA";
    case PayloadType::Ke:
      return "KE";
    case PayloadType::IdI:
      return "IDi";
    case PayloadType::IdR:
      return "IDr";
    case PayloadType::Cert:
      return "CERT";
    case PayloadType::CertReq:
      return "CERTREQ";
    case PayloadType::Auth:
      return "AUTH";
    case PayloadType::Nonce:
      return "No";
    case PayloadType::Notify:
      return "N";
    case PayloadType::Delete:
      return "D";
    case PayloadType::VendorId:
      return "V";
    case PayloadType::TsI:
      return "TSi";
    case PayloadType::TsR:
      return "TSr";
    case PayloadType::Sk:
      return "SK";
    case PayloadType::Cp:
      return "CP";
    case PayloadType::Eap:
      return "EAP";
    case PayloadType::Skf:
      return "EF";
  }
  return "?";
}

std::string_view name(NotifyType t) {
  switch (t) {
    case NotifyType::UnsupportedCriticalPayload:
      return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case NotifyType::InvalidIkeSpi:
      return "INVALID_IKE_SPI";
    case NotifyType::InvalidMajorVersion:
      return "INVALID_MAJOR_VERSION";
    case NotifyType::InvalidSyntax:
      return "INVALID_SYNTAX";
    case NotifyType::InvalidMessageId:
      return "INVALID_MESSAGE_ID";
    case NotifyType::InvalidSpi:
      return "INVALID_SPI";
    case NotifyType::NoProposalChosen:
      return "NO_PROPOSAL_CHOSEN";
    case NotifyType::InvalidKePayload:
      return "INVALID_KE_PAYLOAD";
    case NotifyType::AuthenticationFailed:
      return "AUTHENTICATION_FAILED";
    case NotifyType::SinglePairRequired:
      return "SINGLE_PAIR_REQUIRED";
    case NotifyType::NoAdditionalSas:
      return "NO_ADDITIONAL_SAS";
    case NotifyType::InternalAddressFailure:
      return "INTERNAL_ADDRESS_FAILURE";
    case NotifyType::FailedCpRequired:
      return "FAILED_CP_REQUIRED";
    case NotifyType::TsUnacceptable:
      return "TS_UNACCEPTABLE";
    case NotifyType::InvalidSelectors:
      return "INVALID_SELECTORS";
    case NotifyType::TemporaryFailure:
      return "TEMPORARY_FAILURE";
    case NotifyType::ChildSaNotFound:
      return "CHILD_SA_NOT_FOUND";
    case NotifyType::InitialContact:
      return "INITIAL_CONTACT";
    case NotifyType::SetWindowSize:
      return "SET_WINDOW_SIZE";
    case NotifyType::AdditionalTsPossible:
      return "ADDITIONAL_TS_POSSIBLE";
    case NotifyType::IpcompSupported:
      return "IPCOMP_SUPPORTED";
    case NotifyType::NatDetectionSourceIp:
      return "NAT_DETECTION_SOURCE_IP";
    case NotifyType::NatDetectionDestinationIp:
      return "NAT_DETECTION_DESTINATION_IP";
    case NotifyType::Cookie:
      return "COOKIE";
    case NotifyType::UseTransportMode:
      return "USE_TRANSPORT_MODE";
    case NotifyType::HttpCertLookupSupported:
      return "HTTP_CERT_LOOKUP_SUPPORTED";
    case NotifyType::RekeySa:
      return "REKEY_SA";
    case NotifyType::EspTfcPaddingNotSupported:
      return "ESP_TFC_PADDING_NOT_SUPPORTED";
    case NotifyType::NonFirstFragmentsAlso:
      return "NON_FIRST_FRAGMENTS_ALSO";
    case NotifyType::MobikeSupported:
      return "MOBIKE_SUPPORTED";
    case NotifyType::NoAdditionalAddresses:
      return "NO_ADDITIONAL_ADDRESSES";
    case NotifyType::MultipleAuthSupported:
      return "MULTIPLE_AUTH_SUPPORTED";
    case NotifyType::RedirectSupported:
      return "REDIRECT_SUPPORTED";
    case NotifyType::EapOnlyAuthentication:
      return "EAP_ONLY_AUTHENTICATION";
    case NotifyType::ChildlessIkev2Supported:
      return "CHILDLESS_IKEV2_SUPPORTED";
    case NotifyType::Ikev2MessageIdSyncSupported:
      return "IKEV2_MESSAGE_ID_SYNC_SUPPORTED";
    case NotifyType::Ikev2FragmentationSupported:
      return "IKEV2_FRAGMENTATION_SUPPORTED";
    case NotifyType::SignatureHashAlgorithms:
      return "SIGNATURE_HASH_ALGORITHMS";
  }
  return "UNKNOWN_NOTIFY";
}

std::string short_name(NotifyType t) {
  switch (t) {
    case NotifyType::UnsupportedCriticalPayload:
      return "CRIT";
    case NotifyType::InvalidSyntax:
      return "INVAL_SYN";
    case NotifyType::InvalidSpi:
      return "INVAL_SPI";
    case NotifyType::NoProposalChosen:
      return "NO_PROP";
    case NotifyType::InvalidKePayload:
      return "INVAL_KE";
    case NotifyType::AuthenticationFailed:
      return "AUTH_FAILED";
    case NotifyType::TsUnacceptable:
      return "TS_UNACCEPT";
    case NotifyType::TemporaryFailure:
      return "TEMP_FAIL";
    case NotifyType::ChildSaNotFound:
      return "NO_CHILD_SA";
    case NotifyType::InitialContact:
      return "INIT_CONTACT";
    case NotifyType::NatDetectionSourceIp:
      return "NATD_S_IP";
    case NotifyType::NatDetectionDestinationIp:
      return "NATD_D_IP";
    case NotifyType::Cookie:
      return "COOKIE";
    case NotifyType::RekeySa:
      return "REKEY_SA";
    case NotifyType::MobikeSupported:
      return "MOBIKE_SUP";
    case NotifyType::NoAdditionalAddresses:
      return "NO_ADD_ADDR";
    case NotifyType::MultipleAuthSupported:
      return "MULT_AUTH";
    case NotifyType::RedirectSupported:
      return "REDIR_SUP";
    case NotifyType::EapOnlyAuthentication:
      return "EAP_ONLY";
    case NotifyType::ChildlessIkev2Supported:
      return "CHDLESS_SUP";
    case NotifyType::Ikev2MessageIdSyncSupported:
      return "MSG_ID_SYN_SUP";
    case NotifyType::Ikev2FragmentationSupported:
      return "FRAG_SUP";
    case NotifyType::SignatureHashAlgorithms:
      return "HASH_ALG";
    case NotifyType::AdditionalTsPossible:
      return "ADD_TS_POSS";
    case NotifyType::NoAdditionalSas:
      return "NO_ADD_SAS";
    default:
      break;
  }
  const std::string_view n = name(t);
  if (n != "UNKNOWN_NOTIFY") return std::string(n);
  return std::to_string(static_cast<uint16_t>(t));
}

std::string_view name(AuthMethod m) {
  switch (m) {
    case AuthMethod::Rsa:
      return "RSA_SIG";
    case AuthMethod::Psk:
      return "PSK";
    case AuthMethod::Dss:
      return "DSS_SIG";
    case AuthMethod::EcdsaSha256P256:
      return "ECDSA_256";
    case AuthMethod::EcdsaSha384P384:
      return "ECDSA_384";
    case AuthMethod::EcdsaSha512P521:
      return "ECDSA_521";
    case AuthMethod::DigitalSignature:
      return "DIGITAL_SIGNATURE";
  }
  return "UNKNOWN_AUTH";
}

std::string_view name(IdType t) {
  switch (t) {
    case IdType::Ipv4Addr:
      return "ID_IPV4_ADDR";
    case IdType::Fqdn:
      return "ID_FQDN";
    case IdType::Rfc822Addr:
      return "ID_RFC822_ADDR";
    case IdType::Ipv6Addr:
      return "ID_IPV6_ADDR";
    case IdType::DerAsn1Dn:
      return "ID_DER_ASN1_DN";
    case IdType::DerAsn1Gn:
      return "ID_DER_ASN1_GN";
    case IdType::KeyId:
      return "ID_KEY_ID";
  }
  return "ID_UNKNOWN";
}

}  // namespace intransit::ipsec::ike
