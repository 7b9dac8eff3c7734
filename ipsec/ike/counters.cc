#include "ipsec/ike/counters.h"

namespace intransit::ipsec::ike {

std::string_view name(ExchangeResult r) {
  switch (r) {
    case ExchangeResult::Ok:
      return "ok";
    case ExchangeResult::Failed:
      return "failed";
    case ExchangeResult::Timeout:
      return "timeout";
    case ExchangeResult::kCount:
      break;
  }
  return "unknown";
}

std::string_view name(AuthFailure f) {
  switch (f) {
    case AuthFailure::NoMatchingTunnel:
      return "no_matching_tunnel";
    case AuthFailure::IdMismatch:
      return "id_mismatch";
    case AuthFailure::MethodMismatch:
      return "method_mismatch";
    case AuthFailure::BadPsk:
      return "bad_psk";
    case AuthFailure::BadCertificate:
      return "bad_certificate";
    case AuthFailure::BadSignature:
      return "bad_signature";
    case AuthFailure::PeerRejected:
      return "peer_rejected";
    case AuthFailure::kCount:
      break;
  }
  return "unknown";
}

std::string_view name(DropReason d) {
  switch (d) {
    case DropReason::Malformed:
      return "malformed";
    case DropReason::UnknownSpi:
      return "unknown_spi";
    case DropReason::NoTunnel:
      return "no_tunnel";
    case DropReason::Integrity:
      return "integrity";
    case DropReason::MessageId:
      return "message_id";
    case DropReason::Fragment:
      return "fragment";
    case DropReason::InvalidCookie:
      return "invalid_cookie";
    case DropReason::HalfOpenLimit:
      return "half_open_limit";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace intransit::ipsec::ike
