#include "ipsec/ike/errors.h"

namespace intransit::ipsec::ike {

std::string_view label(Errc e) {
  switch (e) {
    case Errc::Truncated:
      return "truncated";
    case Errc::BadLength:
      return "bad_length";
    case Errc::BadPayloadLength:
      return "bad_payload_length";
    case Errc::BadVersion:
      return "bad_version";
    case Errc::BadExchange:
      return "bad_exchange";
    case Errc::UnsupportedCriticalPayload:
      return "unsupported_critical_payload";
    case Errc::MalformedPayload:
      return "malformed_payload";
    case Errc::MissingPayload:
      return "missing_payload";
    case Errc::SkNotLast:
      return "sk_not_last";
    case Errc::IntegrityFailed:
      return "integrity_failed";
    case Errc::BadFragment:
      return "bad_fragment";
    case Errc::NoProposalChosen:
      return "no_proposal_chosen";
    case Errc::InvalidKe:
      return "invalid_ke";
    case Errc::BadKeyExchange:
      return "bad_key_exchange";
    case Errc::AuthenticationFailed:
      return "authentication_failed";
    case Errc::TsUnacceptable:
      return "ts_unacceptable";
    case Errc::InvalidSpi:
      return "invalid_spi";
    case Errc::ChildSaNotFound:
      return "child_sa_not_found";
    case Errc::TemporaryFailure:
      return "temporary_failure";
    case Errc::InvalidMessageId:
      return "invalid_message_id";
    case Errc::PeerError:
      return "peer_error";
    case Errc::Timeout:
      return "timeout";
    case Errc::Internal:
      return "internal";
  }
  return "internal";
}

std::optional<NotifyType> notify_for(Errc e) {
  switch (e) {
    case Errc::Truncated:
    case Errc::BadLength:
    case Errc::BadPayloadLength:
    case Errc::BadExchange:
    case Errc::MalformedPayload:
    case Errc::MissingPayload:
    case Errc::SkNotLast:
    case Errc::BadKeyExchange:
      return NotifyType::InvalidSyntax;
    case Errc::BadVersion:
      return NotifyType::InvalidMajorVersion;
    case Errc::UnsupportedCriticalPayload:
      return NotifyType::UnsupportedCriticalPayload;
    case Errc::NoProposalChosen:
      return NotifyType::NoProposalChosen;
    case Errc::InvalidKe:
      return NotifyType::InvalidKePayload;
    case Errc::AuthenticationFailed:
      return NotifyType::AuthenticationFailed;
    case Errc::TsUnacceptable:
      return NotifyType::TsUnacceptable;
    case Errc::InvalidSpi:
      return NotifyType::InvalidSpi;
    case Errc::ChildSaNotFound:
      return NotifyType::ChildSaNotFound;
    case Errc::TemporaryFailure:
      return NotifyType::TemporaryFailure;
    case Errc::IntegrityFailed:
    case Errc::BadFragment:
    case Errc::InvalidMessageId:
    case Errc::PeerError:
    case Errc::Timeout:
    case Errc::Internal:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace intransit::ipsec::ike
